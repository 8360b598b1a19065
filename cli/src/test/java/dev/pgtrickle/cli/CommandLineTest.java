package dev.pgtrickle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/** Parsing and validation of the command line; none of these reach a database. */
class CommandLineTest {

    private final Cli cli = new Cli();

    @Test
    void printsTheVersion() {
        assertEquals(0, cli.execute("--version"));
        assertTrue(cli.out().matches("pgtrickle \\d+\\.\\d+\\.\\d+.*\\R"), cli.out());
    }

    @Test
    void subcommandsInheritHelpAndVersion() {
        assertEquals(0, cli.execute("status", "--version"));
        assertTrue(cli.out().startsWith("pgtrickle "), cli.out());
        assertEquals(0, cli.execute("refresh", "--help"));
        assertTrue(cli.out().contains("Usage: pgtrickle refresh"), cli.out());
    }

    @Test
    void theTopLevelHelpNamesTheDatabaseOption() {
        assertEquals(0, cli.execute("--help"));
        assertTrue(cli.out().contains("--jdbc-url URL") && cli.out().contains("PGTRICKLE_JDBC_URL"), cli.out());
    }

    @Test
    void requiresASubcommand() {
        assertEquals(2, cli.execute());
        assertTrue(cli.err().contains("Missing required subcommand"), cli.err());
        assertTrue(cli.err().contains("playground"), "usage lists the subcommands: " + cli.err());
    }

    @Test
    void missingJdbcUrlIsAUsageErrorNamingTheEnvironmentVariable() {
        assumeTrue(System.getenv(ConnectionOptions.ENV) == null, "PGTRICKLE_JDBC_URL is set in this environment");
        assertEquals(2, cli.execute("status"));
        assertTrue(cli.err().contains("--jdbc-url"), cli.err());
        assertTrue(cli.err().contains("PGTRICKLE_JDBC_URL"), cli.err());
    }

    @Test
    void alterWithoutAnythingToChangeIsAUsageError() {
        assertEquals(2, cli.execute("alter", "t", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/x"));
        assertTrue(cli.err().contains("Nothing to change"), cli.err());
    }

    @Test
    void rejectsAnUnknownTier() {
        assertEquals(2, cli.execute("alter", "t", "--tier", "lukewarm"));
        assertTrue(cli.err().contains("hot"), "lists the valid values: " + cli.err());
    }

    @Test
    void ifNotExistsAndOrReplaceExcludeEachOther() {
        assertEquals(2, cli.execute("create", "t", "SELECT 1", "--if-not-exists", "--or-replace"));
        assertTrue(cli.err().contains("mutually exclusive"), cli.err());
    }

    @Test
    void createNeedsAQuery() {
        assertEquals(2, cli.execute("create", "t"));
        assertTrue(cli.err().contains("QUERY"), cli.err());
    }

    @Test
    void unreachableDatabaseIsARuntimeErrorOnOneLine() {
        assertEquals(1, cli.execute("status", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/x?connectTimeout=2"));
        assertTrue(cli.err().startsWith("error: Connection to 127.0.0.1:1 refused"), cli.err());
        assertEquals(1, cli.err().lines().count(), cli.err());
    }

    @Test
    void verboseAfterTheSubcommandAddsTheStackTrace() {
        assertEquals(1, cli.execute("status", "--verbose", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/x?connectTimeout=2"));
        assertTrue(cli.err().contains("\tat org.postgresql."), cli.err());
        assertTrue(cli.err().contains("error: Connection to 127.0.0.1:1 refused"), cli.err());
    }

    @Test
    void playgroundNeedsNoJdbcUrl() {
        assertEquals(0, cli.execute("playground", "--help"));
        assertFalse(cli.out().contains("--jdbc-url"), cli.out());
        assertTrue(cli.out().contains("--data-dir"), cli.out());
    }
}
