package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.core.catalog.InstallResult;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Installing and upgrading the in-database catalog. Each test uses a database of its own. */
@PostgresTest
class CatalogInstallTest {

    @Test
    void installsOnAFreshDatabaseAndReinstallingIsANoOp(TestDatabase shared) throws SQLException {
        TestDatabase db = TestDatabase.create(shared.server(), "install_fresh");
        try (Connection connection = db.connect()) {
            assertNull(CatalogInstaller.installedVersion(connection));
            assertFalse(CatalogInstaller.isCurrent(connection));

            InstallResult first = CatalogInstaller.install(connection);
            assertNull(first.previousVersion());
            assertTrue(first.migrationsApplied() > 0);
            assertTrue(first.freshInstall());
            assertTrue(CatalogInstaller.isCurrent(connection));
            assertEquals(2, db.queryLong(
                    "SELECT count(*) FROM pg_namespace WHERE nspname IN ('pgtrickle', 'pgtrickle_changes')"));
            assertEquals(1, db.queryLong(
                    "SELECT count(*) FROM pg_proc WHERE proname = 'create_stream_table'"
                            + " AND pronamespace = 'pgtrickle'::regnamespace"));

            String functions = db.queryString("SELECT md5(string_agg(prosrc, '' ORDER BY oid)) FROM pg_proc"
                    + " WHERE pronamespace = 'pgtrickle'::regnamespace");
            InstallResult second = CatalogInstaller.install(connection);
            assertEquals(0, second.migrationsApplied());
            assertEquals(first.currentVersion(), second.currentVersion());
            assertTrue(second.describe().contains("already up to date"), second.describe());
            assertEquals(functions, db.queryString("SELECT md5(string_agg(prosrc, '' ORDER BY oid)) FROM pg_proc"
                    + " WHERE pronamespace = 'pgtrickle'::regnamespace"), "re-running changed nothing");
        } finally {
            db.drop();
        }
    }

    @Test
    void upgradesFromTheFirstVersionKeepingItsData(TestDatabase shared) throws SQLException {
        TestDatabase db = TestDatabase.create(shared.server(), "install_upgrade");
        try (Connection connection = db.connect()) {
            InstallResult first = CatalogInstaller.install(connection, "1");
            assertEquals("1", first.currentVersion());
            // A row written by version 1 must survive the upgrade.
            db.execute("INSERT INTO pgtrickle.pgt_stream_tables (pgt_relid, pgt_schema, pgt_name, defining_query,"
                    + " normalized_query, definition_view, refresh_mode) VALUES (0, 'public', 'legacy', 'SELECT 1',"
                    + " 'SELECT 1', 'legacy', 'FULL')");

            InstallResult upgrade = CatalogInstaller.install(connection);
            assertEquals("1", upgrade.previousVersion());
            assertTrue(CatalogInstaller.isCurrent(connection));
            assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'legacy'"));
            db.execute("DELETE FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'legacy'");

            db.execute("CREATE TABLE t (id int PRIMARY KEY, v int)");
            db.execute("INSERT INTO t VALUES (1, 10), (2, 20)");
            db.execute("SELECT pgtrickle.create_stream_table('s', 'SELECT id, v FROM t WHERE v > 10')");
            Oracle.assertStreamTableMatchesQuery(db, "s", "SELECT id, v FROM t WHERE v > 10");
        } finally {
            db.drop();
        }
    }

    @Test
    void aNonSuperuserWithCreateOnTheDatabaseInstalls(TestDatabase shared) throws SQLException {
        TestDatabase db = TestDatabase.create(shared.server(), "install_nonsuper");
        try {
            db.createRole("pgt_installer", "installer-pw", "LOGIN", "NOSUPERUSER");
            db.execute("GRANT CREATE ON DATABASE " + db.databaseName() + " TO pgt_installer");
            try (Connection connection = db.connectAs("pgt_installer", "installer-pw")) {
                assertFalse(CatalogInstaller.isCurrent(connection));
                CatalogInstaller.install(connection);
                assertTrue(CatalogInstaller.isCurrent(connection));
            }
            assertEquals("pgt_installer", db.queryString(
                    "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'pgtrickle'"));
        } finally {
            db.drop();
        }
    }
}
