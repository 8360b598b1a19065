package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

/** Statement-level trigger capture into change buffers (docs/architecture.md, "Change capture with triggers"). */
@PostgresTest
class TriggerCaptureTest {

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    private static String bufferOf(TestDatabase db, String table) throws SQLException {
        return "pgtrickle_changes." + db.queryString("SELECT buffer_table FROM pgtrickle.pgt_change_sources"
                + " WHERE source_relid = '" + table + "'::regclass");
    }

    @Test
    void oneBufferPerSourceSharedByItsStreamTables(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE shared_src (id int PRIMARY KEY, v int)");
        db.execute("SELECT pgtrickle.create_stream_table('shared_a', 'SELECT id FROM shared_src')");
        db.execute("SELECT pgtrickle.create_stream_table('shared_b', 'SELECT v FROM shared_src WHERE v > 0')");
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_change_sources"
                + " WHERE source_relid = 'shared_src'::regclass"));
        assertEquals(4, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'shared_src'::regclass"));
        String buffer = bufferOf(db, "shared_src");
        assertEquals(1, db.queryLong("SELECT count(*) FROM pg_class WHERE oid = '" + buffer + "'::regclass"));
    }

    @Test
    void triggersAreStatementLevelWithTransitionTablesAndTheFunctionRunsAsDefiner(TestDatabase db)
            throws SQLException {
        db.execute("CREATE TABLE shape_src (id int PRIMARY KEY, v int)");
        db.execute("SELECT pgtrickle.create_stream_table('shape_st', 'SELECT id, v FROM shape_src')");
        List<Map<String, Object>> triggers = db.queryList("SELECT tgname, (tgtype & 1) AS row_level,"
                + " tgoldtable, tgnewtable, p.prosecdef, array_to_string(p.proconfig, ',') AS config"
                + " FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
                + " WHERE tgrelid = 'shape_src'::regclass ORDER BY tgname");
        assertEquals(4, triggers.size());
        for (Map<String, Object> trigger : triggers) {
            assertEquals(0, ((Number) trigger.get("row_level")).intValue(), "statement level: " + trigger);
            assertEquals(Boolean.TRUE, trigger.get("prosecdef"), "SECURITY DEFINER: " + trigger);
            assertTrue(String.valueOf(trigger.get("config")).startsWith("search_path=pg_catalog"),
                    "pinned search_path: " + trigger);
        }
        Map<String, Object> insert = triggers.get(1);
        assertEquals("pgtrickle_capture_insert", insert.get("tgname"));
        assertEquals("__pgt_new", insert.get("tgnewtable"));
        Map<String, Object> update = triggers.get(3);
        assertEquals("pgtrickle_capture_update", update.get("tgname"));
        assertEquals("__pgt_old", update.get("tgoldtable"));
        assertEquals("__pgt_new", update.get("tgnewtable"));
    }

    @Test
    void rowsCarryTheWritersTransactionIdAndUpdatesAreDeletePlusInsert(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE stamp_src (id int PRIMARY KEY, v text)");
        db.execute("SELECT pgtrickle.create_stream_table('stamp_st', 'SELECT id, v FROM stamp_src')");
        String buffer = bufferOf(db, "stamp_src");
        String writerXid;
        try (Connection writer = db.connect(); Statement statement = writer.createStatement()) {
            writer.setAutoCommit(false);
            statement.execute("INSERT INTO stamp_src SELECT g, 'v' || g FROM generate_series(1, 100) g");
            statement.execute("UPDATE stamp_src SET v = 'changed' WHERE id <= 10");
            statement.execute("DELETE FROM stamp_src WHERE id > 95");
            try (var rows = statement.executeQuery("SELECT pg_current_xact_id()::text")) {
                rows.next();
                writerXid = rows.getString(1);
            }
            writer.commit();
        }
        assertEquals(1, db.queryLong("SELECT count(DISTINCT __pgt_xid) FROM " + buffer));
        assertEquals(writerXid, db.queryString("SELECT min(__pgt_xid::text) FROM " + buffer));
        // 100 inserts, 10 updates (each a delete of the old row and an insert of the new), 5 deletes.
        assertEquals(110, db.queryLong("SELECT count(*) FROM " + buffer + " WHERE __pgt_action = 'I'"));
        assertEquals(15, db.queryLong("SELECT count(*) FROM " + buffer + " WHERE __pgt_action = 'D'"));
        assertEquals(10, db.queryLong("SELECT count(*) FROM " + buffer + " WHERE __pgt_action = 'D' AND v <> 'changed'"
                + " AND id <= 10"));
        assertEquals(10, db.queryLong("SELECT count(*) FROM " + buffer + " WHERE __pgt_action = 'I' AND v = 'changed'"));
        assertEquals(5, db.queryLong("SELECT count(*) FROM " + buffer + " WHERE __pgt_action = 'D' AND id > 95"));
    }

    @Test
    void truncateMarksDependentsForReinitialization(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE trunc_src (id int PRIMARY KEY)");
        db.execute("INSERT INTO trunc_src SELECT generate_series(1, 20)");
        db.execute("SELECT pgtrickle.create_stream_table('trunc_st', 'SELECT id FROM trunc_src')");
        db.execute("TRUNCATE trunc_src");
        db.execute("INSERT INTO trunc_src VALUES (7)");
        assertEquals(1, db.queryLong("SELECT count(*) FROM " + bufferOf(db, "trunc_src") + " WHERE __pgt_action = 'T'"));
        db.execute("SELECT pgtrickle.refresh_stream_table('trunc_st')");
        assertEquals("REINITIALIZE", db.queryString("SELECT action FROM pgtrickle.pgt_refresh_history h"
                + " JOIN pgtrickle.pgt_stream_tables s USING (pgt_id) WHERE s.pgt_name = 'trunc_st'"
                + " ORDER BY refresh_id DESC LIMIT 1"));
        Oracle.assertStreamTableMatchesQuery(db, "trunc_st", "SELECT id FROM trunc_src");
    }

    @Test
    void bufferRowsStayUntilEveryConsumersFrontierCoversThem(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE lag_src (id int PRIMARY KEY, v int)");
        db.execute("SELECT pgtrickle.create_stream_table('lag_a', 'SELECT id FROM lag_src')");
        db.execute("SELECT pgtrickle.create_stream_table('lag_b', 'SELECT id, v FROM lag_src')");
        String buffer = bufferOf(db, "lag_src");
        db.execute("INSERT INTO lag_src SELECT g, g FROM generate_series(1, 50) g");
        // lag_b is ahead of lag_a after its refresh: lag_a still needs every row.
        db.execute("SELECT pgtrickle.refresh_stream_table('lag_b')");
        assertEquals(50, db.queryLong("SELECT count(*) FROM " + buffer), "lag_a has not seen them yet");
        db.execute("SELECT pgtrickle.refresh_stream_table('lag_a')");
        assertEquals(0, db.queryLong("SELECT count(*) FROM " + buffer),
                "lag_a was furthest behind, and its refresh deleted what both have read");
        db.execute("UPDATE lag_src SET v = v + 1 WHERE id <= 10");
        db.execute("SELECT pgtrickle.refresh_stream_table('lag_a')");
        assertEquals(20, db.queryLong("SELECT count(*) FROM " + buffer), "now lag_b is behind");
        db.execute("SELECT pgtrickle.refresh_stream_table('lag_b')");
        assertEquals(0, db.queryLong("SELECT count(*) FROM " + buffer));
        Oracle.assertStreamTableMatchesQuery(db, "lag_a", "SELECT id FROM lag_src");
        Oracle.assertStreamTableMatchesQuery(db, "lag_b", "SELECT id, v FROM lag_src");
    }

    @Test
    void writesAimedAtPartitionsAndChildTablesAreCapturedOnce(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE part_src (id int, region text, amount numeric) PARTITION BY LIST (region);"
                + " CREATE TABLE part_n PARTITION OF part_src FOR VALUES IN ('n');"
                + " CREATE TABLE part_s PARTITION OF part_src FOR VALUES IN ('s') PARTITION BY RANGE (id);"
                + " CREATE TABLE part_s1 PARTITION OF part_s FOR VALUES FROM (0) TO (1000);"
                + " CREATE TABLE inh_src (id int); CREATE TABLE inh_child () INHERITS (inh_src)");
        String partQuery = "SELECT region, sum(amount) AS total, count(*) AS n FROM part_src GROUP BY region";
        db.execute("SELECT pgtrickle.create_stream_table('part_st', '" + partQuery + "')");
        db.execute("SELECT pgtrickle.create_stream_table('inh_st', 'SELECT id FROM inh_src')");
        try (Connection connection = db.connect()) {
            new StreamTableCompiler(connection).compile("part_st");
            new StreamTableCompiler(connection).compile("inh_st");
        }
        db.execute("INSERT INTO part_src VALUES (1, 'n', 5), (2, 's', 6)");
        db.execute("INSERT INTO part_s1 VALUES (3, 's', 7)");
        db.execute("UPDATE part_n SET amount = 50");
        db.execute("DELETE FROM part_s WHERE id = 2");
        db.execute("INSERT INTO inh_child VALUES (9); INSERT INTO inh_src VALUES (8)");
        assertEquals(6, db.queryLong("SELECT count(*) FROM " + bufferOf(db, "part_src")), "each change once");
        db.execute("SELECT pgtrickle.refresh_stream_table('part_st')");
        db.execute("SELECT pgtrickle.refresh_stream_table('inh_st')");
        assertEquals("DIFFERENTIAL", db.queryString("SELECT action FROM pgtrickle.pgt_refresh_history"
                + " ORDER BY refresh_id DESC LIMIT 1"));
        Oracle.assertStreamTableMatchesQuery(db, "part_st", partQuery);
        Oracle.assertStreamTableMatchesQuery(db, "inh_st", "SELECT id FROM inh_src");
    }

    @Test
    void aNonSuperuserOwnerCapturesAndAPlainWriterNeedsNoRightsOnBuffers(TestDatabase db) throws SQLException {
        db.createRole("capture_owner", "owner-pw", "LOGIN", "NOSUPERUSER");
        db.createRole("capture_writer", "writer-pw", "LOGIN", "NOSUPERUSER");
        db.execute("GRANT CREATE ON SCHEMA public TO capture_owner");
        try (Connection owner = db.connectAs("capture_owner", "owner-pw"); Statement statement = owner.createStatement()) {
            statement.execute("CREATE TABLE owned_src (id int PRIMARY KEY, amount numeric)");
            statement.execute("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON owned_src TO capture_writer");
            statement.execute("INSERT INTO owned_src SELECT g, g * 1.5 FROM generate_series(1, 10) g");
            statement.execute("SELECT pgtrickle.create_stream_table('owned_st',"
                    + " 'SELECT id, amount FROM owned_src WHERE amount > 5', schedule => '1m')");
        }
        String buffer = bufferOf(db, "owned_src");
        try (Connection writer = db.connectAs("capture_writer", "writer-pw");
             Statement statement = writer.createStatement()) {
            statement.execute("INSERT INTO owned_src VALUES (11, 100)");
            statement.execute("UPDATE owned_src SET amount = 1 WHERE id = 10");
            statement.execute("DELETE FROM owned_src WHERE id = 9");
            PSQLException denied = assertThrows(PSQLException.class,
                    () -> statement.executeQuery("SELECT * FROM " + buffer));
            assertEquals("42501", denied.getSQLState());
        }
        assertEquals(4, db.queryLong("SELECT count(*) FROM " + buffer));
        try (Connection owner = db.connectAs("capture_owner", "owner-pw"); Statement statement = owner.createStatement()) {
            statement.execute("SELECT pgtrickle.refresh_stream_table('owned_st')");
        }
        Oracle.assertStreamTableMatchesQuery(db, "owned_st", "SELECT id, amount FROM owned_src WHERE amount > 5");
        assertEquals(0, db.queryLong("SELECT count(*) FROM " + buffer));
    }

    /**
     * The capture function's body holds the source's column names: a column named like a variable
     * of every PL/pgSQL trigger function is captured as the column, and one holding the body's
     * dollar-quote tag neither breaks the function nor runs as SQL (as the catalog owner), even
     * where function bodies are not checked at creation.
     */
    @Test
    void columnsNamedLikePlpgsqlVariablesOrDollarQuoteTagsAreCaptured(TestDatabase db) throws SQLException {
        String tag = "\"$body$;CREATE TABLE IF NOT EXISTS pwned_capture();SELECT $body$\"";
        db.execute("CREATE TABLE plvar_src (id int PRIMARY KEY, found int, tg_op text, new int, old int, " + tag + " text)");
        db.execute("INSERT INTO plvar_src VALUES (1, 1, 'a', 1, 1, 'x')");
        String query = "SELECT id, found, tg_op, new, old, " + tag + " AS tagged FROM plvar_src";
        try (Connection c = db.connect(); Statement statement = c.createStatement()) {
            statement.execute("SET check_function_bodies = off");
            statement.execute("SELECT pgtrickle.create_stream_table('plvar_st', $q$" + query + "$q$)");
        }
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_class WHERE relname = 'pwned_capture'"), "nothing injected");
        db.execute("INSERT INTO plvar_src VALUES (2, 2, 'b', 2, 2, 'y')");
        db.execute("UPDATE plvar_src SET found = found + 10, tg_op = 'c', new = 5, " + tag + " = 'z' WHERE id = 1");
        db.execute("DELETE FROM plvar_src WHERE id = 2");
        assertEquals(4, db.queryLong("SELECT count(*) FROM " + bufferOf(db, "plvar_src")));
        db.execute("SELECT pgtrickle.refresh_stream_table('plvar_st')");
        Oracle.assertStreamTableMatchesQuery(db, "plvar_st", query);
    }
}
