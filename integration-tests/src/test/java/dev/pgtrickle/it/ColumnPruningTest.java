package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A refresh reads only the columns its query uses (see docs/architecture.md, "Column pruning"):
 * updates of the other columns leave the stream table as it was, and changes of a read column's
 * text (a numeric's display scale) still reach it.
 */
@PostgresTest
class ColumnPruningTest {

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
    }

    @Test
    void updatesOfUnreadColumnsCancelAndChangesOfTextAreKept(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE pr_src (id int PRIMARY KEY, g text, n numeric, note text, blob jsonb)");
        db.execute("INSERT INTO pr_src SELECT i, 'g' || (i % 3), i * 1.5, 'note ' || i, '{\"a\": 1}'"
                + " FROM generate_series(1, 30) i");
        String rows = "SELECT id, n FROM pr_src WHERE g <> 'g0'";
        String groups = "SELECT g, sum(n) AS total, count(*) AS c FROM pr_src GROUP BY g";
        DifferentialRefreshTest.createCompiled(db, "pr_rows", rows, "KEYED");
        DifferentialRefreshTest.createCompiled(db, "pr_groups", groups, "AGGREGATE");
        String plan = db.queryString("SELECT plan ->> 'refresh' FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'pr_rows'");
        assertFalse(plan.contains("\"note\"") || plan.contains("\"blob\""), "unread columns are not read: " + plan);

        // Unread columns only, a no-op update, and a numerically equal value with another display scale.
        db.execute("UPDATE pr_src SET note = note || '!', blob = '{\"b\": 2}' WHERE id % 2 = 0");
        db.execute("UPDATE pr_src SET g = g WHERE id % 5 = 0");
        db.execute("UPDATE pr_src SET n = 3.00 WHERE id = 2");
        DifferentialRefreshTest.refreshEachDifferentially(db, "pr_rows", rows, "pr_groups", groups);
        assertEquals("3.00", db.queryString("SELECT n::text FROM pr_rows WHERE id = 2"));
        assertEquals(db.queryString("SELECT sum(n)::text FROM pr_src WHERE g = 'g2'"),
                db.queryString("SELECT total::text FROM pr_groups WHERE g = 'g2'"));

        // Keyless duplicates: one copy's unread column changes, another copy is deleted.
        db.execute("CREATE TABLE pr_dup (v int, note text)");
        db.execute("INSERT INTO pr_dup VALUES (1, 'a'), (1, 'a'), (1, 'a'), (2, 'b')");
        String dups = "SELECT v FROM pr_dup";
        DifferentialRefreshTest.createCompiled(db, "pr_dups", dups, "CONTENT");
        db.execute("UPDATE pr_dup SET note = 'z' WHERE ctid = (SELECT min(ctid) FROM pr_dup WHERE v = 1)");
        db.execute("DELETE FROM pr_dup WHERE ctid = (SELECT max(ctid) FROM pr_dup WHERE v = 1)");
        DifferentialRefreshTest.refreshDifferentially(db, "pr_dups", dups);
        assertEquals(2, db.queryLong("SELECT count(*) FROM pr_dups WHERE v = 1"));
    }

    /**
     * A joining query merges the identical rows of each source's changes first (docs/architecture.md,
     * "Merged changes"): an update of unread columns does not reach the join. Changes of a source
     * whose read columns include a type whose equal values may show differently (numeric) are not
     * merged, so a change of how such a value shows still arrives.
     */
    @Test
    void aJoinReadsMergedChangesWhereEqualValuesAreIdentical(TestDatabase db) throws SQLException {
        db.execute("CREATE TYPE pm_mood AS ENUM ('calm', 'busy')");
        db.execute("CREATE DOMAIN pm_tag AS varchar(8)");
        db.execute("CREATE TABLE pm_a (id int PRIMARY KEY, k int, code char(3), day date, mood pm_mood, tag pm_tag,"
                + " n numeric, note text)");
        db.execute("CREATE TABLE pm_b (k int, label varchar(10), amount numeric, note text)");
        db.execute("INSERT INTO pm_a SELECT i, i % 4, 'c' || (i % 3), date '2026-01-01' + i,"
                + " (ARRAY['calm', 'busy'])[1 + i % 2]::pm_mood, 't' || (i % 5), i * 1.5, 'n' || i FROM generate_series(1, 40) i");
        db.execute("INSERT INTO pm_b SELECT k, 'k' || k, k * 2.5, 'x' FROM generate_series(0, 3) k");
        db.execute("INSERT INTO pm_b VALUES (1, 'k1', 2.5, 'y')");
        String joined = "SELECT a.id, a.code, a.day, a.mood, a.tag, b.label, b.amount FROM pm_a a JOIN pm_b b ON b.k = a.k";
        DifferentialRefreshTest.createCompiled(db, "pm_joined", joined, "CONTENT");
        String plan = db.queryString("SELECT plan ->> 'refresh' FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'pm_joined'");
        assertEquals(1, plan.split("GROUP BY __pgt_c1, __pgt_c2, __pgt_c3, __pgt_c4, __pgt_c5, __pgt_c6 HAVING", -1).length - 1,
                () -> "pm_a's changes are merged, pm_b's (numeric) are not: " + plan);

        db.execute("UPDATE pm_a SET note = note || '!', n = n + 1 WHERE id % 2 = 0");
        db.execute("UPDATE pm_a SET code = code WHERE id % 3 = 0");
        DifferentialRefreshTest.refreshDifferentially(db, "pm_joined", joined);
        Map<String, Object> unread = DifferentialRefreshTest.lastRefresh(db, "pm_joined");
        assertEquals(0L, ((Number) unread.get("rows_inserted")).longValue() + ((Number) unread.get("rows_deleted")).longValue(),
                unread::toString);

        db.execute("UPDATE pm_b SET amount = 5.00, note = 'z' WHERE k = 2");
        db.execute("UPDATE pm_a SET code = 'new', k = 3 WHERE id = 5");
        db.execute("UPDATE pm_a SET mood = 'busy', tag = 'moved' WHERE id = 7");
        db.execute("DELETE FROM pm_a WHERE id = 6");
        db.execute("INSERT INTO pm_a VALUES (6, 2, 'c0', date '2026-01-07', 'calm', 't1', 9, 'again')");
        DifferentialRefreshTest.refreshDifferentially(db, "pm_joined", joined);
        String asText = "SELECT string_agg(t::text, ';' ORDER BY t::text) FROM (%s) AS t";
        assertEquals(db.queryString(asText.formatted(joined)),
                db.queryString(asText.formatted("SELECT id, code, day, mood, tag, label, amount FROM pm_joined")));
    }

    /**
     * A table read for none of its columns (only its rows' number, in a threshold counted inside
     * the query) is merged into the net number of rows that came and went.
     */
    @Test
    void aTableReadForNoColumnCountsItsRowsThatCameAndWent(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE pn_teams (id int PRIMARY KEY, name text)");
        db.execute("CREATE TABLE pn_players (id int PRIMARY KEY, team_id int, score int)");
        db.execute("INSERT INTO pn_teams SELECT i, 'team ' || (i % 4) FROM generate_series(1, 10) i");
        db.execute("INSERT INTO pn_players SELECT i, i % 10 + 1, i FROM generate_series(1, 100) i");
        String crowded = "SELECT t.name, count(*) AS n FROM pn_teams t GROUP BY t.name"
                + " HAVING count(*) > (SELECT count(*) / 50 FROM pn_players)";
        DifferentialRefreshTest.createCompiled(db, "pn_crowded", crowded, "CONTENT");
        db.execute("INSERT INTO pn_players SELECT i, 1, i FROM generate_series(101, 160) i");
        db.execute("UPDATE pn_players SET score = score + 1 WHERE id % 3 = 0");
        DifferentialRefreshTest.refreshDifferentially(db, "pn_crowded", crowded);
        db.execute("DELETE FROM pn_players WHERE id > 40");
        db.execute("INSERT INTO pn_teams VALUES (11, 'team 9')");
        DifferentialRefreshTest.refreshDifferentially(db, "pn_crowded", crowded);
        db.execute("DELETE FROM pn_players WHERE id > 20");
        db.execute("INSERT INTO pn_players VALUES (21, 2, 0)");
        DifferentialRefreshTest.refreshDifferentially(db, "pn_crowded", crowded);

        // The same maintained inside the statements (the counts recomputed before and after).
        db.execute("SELECT pgtrickle.create_stream_table('pn_crowded_now', $$" + crowded + "$$, refresh_mode => 'IMMEDIATE')");
        assertEquals(CompileResult.Outcome.COMPILED, DifferentialRefreshTest.compile(db, "pn_crowded_now").outcome());
        try (Connection c = db.connect()) {
            Oracle.assertAfterEachStatement(c, "pn_crowded_now", crowded,
                    "INSERT INTO pn_players SELECT i, 1, i FROM generate_series(200, 260) i",
                    "DELETE FROM pn_players WHERE id > 230",
                    "UPDATE pn_teams SET name = 'team 1' WHERE id = 2");
        }
    }

    /**
     * Each operator over an input read for no column (a join, a filter, a set operation, a
     * LATERAL function or subquery, DISTINCT): refreshed differentially and maintained inside the
     * statements, equal to its query after inserts, updates and deletes of both tables.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT a.id FROM nc_a a CROSS JOIN nc_b b",
        "SELECT count(*) AS n FROM nc_a a JOIN nc_b b ON true",
        "SELECT a.id FROM nc_a a LEFT JOIN nc_b b ON true",
        "SELECT a.id, (SELECT count(*) FROM nc_b) AS n FROM nc_a a",
        "SELECT a.id FROM nc_a a WHERE EXISTS (SELECT 1 FROM nc_b)",
        "SELECT count(*) AS n FROM nc_a a, LATERAL unnest(ARRAY[1, 2]) u",
        "SELECT a.id, s.x FROM nc_a a, LATERAL (SELECT 1 AS x FROM nc_b b LIMIT 1) s",
        "SELECT 1 AS one FROM nc_a UNION ALL SELECT 2 FROM nc_b",
        "SELECT 1 AS one FROM nc_a INTERSECT ALL SELECT 1 FROM nc_b",
        "SELECT DISTINCT 1 AS one FROM nc_a",
    })
    void operatorsOverAnInputReadForNoColumn(String query, TestDatabase db) throws SQLException {
        db.execute("DROP TABLE IF EXISTS nc_a, nc_b CASCADE");
        db.execute("CREATE TABLE nc_a (id int PRIMARY KEY, k int)");
        db.execute("CREATE TABLE nc_b (id int PRIMARY KEY, k int)");
        db.execute("INSERT INTO nc_a SELECT i, i % 3 FROM generate_series(1, 6) i");
        db.execute("INSERT INTO nc_b SELECT i, i % 2 FROM generate_series(1, 4) i");
        for (String mode : new String[] {"DIFFERENTIAL", "IMMEDIATE"}) {
            String name = "nc_" + mode.toLowerCase();
            db.execute("SELECT pgtrickle.create_stream_table('" + name + "', $$" + query + "$$, refresh_mode => '" + mode + "')");
            CompileResult compiled = DifferentialRefreshTest.compile(db, name);
            assertEquals(CompileResult.Outcome.COMPILED, compiled.outcome(), compiled::describe);
        }
        String[] steps = {
            "INSERT INTO nc_b VALUES (10, 1), (11, 1)",
            "UPDATE nc_b SET k = k + 1 WHERE id % 2 = 0",
            "DELETE FROM nc_b",
            "INSERT INTO nc_a VALUES (20, 0)",
            "INSERT INTO nc_b VALUES (12, 0)",
            "UPDATE nc_a SET id = id + 100 WHERE id < 3",
            "DELETE FROM nc_a WHERE id > 4",
        };
        for (String step : steps) {
            db.execute(step);
            DifferentialRefreshTest.refresh(db, "nc_differential");
            DifferentialRefreshTest.assertCorrect(db, "nc_differential", query);
            Oracle.assertStreamTableMatchesQuery(db, "nc_immediate", query);
        }
        db.execute("SELECT pgtrickle.drop_stream_table('nc_differential')");
        db.execute("SELECT pgtrickle.drop_stream_table('nc_immediate')");
    }
}
