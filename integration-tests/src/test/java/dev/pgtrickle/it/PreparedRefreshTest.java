package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A session plans a stream table's refresh statement once and runs it as a prepared statement
 * afterwards (see docs/architecture.md, "Prepared refresh statements"), but never one that the
 * session's user could have put in its place while the refresh runs with other rights.
 */
@PostgresTest
class PreparedRefreshTest {

    private static final String QUERY = "SELECT k, sum(v) AS total, count(*) AS n FROM prep_src GROUP BY k";

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    /** Name, generic and custom plan counts of this session's prepared refresh statements. */
    private static List<String> prepared(Statement statement) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (ResultSet r = statement.executeQuery("SELECT name, generic_plans, custom_plans FROM pg_prepared_statements"
                + " WHERE name LIKE 'pgt\\_refresh\\_%' ORDER BY name")) {
            while (r.next()) {
                rows.add(r.getString(1) + " " + r.getLong(2) + " " + r.getLong(3));
            }
        }
        return rows;
    }

    @Test
    void aSessionPlansTheStatementOnceAndPreparesItAgainWhenItsTextChanges(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE prep_src (id int PRIMARY KEY, k int, v int)");
        db.execute("INSERT INTO prep_src SELECT g, g % 5, g FROM generate_series(1, 50) g");
        db.execute("SELECT pgtrickle.create_stream_table('prep_st', '" + QUERY + "', refresh_mode => 'DIFFERENTIAL')");
        DifferentialRefreshTest.compile(db, "prep_st");
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            for (int round = 1; round <= 3; round++) {
                statement.execute("UPDATE prep_src SET v = v + " + round + " WHERE id % 7 = " + round);
                statement.execute("DELETE FROM prep_src WHERE id = " + (40 + round));
                statement.execute("SELECT pgtrickle.refresh_stream_table('prep_st')");
                DifferentialRefreshTest.assertDifferential(db, "prep_st", QUERY);
            }
            List<String> first = prepared(statement);
            assertEquals(1, first.size(), first.toString());
            assertTrue(first.get(0).endsWith(" 3 0"), "planned once, run three times with the generic plan: " + first);

            // A renamed storage table changes the statement's text: the old one is replaced.
            statement.execute("ALTER TABLE prep_st RENAME TO prep_st2");
            statement.execute("INSERT INTO prep_src VALUES (5000, 1, 1)");
            statement.execute("SELECT pgtrickle.refresh_stream_table('prep_st2')");
            DifferentialRefreshTest.assertDifferential(db, "prep_st2", QUERY);
            List<String> second = prepared(statement);
            assertEquals(1, second.size(), second.toString());
            assertNotEquals(first.get(0).split(" ")[0], second.get(0).split(" ")[0]);
        }
    }

    @Test
    void aRoleTheSessionMaySetRoleToUsesPreparedStatementsButASecurityDefinerFunctionDoesNot(TestDatabase db)
            throws SQLException {
        db.createRole("prep_owner", "owner-pw", "NOLOGIN", "NOSUPERUSER");
        db.createRole("prep_member", "member-pw", "LOGIN", "NOSUPERUSER");
        db.createRole("prep_caller", "caller-pw", "LOGIN", "NOSUPERUSER");
        db.execute("GRANT CREATE ON SCHEMA public TO prep_owner");
        db.execute("GRANT prep_owner TO prep_member");
        db.execute("CREATE TABLE prep_canary (note text)");
        db.execute("GRANT INSERT ON prep_canary TO prep_owner");
        String query = "SELECT id, v FROM owned_prep_src WHERE v > 2";
        try (Connection member = db.connectAs("prep_member", "member-pw"); Statement statement = member.createStatement()) {
            statement.execute("SET ROLE prep_owner");
            statement.execute("CREATE TABLE owned_prep_src (id int PRIMARY KEY, v int)");
            statement.execute("INSERT INTO owned_prep_src SELECT g, g FROM generate_series(1, 10) g");
            statement.execute("SELECT pgtrickle.create_stream_table('owned_prep_st', '" + query
                    + "', refresh_mode => 'DIFFERENTIAL')");
            statement.execute("CREATE FUNCTION refresh_owned_prep() RETURNS void LANGUAGE sql SECURITY DEFINER"
                    + " SET search_path = pg_catalog AS $$ SELECT pgtrickle.refresh_stream_table('public.owned_prep_st') $$");
            statement.execute("GRANT EXECUTE ON FUNCTION refresh_owned_prep() TO prep_caller");
            DifferentialRefreshTest.compile(db, "owned_prep_st");
            // Like the daemon: SET ROLE to the owner, which the session's user may do anyway.
            statement.execute("INSERT INTO owned_prep_src VALUES (11, 11)");
            statement.execute("SELECT pgtrickle.refresh_stream_table('owned_prep_st')");
            assertEquals(1, prepared(statement).size());
        }
        DifferentialRefreshTest.assertDifferential(db, "owned_prep_st", query);

        try (Connection caller = db.connectAs("prep_caller", "caller-pw"); Statement statement = caller.createStatement()) {
            // The caller plants a statement under the name the refresh would look for.
            String name;
            try (ResultSet r = statement.executeQuery("SELECT format('pgt_refresh_%s_refresh_%s', pgt_id,"
                    + " md5(pgtrickle._plan_statement(st, plan ->> 'refresh')))"
                    + " FROM pgtrickle.pgt_stream_tables st WHERE pgt_name = 'owned_prep_st'")) {
                assertTrue(r.next());
                name = r.getString(1);
            }
            statement.execute("PREPARE \"" + name + "\" (pg_snapshot, xid8, bigint) AS"
                    + " INSERT INTO prep_canary SELECT 'planted statement ran'");
            db.execute("UPDATE owned_prep_src SET v = 0 WHERE id = 5");
            statement.execute("SELECT public.refresh_owned_prep()");
            assertEquals(List.of(name + " 0 0"), prepared(statement), "the planted statement was never run");
        }
        DifferentialRefreshTest.assertDifferential(db, "owned_prep_st", query);
        assertEquals(0, db.queryLong("SELECT count(*) FROM prep_canary"));
    }

    /**
     * The session remembers the names it prepared instead of listing its statements at every
     * refresh; a statement deallocated behind that memory (DEALLOCATE ALL, also inside the
     * refreshing transaction) is prepared again, for the refresh statement and a moving time
     * window's next-due query alike.
     */
    @Test
    void aStatementDeallocatedBehindTheSessionsMemoryIsPreparedAgain(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE prep_events (id int PRIMARY KEY, k int, ts timestamptz)");
        db.execute("INSERT INTO prep_events SELECT g, g % 3, now() - g * interval '1 hour' FROM generate_series(1, 30) g");
        // Half an hour from the nearest row: no row enters or leaves the window while the test runs.
        String window = "SELECT k, count(*) AS n FROM prep_events WHERE ts > now() - interval '10 hours 30 minutes' GROUP BY k";
        db.execute("SELECT pgtrickle.create_stream_table('prep_window', $q$" + window + "$q$, refresh_mode => 'DIFFERENTIAL')");
        DifferentialRefreshTest.compile(db, "prep_window");
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO prep_events VALUES (100, 1, now())");
            statement.execute("SELECT pgtrickle.refresh_stream_table('prep_window')");
            assertEquals(2, prepared(statement).size(), "the refresh and the next-due query");

            statement.execute("DEALLOCATE ALL");
            statement.execute("INSERT INTO prep_events VALUES (101, 2, now())");
            statement.execute("SELECT pgtrickle.refresh_stream_table('prep_window')");
            DifferentialRefreshTest.assertDifferential(db, "prep_window", window);
            assertEquals(2, prepared(statement).size());

            connection.setAutoCommit(false);
            statement.execute("DELETE FROM prep_events WHERE id = 100");
            statement.execute("DEALLOCATE ALL");
            statement.execute("SELECT pgtrickle.refresh_stream_table('prep_window')");
            connection.commit();
            DifferentialRefreshTest.assertDifferential(db, "prep_window", window);
            assertEquals(2, prepared(statement).size());
            connection.setAutoCommit(true);
        }
    }
}
