package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.catalogRow;
import static dev.pgtrickle.it.DifferentialRefreshTest.compile;
import static dev.pgtrickle.it.DifferentialRefreshTest.rows;
import static dev.pgtrickle.it.DifferentialRefreshTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
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
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Queries whose result moves with time although no source changes (now(), CURRENT_DATE, …) are
 * refreshed FULL, every time: each refresh equals the defining query evaluated at that refresh.
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
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
        db.execute("CREATE TABLE cq_events (id int PRIMARY KEY, ts timestamptz NOT NULL, lts timestamp NOT NULL,"
                + " d date NOT NULL, grp int NOT NULL);"
                + " INSERT INTO cq_events SELECT g, now() - g * interval '1 minute', localtimestamp - g * interval '1 minute',"
                + " current_date - g, g % 3 FROM generate_series(1, 20) g;"
                + " CREATE FUNCTION cq_recent(t timestamptz) RETURNS boolean LANGUAGE sql STABLE"
                + " AS $$SELECT t > now() - interval '5 minutes'$$;"
                + " CREATE VIEW cq_recent_view AS SELECT id, grp FROM cq_events WHERE ts > now() - interval '10 minutes'");
    }

    static Stream<Arguments> clockReaders() {
        return Stream.of(
                Arguments.of("now", "SELECT id FROM cq_events WHERE ts > now() - interval '5 minutes'", "now() reads the clock"),
                Arguments.of("current_timestamp",
                        "SELECT grp, count(*) AS n FROM cq_events WHERE ts > current_timestamp - interval '5 minutes' GROUP BY grp",
                        "CURRENT_TIMESTAMP reads the clock"),
                Arguments.of("current_date", "SELECT id FROM cq_events WHERE d >= current_date - 3", "CURRENT_DATE reads the clock"),
                Arguments.of("localtimestamp", "SELECT id FROM cq_events WHERE lts > localtimestamp(0) - interval '5 minutes'",
                        "LOCALTIMESTAMP reads the clock"),
                Arguments.of("statement_timestamp", "SELECT id, statement_timestamp() - ts AS age FROM cq_events",
                        "statement_timestamp() reads the clock"),
                Arguments.of("transaction_timestamp", "SELECT id FROM cq_events WHERE ts > transaction_timestamp() - interval '1 hour'",
                        "transaction_timestamp() reads the clock"),
                Arguments.of("age", "SELECT id, age(ts) AS a FROM cq_events", "age() reads the clock"),
                Arguments.of("stable_function", "SELECT id FROM cq_events WHERE cq_recent(ts)", "STABLE function public.cq_recent(timestamp with time zone)"),
                Arguments.of("through_a_view", "SELECT grp, count(*) AS n FROM cq_recent_view GROUP BY grp",
                        "now() reads the clock"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clockReaders")
    void aQueryReadingTheClockIsRefreshedFullOrRefusedAsDifferential(String tag, String query, String phrase)
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
     * transaction (same now()). Maintained differentially, or skipped as "unchanged", rows that
     * aged out would stay.
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
            assertEquals(CompileResult.Outcome.NOT_NEEDED, compile(db, window.getKey()).outcome());
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
                        assertEquals("FULL", action, () -> window.getKey() + ", " + context);
                    }
                    connection.commit();
                    connection.setAutoCommit(true);
                }
            }
        }
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
