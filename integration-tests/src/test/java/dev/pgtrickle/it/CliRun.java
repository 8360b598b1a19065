package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.cli.PgTrickleCommand;
import dev.pgtrickle.testsupport.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/** Exit code and captured output of one in-process run of the {@code pgtrickle} command line. */
record CliRun(List<String> args, int exitCode, String out, String err) {

    /** How a Java stack frame starts in printed output. */
    static final String STACK_FRAME = "\tat ";

    /** Runs the command line the way {@code Main} does, with stdout and stderr captured. */
    static CliRun run(String... args) {
        CommandLine commandLine = PgTrickleCommand.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        commandLine.getOut().flush();
        commandLine.getErr().flush();
        return new CliRun(List.of(args), exitCode, out.toString(), err.toString());
    }

    /** Runs a command against {@code database}: the arguments, then {@code --jdbc-url}. */
    static CliRun against(TestDatabase database, String... args) {
        String[] all = Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--jdbc-url";
        all[args.length + 1] = database.jdbcUrl();
        return run(all);
    }

    CliRun expectExit(int expected) {
        assertEquals(expected, exitCode, () -> "exit code of " + this);
        return this;
    }

    /** Without --verbose, errors are one line: no stack trace on either stream. */
    CliRun assertNoStackTrace() {
        assertFalse(err.contains(STACK_FRAME), () -> "no stack trace expected from " + this);
        assertFalse(out.contains(STACK_FRAME), () -> "no stack trace expected from " + this);
        return this;
    }

    static void assertContains(String text, String... parts) {
        for (String part : parts) {
            assertTrue(text != null && text.contains(part), () -> "expected '" + part + "' in:\n" + text);
        }
    }

    List<String> outLines() {
        return out.lines().filter(line -> !line.isBlank()).toList();
    }

    List<String> errLines() {
        return err.lines().filter(line -> !line.isBlank()).toList();
    }

    @Override
    public String toString() {
        return "pgtrickle " + String.join(" ", args) + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
    }
}
