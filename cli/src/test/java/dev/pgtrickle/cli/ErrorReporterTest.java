package dev.pgtrickle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import picocli.CommandLine.Command;

class ErrorReporterTest {

    private static final PSQLException SERVER_ERROR = new PSQLException(new ServerErrorMessage(
            "SERROR\0C42P01\0Mstream table \"public.x\" does not exist\0Dno row in the catalog\0Hcheck the name\0"));

    @Command(name = "fail")
    static final class FailingCommand implements Callable<Integer> {
        private final Exception failure;

        FailingCommand(Exception failure) {
            this.failure = failure;
        }

        @Override
        public Integer call() throws Exception {
            throw failure;
        }
    }

    @Test
    void printsTheServerMessageWithDetailAndHint() {
        assertEquals(List.of(
                "error: stream table \"public.x\" does not exist",
                "DETAIL: no row in the catalog",
                "HINT: check the name"), ErrorReporter.describe(SERVER_ERROR));
    }

    @Test
    void findsTheServerMessageInsideAWrapper() {
        assertEquals("stream table \"public.x\" does not exist",
                ErrorReporter.message(new RuntimeException("migration failed", SERVER_ERROR)));
    }

    @Test
    void usesThePlainMessageOtherwise() {
        assertEquals(List.of("error: boom"), ErrorReporter.describe(new IllegalStateException("boom")));
        assertEquals("java.lang.NullPointerException", ErrorReporter.message(new NullPointerException()));
    }

    @Test
    void exitsWithOneAndNoStackTraceUnlessVerbose() {
        Cli quiet = new Cli(new FailingCommand(SERVER_ERROR));
        assertEquals(1, quiet.execute("fail"));
        assertTrue(quiet.err().startsWith("error: stream table \"public.x\" does not exist"), quiet.err());
        assertFalse(quiet.err().contains("\tat "), quiet.err());

        Cli verbose = new Cli(new FailingCommand(SERVER_ERROR));
        assertEquals(1, verbose.execute("--verbose", "fail"));
        assertTrue(verbose.err().contains("\tat "), verbose.err());
    }

    @Test
    void cliExceptionsAreRuntimeErrors() {
        Cli cli = new Cli(new FailingCommand(new CliException("stream table \"t\" does not exist")));
        assertEquals(1, cli.execute("fail"));
        assertEquals("error: stream table \"t\" does not exist\n", cli.err());
    }
}
