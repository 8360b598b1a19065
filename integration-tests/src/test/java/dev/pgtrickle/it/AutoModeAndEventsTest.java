package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.assertCorrect;
import static dev.pgtrickle.it.DifferentialRefreshTest.compile;
import static dev.pgtrickle.it.DifferentialRefreshTest.createCompiled;
import static dev.pgtrickle.it.DifferentialRefreshTest.number;
import static dev.pgtrickle.it.DifferentialRefreshTest.refresh;
import static dev.pgtrickle.it.DifferentialRefreshTest.rows;
import static dev.pgtrickle.it.DifferentialRefreshTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The AUTO cost model (ratio rule, history rule, the {@code pgtrickle.auto_full_ratio} setting),
 * the reasons recorded in the refresh history, the NOTIFY events on {@code pgtrickle_events} and
 * {@code pgtrickle_catalog}, and suspension after repeated failures. Every refresh result is
 * checked against the defining query (the oracle).
 */
@PostgresTest
class AutoModeAndEventsTest {

    private final TestDatabase db;

    AutoModeAndEventsTest(TestDatabase db) {
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

    /** The newest history row of a stream table, with its reason. */
    private Map<String, Object> last(String name) throws SQLException {
        List<Map<String, Object>> found = rows(db, "SELECT h.refresh_id, h.action, h.status, h.reason,"
                + " h.rows_inserted, h.rows_updated, h.rows_deleted, h.changes_consumed, h.initiated_by,"
                + " h.error_message FROM pgtrickle.pgt_refresh_history h"
                + " WHERE h.pgt_id = (SELECT f.pgt_id FROM pgtrickle._find_stream_table(?) AS f)"
                + " ORDER BY h.refresh_id DESC LIMIT 1", name);
        assertEquals(1, found.size(), () -> "a history row for " + name);
        return found.get(0);
    }

    /** Refreshes (on {@code connection} when given) and checks action, reason and contents. */
    private void refreshExpecting(Connection connection, String name, String query, String action, String reason)
            throws SQLException {
        if (connection == null) {
            refresh(db, name);
        } else {
            refresh(connection, name);
        }
        Map<String, Object> row = last(name);
        assertEquals("COMPLETED", row.get("status"), row::toString);
        assertEquals(action, row.get("action"), row::toString);
        assertEquals(reason, row.get("reason"), row::toString);
        assertCorrect(db, name, query);
    }

    private void refreshExpecting(String name, String query, String action, String reason) throws SQLException {
        refreshExpecting(null, name, query, action, reason);
    }

    private long pgtId(String name) throws SQLException {
        return number(db, "SELECT pgt_id FROM pgtrickle._find_stream_table(?)", name);
    }

    /** A made-up completed refresh of the given duration, as the newest history row. */
    private void fakeHistory(String name, String action, String initiatedBy, Long consumed, int millis)
            throws SQLException {
        rows(db, "INSERT INTO pgtrickle.pgt_refresh_history (pgt_id, start_time, end_time, action, status,"
                        + " changes_consumed, initiated_by) VALUES (?, now(), now() + ? * interval '1 ms', ?,"
                        + " 'COMPLETED', ?, ?) RETURNING refresh_id",
                pgtId(name), millis, action, consumed, initiatedBy);
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** What the events keep of a long text. */
    private static String firstCharacters(String text, int count) {
        return text.substring(0, Math.min(count, text.length()));
    }

    private static void assertContains(String text, String... parts) {
        for (String part : parts) {
            assertTrue(text != null && text.contains(part), () -> "expected '" + part + "' in: " + text);
        }
    }

    /** A connection listening on both pgtrickle channels. */
    private Connection listener() throws SQLException {
        Connection connection = db.connect();
        execute(connection, "LISTEN pgtrickle_events; LISTEN pgtrickle_catalog");
        return connection;
    }

    /** A notification: its channel and its JSON payload as text values (JSON null as null). */
    private record Event(String channel, Map<String, String> fields) {
        String get(String field) {
            return fields.get(field);
        }
    }

    /**
     * Notifications about {@code streamTable} until {@code count} have arrived (or 10 seconds
     * passed); afterwards waits briefly to make sure no more arrive.
     */
    private List<Event> events(Connection listener, String streamTable, int count) throws SQLException {
        List<Event> received = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 10_000;
        while (received.size() < count && System.currentTimeMillis() < deadline) {
            collect(listener, streamTable, received, 500);
        }
        collect(listener, streamTable, received, 200);
        assertEquals(count, received.size(), () -> "notifications about " + streamTable + ": " + received);
        return received;
    }

    private void collect(Connection listener, String streamTable, List<Event> into, int timeoutMillis)
            throws SQLException {
        PGNotification[] batch = listener.unwrap(PGConnection.class).getNotifications(timeoutMillis);
        if (batch == null) {
            return;
        }
        for (PGNotification notification : batch) {
            assertTrue(notification.getParameter().length() < 8000, notification::getParameter);
            Map<String, String> fields = new LinkedHashMap<>();
            for (Map<String, Object> row : rows(db, "SELECT key, value FROM jsonb_each_text(?::jsonb)",
                    notification.getParameter())) {
                fields.put((String) row.get("key"), (String) row.get("value"));
            }
            if (streamTable.equals(fields.get("stream_table"))) {
                into.add(new Event(notification.getName(), fields));
            }
        }
    }

    private static void assertEvent(Event event, String channel, String name, Map<String, String> expected) {
        assertEquals(channel, event.channel(), event::toString);
        assertEquals(name, event.get("event"), event::toString);
        expected.forEach((field, value) -> assertEquals(value, event.get(field), () -> field + " of " + event));
    }

    // ------------------------------------------------------------------------------------------
    // the ratio rule

    @Test
    void ratioRuleComparesEachSourceWithItsOwnRows() throws SQLException {
        db.execute("CREATE TABLE rr_orders (id int PRIMARY KEY, region int NOT NULL, amount int NOT NULL)"
                + " WITH (autovacuum_enabled = off);"
                + " CREATE TABLE rr_regions (id int PRIMARY KEY, name text NOT NULL) WITH (autovacuum_enabled = off);"
                + " INSERT INTO rr_regions SELECT g, 'r' || g FROM generate_series(1, 10) g;"
                + " INSERT INTO rr_orders SELECT g, g % 10 + 1, g FROM generate_series(1, 2000) g;"
                + " ANALYZE rr_orders; ANALYZE rr_regions");
        String query = "SELECT r.name, o.id, o.amount FROM rr_orders o JOIN rr_regions r ON r.id = o.region";
        createCompiled(db, "rr_st", query, "KEYED");

        // 20 updated orders are 40 buffer rows, 2% of the orders.
        db.execute("UPDATE rr_orders SET amount = amount + 1 WHERE id <= 20");
        refreshExpecting("rr_st", query, "DIFFERENTIAL",
                "AUTO: 40 pending changes (2% of public.rr_orders, threshold 15%)");

        // Few changes overall, but 2 of the 10 regions changed (4 buffer rows): FULL. Counting
        // stops as soon as the threshold is passed (15% of 10 rows: at 2).
        db.execute("UPDATE rr_orders SET amount = amount + 1 WHERE id <= 10;"
                + " UPDATE rr_regions SET name = name || 'x' WHERE id <= 2");
        refreshExpecting("rr_st", query, "FULL",
                "AUTO: 2+ changes to public.rr_regions (~10 rows), over the 15% threshold");

        // 200 updated orders: 400 buffer rows, 20% of the orders.
        db.execute("UPDATE rr_orders SET amount = amount + 1 WHERE id <= 200");
        refreshExpecting("rr_st", query, "FULL",
                "AUTO: 301+ changes to public.rr_orders (~2000 rows), over the 15% threshold");

        refreshExpecting("rr_st", query, "NO_DATA", "no source changed since the last refresh");
        db.execute("DELETE FROM rr_orders WHERE id = 1");
        refreshExpecting("rr_st", query, "DIFFERENTIAL",
                "AUTO: 1 pending change (0.05% of public.rr_orders, threshold 15%)");
    }

    @Test
    void sourcesNeverAnalyzedAreLeftOutOfTheRatioRule() throws SQLException {
        db.execute("CREATE TABLE na_src (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = off);"
                + " INSERT INTO na_src SELECT g, g FROM generate_series(1, 20) g");
        String query = "SELECT id, v * 2 AS w FROM na_src WHERE v % 2 = 0";
        createCompiled(db, "na_st", query, "KEYED");
        // reltuples stays -1 until the table is vacuumed or analyzed, so the rule cannot judge:
        // all 20 rows change and the refresh stays differential.
        assertEquals(-1L, number(db, "SELECT reltuples::bigint FROM pg_class WHERE oid = 'na_src'::regclass"));
        db.execute("UPDATE na_src SET v = v + 1");
        refreshExpecting("na_st", query, "DIFFERENTIAL",
                "AUTO: 40 pending changes (source sizes unknown until analyzed)");
    }

    @Test
    void theThresholdIsTheSettingPgtrickleAutoFullRatio() throws SQLException {
        db.execute("CREATE TABLE th_src (id int PRIMARY KEY, k int, v int) WITH (autovacuum_enabled = off);"
                + " INSERT INTO th_src SELECT g, g % 7, g FROM generate_series(1, 1000) g; ANALYZE th_src");
        String query = "SELECT k, count(*) AS n, sum(v) AS s FROM th_src GROUP BY k";
        createCompiled(db, "th_st", query, "AGGREGATE");
        rows(db, "SELECT 1 FROM pgtrickle.create_stream_table('th_diff', ?, refresh_mode => 'DIFFERENTIAL')", query);
        assertEquals(CompileResult.Outcome.COMPILED, compile(db, "th_diff").outcome());

        try (Connection connection = db.connect()) {
            execute(connection, "SET pgtrickle.auto_full_ratio = '0.5'");
            execute(connection, "UPDATE th_src SET v = v + 1 WHERE id <= 200"); // 400 buffer rows: 40%
            refreshExpecting(connection, "th_st", query, "DIFFERENTIAL",
                    "AUTO: 400 pending changes (40% of public.th_src, threshold 50%)");

            execute(connection, "SET pgtrickle.auto_full_ratio = 0");
            execute(connection, "INSERT INTO th_src VALUES (1001, 1, 1)");
            refreshExpecting(connection, "th_st", query, "FULL",
                    "AUTO: 1+ changes to public.th_src (~1000 rows), over the 0% threshold");

            execute(connection, "SET pgtrickle.auto_full_ratio = ' 0.125 '");
            execute(connection, "UPDATE th_src SET v = v + 1 WHERE id <= 50"); // 100 buffer rows
            refreshExpecting(connection, "th_st", query, "DIFFERENTIAL",
                    "AUTO: 100 pending changes (10% of public.th_src, threshold 12.5%)");

            // Empty (as after RESET of a custom setting) means the default.
            execute(connection, "SET pgtrickle.auto_full_ratio = ''");
            execute(connection, "UPDATE th_src SET v = v + 1 WHERE id <= 100"); // 200 buffer rows
            refreshExpecting(connection, "th_st", query, "FULL",
                    "AUTO: 151+ changes to public.th_src (~1000 rows), over the 15% threshold");

            for (String invalid : List.of("abc", "-0.1", "15%", "NaN", "Infinity")) {
                execute(connection, "SET pgtrickle.auto_full_ratio = '" + invalid + "'");
                execute(connection, "UPDATE th_src SET v = v + 1 WHERE id = 1");
                SQLException e = assertThrows(SQLException.class, () -> refresh(connection, "th_st"));
                assertEquals("22023", e.getSQLState(), e::getMessage);
                assertContains(e.getMessage(),
                        "invalid value for setting pgtrickle.auto_full_ratio: \"" + invalid + "\"");
            }
            // Only AUTO consults the setting.
            refreshExpecting(connection, "th_diff", query, "DIFFERENTIAL", null);
            // Recording the failure still works; the attempted action cannot be told, so FULL.
            execute(connection, "SELECT pgtrickle.record_refresh_failure('th_st', 'invalid setting', 'MANUAL')");
            Map<String, Object> failed = last("th_st");
            assertEquals("FAILED", failed.get("status"));
            assertEquals("FULL", failed.get("action"));
            assertNull(failed.get("reason"));

            // Back to the default. (A slow FULL refresh in the history keeps the history rule
            // from preferring FULL over the two differential refreshes above.)
            execute(connection, "RESET pgtrickle.auto_full_ratio");
            fakeHistory("th_st", "FULL", "SCHEDULER", 5L, 100_000);
            refreshExpecting(connection, "th_st", query, "DIFFERENTIAL",
                    "AUTO: 10 pending changes (1% of public.th_src, threshold 15%)");
        }
    }

    @Test
    void theCostModelCanBeTurnedOff() throws SQLException {
        db.execute("CREATE TABLE co_src (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = off);"
                + " INSERT INTO co_src SELECT g, g FROM generate_series(1, 100) g; ANALYZE co_src");
        String query = "SELECT id, v FROM co_src WHERE v % 3 <> 0";
        createCompiled(db, "co_st", query, "KEYED");
        try (Connection connection = db.connect()) {
            execute(connection, "SET pgtrickle.auto_cost_model = off");
            execute(connection, "UPDATE co_src SET v = v + 1"); // 200% of the rows
            refreshExpecting(connection, "co_st", query, "DIFFERENTIAL",
                    "AUTO: cost model off (pgtrickle.auto_cost_model)");

            execute(connection, "SET pgtrickle.auto_cost_model = 'maybe'");
            execute(connection, "UPDATE co_src SET v = v + 1 WHERE id = 1");
            SQLException e = assertThrows(SQLException.class, () -> refresh(connection, "co_st"));
            assertEquals("22023", e.getSQLState(), e::getMessage);
            assertContains(e.getMessage(), "invalid value for setting pgtrickle.auto_cost_model: \"maybe\"");

            execute(connection, "SET pgtrickle.auto_cost_model = ON");
            execute(connection, "UPDATE co_src SET v = v + 1");
            refreshExpecting(connection, "co_st", query, "FULL",
                    "AUTO: 16+ changes to public.co_src (~100 rows), over the 15% threshold");
        }
    }

    // ------------------------------------------------------------------------------------------
    // the history rule

    @Test
    void historyRuleChoosesFullWhenComparableDifferentialRefreshesWereSlower() throws SQLException {
        db.execute("CREATE TABLE hr_src (id int PRIMARY KEY, k int, v int) WITH (autovacuum_enabled = off);"
                + " INSERT INTO hr_src SELECT g, g % 11, g FROM generate_series(1, 10000) g; ANALYZE hr_src");
        String query = "SELECT k, count(*) AS n, sum(v) AS s FROM hr_src GROUP BY k";
        createCompiled(db, "hr_st", query, "AGGREGATE");

        // Two differential refreshes of 100 changes took 500 ms each, a FULL one 10 ms.
        fakeHistory("hr_st", "DIFFERENTIAL", "SCHEDULER", 100L, 500);
        fakeHistory("hr_st", "DIFFERENTIAL", "SCHEDULER", 100L, 500);
        fakeHistory("hr_st", "FULL", "SCHEDULER", 5L, 10);
        db.execute("UPDATE hr_src SET v = v + 1 WHERE id <= 5"); // 10 pending: 100 >= 10 / 4
        refreshExpecting("hr_st", query, "FULL",
                "AUTO: comparable differential refreshes took 500 ms on average, FULL 10 ms");

        // 500 pending changes: refreshes of 100 changes are no guide (100 < 500 / 4).
        db.execute("UPDATE hr_src SET v = v + 1 WHERE id <= 250");
        refreshExpecting("hr_st", query, "DIFFERENTIAL",
                "AUTO: 500 pending changes (5% of public.hr_src, threshold 15%)");

        // Only the last 20 completed refreshes count: 20 newer FULL ones push the slow
        // differential refreshes out of the window.
        for (int i = 0; i < 20; i++) {
            fakeHistory("hr_st", "FULL", "SCHEDULER", 5L, 1);
        }
        db.execute("UPDATE hr_src SET v = v + 1 WHERE id <= 5");
        refreshExpecting("hr_st", query, "DIFFERENTIAL",
                "AUTO: 10 pending changes (0.1% of public.hr_src, threshold 15%)");
    }

    @Test
    void historyRuleComparesWithInitialFillsOnlyWhenThereIsNoOtherFullRefresh() throws SQLException {
        db.execute("CREATE TABLE hx_src (id int PRIMARY KEY, k int, v int) WITH (autovacuum_enabled = off);"
                + " INSERT INTO hx_src SELECT g, g % 11, g FROM generate_series(1, 10000) g; ANALYZE hx_src");
        String query = "SELECT k, count(*) AS n, sum(v) AS s FROM hx_src GROUP BY k";
        createCompiled(db, "hx_st", query, "AGGREGATE");

        // FULL refreshes so far: the fills by CREATE and COMPILE (real ones, fast) and a slow
        // made-up COMPILE; together slower on average than the differential refreshes.
        fakeHistory("hx_st", "DIFFERENTIAL", "SCHEDULER", 100L, 50);
        fakeHistory("hx_st", "DIFFERENTIAL", "SCHEDULER", 100L, 50);
        fakeHistory("hx_st", "FULL", "COMPILE", null, 3000);
        db.execute("UPDATE hx_src SET v = v + 1 WHERE id <= 50"); // 100 pending
        refreshExpecting("hx_st", query, "DIFFERENTIAL",
                "AUTO: 100 pending changes (1% of public.hx_src, threshold 15%)");

        // A regular FULL refresh (REINITIALIZE counts too) is what differential ones are compared
        // with once there is one. The real differential refresh above (100 changes) is comparable
        // too: the average is between its duration and 50 ms.
        fakeHistory("hx_st", "REINITIALIZE", "MANUAL", 5L, 1);
        db.execute("UPDATE hx_src SET v = v + 1 WHERE id <= 50");
        refresh(db, "hx_st");
        Map<String, Object> row = last("hx_st");
        assertEquals("FULL", row.get("action"), row::toString);
        assertContains((String) row.get("reason"), "AUTO: comparable differential refreshes took ",
                " ms on average, FULL 1 ms");
        assertCorrect(db, "hx_st", query);
    }

    @Test
    void refreshModeDifferentialIsNeverSwitchedToFull() throws SQLException {
        db.execute("CREATE TABLE dm_src (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = off);"
                + " INSERT INTO dm_src SELECT g, g FROM generate_series(1, 100) g; ANALYZE dm_src");
        String query = "SELECT id, v FROM dm_src WHERE v > 10";
        rows(db, "SELECT 1 FROM pgtrickle.create_stream_table('dm_st', ?, refresh_mode => 'DIFFERENTIAL')", query);
        assertEquals(CompileResult.Outcome.COMPILED, compile(db, "dm_st").outcome());
        fakeHistory("dm_st", "DIFFERENTIAL", "SCHEDULER", 100L, 500);
        fakeHistory("dm_st", "DIFFERENTIAL", "SCHEDULER", 100L, 500);
        fakeHistory("dm_st", "FULL", "SCHEDULER", 5L, 1);
        db.execute("UPDATE dm_src SET v = v + 1"); // 200% of the rows
        refreshExpecting("dm_st", query, "DIFFERENTIAL", null);
    }

    // ------------------------------------------------------------------------------------------
    // reasons of the other fallbacks

    @Test
    void reasonsOfFullRefreshesOutsideTheCostModel() throws SQLException {
        db.execute("CREATE TABLE fr_src (id int PRIMARY KEY, d int NOT NULL) WITH (autovacuum_enabled = off);"
                + " INSERT INTO fr_src SELECT g, g FROM generate_series(1, 200) g; ANALYZE fr_src");
        String query = "SELECT id, 100 / d AS q FROM fr_src";

        // Not compiled yet: the stream table's mode_reason.
        rows(db, "SELECT 1 FROM pgtrickle.create_stream_table('fr_st', ?)", query);
        db.execute("UPDATE fr_src SET d = d + 1 WHERE id = 1");
        refreshExpecting("fr_st", query, "FULL",
                "waiting for the differential compiler (pgtrickle compile): refreshed FULL");
        assertEquals(CompileResult.Outcome.COMPILED, compile(db, "fr_st").outcome());
        assertNull(last("fr_st").get("reason"), "the fill by COMPILE needs no explanation");

        // A truncated source: reinitialized, whatever the cost model said.
        db.execute("TRUNCATE fr_src; INSERT INTO fr_src VALUES (1, 1), (2, 2)");
        refreshExpecting("fr_st", query, "REINITIALIZE", "a source was truncated: reinitialized");
        assertEquals(0L, number(db, "SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE fallback"
                        + " AND pgt_id = ?", pgtId("fr_st")),
                "the FULL refreshes the mode or a truncation asks for are not fallbacks");

    }

    @Test
    void aFailedDifferentialRefreshRedoneFullSaysWhy() throws SQLException {
        db.execute("CREATE TABLE fb_src (id int PRIMARY KEY, d int NOT NULL) WITH (autovacuum_enabled = off);"
                + " INSERT INTO fb_src SELECT g, g FROM generate_series(1, 200) g; ANALYZE fb_src");
        String query = "SELECT id, 100 / d AS q FROM fb_src";
        createCompiled(db, "fb_st", query, "KEYED");
        // Inserted and deleted within one window: the query never sees the row, a delta term does.
        db.execute("INSERT INTO fb_src VALUES (1000, 0); DELETE FROM fb_src WHERE id = 1000");
        String reason = "differential refresh failed (division by zero): refreshed FULL";
        refreshExpecting("fb_st", query, "FULL", reason);

        // Not only in the history: pgt_status() and health_check() show it.
        assertEquals(Boolean.TRUE, rows(db, "SELECT fallback FROM pgtrickle.pgt_refresh_history"
                + " WHERE refresh_id = ?", last("fb_st").get("refresh_id")).get(0).get("fallback"));
        Map<String, Object> status = rows(db, "SELECT last_fallback_at, last_fallback_reason"
                + " FROM pgtrickle.pgt_status() WHERE name = 'public.fb_st'").get(0);
        assertEquals(reason, status.get("last_fallback_reason"));
        assertNotNull(status.get("last_fallback_at"));
        List<Map<String, Object>> health = rows(db, "SELECT severity, detail FROM pgtrickle.health_check()"
                + " WHERE check_name = 'differential_fallbacks' AND detail LIKE 'public.fb_st:%'");
        assertEquals(1, health.size(), health::toString);
        assertEquals("WARNING", health.get(0).get("severity"));
        assertTrue(((String) health.get(0).get("detail")).startsWith(
                "public.fb_st: 1 refresh(es) fell back to FULL within the last hour, the latest at "), health::toString);
        assertTrue(((String) health.get(0).get("detail")).endsWith(": " + reason), health::toString);

        // A later differential refresh does not hide it; an hour later health_check is quiet.
        db.execute("UPDATE fb_src SET d = 8 WHERE id = 7");
        refresh(db, "fb_st");
        assertEquals("DIFFERENTIAL", last("fb_st").get("action"));
        assertCorrect(db, "fb_st", query);
        assertEquals(reason, rows(db, "SELECT last_fallback_reason FROM pgtrickle.pgt_status()"
                + " WHERE name = 'public.fb_st'").get(0).get("last_fallback_reason"));
        db.execute("UPDATE pgtrickle.pgt_refresh_history SET end_time = end_time - interval '61 minutes'"
                + " WHERE fallback");
        assertEquals(List.of(Map.of("severity", "OK")), rows(db, "SELECT severity FROM pgtrickle.health_check()"
                + " WHERE check_name = 'differential_fallbacks'"));
    }

    // ------------------------------------------------------------------------------------------
    // events

    @Test
    void refreshesAndFailuresAreAnnouncedOnPgtrickleEvents() throws SQLException {
        db.execute("CREATE TABLE ev_src (id int PRIMARY KEY, d int NOT NULL) WITH (autovacuum_enabled = off);"
                + " INSERT INTO ev_src SELECT g, g FROM generate_series(1, 100) g; ANALYZE ev_src");
        String query = "SELECT id, 100 / d AS q FROM ev_src";
        try (Connection listener = listener()) {
            rows(db, "SELECT 1 FROM pgtrickle.create_stream_table('ev_st', ?)", query);
            String id = Long.toString(pgtId("ev_st"));
            List<Event> created = events(listener, "public.ev_st", 2);
            assertEvent(created.get(0), "pgtrickle_catalog", "created", Map.of("pgt_id", id));
            assertEvent(created.get(1), "pgtrickle_events", "refresh_completed", Map.of("pgt_id", id,
                    "refresh_id", last("ev_st").get("refresh_id").toString(), "action", "FULL",
                    "rows_inserted", "100", "rows_deleted", "0", "initiated_by", "CREATE"));
            assertNull(created.get(1).get("rows_updated"));
            assertEquals(created.get(1).fields().keySet(), Set.of("event", "stream_table", "pgt_id",
                    "refresh_id", "action", "rows_inserted", "rows_updated", "rows_deleted", "initiated_by", "fallback"));

            assertEquals(CompileResult.Outcome.COMPILED, compile(db, "ev_st").outcome());
            assertEvent(events(listener, "public.ev_st", 1).get(0), "pgtrickle_events", "refresh_completed",
                    Map.of("action", "FULL", "initiated_by", "COMPILE"));

            db.execute("INSERT INTO ev_src VALUES (101, 4); UPDATE ev_src SET d = 50 WHERE id = 1;"
                    + " DELETE FROM ev_src WHERE id IN (2, 3)");
            refreshExpecting("ev_st", query, "DIFFERENTIAL",
                    "AUTO: 5 pending changes (5% of public.ev_src, threshold 15%)");
            Map<String, Object> row = last("ev_st");
            assertEvent(events(listener, "public.ev_st", 1).get(0), "pgtrickle_events", "refresh_completed",
                    Map.of("pgt_id", id, "refresh_id", row.get("refresh_id").toString(), "action", "DIFFERENTIAL",
                            "rows_inserted", row.get("rows_inserted").toString(),
                            "rows_updated", row.get("rows_updated").toString(),
                            "rows_deleted", row.get("rows_deleted").toString(), "initiated_by", "MANUAL"));

            // A refresh rolled back announces nothing.
            try (Connection connection = db.connect()) {
                connection.setAutoCommit(false);
                execute(connection, "INSERT INTO ev_src VALUES (102, 1)");
                refresh(connection, "ev_st");
                connection.rollback();
            }
            events(listener, "public.ev_st", 0);

            // A failing refresh raises; recording the failure announces it.
            db.execute("INSERT INTO ev_src VALUES (103, 0)");
            SQLException failure = assertThrows(SQLException.class, () -> refresh(db, "ev_st"));
            assertEquals("22012", failure.getSQLState(), failure::getMessage);
            events(listener, "public.ev_st", 0);
            String error = "x".repeat(20_000) + " \" \\ \n ü";
            rows(db, "SELECT 1 FROM pgtrickle.record_refresh_failure('ev_st', ?, 'SCHEDULER')", error);
            Event failed = events(listener, "public.ev_st", 1).get(0);
            assertEvent(failed, "pgtrickle_events", "refresh_failed", Map.of("pgt_id", id,
                    "consecutive_errors", "1", "initiated_by", "SCHEDULER", "error", firstCharacters(error, 1000)));
            Map<String, Object> failedRow = last("ev_st");
            assertEquals(error, failedRow.get("error_message"), "the history keeps the whole text");
            assertEquals("DIFFERENTIAL", failedRow.get("action"), "what the failed refresh attempted");
            assertEquals("AUTO: 1 pending change (1% of public.ev_src, threshold 15%)", failedRow.get("reason"));
        }
    }

    @Test
    void repeatedFailuresSuspendTheStreamTableUntilResumed() throws SQLException {
        db.execute("CREATE TABLE su_src (id int PRIMARY KEY, d int NOT NULL) WITH (autovacuum_enabled = off);"
                + " INSERT INTO su_src SELECT g, g FROM generate_series(1, 100) g; ANALYZE su_src");
        String query = "SELECT id, 100 / d AS q FROM su_src";
        createCompiled(db, "su_st", query, "KEYED");
        db.execute("INSERT INTO su_src VALUES (101, 0)");
        try (Connection listener = listener()) {
            for (int attempt = 1; attempt <= 4; attempt++) {
                SQLException e = assertThrows(SQLException.class, () -> refresh(db, "su_st"));
                rows(db, "SELECT 1 FROM pgtrickle.record_refresh_failure('su_st', ?, 'SCHEDULER', 3)", e.getMessage());
                Map<String, Object> status = rows(db, "SELECT status, consecutive_errors, last_error"
                        + " FROM pgtrickle.pgt_status() WHERE name = 'public.su_st'").get(0);
                assertEquals(attempt < 3 ? "ACTIVE" : "SUSPENDED", status.get("status"), status::toString);
                assertEquals(attempt, status.get("consecutive_errors"));
                assertEquals(e.getMessage(), status.get("last_error"));

                List<Event> announced = events(listener, "public.su_st", attempt == 3 ? 2 : 1);
                assertEvent(announced.get(0), "pgtrickle_events", "refresh_failed",
                        Map.of("consecutive_errors", Integer.toString(attempt), "initiated_by", "SCHEDULER"));
                assertContains(announced.get(0).get("error"), "division by zero");
                if (attempt == 3) {
                    assertEvent(announced.get(1), "pgtrickle_events", "stream_table_suspended",
                            Map.of("pgt_id", Long.toString(pgtId("su_st")), "consecutive_errors", "3",
                                    "last_error", firstCharacters(e.getMessage(), 1000)));
                    assertEquals(announced.get(1).fields().keySet(), Set.of("event", "stream_table",
                            "pgt_id", "consecutive_errors", "last_error"));
                }
            }
            assertEquals(4, number(db, "SELECT count(*) FROM pgtrickle.pgt_refresh_history h"
                    + " WHERE h.pgt_id = ? AND h.status = 'FAILED' AND h.action = 'DIFFERENTIAL'", pgtId("su_st")));

            // Resuming resets the error count; the last error stays until a refresh succeeds.
            db.execute("UPDATE su_src SET d = 1 WHERE id = 101");
            db.execute("SELECT pgtrickle.alter_stream_table('su_st', status => 'ACTIVE')");
            assertEvent(events(listener, "public.su_st", 1).get(0), "pgtrickle_catalog", "altered", Map.of());
            Map<String, Object> resumed = rows(db, "SELECT status, consecutive_errors, last_error"
                    + " FROM pgtrickle.pgt_status() WHERE name = 'public.su_st'").get(0);
            assertEquals("ACTIVE", resumed.get("status"));
            assertEquals(0, resumed.get("consecutive_errors"));
            assertContains((String) resumed.get("last_error"), "division by zero");
            refresh(db, "su_st");
            assertCorrect(db, "su_st", query);
            assertNull(value(db, "SELECT last_error FROM pgtrickle.pgt_status() WHERE name = 'public.su_st'"));
            events(listener, "public.su_st", 1);
        }

        // Without suspend_after nothing is suspended; suspend_after must be positive.
        for (int attempt = 0; attempt < 5; attempt++) {
            db.execute("SELECT pgtrickle.record_refresh_failure('su_st', 'boom')");
        }
        assertEquals("ACTIVE", value(db, "SELECT status FROM pgtrickle.pgt_status() WHERE name = 'public.su_st'"));
        SQLException e = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.record_refresh_failure('su_st', 'boom', 'MANUAL', 0)"));
        assertEquals("22023", e.getSQLState(), e::getMessage);
        // A table that already failed more often than suspend_after is suspended at once.
        db.execute("SELECT pgtrickle.record_refresh_failure('su_st', 'boom', 'MANUAL', 2)");
        assertEquals("SUSPENDED", value(db, "SELECT status FROM pgtrickle.pgt_status() WHERE name = 'public.su_st'"));
        assertEquals(6L, number(db,
                "SELECT consecutive_errors FROM pgtrickle.pgt_status() WHERE name = 'public.su_st'"));
    }

    @Test
    void definitionChangesAreAnnouncedOnPgtrickleCatalog() throws SQLException {
        db.execute("CREATE TABLE ca_src (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = off);"
                + " INSERT INTO ca_src VALUES (1, 1), (2, 2)");
        try (Connection listener = listener()) {
            db.execute("SELECT pgtrickle.create_stream_table('ca_st', 'SELECT id, v FROM ca_src',"
                    + " initialize => false)");
            String id = Long.toString(pgtId("ca_st"));
            assertEvent(events(listener, "public.ca_st", 1).get(0), "pgtrickle_catalog", "created",
                    Map.of("pgt_id", id));

            db.execute("SELECT pgtrickle.alter_stream_table('ca_st', schedule => '1m', tier => 'warm')");
            assertEvent(events(listener, "public.ca_st", 1).get(0), "pgtrickle_catalog", "altered",
                    Map.of("pgt_id", id));

            // A new query: the definition is replaced (altered, then the FULL refresh completes).
            db.execute("SELECT pgtrickle.create_or_replace_stream_table('ca_st', 'SELECT id FROM ca_src')");
            List<Event> replaced = events(listener, "public.ca_st", 2);
            assertEvent(replaced.get(0), "pgtrickle_catalog", "altered", Map.of("pgt_id", id));
            assertEvent(replaced.get(1), "pgtrickle_events", "refresh_completed", Map.of("initiated_by", "ALTER"));
            Oracle.assertStreamTableMatchesQuery(db, "ca_st", "SELECT id FROM ca_src");

            // Names in events are quoted where needed, so they can be passed back to the API.
            db.execute("CREATE SCHEMA \"Ca Schema\"; ALTER TABLE ca_st SET SCHEMA \"Ca Schema\"");
            db.execute("SELECT pgtrickle.alter_stream_table('\"Ca Schema\".ca_st', tier => 'hot')");
            assertEvent(events(listener, "\"Ca Schema\".ca_st", 1).get(0), "pgtrickle_catalog", "altered",
                    Map.of("pgt_id", id));

            // Nothing is announced for a change rolled back.
            try (Connection connection = db.connect()) {
                connection.setAutoCommit(false);
                execute(connection, "SELECT pgtrickle.create_stream_table('ca_gone', 'SELECT id FROM ca_src')");
                connection.rollback();
            }
            events(listener, "public.ca_gone", 0);

            db.execute("SELECT pgtrickle.drop_stream_table('\"Ca Schema\".ca_st')");
            assertEvent(events(listener, "\"Ca Schema\".ca_st", 1).get(0), "pgtrickle_catalog", "dropped",
                    Map.of("pgt_id", id));
        }
    }

    // ------------------------------------------------------------------------------------------
    // security and monitoring

    @Test
    void theCostModelRunsWithTheRightsOfTheRefreshingOwner() throws SQLException {
        db.createRole("amt_owner", "owner-pw", "LOGIN", "NOSUPERUSER");
        db.createRole("amt_stranger", "stranger-pw", "LOGIN", "NOSUPERUSER");
        db.execute("GRANT CREATE ON SCHEMA public TO amt_owner");
        String query = "SELECT id, v FROM ow_src WHERE v > 0";
        try (Connection owner = db.connectAs("amt_owner", "owner-pw")) {
            execute(owner, "CREATE TABLE ow_src (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = off);"
                    + " INSERT INTO ow_src SELECT g, g FROM generate_series(1, 100) g; ANALYZE ow_src");
            execute(owner, "SELECT pgtrickle.create_stream_table('ow_st', '" + query + "')");
            owner.setAutoCommit(false);
            assertEquals(CompileResult.Outcome.COMPILED, new StreamTableCompiler(owner).compile("ow_st").outcome());
            owner.commit();
            owner.setAutoCommit(true);

            execute(owner, "UPDATE ow_src SET v = v + 1 WHERE id <= 5");
            refreshExpecting(owner, "ow_st", query, "DIFFERENTIAL",
                    "AUTO: 10 pending changes (10% of public.ow_src, threshold 15%)");
            execute(owner, "UPDATE ow_src SET v = v + 1 WHERE id <= 50");
            refreshExpecting(owner, "ow_st", query, "FULL",
                    "AUTO: 16+ changes to public.ow_src (~100 rows), over the 15% threshold");
            execute(owner, "GRANT SELECT ON ow_src, ow_st TO amt_stranger");
        }
        // The counting reads the change buffers, which only the catalog owner and the owners of
        // stream tables reading them may read.
        try (Connection stranger = db.connectAs("amt_stranger", "stranger-pw")) {
            SQLException e = assertThrows(SQLException.class, () -> rows(stranger,
                    "SELECT * FROM pgtrickle._pending_changes(?, NULL, NULL, NULL, 0.15)", pgtId("ow_st")));
            assertEquals("42501", e.getSQLState(), e::getMessage);
        }
    }

    @Test
    void theTimelineShowsTheReason() throws SQLException {
        db.execute("CREATE TABLE tl_src (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = off);"
                + " INSERT INTO tl_src VALUES (1, 1)");
        createCompiled(db, "tl_st", "SELECT id, v FROM tl_src", "KEYED");
        db.execute("UPDATE tl_src SET v = 2");
        refreshExpecting("tl_st", "SELECT id, v FROM tl_src", "DIFFERENTIAL",
                "AUTO: 2 pending changes (source sizes unknown until analyzed)");
        List<Map<String, Object>> timeline = rows(db, "SELECT stream_table, action, reason"
                + " FROM pgtrickle.refresh_timeline(1)");
        assertEquals(List.of(Map.of("stream_table", "public.tl_st", "action", "DIFFERENTIAL",
                "reason", "AUTO: 2 pending changes (source sizes unknown until analyzed)")), timeline);
    }
}
