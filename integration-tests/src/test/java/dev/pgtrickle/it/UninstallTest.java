package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.cdc.journal.JournalLocation;
import dev.pgtrickle.cdc.wal.WalConnections;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.scheduler.Daemon;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.scheduler.WalSettings;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgtrickle uninstall}, in-process against a real database: it lists without changing
 * anything, refuses while a daemon leads or while something is in the way, and then leaves nothing
 * of pgtrickle's behind — triggers, buffers, schemas, publication, replication slot, journal —
 * with the source tables (and, with {@code --keep-data}, the stream tables' rows) fully usable.
 */
@PostgresTest
class UninstallTest {

    private static final String ORDER_TOTALS = "SELECT customer, count(*) AS n, sum(amount) AS total FROM orders GROUP BY customer";
    private static final String REGION_TOTALS = "SELECT c.region, sum(t.total) AS total FROM order_totals t"
            + " JOIN customers c ON c.id = t.customer GROUP BY c.region";
    private static final String ITEM_TOTALS = "SELECT grp, count(*) AS n, sum(v) AS total FROM items GROUP BY grp";
    private static final String ITEM_COUNTS = "SELECT n FROM item_totals";

    private final TestDatabase db;
    @TempDir
    Path temp;

    UninstallTest(TestDatabase db) {
        this.db = db;
    }

    /** Each test uninstalls: each gets a catalog of its own. */
    @BeforeEach
    void install() throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    /** Whatever a failed test left behind. */
    @AfterEach
    void cleanUp() throws SQLException {
        db.execute("DROP VIEW IF EXISTS st_monitor");
        db.execute("DROP TABLE IF EXISTS region_totals, order_totals, orders, customers, item_counts, item_totals, item_live, item_pairs, items");
        db.execute("DROP SCHEMA IF EXISTS pgtrickle, pgtrickle_changes CASCADE");
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()");
        db.execute("DROP PUBLICATION IF EXISTS pgtrickle_publication");
    }

    @Test
    void removesEverythingAfterAWalGraduationAndRefusesWhileADaemonLeads() throws Exception {
        db.execute("CREATE TABLE customers (id int PRIMARY KEY, region text NOT NULL)");
        db.execute("INSERT INTO customers SELECT g, 'region ' || (g % 3) FROM generate_series(1, 10) g");
        db.execute("CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, amount int NOT NULL)");
        db.execute("INSERT INTO orders SELECT g, 1 + g % 10, g FROM generate_series(1, 100) g");
        db.execute("SELECT pgtrickle.create_stream_table('order_totals', $$" + ORDER_TOTALS + "$$, schedule => '1s')");
        db.execute("SELECT pgtrickle.create_stream_table('region_totals', $$" + REGION_TOTALS + "$$, schedule => '1s')");
        Path journal = temp.resolve("journal");

        DaemonService daemon = startDaemon(journal);
        try {
            db.execute("SELECT pgtrickle.set_cdc_mode('orders', 'wal')");
            Eventually.await("orders captured from the WAL", () -> db.queryLong("SELECT count(*) FROM pgtrickle.pgt_change_sources"
                    + " WHERE source_relid = 'orders'::regclass AND cdc_mode = 'wal'") == 1 && captureTriggers("orders") == 0);
            db.execute("INSERT INTO orders VALUES (1000, 3, 500)");
            awaitContents("order_totals", ORDER_TOTALS);
            awaitContents("region_totals", REGION_TOTALS);
        } finally {
            daemon.close();
        }
        awaitNoLeader();
        assertTrue(isJournal(journal), "the daemon wrote its journal in " + journal);
        assertEquals("f", db.queryString("SELECT relreplident::text FROM pg_class WHERE oid = 'orders'::regclass"));
        String slot = db.queryString("SELECT slot_name FROM pg_replication_slots WHERE database = current_database()");
        String installed = footprint();

        daemon = startDaemon(journal);
        try {
            CliRun refused = CliRun.against(db, "uninstall", "--yes", "--journal-dir", journal.toString())
                    .expectExit(1).assertNoStackTrace();
            CliRun.assertContains(refused.err(), "a pgtrickle daemon serves database", "stop every pgtrickle daemon",
                    "nothing was changed");
            CliRun.against(db, "uninstall").expectExit(1).assertNoStackTrace();
        } finally {
            daemon.close();
        }
        awaitNoLeader();
        assertEquals(installed, footprint(), "nothing changed while a daemon led");

        CliRun listed = CliRun.against(db, "uninstall", "--journal-dir", journal.toString()).expectExit(0);
        CliRun.assertContains(listed.out(), "would remove from database \"" + db.databaseName() + "\"",
                "stream tables, dropped with their data:", "public.order_totals", "public.region_totals",
                "public.customers: pgtrickle_capture_delete, pgtrickle_capture_insert, pgtrickle_capture_truncate,"
                        + " pgtrickle_capture_update",
                "public.order_totals: pgtrickle_capture_delete", "pgtrickle_changes.changes_",
                "publications:\n    pgtrickle_publication", "replication slot:\n    " + slot,
                "    pgtrickle\n    pgtrickle_changes", journal + " (given with --journal-dir)",
                "REPLICA IDENTITY FULL of table public.orders", "run it again with --yes");
        assertFalse(listed.out().contains("public.orders: pgtrickle_capture"), "a WAL source has no triggers: " + listed);
        assertEquals(installed, footprint(), "the listing changed nothing");
        assertTrue(isJournal(journal), "the listing kept the journal");

        CliRun removed = CliRun.against(db, "uninstall", "--yes", "--journal-dir", journal.toString()).expectExit(0);
        CliRun.assertContains(removed.out(), "removed from database", "public.region_totals", "replication slot:\n    " + slot,
                journal.toString());
        assertNothingOfOursLeft();
        assertEquals(null, db.queryString("SELECT to_regclass('order_totals')::text"), "stream tables are dropped");
        assertEquals(null, db.queryString("SELECT to_regclass('region_totals')::text"));
        assertFalse(Files.exists(journal), "the journal is deleted");
        assertEquals("f", db.queryString("SELECT relreplident::text FROM pg_class WHERE oid = 'orders'::regclass"),
                "REPLICA IDENTITY stays as the graduation left it (documented)");
        assertSourceAcceptsWrites("orders", "(2000, 1, 1)", "amount = amount + 1");
        assertSourceAcceptsWrites("customers", "(2000, 'north')", "region = upper(region)");

        CliRun again = CliRun.against(db, "uninstall", "--yes").expectExit(0);
        CliRun.assertContains(again.out(), "pgtrickle is not installed in database");
    }

    @Test
    void keepDataLeavesPlainTablesWithTheirRows() throws Exception {
        db.execute("CREATE TABLE items (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)");
        db.execute("INSERT INTO items SELECT g, g % 4, g FROM generate_series(1, 40) g");
        CliRun.against(db, "create", "item_totals", ITEM_TOTALS).expectExit(0);
        // Equal counts: duplicate rows, told apart by the hidden __pgt_dup.
        CliRun.against(db, "create", "item_counts", ITEM_COUNTS).expectExit(0);
        assertFalse(DifferentialRefreshTest.hiddenColumns(db, "item_counts").isEmpty(), "compiled, with hidden columns");
        // Maintained inside the statements on items, by triggers and a function of its own.
        db.execute("SELECT pgtrickle.create_stream_table('item_live', $$SELECT grp, count(*) AS n FROM items GROUP BY grp$$,"
                + " refresh_mode => 'IMMEDIATE')");
        // A join, compiled: besides its AFTER triggers, one counting the running statements.
        CliRun.against(db, "create", "item_pairs", "SELECT a.id, b.id AS other FROM items a JOIN items b"
                + " ON b.grp = a.grp AND b.id = a.id + 4", "--refresh-mode", "IMMEDIATE").expectExit(0);
        assertEquals(1, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle\\_immediate\\_%\\_running'"));
        db.execute("SELECT pgtrickle.stream_table_to_publication('item_totals')");
        db.execute("INSERT INTO items VALUES (100, 1, 100)");
        db.execute("SELECT pgtrickle.refresh_stream_table('item_totals'); SELECT pgtrickle.refresh_stream_table('item_counts')");

        Path recorded = temp.resolve("recorded-journal");
        Files.createDirectories(recorded);
        Files.writeString(recorded.resolve("metadata.cq4t"), "");
        Files.writeString(recorded.resolve("20260101.cq4"), "");
        db.execute("UPDATE pgtrickle.pgt_instance SET journal_host = '" + JournalLocation.hostName() + "',"
                + " journal_dir = '" + recorded + "'");
        Path notAJournal = temp.resolve("not-a-journal");
        Files.createDirectories(notAJournal);
        Files.writeString(notAJournal.resolve("notes.txt"), "mine");

        // In the way: a view of the user's over the SQL API (DROP SCHEMA ... CASCADE would drop it),
        // and a role that owns nothing of it.
        db.execute("CREATE VIEW st_monitor AS SELECT name, status FROM pgtrickle.pgt_status()");
        String installed = footprint();
        CliRun blocked = CliRun.against(db, "uninstall", "--yes", "--keep-data").expectExit(1).assertNoStackTrace();
        CliRun.assertContains(blocked.err(), "view public.st_monitor depends on function pgtrickle.pgt_status(): drop it first",
                "nothing was changed");
        db.createRole("uninstall_stranger", "stranger-pw", "LOGIN", "NOSUPERUSER");
        CliRun stranger = CliRun.run("uninstall", "--yes", "--keep-data",
                "--jdbc-url", db.jdbcUrlAs("uninstall_stranger", "stranger-pw")).expectExit(1);
        CliRun.assertContains(stranger.err(), "role \"uninstall_stranger\" is not a member of role",
                "which owns schema pgtrickle", "stream table public.item_totals", "table public.items (its capture triggers)");
        assertEquals(installed, footprint(), "nothing changed");
        db.execute("DROP VIEW st_monitor");

        CliRun listed = CliRun.against(db, "uninstall", "--keep-data").expectExit(0);
        CliRun.assertContains(listed.out(), "stream tables, kept as plain tables with their rows", "public.item_counts",
                "publications:\n    pgt_pub_item_totals", recorded + " (used by the pgtrickle daemon)");
        CliRun removed = CliRun.against(db, "uninstall", "--yes", "--keep-data", "--journal-dir", notAJournal.toString())
                .expectExit(0);
        CliRun.assertContains(removed.out(), "left in place:", notAJournal + " (given with --journal-dir): not a Chronicle journal");

        assertNothingOfOursLeft();
        assertFalse(Files.exists(recorded), "the journal the daemon recorded is deleted");
        assertEquals("mine", Files.readString(notAJournal.resolve("notes.txt")), "a directory that is no journal stays");
        for (String table : new String[] {"item_totals", "item_counts"}) {
            assertEquals(0, db.queryLong("SELECT count(*) FROM pg_attribute WHERE attrelid = '" + table + "'::regclass"
                    + " AND attnum > 0 AND NOT attisdropped AND attname LIKE '\\_\\_pgt\\_%'"), table + ": no hidden columns");
            assertEquals(0, db.queryLong("SELECT count(*) FROM pg_constraint WHERE conrelid = '" + table + "'::regclass"),
                    table + ": no constraint of ours");
        }
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_index WHERE indrelid = 'item_totals'::regclass"),
                "the published table's key index went");
        assertEquals("d", db.queryString("SELECT relreplident::text FROM pg_class WHERE oid = 'item_totals'::regclass"));
        Oracle.assertStreamTableMatchesQuery(db, "item_totals", ITEM_TOTALS);
        Oracle.assertStreamTableMatchesQuery(db, "item_counts", ITEM_COUNTS);
        assertTrue(db.queryLong("SELECT count(*) - count(DISTINCT n) FROM item_counts") > 0, "duplicate rows kept");

        assertSourceAcceptsWrites("items", "(2000, 1, 1)", "v = v + 1");
        // Plain tables now: duplicates are fine (the identity constraint went), nothing is captured.
        db.execute("INSERT INTO item_counts SELECT n FROM item_counts");
        assertSourceAcceptsWrites("item_counts", "(7)", "n = n + 1");
        assertSourceAcceptsWrites("item_totals", "(9, 1, 1)", "total = total + 1");
    }

    private DaemonService startDaemon(Path journal) throws Exception {
        DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null,
                new WalSettings(WalConnections.of(db.jdbcUrl()), journal));
        Eventually.await("the daemon to lead", () -> daemon.daemon().role() == Daemon.Role.LEADER);
        return daemon;
    }

    /** The leader lock goes with the daemon's session, which the server ends a moment after close. */
    private void awaitNoLeader() throws Exception {
        Eventually.await("the leader lock to be released",
                () -> db.queryString("SELECT pgtrickle.daemon_connected()::text").equals("false"));
    }

    private void awaitContents(String table, String query) throws Exception {
        Eventually.await(table + " to catch up", () -> {
            try {
                Oracle.assertStreamTableMatchesQuery(db, table, query);
                return true;
            } catch (AssertionError notYet) {
                return false;
            }
        });
    }

    private long captureTriggers(String table) throws SQLException {
        return db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = '" + table + "'::regclass"
                + " AND tgname LIKE 'pgtrickle_capture%'");
    }

    /** What pgtrickle has in the database, as one string: equal strings, nothing changed. */
    private String footprint() throws SQLException {
        return db.queryString("""
                SELECT concat_ws(' | ',
                    (SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname LIKE 'pgtrickle%'),
                    (SELECT string_agg(tgrelid::regclass || '.' || tgname, ',' ORDER BY tgrelid::regclass::text, tgname)
                     FROM pg_trigger WHERE tgname LIKE 'pgtrickle%'),
                    (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname LIKE 'pgtrickle%'),
                    (SELECT string_agg(slot_name, ',') FROM pg_replication_slots WHERE database = current_database()),
                    (SELECT string_agg(pubname, ',') FROM pg_publication),
                    (SELECT string_agg(attrelid::regclass || '.' || attname, ',' ORDER BY attrelid::regclass::text, attname)
                     FROM pg_attribute WHERE attname LIKE '\\_\\_pgt\\_%' AND attnum > 0 AND NOT attisdropped),
                    (SELECT string_agg(pgt_name, ',' ORDER BY pgt_name) FROM pgtrickle.pgt_stream_tables),
                    (SELECT count(*) FROM pgtrickle.pgt_change_sources))""");
    }

    private void assertNothingOfOursLeft() throws SQLException {
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname IN ('pgtrickle', 'pgtrickle_changes')"),
                "schemas");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle%'"), "triggers");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_proc WHERE proname LIKE 'pgt\\_immediate\\_%'"),
                "functions maintaining IMMEDIATE stream tables");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE n.nspname IN ('pgtrickle', 'pgtrickle_changes')"), "functions");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgtrickle%'"
                + " AND database = current_database()"), "replication slot");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_publication WHERE pubname LIKE 'pgtrickle%'"
                + " OR pubname LIKE 'pgt\\_pub\\_%'"), "publications");
    }

    /** INSERT, UPDATE, DELETE and TRUNCATE work on the table (no trigger calls a missing function). */
    private void assertSourceAcceptsWrites(String table, String row, String update) throws SQLException {
        db.execute("INSERT INTO " + table + " VALUES " + row);
        db.execute("UPDATE " + table + " SET " + update);
        db.execute("DELETE FROM " + table + " WHERE random() < 0.5");
        db.execute("TRUNCATE " + table);
        assertEquals(0, db.queryLong("SELECT count(*) FROM " + table));
    }

    /** Holds Chronicle's files, as the command requires before deleting a directory. */
    private static boolean isJournal(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return false;
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.anyMatch(file -> file.getFileName().toString().matches(".*\\.cq4t?"));
        }
    }
}
