package dev.pgtrickle.testsupport;

import java.sql.SQLException;
import java.util.OptionalInt;

/** The one server of this JVM: started on first use, stopped when the JVM exits. */
final class SharedServer {

    private static PostgresServer server;
    /** Remembered so that every later test class fails (or is skipped) the same way. */
    private static RuntimeException failure;

    private SharedServer() {
    }

    static synchronized PostgresServer get() {
        if (server != null) {
            return server;
        }
        if (failure != null) {
            throw failure;
        }
        try {
            server = start();
            return server;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        }
    }

    private static PostgresServer start() {
        Backend backend = Backend.selected();
        OptionalInt requested = Backend.requestedMajorVersion();
        PostgresServer started = backend.start();
        Runtime.getRuntime().addShutdownHook(new Thread(started::close, "pgtrickle-test-postgres-stop"));
        int actual;
        try {
            actual = started.majorVersion();
        } catch (SQLException e) {
            throw new IllegalStateException("Could not query the version of " + started, e);
        }
        if (backend.startsItsOwnServer() && requested.isPresent() && requested.getAsInt() != actual) {
            throw new IllegalStateException(Backend.VERSION_PROPERTY + "=" + requested.getAsInt()
                    + " but " + started + " runs PostgreSQL " + actual
                    + "; the pg" + requested.getAsInt() + " Maven profile selects the matching binaries");
        }
        return started;
    }
}
