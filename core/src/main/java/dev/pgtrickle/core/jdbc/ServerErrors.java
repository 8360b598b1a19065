package dev.pgtrickle.core.jdbc;

import java.sql.SQLException;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * The words of a failure as a user should read them: for a database error, the server's own
 * message, without pgjdbc's "ERROR:" prefix and the "Where:" trace of the PL/pgSQL functions it
 * went through.
 */
public final class ServerErrors {

    private ServerErrors() {
    }

    /** The failure's message without decoration: the server's own text for database errors. */
    public static String message(Throwable failure) {
        ServerErrorMessage server = serverMessage(failure);
        if (server != null) {
            return server.getMessage();
        }
        return failure.getMessage() != null ? failure.getMessage() : failure.toString();
    }

    /**
     * The server's message, also when a library (e.g. the catalog installer) wrapped the exception;
     * {@code null} when the first {@link SQLException} on the way is one of our own, which says
     * better what happened than the server's error it wraps.
     */
    public static ServerErrorMessage serverMessage(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PSQLException psql && psql.getServerErrorMessage() != null) {
                return psql.getServerErrorMessage();
            }
            if (t instanceof SQLException) {
                return null;
            }
        }
        return null;
    }
}
