package dev.pgtrickle.testsupport;

/**
 * Another PostgreSQL from the embedded binaries, beside the shared one: for tests of what reaches a
 * different server (a logical replication subscriber). The caller stops it.
 */
public final class SecondServer {

    private SecondServer() {
    }

    /** Starts one with the tests' settings ({@link ServerSettings}); close it when done. */
    public static PostgresServer start() {
        return Backend.EMBEDDED.start();
    }
}
