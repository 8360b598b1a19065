package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.catalogRow;
import static dev.pgtrickle.it.DifferentialRefreshTest.compile;
import static dev.pgtrickle.it.DifferentialRefreshTest.rows;
import static dev.pgtrickle.it.DifferentialRefreshTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.scheduler.Daemon;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Queries whose result moves with time although no source changes (now(), CURRENT_DATE, …): where
 * they compare columns with the clock, maintained differentially (moving time windows), otherwise
 * refreshed FULL with the reason. Each refresh equals the defining query evaluated at that refresh:
 * in its own transaction (the real clock), or at a frozen clock (pgtrickle.test_clock) that the
 * tests move by minutes without waiting.
 */
@PostgresTest
class ClockQueriesTest {

    /** Seeds of the sliding-window runs: fixed in CI, more with -Dpgtrickle.clock.seeds=N. */
    private static final int SEEDS = Integer.getInteger("pgtrickle.clock.seeds", 3);
    private static final int ROUNDS = Integer.getInteger("pgtrickle.clock.rounds", 8);

    private final TestDatabase db;

    ClockQueriesTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
        db.execute("CREATE TABLE cq_events (id int PRIMARY KEY, ts timestamptz NOT NULL, lts timestamp NOT NULL,"
                + " d date NOT NULL, grp int NOT NULL);"
                + " INSERT INTO cq_events SELECT g, now() - g * interval '1 minute', localtimestamp - g * interval '1 minute',"
                + " current_date - g, g % 3 FROM generate_series(1, 20) g;"
                + " CREATE FUNCTION cq_recent(t timestamptz) RETURNS boolean LANGUAGE sql STABLE"
                + " AS $$SELECT t > now() - interval '5 minutes'$$;"
                + " CREATE VIEW cq_recent_view AS SELECT id, grp FROM cq_events WHERE ts > now() - interval '10 minutes'");
    }

    /** Readings of the clock a refresh cannot maintain: FULL with the reason, or refused as DIFFERENTIAL. */
    static Stream<Arguments> unmaintainedClockReaders() {
        return Stream.of(
                Arguments.of("statement_timestamp", "SELECT id, statement_timestamp() - ts AS age FROM cq_events",
                        "statement_timestamp() reads the clock"),
                Arguments.of("age", "SELECT id, age(ts) AS a FROM cq_events", "age() reads the clock"),
                Arguments.of("stable_function", "SELECT id FROM cq_events WHERE cq_recent(ts)", "STABLE function public.cq_recent(timestamp with time zone)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unmaintainedClockReaders")
    void aQueryReadingTheClockUnmaintainablyIsRefreshedFullOrRefusedAsDifferential(String tag, String query, String phrase)
            throws SQLException {
        String name = "cq_" + tag;
        rows(db, "SELECT 1 FROM pgtrickle.create_stream_table(?, ?)", name, query);
        Map<String, Object> status = rows(db, "SELECT * FROM pgtrickle.pgt_status() WHERE name = ?", "public." + name).get(0);
        assertEquals("FULL", status.get("effective_mode"), status::toString);
        assertTrue(((String) status.get("mode_reason")).contains(phrase), status::toString);
        CompileResult compiled = compile(db, name);
        assertEquals(CompileResult.Outcome.NOT_NEEDED, compiled.outcome(), compiled::describe);
        assertEquals("NOT_NEEDED", catalogRow(db, name).get("compile_status"));

        SQLException refused = assertThrows(SQLException.class, () -> rows(db,
                "SELECT 1 FROM pgtrickle.create_stream_table(?, ?, refresh_mode => 'DIFFERENTIAL')", name + "_d", query));
        assertEquals("0A000", refused.getSQLState(), refused::getMessage);
        assertTrue(refused.getMessage().contains(phrase), refused::getMessage);
        assertNull(value(db, "SELECT to_regclass(?)::text", name + "_d"), "nothing created");
    }

    /** Comparisons of columns with the clock: compiled, maintained differentially (moving time windows). */
    static Stream<Arguments> maintainedClockReaders() {
        return Stream.of(
                Arguments.of("now", "SELECT id FROM cq_events WHERE ts > now() - interval '5 minutes'"),
                Arguments.of("current_timestamp",
                        "SELECT grp, count(*) AS n FROM cq_events WHERE ts > current_timestamp - interval '5 minutes' GROUP BY grp"),
                Arguments.of("current_date", "SELECT id FROM cq_events WHERE d >= current_date - 3"),
                Arguments.of("localtimestamp", "SELECT id FROM cq_events WHERE lts > localtimestamp - interval '5 minutes'"),
                Arguments.of("transaction_timestamp", "SELECT id FROM cq_events WHERE ts > transaction_timestamp() - interval '1 hour'"),
                Arguments.of("through_a_view", "SELECT grp, count(*) AS n FROM cq_recent_view GROUP BY grp"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("maintainedClockReaders")
    void aWindowOverTheClockIsCompiledAndRefreshedDifferentially(String tag, String query) throws SQLException {
        String name = "cq_m_" + tag;
        rows(db, "SELECT 1 FROM pgtrickle.create_stream_table(?, ?)", name, query);
        CompileResult compiled = compile(db, name);
        assertEquals(CompileResult.Outcome.COMPILED, compiled.outcome(), compiled::describe);
        assertEquals("DIFFERENTIAL", catalogRow(db, name).get("effective_mode"));
        try (Connection connection = db.connect()) {
            connection.setAutoCommit(false);
            call(connection, "UPDATE cq_events SET grp = grp WHERE id = 1");
            call(connection, "SELECT pgtrickle.refresh_stream_table(?)", name);
            assertEquals("DIFFERENTIAL", lastAction(connection, name));
            Oracle.assertStreamTableMatchesQuery(connection, name, query);
            connection.rollback();
        }
    }

    /** Other uses of the clock stay FULL, and say why; DIFFERENTIAL is refused for them. */
    @Test
    void otherUsesOfTheClockStayFullWithTheCompilersReason() throws SQLException {
        for (String query : List.of("SELECT id, now() - ts AS age FROM cq_events",
                "SELECT id FROM cq_events WHERE lts > localtimestamp(0) - interval '5 minutes'",
                "SELECT id FROM cq_events WHERE ts > date_trunc('hour', now())")) {
            String name = "cq_other_" + query.length();
            rows(db, "SELECT 1 FROM pgtrickle.create_stream_table(?, ?)", name, query);
            CompileResult compiled = compile(db, name);
            assertEquals(CompileResult.Outcome.UNSUPPORTED, compiled.outcome(), compiled::describe);
            Map<String, Object> status = rows(db, "SELECT * FROM pgtrickle.pgt_status() WHERE name = ?", "public." + name).get(0);
            assertEquals("FULL", status.get("effective_mode"), status::toString);
            assertTrue(((String) status.get("mode_reason")).contains("clock")
                    || ((String) status.get("mode_reason")).contains("precision"), status::toString);
            SQLException refused = assertThrows(SQLException.class, () -> rows(db,
                    "SELECT pgtrickle.alter_stream_table(?, refresh_mode => 'DIFFERENTIAL')", name));
            assertEquals("0A000", refused.getSQLState(), refused::getMessage);
        }
    }

    @Test
    void timeArithmeticThatDoesNotReadTheClockStaysDifferential() throws SQLException {
        String query = "SELECT id, age(ts, '2020-01-01'::timestamptz) AS since, date_trunc('day', lts) AS day,"
                + " ts + interval '1 hour' AS later FROM cq_events";
        rows(db, "SELECT 1 FROM pgtrickle.create_stream_table('cq_plain', ?)", query);
        CompileResult compiled = compile(db, "cq_plain");
        assertEquals(CompileResult.Outcome.COMPILED, compiled.outcome(), compiled::describe);
    }

    /**
     * Rows enter and leave sliding windows while time passes, with and without source changes;
     * after every refresh the stream table equals its query evaluated in the refresh's own
     * transaction (same now()): refreshed DIFFERENTIAL, or found unchanged when no row was due.
     */
    @Test
    void slidingWindowsEqualTheirQueryAtEveryRefresh() throws Exception {
        db.execute("CREATE TABLE cq_win (id int PRIMARY KEY, ts timestamptz NOT NULL, lts timestamp NOT NULL, grp int)");
        Map<String, String> windows = Map.of(
                "win_rows", "SELECT id, grp FROM cq_win WHERE ts > now() - interval '1 second'",
                "win_groups", "SELECT grp, count(*) AS n FROM cq_win WHERE ts > current_timestamp - interval '800 milliseconds'"
                        + " AND ts <= current_timestamp + interval '300 milliseconds' GROUP BY grp",
                "win_local", "SELECT id FROM cq_win WHERE lts > localtimestamp - interval '1 second'");
        for (Map.Entry<String, String> window : windows.entrySet()) {
            rows(db, "SELECT 1 FROM pgtrickle.create_stream_table(?, ?)", window.getKey(), window.getValue());
            assertEquals(CompileResult.Outcome.COMPILED, compile(db, window.getKey()).outcome());
        }
        try (Connection connection = db.connect()) {
            for (int seed = 1; seed <= SEEDS; seed++) {
                Random random = new Random(seed);
                try (Statement statement = connection.createStatement()) {
                    statement.execute("DELETE FROM cq_win");
                }
                for (int round = 0; round < ROUNDS; round++) {
                    String context = "seed " + seed + ", round " + round;
                    writeSomething(connection, random);
                    Thread.sleep(100 + random.nextInt(300));
                    connection.setAutoCommit(false);
                    for (Map.Entry<String, String> window : windows.entrySet()) {
                        call(connection, "SELECT pgtrickle.refresh_stream_table(?)", window.getKey());
                        Oracle.assertStreamTableMatchesQuery(connection, window.getKey(), window.getValue());
                        String action = lastAction(connection, window.getKey());
                        assertTrue(action.equals("DIFFERENTIAL") || action.equals("NO_DATA"),
                                () -> window.getKey() + ", " + context + ": " + action);
                    }
                    connection.commit();
                    connection.setAutoCommit(true);
                }
            }
        }
    }

    /**
     * A frozen clock moved by seconds to minutes, now and then back: rows enter and leave with and
     * without source changes (NULL times, key changes, rows from the future, a join, a date
     * window), and after every refresh each stream table equals its query evaluated at the clock.
     */
    @Test
    void windowsFollowAFrozenClockMovedByMinutes() throws Exception {
        db.execute("CREATE TABLE cq_flow (id int PRIMARY KEY, ts timestamptz, kind int, amount int);"
                + " CREATE INDEX ON cq_flow (ts);"
                + " CREATE TABLE cq_kinds (kind int PRIMARY KEY, name text);"
                + " INSERT INTO cq_kinds SELECT g, 'kind ' || g FROM generate_series(0, 2) g");
        String[] windows = {
            "fw_rows", "SELECT id, kind, amount FROM cq_flow WHERE ts > now() - interval '5 minutes'",
            "fw_kinds", "SELECT kind, count(*) AS n, sum(amount) AS total FROM cq_flow"
                    + " WHERE ts > now() - interval '10 minutes' AND ts <= now() GROUP BY kind",
            "fw_named", "SELECT f.id, k.name FROM cq_flow f JOIN cq_kinds k ON k.kind = f.kind"
                    + " WHERE f.ts BETWEEN now() - interval '2 minutes' AND now() + interval '1 minute'",
            "fw_days", "SELECT id, amount FROM cq_flow WHERE ts::date >= current_date - 1"};
        Instant clock = Instant.parse("2026-01-01T23:30:00Z");
        try {
            setClock(clock);
            for (int i = 0; i < windows.length; i += 2) {
                rows(db, "SELECT 1 FROM pgtrickle.create_stream_table(?, ?)", windows[i], windows[i + 1]);
                assertEquals(CompileResult.Outcome.COMPILED, compile(db, windows[i]).outcome(), windows[i]);
            }
            Random random = new Random(13);
            for (int round = 0; round < ROUNDS * 6; round++) {
                StringBuilder step = new StringBuilder();
                for (int change = random.nextInt(4); change > 0; change--) {
                    int id = random.nextInt(40);
                    String ts = random.nextInt(10) == 0 ? "NULL"
                            : "'" + clock.plusSeconds(random.nextInt(1200) - 900) + "'::timestamptz";
                    step.append(switch (random.nextInt(4)) {
                        case 0 -> "INSERT INTO cq_flow VALUES (" + id + ", " + ts + ", " + random.nextInt(3) + ", "
                                + random.nextInt(100) + ") ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts;";
                        case 1 -> "UPDATE cq_flow SET ts = " + ts + " WHERE id = " + id + ";";
                        case 2 -> "UPDATE cq_flow SET id = id + 40, kind = " + random.nextInt(3) + " WHERE id = " + id + ";";
                        default -> "DELETE FROM cq_flow WHERE id % 40 = " + id + ";";
                    });
                }
                if (step.length() > 0) {
                    db.execute(step.toString());
                }
                clock = clock.plusSeconds(random.nextInt(12) == 0 ? -90 : random.nextInt(240));
                setClock(clock);
                for (int i = 0; i < windows.length; i += 2) {
                    String name = windows[i];
                    DifferentialRefreshTest.refresh(db, name);
                    String action = (String) DifferentialRefreshTest.lastRefresh(db, name).get("action");
                    int at = round;
                    assertTrue(action.equals("DIFFERENTIAL") || action.equals("NO_DATA"),
                            () -> name + ", round " + at + ": " + action);
                    DifferentialRefreshTest.assertCorrect(db, name, atTheClock(windows[i + 1]));
                }
            }
        } finally {
            db.execute("ALTER DATABASE \"" + db.databaseName() + "\" RESET pgtrickle.test_clock");
        }
    }

    /**
     * The time the next row enters or leaves is recorded at each refresh: before it, a refresh
     * finds nothing to do (no source changed, no row due); after it, the row leaves.
     */
    @Test
    void aRefreshBeforeTheNextRowIsDueHasNothingToDo() throws Exception {
        Instant clock = Instant.parse("2026-03-01T08:00:00Z");
        String query = "SELECT id FROM cq_due WHERE ts > now() - interval '5 minutes'";
        try {
            setClock(clock);
            db.execute("CREATE TABLE cq_due (id int PRIMARY KEY, ts timestamptz);"
                    + " INSERT INTO cq_due VALUES (1, '" + clock.minusSeconds(240) + "'), (2, '" + clock.minusSeconds(120) + "')");
            rows(db, "SELECT 1 FROM pgtrickle.create_stream_table('cq_due_window', ?)", query);
            assertEquals(CompileResult.Outcome.COMPILED, compile(db, "cq_due_window").outcome());
            DifferentialRefreshTest.refresh(db, "cq_due_window");
            assertEquals(clock.plusSeconds(60).toString(), nextDue());

            setClock(clock.plusSeconds(30));
            DifferentialRefreshTest.refresh(db, "cq_due_window");
            assertEquals("NO_DATA", DifferentialRefreshTest.lastRefresh(db, "cq_due_window").get("action"));
            assertEquals(2, db.queryLong("SELECT count(*) FROM cq_due_window"));

            setClock(clock.plusSeconds(61));
            DifferentialRefreshTest.refresh(db, "cq_due_window");
            Map<String, Object> last = DifferentialRefreshTest.lastRefresh(db, "cq_due_window");
            assertEquals("DIFFERENTIAL", last.get("action"), last::toString);
            assertEquals(1L, ((Number) last.get("rows_deleted")).longValue(), last::toString);
            assertEquals(clock.plusSeconds(180).toString(), nextDue());
            DifferentialRefreshTest.assertCorrect(db, "cq_due_window", atTheClock(query));
        } finally {
            db.execute("ALTER DATABASE \"" + db.databaseName() + "\" RESET pgtrickle.test_clock");
        }
    }

    private String nextDue() throws SQLException {
        return value(db, "SELECT to_char(clock_next_due AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                + " FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'cq_due_window'");
    }

    /** Freezes the clock every new connection of the test database reads. */
    private void setClock(Instant clock) throws SQLException {
        db.execute("ALTER DATABASE \"" + db.databaseName() + "\" SET pgtrickle.test_clock = '" + clock + "'");
    }

    /** The query evaluated at the frozen clock. */
    private static String atTheClock(String query) {
        return query.replace("now()", "pgtrickle._clock()").replace("current_date", "pgtrickle._clock()::date");
    }

    /** Nothing, or a few inserts, updates and deletes with times around now. */
    private static void writeSomething(Connection connection, Random random) throws SQLException {
        int statements = random.nextInt(4);
        for (int i = 0; i < statements; i++) {
            int id = random.nextInt(30);
            double offset = -1.5 + random.nextDouble() * 3;
            switch (random.nextInt(3)) {
                case 0 -> call(connection, "INSERT INTO cq_win VALUES (?, clock_timestamp() + ? * interval '1 second',"
                        + " localtimestamp + ? * interval '1 second', ?) ON CONFLICT (id) DO NOTHING",
                        id, offset, offset, random.nextInt(3));
                case 1 -> call(connection, "UPDATE cq_win SET ts = clock_timestamp() + ? * interval '1 second',"
                        + " lts = localtimestamp + ? * interval '1 second' WHERE id = ?", offset, offset, id);
                default -> call(connection, "DELETE FROM cq_win WHERE id = ?", id);
            }
        }
    }

    /** With no source change at all, the daemon's refreshes still let rows leave the window. */
    @Test
    void theDaemonKeepsAClockWindowCurrentWithoutSourceChanges() throws Exception {
        db.execute("CREATE TABLE cq_future (id int PRIMARY KEY, ts timestamptz NOT NULL);"
                + " INSERT INTO cq_future SELECT g, now() + interval '1500 milliseconds' FROM generate_series(1, 5) g");
        db.execute("SELECT pgtrickle.create_stream_table('cq_upcoming', 'SELECT id FROM cq_future WHERE ts > now()',"
                + " schedule => '1s')");
        assertEquals(5, db.queryLong("SELECT count(*) FROM cq_upcoming"));
        try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
            Eventually.await("the daemon to lead", () -> daemon.daemon().role() == Daemon.Role.LEADER);
            Eventually.await("the rows to leave the window", () -> db.queryLong("SELECT count(*) FROM cq_upcoming") == 0);
        }
        Oracle.assertStreamTableMatchesQuery(db, "cq_upcoming", "SELECT id FROM cq_future WHERE ts > now()");
    }

    /**
     * The reference documentation's fraud-detection window, created as written and kept by the
     * daemon alone: an account whose transactions age out of the five minutes leaves, with no
     * source change, refreshed differentially.
     */
    @Test
    void theReferenceHighVelocityAccountsWindowFollowsTheClock() throws Exception {
        String query = """
                SELECT account_id, COUNT(*) AS txn_count, SUM(amount) AS total
                      FROM transactions
                      WHERE occurred_at >= now() - interval '5 minutes'
                      GROUP BY account_id
                      HAVING COUNT(*) > 20""";
        db.execute("CREATE TABLE transactions (id serial PRIMARY KEY, account_id int, amount numeric(12,2),"
                + " occurred_at timestamptz NOT NULL DEFAULT now()); CREATE INDEX ON transactions (occurred_at);"
                + " INSERT INTO transactions (account_id, amount, occurred_at)"
                + "   SELECT 1, g, now() - interval '4 minutes 57 seconds' FROM generate_series(1, 25) g;"
                + " INSERT INTO transactions (account_id, amount) SELECT 2, g FROM generate_series(1, 30) g");
        db.execute("""
                SELECT pgtrickle.create_stream_table(
                    'high_velocity_accounts',
                    $$""" + query + """
                $$,
                    schedule => '1s'
                )""");
        assertEquals(2, db.queryLong("SELECT count(*) FROM high_velocity_accounts"));
        try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
            Eventually.await("the daemon to compile it", () -> "DIFFERENTIAL".equals(db.queryString(
                    "SELECT effective_mode FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'high_velocity_accounts'")));
            Eventually.await("account 1 to leave the window", () -> db.queryLong(
                    "SELECT count(*) FROM high_velocity_accounts WHERE account_id = 1") == 0);
        }
        Oracle.assertStreamTableMatchesQuery(db, "high_velocity_accounts", query);
        String history = "SELECT count(*) FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables st"
                + " USING (pgt_id) WHERE st.pgt_name = 'high_velocity_accounts' AND h.initiated_by = 'SCHEDULER'";
        assertTrue(db.queryLong(history + " AND h.action = 'DIFFERENTIAL'") > 0, "refreshed differentially");
        assertEquals(0L, db.queryLong(history + " AND h.action NOT IN ('DIFFERENTIAL', 'NO_DATA') AND h.refresh_id >"
                + " (SELECT min(d.refresh_id) FROM pgtrickle.pgt_refresh_history d WHERE d.pgt_id = h.pgt_id"
                + " AND d.action = 'DIFFERENTIAL')"), "never FULL once compiled");
    }

    private static void call(Connection connection, String sql, Object... arguments) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < arguments.length; i++) {
                statement.setObject(i + 1, arguments[i]);
            }
            statement.execute();
        }
    }

    private static String lastAction(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT h.action FROM pgtrickle.pgt_refresh_history h"
                + " JOIN pgtrickle.pgt_stream_tables st USING (pgt_id) WHERE st.pgt_name = ? ORDER BY h.refresh_id DESC LIMIT 1")) {
            statement.setString(1, name);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getString(1);
            }
        }
    }
}
