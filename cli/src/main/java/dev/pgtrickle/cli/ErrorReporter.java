package dev.pgtrickle.cli;

import dev.pgtrickle.core.jdbc.ServerErrors;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.util.ServerErrorMessage;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns a failure of a command into one clear {@code error:} line (plus PostgreSQL's DETAIL and
 * HINT) on stderr and exit code 1; the stack trace only with {@code --verbose}.
 */
public final class ErrorReporter implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception exception, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        PgTrickleCommand root = (PgTrickleCommand) commandLine.getCommandSpec().root().userObject();
        if (root.verbose()) {
            exception.printStackTrace(err);
        }
        describe(exception).forEach(err::println);
        err.flush();
        return commandLine.getCommandSpec().exitCodeOnExecutionException();
    }

    /**
     * The {@code error:} line, then PostgreSQL's DETAIL and HINT when the server sent them, the
     * SQL API's advice (the hint) in the command line's words.
     */
    static List<String> describe(Throwable failure) {
        List<String> lines = new ArrayList<>();
        lines.add("error: " + message(failure));
        ServerErrorMessage server = serverMessage(failure);
        if (server == null) {
            return lines;
        }
        if (server.getDetail() != null) {
            lines.add("DETAIL: " + server.getDetail());
        }
        if (server.getHint() != null) {
            lines.add("HINT: " + CliWording.of(server.getHint()));
        }
        return lines;
    }

    /** The failure's message without decoration: the server's own text for database errors. */
    public static String message(Throwable failure) {
        return ServerErrors.message(failure);
    }

    private static ServerErrorMessage serverMessage(Throwable failure) {
        return ServerErrors.serverMessage(failure);
    }
}
