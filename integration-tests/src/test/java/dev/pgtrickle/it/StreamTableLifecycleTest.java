package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

/** Create, refresh, replace, alter and drop stream tables; contents checked against the oracle. */
@PostgresTest
class StreamTableLifecycleTest {

    private static final List<String> CAPTURE_TRIGGERS = List.of("pgtrickle_capture_delete",
            "pgtrickle_capture_insert", "pgtrickle_capture_truncate", "pgtrickle_capture_update");

    private final TestDatabase db;

    StreamTableLifecycleTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    // ------------------------------------------------------------------------------------------
    // helpers

    private void createSource(String table) throws SQLException {
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, grp int, v int, note text);"
                + " INSERT INTO " + table + " SELECT g, g % 3, g * 10, 'n' || g FROM generate_series(1, 12) g");
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    private void create(String name, String query) throws SQLException {
        db.execute("SELECT pgtrickle.create_stream_table(" + literal(name) + ", " + literal(query) + ")");
    }

    private void refresh(String name) throws SQLException {
        db.execute("SELECT pgtrickle.refresh_stream_table(" + literal(name) + ")");
    }

    /** The catalog row of a stream table, by the name it was created with (unqualified = public). */
    private Map<String, Object> catalogRow(String name) throws SQLException {
        List<Map<String, Object>> rows = db.queryList("SELECT pgt_id, pgt_relid, defining_query, schedule,"
                + " refresh_mode, effective_mode, mode_reason, status, tier, append_only, cdc_mode, is_populated,"
                + " altered_at::text AS altered_at, definition_view"
                + " FROM pgtrickle.pgt_stream_tables WHERE pgt_relid = to_regclass(" + literal(name) + ")");
        assertEquals(1, rows.size(), () -> "catalog rows of " + name + ": " + rows);
        return rows.get(0);
    }

    private long historyCount(String name) throws SQLException {
        return db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h"
                + " JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)"
                + " WHERE st.pgt_relid = to_regclass(" + literal(name) + ")");
    }

    private Map<String, Object> status(String qualifiedName) throws SQLException {
        List<Map<String, Object>> rows = db.queryList(
                "SELECT * FROM pgtrickle.pgt_status() WHERE name = " + literal(qualifiedName));
        assertEquals(1, rows.size(), () -> "pgt_status() rows of " + qualifiedName + ": " + rows);
        return rows.get(0);
    }

    private long oid(String relation) throws SQLException {
        return db.queryLong("SELECT " + literal(relation) + "::regclass::oid");
    }

    private boolean exists(String relation) throws SQLException {
        return db.queryString("SELECT to_regclass(" + literal(relation) + ") IS NOT NULL").equals("t");
    }

    private List<String> captureTriggersOn(String table) throws SQLException {
        List<String> names = new ArrayList<>();
        for (Map<String, Object> row : db.queryList("SELECT tgname FROM pg_trigger WHERE tgrelid = "
                + literal(table) + "::regclass AND tgname LIKE 'pgtrickle_capture_%' ORDER BY tgname")) {
            names.add((String) row.get("tgname"));
        }
        return names;
    }

    private List<Map<String, Object>> dependencies(String name) throws SQLException {
        return db.queryList("SELECT d.source_schema || '.' || d.source_name AS source, d.source_kind"
                + " FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)"
                + " WHERE st.pgt_relid = to_regclass(" + literal(name) + ") ORDER BY 1");
    }

    private static Map<String, Object> dependency(String source, String kind) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("source", source);
        row.put("source_kind", kind);
        return row;
    }

    /** Capture objects of a source table, as recorded in pgt_change_sources, plus what exists of them. */
    private record Capture(String bufferTable, String captureFunction) {
    }

    private Capture captureOf(String table) throws SQLException {
        List<Map<String, Object>> rows = db.queryList("SELECT buffer_table, capture_function"
                + " FROM pgtrickle.pgt_change_sources WHERE source_relid = " + literal(table) + "::regclass");
        assertEquals(1, rows.size(), () -> "change source rows of " + table + ": " + rows);
        return new Capture((String) rows.get(0).get("buffer_table"), (String) rows.get(0).get("capture_function"));
    }

    private void assertCaptureExists(String table, Capture capture) throws SQLException {
        assertEquals(CAPTURE_TRIGGERS, captureTriggersOn(table));
        assertTrue(exists("pgtrickle_changes." + capture.bufferTable()), "buffer table");
        assertEquals(1, db.queryLong("SELECT count(*) FROM pg_proc WHERE pronamespace = 'pgtrickle_changes'::regnamespace"
                + " AND proname = " + literal(capture.captureFunction())), "capture function");
        assertEquals(2, db.queryLong(bufferFunctions(capture)), "the buffer's functions");
        assertEquals(0, db.queryLong(bufferFunctions(capture)
                + " AND EXISTS (SELECT 1 FROM aclexplode(coalesce(proacl, acldefault('f', proowner))) a WHERE a.grantee = 0)"),
                "no one but the catalog owner may run the buffer's functions");
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_change_sources"
                + " WHERE source_relid = " + literal(table) + "::regclass"), "change source row");
    }

    private void assertCaptureGone(String table, Capture capture) throws SQLException {
        assertEquals(List.of(), captureTriggersOn(table));
        assertFalse(exists("pgtrickle_changes." + capture.bufferTable()), "buffer table");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_proc WHERE pronamespace = 'pgtrickle_changes'::regnamespace"
                + " AND proname = " + literal(capture.captureFunction())), "capture function");
        assertEquals(0, db.queryLong(bufferFunctions(capture)), "the buffer's functions");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_change_sources"
                + " WHERE source_relid = " + literal(table) + "::regclass"), "change source row");
    }

    private static String bufferFunctions(Capture capture) {
        return "SELECT count(*) FROM pg_proc WHERE pronamespace = 'pgtrickle_changes'::regnamespace AND proname IN ("
                + literal(capture.bufferTable() + "_pending") + ", " + literal(capture.bufferTable() + "_cleanup") + ")";
    }

    private void assertStreamTableGone(String name, Object pgtId, Object definitionView) throws SQLException {
        assertFalse(exists(name), "storage table " + name);
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE pgt_id = " + pgtId));
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_dependencies WHERE pgt_id = " + pgtId));
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE pgt_id = " + pgtId));
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_views WHERE schemaname = 'pgtrickle'"
                + " AND viewname = " + literal((String) definitionView)), "definition view " + definitionView);
    }

    // ------------------------------------------------------------------------------------------
    // create

    @Test
    void createPopulatesTheStreamTable() throws SQLException {
        createSource("pop_src");
        String query = "SELECT grp, count(*) AS n, sum(v) AS total FROM pop_src WHERE id > 2 GROUP BY grp";
        create("pop_st", query);
        Oracle.assertStreamTableMatchesQuery(db, "pop_st", query);
        assertEquals(3, db.queryLong("SELECT count(*) FROM pop_st"));
        Map<String, Object> row = catalogRow("pop_st");
        assertEquals(query, row.get("defining_query"));
        assertEquals(Boolean.TRUE, row.get("is_populated"));
        assertEquals(List.of(dependency("public.pop_src", "TABLE")), dependencies("pop_st"));
        assertEquals(CAPTURE_TRIGGERS, captureTriggersOn("pop_src"));
        assertEquals("CREATE", db.queryString("SELECT initiated_by FROM pgtrickle.pgt_refresh_history"
                + " WHERE pgt_id = " + row.get("pgt_id")));
    }

    @Test
    void initializeFalseLeavesTheStreamTableEmptyUntilRefreshed() throws SQLException {
        createSource("lazy_src");
        String query = "SELECT id, v FROM lazy_src WHERE grp = 1";
        db.execute("SELECT pgtrickle.create_stream_table('lazy_st', " + literal(query) + ", initialize => false)");
        assertEquals(0, db.queryLong("SELECT count(*) FROM lazy_st"));
        Map<String, Object> before = status("public.lazy_st");
        assertEquals(Boolean.FALSE, before.get("is_populated"));
        assertNull(before.get("data_timestamp"));
        assertEquals(0, historyCount("lazy_st"));

        refresh("lazy_st");
        Oracle.assertStreamTableMatchesQuery(db, "lazy_st", query);
        assertEquals(4, db.queryLong("SELECT count(*) FROM lazy_st"));
        Map<String, Object> after = status("public.lazy_st");
        assertEquals(Boolean.TRUE, after.get("is_populated"));
        assertNotNull(after.get("data_timestamp"));
        assertEquals(1, historyCount("lazy_st"));
    }

    @Test
    void schemaQualifiedAndUnqualifiedNames() throws SQLException {
        createSource("names_src");
        db.execute("CREATE SCHEMA app");
        create("app.names_st", "SELECT id, v FROM public.names_src WHERE v > 50");
        create("names_st", "SELECT id FROM names_src");
        assertEquals("app", db.queryString("SELECT relnamespace::regnamespace::text FROM pg_class"
                + " WHERE oid = 'app.names_st'::regclass"));
        assertEquals("public", db.queryString("SELECT relnamespace::regnamespace::text FROM pg_class"
                + " WHERE oid = 'public.names_st'::regclass"));
        assertEquals(List.of(Map.of("pgt_schema", "app", "pgt_name", "names_st"),
                        Map.of("pgt_schema", "public", "pgt_name", "names_st")),
                db.queryList("SELECT pgt_schema::text, pgt_name::text FROM pgtrickle.pgt_stream_tables"
                        + " WHERE pgt_name = 'names_st' ORDER BY pgt_schema"));
        Oracle.assertStreamTableMatchesQuery(db, "app.names_st", "SELECT id, v FROM public.names_src WHERE v > 50");
        Oracle.assertStreamTableMatchesQuery(db, "public.names_st", "SELECT id FROM names_src");
        assertEquals(Boolean.TRUE, status("app.names_st").get("is_populated"));

        db.execute("INSERT INTO names_src VALUES (100, 0, 1000, 'x')");
        refresh("app.names_st");
        assertEquals(8, db.queryLong("SELECT count(*) FROM app.names_st"));
        assertEquals(12, db.queryLong("SELECT count(*) FROM public.names_st"), "only app.names_st was refreshed");
        refresh("public.names_st");
        Oracle.assertStreamTableMatchesQuery(db, "public.names_st", "SELECT id FROM names_src");

        db.execute("SELECT pgtrickle.drop_stream_table('app.names_st')");
        assertFalse(exists("app.names_st"));
        assertTrue(exists("public.names_st"));
    }

    @Test
    void aRolledBackCreateLeavesNothingBehind() throws SQLException {
        createSource("rb_src");
        long source = oid("rb_src");
        String counts = "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'pgtrickle_changes'::regnamespace)"
                + " || '/' || (SELECT count(*) FROM pg_proc WHERE pronamespace = 'pgtrickle_changes'::regnamespace)"
                + " || '/' || (SELECT count(*) FROM pg_class WHERE relnamespace = 'pgtrickle'::regnamespace AND relkind = 'v')"
                + " || '/' || (SELECT count(*) FROM pgtrickle.pgt_stream_tables)";
        String before = db.queryString(counts);
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("SELECT pgtrickle.create_stream_table('rb_st', 'SELECT id, v FROM rb_src', schedule => '1m')");
            try (ResultSet rows = statement.executeQuery("SELECT count(*) FROM rb_st")) {
                rows.next();
                assertEquals(12, rows.getLong(1), "the stream table exists inside the transaction");
            }
            connection.rollback();
        }
        assertFalse(exists("public.rb_st"), "storage table");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'rb_st'"));
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_dependencies WHERE source_relid = " + source));
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_change_sources WHERE source_relid = " + source));
        assertFalse(exists("pgtrickle_changes.changes_" + source), "buffer table");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = " + source), "triggers");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_views WHERE schemaname = 'pgtrickle'"
                + " AND viewname = 'public.rb_st'"), "definition view");
        assertEquals(before, db.queryString(counts), "buffers/functions/views/stream tables");
    }

    @Test
    void aStreamTableOverAViewDependsOnTheViewsBaseTables() throws SQLException {
        createSource("vbase");
        db.execute("CREATE TABLE vother (grp int PRIMARY KEY, label text);"
                + " INSERT INTO vother VALUES (0, 'zero'), (1, 'one'), (2, 'two')");
        db.execute("CREATE VIEW vview AS SELECT b.id, b.v, o.label FROM vbase b JOIN vother o USING (grp) WHERE b.v > 30");
        db.execute("CREATE VIEW vview2 AS SELECT id, label FROM vview WHERE id % 2 = 0");
        create("vview_st", "SELECT label, count(*) AS n FROM vview2 GROUP BY label");
        assertEquals(List.of(dependency("public.vbase", "TABLE"), dependency("public.vother", "TABLE")),
                dependencies("vview_st"));
        assertEquals(CAPTURE_TRIGGERS, captureTriggersOn("vbase"));
        assertEquals(CAPTURE_TRIGGERS, captureTriggersOn("vother"));
        Oracle.assertStreamTableMatchesQuery(db, "vview_st", "SELECT label, count(*) AS n FROM vview2 GROUP BY label");

        db.execute("UPDATE vother SET label = 'ONE' WHERE grp = 1; DELETE FROM vbase WHERE id = 8");
        refresh("vview_st");
        Oracle.assertStreamTableMatchesQuery(db, "vview_st", "SELECT label, count(*) AS n FROM vview2 GROUP BY label");
    }

    @Test
    void aStreamTableOverAStreamTablePublishesItsChangesToItsConsumers() throws SQLException {
        createSource("up_src");
        create("up_st", "SELECT grp, sum(v) AS total FROM up_src GROUP BY grp");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'up_st'::regclass"),
                "no consumer yet, nothing to publish");
        create("down_st", "SELECT grp FROM up_st WHERE total > 130");
        assertEquals(List.of(dependency("public.up_st", "STREAM_TABLE")), dependencies("down_st"));
        // The upstream's refreshes record what they applied in its own change buffer.
        assertEquals(4, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'up_st'::regclass"));
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_change_sources"
                + " WHERE source_relid = 'up_st'::regclass"));
        Oracle.assertStreamTableMatchesQuery(db, "down_st", "SELECT grp FROM up_st WHERE total > 130");

        db.execute("UPDATE up_src SET v = 0 WHERE grp = 2");
        refresh("up_st");
        refresh("down_st");
        Oracle.assertStreamTableMatchesQuery(db, "up_st", "SELECT grp, sum(v) AS total FROM up_src GROUP BY grp");
        Oracle.assertStreamTableMatchesQuery(db, "down_st", "SELECT grp FROM up_st WHERE total > 130");

        db.execute("SELECT pgtrickle.drop_stream_table('down_st')");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'up_st'::regclass"),
                "the last consumer took the publishing triggers with it");
    }

    @Test
    void theNameOfARenamedStreamTableIsFreeAtOnce() throws SQLException {
        createSource("rn_src");
        create("rn_st", "SELECT id FROM rn_src");
        db.execute("ALTER TABLE rn_st RENAME TO rn_st_old");
        create("rn_st", "SELECT id, v FROM rn_src");
        Oracle.assertStreamTableMatchesQuery(db, "rn_st", "SELECT id, v FROM rn_src");
        Oracle.assertStreamTableMatchesQuery(db, "rn_st_old", "SELECT id FROM rn_src");
        db.execute("SELECT pgtrickle.drop_stream_table('rn_st_old')");
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_status() WHERE name = 'public.rn_st'"));
    }

    @Test
    void createIfNotExistsOnAnExistingNameIsANoOp() throws SQLException {
        createSource("ine_src");
        db.execute("SELECT pgtrickle.create_stream_table_if_not_exists('ine_st', 'SELECT id FROM ine_src')");
        Oracle.assertStreamTableMatchesQuery(db, "ine_st", "SELECT id FROM ine_src");
        Map<String, Object> before = catalogRow("ine_st");
        long history = historyCount("ine_st");

        db.execute("SELECT pgtrickle.create_stream_table_if_not_exists('ine_st',"
                + " 'SELECT id, v FROM ine_src WHERE v > 50', schedule => '1m')");
        assertEquals(before, catalogRow("ine_st"));
        assertEquals("SELECT id FROM ine_src", catalogRow("ine_st").get("defining_query"));
        assertEquals(history, historyCount("ine_st"));
        Oracle.assertStreamTableMatchesQuery(db, "ine_st", "SELECT id FROM ine_src");
    }

    // ------------------------------------------------------------------------------------------
    // create_or_replace

    @Test
    void createOrReplaceWithTheSameDefinitionIsANoOp() throws SQLException {
        createSource("same_src");
        String query = "SELECT id, v FROM same_src WHERE grp = 2";
        db.execute("SELECT pgtrickle.create_or_replace_stream_table('same_st', " + literal(query) + ", schedule => '5m')");
        Oracle.assertStreamTableMatchesQuery(db, "same_st", query);
        Map<String, Object> before = catalogRow("same_st");
        long history = historyCount("same_st");

        db.execute("SELECT pgtrickle.create_or_replace_stream_table('same_st', " + literal(query) + ", schedule => '5m')");
        // Written differently, same query once normalized.
        db.execute("SELECT pgtrickle.create_or_replace_stream_table('same_st',"
                + " 'select id,   v from same_src where grp=2', schedule => '5M', refresh_mode => 'auto')");
        assertEquals(before, catalogRow("same_st"), "altered_at and everything else unchanged");
        assertEquals(history, historyCount("same_st"), "no refresh");
    }

    @Test
    void createOrReplaceWithOnlyNewOptionsChangesThemWithoutRefreshing() throws SQLException {
        createSource("opt_src");
        String query = "SELECT id, v FROM opt_src";
        db.execute("SELECT pgtrickle.create_or_replace_stream_table('opt_st', " + literal(query) + ", schedule => '5m')");
        Map<String, Object> before = catalogRow("opt_st");
        long history = historyCount("opt_st");
        db.execute("INSERT INTO opt_src VALUES (100, 1, 1000, 'late')");

        db.execute("SELECT pgtrickle.create_or_replace_stream_table('opt_st', " + literal(query) + ", schedule => '10m')");
        Map<String, Object> after = catalogRow("opt_st");
        assertEquals("10m", after.get("schedule"));
        assertEquals(before.get("pgt_relid"), after.get("pgt_relid"));
        assertEquals(query, after.get("defining_query"));
        assertEquals(history, historyCount("opt_st"), "no refresh recorded");
        assertEquals(12, db.queryLong("SELECT count(*) FROM opt_st"), "contents not recomputed");
    }

    @Test
    void createOrReplaceWithANewQueryRebuildsTheStorageTableInPlace() throws SQLException {
        createSource("rep_src");
        db.execute("SELECT pgtrickle.create_or_replace_stream_table('rep_st',"
                + " 'SELECT id, v, note FROM rep_src', schedule => '5m')");
        db.execute("CREATE INDEX rep_st_id ON rep_st (id)");
        db.execute("CREATE TABLE rep_reader (x int)");
        long relid = oid("rep_st");
        long history = historyCount("rep_st");

        String query = "SELECT id, v * 2 AS v2, v, grp FROM rep_src WHERE id <= 8";
        db.execute("SELECT pgtrickle.create_or_replace_stream_table('rep_st', " + literal(query) + ", schedule => '5m')");
        assertEquals(relid, oid("rep_st"), "same storage table");
        assertEquals(1, db.queryLong("SELECT count(*) FROM pg_index WHERE indrelid = " + relid
                + " AND indexrelid = 'rep_st_id'::regclass"), "the user's index survives");
        assertEquals(List.of("id", "v", "v2", "grp").stream().sorted().toList(),
                db.queryList("SELECT attname::text FROM pg_attribute WHERE attrelid = " + relid
                        + " AND attnum > 0 AND NOT attisdropped ORDER BY attname").stream()
                        .map(row -> (String) row.get("attname")).toList());
        Oracle.assertStreamTableMatchesQuery(db, "rep_st", query);
        Map<String, Object> row = catalogRow("rep_st");
        assertEquals(query, row.get("defining_query"));
        assertEquals("5m", row.get("schedule"));
        assertEquals(Boolean.TRUE, row.get("is_populated"));
        assertEquals(history + 1, historyCount("rep_st"), "one refresh for the new query");

        // The index is still used and correct after further changes.
        db.execute("UPDATE rep_src SET v = -1 WHERE id = 3");
        refresh("rep_st");
        Oracle.assertStreamTableMatchesQuery(db, "rep_st", query);
        assertEquals(-1, db.queryLong("SELECT v FROM rep_st WHERE id = 3"));
    }

    @Test
    void createOrReplaceThatWouldDropAColumnAViewUsesFailsAndChangesNothing() throws SQLException {
        createSource("keep_src");
        String query = "SELECT grp, sum(v) AS total FROM keep_src GROUP BY grp";
        db.execute("SELECT pgtrickle.create_or_replace_stream_table('keep_st', " + literal(query) + ")");
        db.execute("CREATE VIEW keep_report AS SELECT grp, total FROM keep_st");
        Map<String, Object> before = catalogRow("keep_st");
        long history = historyCount("keep_st");

        PSQLException e = assertThrows(PSQLException.class, () -> db.execute(
                "SELECT pgtrickle.create_or_replace_stream_table('keep_st',"
                        + " 'SELECT grp, count(*) AS n FROM keep_src GROUP BY grp')"));
        assertEquals("2BP01", e.getSQLState(), e::getMessage);
        assertTrue(e.getServerErrorMessage().getMessage().contains("cannot change the columns of stream table"),
                e::getMessage);
        assertTrue(e.getServerErrorMessage().getDetail().contains("keep_report"), e::getMessage);

        assertEquals(before, catalogRow("keep_st"));
        assertEquals(history, historyCount("keep_st"));
        Oracle.assertStreamTableMatchesQuery(db, "keep_st", query);
        Oracle.assertStreamTableMatchesQuery(db, "keep_report", query);
    }

    // ------------------------------------------------------------------------------------------
    // alter

    @Test
    void alterWithOnlyOptionsChangesExactlyThose() throws SQLException {
        createSource("alt_src");
        db.execute("SELECT pgtrickle.create_stream_table('alt_st', 'SELECT id, v FROM alt_src', schedule => '5m')");
        long history = historyCount("alt_st");
        Map<String, Object> expected = catalogRow("alt_st");
        expected.remove("altered_at");

        db.execute("SELECT pgtrickle.alter_stream_table('alt_st', schedule => '*/10 * * * *')");
        expected.put("schedule", "*/10 * * * *");
        assertCatalogRow(expected, "alt_st");

        db.execute("SELECT pgtrickle.alter_stream_table('alt_st', tier => 'COLD')");
        expected.put("tier", "cold");
        assertCatalogRow(expected, "alt_st");

        db.execute("SELECT pgtrickle.alter_stream_table('alt_st', status => 'suspended')");
        expected.put("status", "SUSPENDED");
        assertCatalogRow(expected, "alt_st");

        db.execute("SELECT pgtrickle.alter_stream_table('alt_st', refresh_mode => 'FULL')");
        expected.put("refresh_mode", "FULL");
        expected.put("effective_mode", "FULL");
        expected.put("mode_reason", null);
        assertCatalogRow(expected, "alt_st");

        db.execute("SELECT pgtrickle.alter_stream_table('alt_st', status => 'ACTIVE', schedule => 'calculated')");
        expected.put("status", "ACTIVE");
        expected.put("schedule", null);
        assertCatalogRow(expected, "alt_st");

        db.execute("SELECT pgtrickle.alter_stream_table('alt_st')");
        assertCatalogRow(expected, "alt_st");

        assertEquals(history, historyCount("alt_st"), "option changes do not refresh");
        Oracle.assertStreamTableMatchesQuery(db, "alt_st", "SELECT id, v FROM alt_src");
    }

    private void assertCatalogRow(Map<String, Object> expected, String name) throws SQLException {
        Map<String, Object> actual = catalogRow(name);
        actual.remove("altered_at");
        assertEquals(expected, actual);
    }

    @Test
    void alterWithAQueryRecomputes() throws SQLException {
        createSource("altq_src");
        create("altq_st", "SELECT id, v FROM altq_src");
        long relid = oid("altq_st");
        long history = historyCount("altq_st");
        String query = "SELECT grp, max(v) AS v FROM altq_src GROUP BY grp";
        db.execute("SELECT pgtrickle.alter_stream_table('altq_st', query => " + literal(query) + ")");
        Oracle.assertStreamTableMatchesQuery(db, "altq_st", query);
        assertEquals(relid, oid("altq_st"));
        Map<String, Object> row = catalogRow("altq_st");
        assertEquals(query, row.get("defining_query"));
        assertEquals(Boolean.TRUE, row.get("is_populated"));
        assertEquals(history + 1, historyCount("altq_st"));
        assertEquals("ALTER", db.queryString("SELECT initiated_by FROM pgtrickle.pgt_refresh_history"
                + " WHERE pgt_id = " + row.get("pgt_id") + " ORDER BY refresh_id DESC LIMIT 1"));

        db.execute("DELETE FROM altq_src WHERE grp = 0");
        refresh("altq_st");
        Oracle.assertStreamTableMatchesQuery(db, "altq_st", query);
    }

    @Test
    void alterWithAQueryOverAnotherSourceMovesTheCapture() throws SQLException {
        createSource("move_old");
        createSource("move_new");
        create("move_st", "SELECT id FROM move_old");
        Capture old = captureOf("move_old");
        db.execute("SELECT pgtrickle.alter_stream_table('move_st', query => 'SELECT id, note FROM move_new')");
        assertEquals(List.of(dependency("public.move_new", "TABLE")), dependencies("move_st"));
        assertCaptureGone("move_old", old);
        assertCaptureExists("move_new", captureOf("move_new"));
        Oracle.assertStreamTableMatchesQuery(db, "move_st", "SELECT id, note FROM move_new");
    }

    // ------------------------------------------------------------------------------------------
    // drop

    @Test
    void dropRemovesEverythingWhenNoOtherStreamTableReadsTheSource() throws SQLException {
        createSource("drop_src");
        create("drop_st", "SELECT id, v FROM drop_src");
        Map<String, Object> row = catalogRow("drop_st");
        Capture capture = captureOf("drop_src");
        assertCaptureExists("drop_src", capture);
        db.execute("INSERT INTO drop_src VALUES (100, 1, 1, 'buffered')");

        db.execute("SELECT pgtrickle.drop_stream_table('drop_st')");
        assertStreamTableGone("drop_st", row.get("pgt_id"), row.get("definition_view"));
        assertCaptureGone("drop_src", capture);
        // The source is a plain table again: it can be written and dropped.
        db.execute("INSERT INTO drop_src VALUES (101, 1, 1, 'after')");
        db.execute("DROP TABLE drop_src");
    }

    @Test
    void dropKeepsTheCaptureAnotherStreamTableStillNeeds() throws SQLException {
        createSource("shared_src");
        create("shared_a", "SELECT id FROM shared_src");
        create("shared_b", "SELECT grp, count(*) AS n FROM shared_src GROUP BY grp");
        Map<String, Object> a = catalogRow("shared_a");
        Capture capture = captureOf("shared_src");

        db.execute("SELECT pgtrickle.drop_stream_table('shared_a')");
        assertStreamTableGone("shared_a", a.get("pgt_id"), a.get("definition_view"));
        assertCaptureExists("shared_src", capture);
        db.execute("INSERT INTO shared_src VALUES (100, 0, 1, 'x'); DELETE FROM shared_src WHERE id = 1");
        refresh("shared_b");
        Oracle.assertStreamTableMatchesQuery(db, "shared_b", "SELECT grp, count(*) AS n FROM shared_src GROUP BY grp");

        Map<String, Object> b = catalogRow("shared_b");
        db.execute("SELECT pgtrickle.drop_stream_table('shared_b')");
        assertStreamTableGone("shared_b", b.get("pgt_id"), b.get("definition_view"));
        assertCaptureGone("shared_src", capture);
    }

    @Test
    void dropWithCascadeDropsDependentStreamTables() throws SQLException {
        createSource("casc_src");
        create("casc_a", "SELECT id, v FROM casc_src");
        create("casc_b", "SELECT id FROM casc_a WHERE v > 30");
        create("casc_c", "SELECT count(*) AS n FROM casc_b");
        Map<String, Object> a = catalogRow("casc_a");
        Map<String, Object> b = catalogRow("casc_b");
        Map<String, Object> c = catalogRow("casc_c");
        Capture capture = captureOf("casc_src");

        db.execute("SELECT pgtrickle.drop_stream_table('casc_a', cascade => true)");
        assertStreamTableGone("casc_a", a.get("pgt_id"), a.get("definition_view"));
        assertStreamTableGone("casc_b", b.get("pgt_id"), b.get("definition_view"));
        assertStreamTableGone("casc_c", c.get("pgt_id"), c.get("definition_view"));
        assertCaptureGone("casc_src", capture);
    }

    /** A dependent reachable along two paths (c reads a and b, b reads a) is dropped once. */
    @Test
    void dropWithCascadeHandlesADiamond() throws SQLException {
        createSource("dia_src");
        create("dia_a", "SELECT id, v FROM dia_src");
        create("dia_b", "SELECT id FROM dia_a WHERE v > 30");
        create("dia_c", "SELECT a.id, a.v FROM dia_a a JOIN dia_b b USING (id)");
        Map<String, Object> a = catalogRow("dia_a");
        Map<String, Object> b = catalogRow("dia_b");
        Map<String, Object> c = catalogRow("dia_c");

        db.execute("SELECT pgtrickle.drop_stream_table('dia_a', cascade => true)");
        assertStreamTableGone("dia_a", a.get("pgt_id"), a.get("definition_view"));
        assertStreamTableGone("dia_b", b.get("pgt_id"), b.get("definition_view"));
        assertStreamTableGone("dia_c", c.get("pgt_id"), c.get("definition_view"));
    }

    // ------------------------------------------------------------------------------------------
    // refresh

    @Test
    void refreshAfterRandomChangesMatchesTheOracle() throws SQLException {
        // No primary key: duplicate rows and NULLs everywhere.
        db.execute("CREATE TABLE rnd_src (k int, v int, s text)");
        db.execute("CREATE TABLE rnd_dim (k int PRIMARY KEY, label text)");
        db.execute("INSERT INTO rnd_dim SELECT g, 'label ' || g FROM generate_series(1, 4) g");
        Map<String, String> streamTables = new LinkedHashMap<>();
        streamTables.put("rnd_rows", "SELECT k, v, s FROM rnd_src");
        streamTables.put("rnd_filtered", "SELECT s, v FROM rnd_src WHERE v IS NULL OR v > 3");
        streamTables.put("rnd_distinct", "SELECT DISTINCT k, s FROM rnd_src");
        streamTables.put("rnd_groups", "SELECT k, count(*) AS n, count(v) AS nv, sum(v) AS total, max(s) AS max_s"
                + " FROM rnd_src GROUP BY k");
        streamTables.put("rnd_joined", "SELECT d.label, r.v FROM rnd_src r LEFT JOIN rnd_dim d ON d.k = r.k");
        for (Map.Entry<String, String> st : streamTables.entrySet()) {
            create(st.getKey(), st.getValue());
            Oracle.assertStreamTableMatchesQuery(db, st.getKey(), st.getValue());
        }

        Random random = new Random(20240611L);
        for (int round = 0; round < 6; round++) {
            try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
                connection.setAutoCommit(round % 2 == 0);
                for (int change = 0; change < 8; change++) {
                    statement.execute(randomChange(random));
                }
                if (!connection.getAutoCommit()) {
                    connection.commit();
                }
            }
            for (Map.Entry<String, String> st : streamTables.entrySet()) {
                refresh(st.getKey());
                Oracle.assertStreamTableMatchesQuery(db, st.getKey(), st.getValue());
            }
        }
        assertTrue(db.queryLong("SELECT count(*) FROM rnd_src") > 0, "some rows remain");
        assertTrue(db.queryLong("SELECT count(*) - count(DISTINCT (k, v, s)) FROM rnd_src") > 0,
                "the data has duplicate rows");
        assertTrue(db.queryLong("SELECT count(*) FROM rnd_src WHERE k IS NULL OR v IS NULL OR s IS NULL") > 0,
                "the data has NULLs");
    }

    private static String randomChange(Random random) {
        String k = random.nextInt(6) == 0 ? "NULL" : Integer.toString(random.nextInt(5) + 1);
        String v = random.nextInt(5) == 0 ? "NULL" : Integer.toString(random.nextInt(10));
        String s = random.nextInt(4) == 0 ? "NULL" : "'" + (char) ('a' + random.nextInt(3)) + "'";
        return switch (random.nextInt(7)) {
            case 0, 1 -> "INSERT INTO rnd_src VALUES (" + k + ", " + v + ", " + s + ")";
            case 2 -> "INSERT INTO rnd_src VALUES (" + k + ", " + v + ", " + s + "), (" + k + ", " + v + ", " + s + ")";
            case 3 -> "INSERT INTO rnd_src SELECT k, v, s FROM rnd_src WHERE k IS NOT DISTINCT FROM " + k;
            case 4 -> "UPDATE rnd_src SET v = " + v + " WHERE k IS NOT DISTINCT FROM " + k;
            case 5 -> "DELETE FROM rnd_src WHERE ctid IN (SELECT ctid FROM rnd_src"
                    + " WHERE s IS NOT DISTINCT FROM " + s + " LIMIT 1)";
            default -> random.nextBoolean()
                    ? "UPDATE rnd_dim SET label = " + (v.equals("NULL") ? "NULL" : "'label " + v + "'")
                            + " WHERE k = " + (random.nextInt(4) + 1)
                    : "DELETE FROM rnd_src WHERE v IS NOT DISTINCT FROM " + v;
        };
    }

    /** The oracle compares multisets: a lost duplicate or an extra NULL row is a difference. */
    @Test
    void theOracleNoticesATamperedStreamTable() throws SQLException {
        db.execute("CREATE TABLE tamper_src (x int); INSERT INTO tamper_src VALUES (1), (1), (NULL)");
        create("tamper_st", "SELECT x FROM tamper_src");
        Oracle.assertStreamTableMatchesQuery(db, "tamper_st", "SELECT x FROM tamper_src");
        db.execute("DELETE FROM tamper_st WHERE ctid IN (SELECT ctid FROM tamper_st WHERE x = 1 LIMIT 1)");
        AssertionError lost = assertThrows(AssertionError.class,
                () -> Oracle.assertStreamTableMatchesQuery(db, "tamper_st", "SELECT x FROM tamper_src"));
        assertTrue(lost.getMessage().contains("only in the query:        [(1)]"), lost::getMessage);
        db.execute("INSERT INTO tamper_st VALUES (1), (NULL)");
        AssertionError extra = assertThrows(AssertionError.class,
                () -> Oracle.assertStreamTableMatchesQuery(db, "tamper_st", "SELECT x FROM tamper_src"));
        assertTrue(extra.getMessage().contains("only in the stream table: [()]"), extra::getMessage);
        // A refresh with no source change writes nothing (NO_DATA); one after a change recomputes.
        db.execute("INSERT INTO tamper_src VALUES (2)");
        refresh("tamper_st");
        Oracle.assertStreamTableMatchesQuery(db, "tamper_st", "SELECT x FROM tamper_src");
    }

    // ------------------------------------------------------------------------------------------
    // monitoring

    @Test
    void pgtStatusDescribesEachStreamTable() throws SQLException {
        createSource("stat_src");
        db.execute("SELECT pgtrickle.create_stream_table('stat_st', 'SELECT id, v FROM stat_src', schedule => '5m')");
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT * FROM pgtrickle.pgt_status()")) {
            ResultSetMetaData meta = rows.getMetaData();
            List<String> columns = new ArrayList<>();
            for (int column = 1; column <= meta.getColumnCount(); column++) {
                columns.add(meta.getColumnLabel(column));
            }
            assertEquals(List.of("name", "status", "refresh_mode", "schedule", "data_timestamp", "staleness",
                    "consecutive_errors", "last_error"), columns.subList(0, 8));
            assertTrue(columns.containsAll(List.of("effective_mode", "mode_reason", "tier", "is_populated")), columns::toString);
        }
        Map<String, Object> row = status("public.stat_st");
        assertEquals("public.stat_st", row.get("name"));
        assertEquals("ACTIVE", row.get("status"));
        assertEquals("AUTO", row.get("refresh_mode"));
        assertEquals("5m", row.get("schedule"));
        assertNotNull(row.get("data_timestamp"));
        assertNotNull(row.get("staleness"));
        assertEquals("t", db.queryString("SELECT staleness >= interval '0' AND staleness < interval '1 day'"
                + " FROM pgtrickle.pgt_status() WHERE name = 'public.stat_st'"));
        assertEquals(0, row.get("consecutive_errors"));
        assertNull(row.get("last_error"));
        assertEquals("FULL", row.get("effective_mode"));
        assertNotNull(row.get("mode_reason"), "AUTO refreshed FULL says why");
        assertEquals("hot", row.get("tier"));
        assertEquals(Boolean.TRUE, row.get("is_populated"));
        assertEquals("t", db.queryString("SELECT data_timestamp = (SELECT data_timestamp FROM pgtrickle.pgt_stream_tables"
                + " WHERE pgt_relid = 'stat_st'::regclass) FROM pgtrickle.pgt_status() WHERE name = 'public.stat_st'"));

        db.execute("SELECT pgtrickle.record_refresh_failure('stat_st', 'disk on fire')");
        Map<String, Object> failed = status("public.stat_st");
        assertEquals(1, failed.get("consecutive_errors"));
        assertEquals("disk on fire", failed.get("last_error"));
        refresh("stat_st");
        Map<String, Object> recovered = status("public.stat_st");
        assertEquals(0, recovered.get("consecutive_errors"));
        assertNull(recovered.get("last_error"));
        assertNotEquals(row.get("data_timestamp"), recovered.get("data_timestamp"));
    }
}
