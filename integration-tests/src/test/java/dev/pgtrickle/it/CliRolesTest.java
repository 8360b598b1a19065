package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The command line for roles that do not own the catalog: the read-only commands work for every
 * role that can read it, the others say which right is missing, and nobody meets a permission
 * error from the installation check.
 */
@PostgresTest
class CliRolesTest {

    private static final String READER = "cli_reader";
    private static final String PASSWORD = "reader-pw";

    private final TestDatabase db;

    CliRolesTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
        db.createRole(READER, PASSWORD, "LOGIN", "NOSUPERUSER");
        db.execute("CREATE TABLE cr_src (id int PRIMARY KEY, v int); INSERT INTO cr_src VALUES (1, 10), (2, 20);"
                + " SELECT pgtrickle.create_stream_table('cr_st', 'SELECT id, v FROM cr_src', schedule => '1m')");
    }

    private static CliRun asReader(TestDatabase database, String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--jdbc-url";
        all[args.length + 1] = database.jdbcUrlAs(READER, PASSWORD);
        return CliRun.run(all);
    }

    @Test
    void readOnlyCommandsWorkForEveryRoleThatCanReadTheCatalog() {
        CliRun status = asReader(db, "status").expectExit(0);
        CliRun.assertContains(status.out(), "public.cr_st", "ACTIVE");
        assertTrue(status.err().isBlank(), status::toString);
        CliRun.assertContains(asReader(db, "status", "cr_st", "--json").expectExit(0).out(), "\"name\" : \"public.cr_st\"");
        CliRun.assertContains(asReader(db, "explain", "cr_st").expectExit(0).out(), "stream table public.cr_st");
        CliRun.assertContains(asReader(db, "cdc", "status").expectExit(0).out(), "public.cr_src");
    }

    @Test
    void commandsThatNeedMoreRightsSayWhich() {
        CliRun refresh = asReader(db, "refresh", "cr_st").expectExit(1).assertNoStackTrace();
        CliRun.assertContains(refresh.err(), "permission denied for stream table \"public.cr_st\"",
                "HINT: Managing a stream table requires the right to write its storage table");
        CliRun compile = asReader(db, "compile", "cr_st").expectExit(1).assertNoStackTrace();
        CliRun.assertContains(compile.err(), "permission denied for stream table \"public.cr_st\"");
    }

    @Test
    void aRoleThatMayNotInstallOrUpgradeIsToldWhoMay() throws SQLException {
        TestDatabase empty = TestDatabase.create(db.server(), "cli_roles_empty");
        try {
            CliRun missing = asReader(empty, "status").expectExit(1).assertNoStackTrace();
            CliRun.assertContains(missing.err(), "pgtrickle is not installed in database " + empty.databaseName(),
                    "run `pgtrickle install` as a role with the CREATE privilege on the database");

            // A catalog older than this build (version 4 did not open its history to everyone).
            try (Connection connection = empty.connect()) {
                CatalogInstaller.install(connection, "4");
            }
            CliRun old = asReader(empty, "status").expectExit(0).assertNoStackTrace();
            CliRun.assertContains(old.err(), "warning: the pgtrickle catalog is older than this pgtrickle");
            CliRun.assertContains(old.out(), "no stream tables");
            CliRun upgrade = asReader(empty, "create", "x", "SELECT 1 AS one").expectExit(1).assertNoStackTrace();
            CliRun.assertContains(upgrade.err(), "upgrading it needs the rights of its owner",
                    "run `pgtrickle install` as ");
        } finally {
            empty.drop();
        }
    }
}
