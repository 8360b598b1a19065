package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.compile;
import static dev.pgtrickle.it.DifferentialRefreshTest.createCompiledDifferential;
import static dev.pgtrickle.it.DifferentialRefreshTest.createStreamTable;
import static dev.pgtrickle.it.DifferentialRefreshTest.refreshEachDifferentially;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The aggregates beyond count, sum and avg, end to end: MIN and MAX kept with their extreme and
 * its copies; FILTER; the aggregates recomputed over the touched groups (string_agg, array_agg,
 * the JSON, bool and bit aggregates, count(DISTINCT …)); aggregates inside queries. The oracle
 * after every refresh.
 */
@PostgresTest
class AggregateFunctionsTest {

    private static final String EXTREMES = "SELECT g, min(v) AS lo, max(v) AS hi, max(s) AS hs, count(*) AS n"
            + " FROM ag_t GROUP BY g";
    private static final String GLOBAL = "SELECT min(v) AS lo, max(v) FILTER (WHERE s <> 'z') AS hi FROM ag_t";

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
    }

    @Test
    void extremesKeepTheirCopiesAndAGroupIsReadAgainOnlyWhenItsLastCopyLeaves(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE ag_t (id int PRIMARY KEY, g text, v int, s text)");
        db.execute("CREATE INDEX ON ag_t (g)");
        db.execute("INSERT INTO ag_t VALUES (1, 'a', 1, 'x'), (2, 'a', 1, 'y'), (3, 'a', 5, 'x'),"
                + " (4, 'b', 2, 'q'), (5, 'b', 9, 'z'), (6, 'c', NULL, NULL)");
        createCompiledDifferential(db, "ag_ext", EXTREMES, "AGGREGATE");
        createCompiledDifferential(db, "ag_glob", GLOBAL, "AGGREGATE");
        assertEquals("1|2", state(db, "a"), "the minimum 1 and its two copies");
        assertEquals("null|0", state(db, "c"), "a group of NULLs has no extreme");

        db.execute("DELETE FROM ag_t WHERE id = 1");
        refresh(db);
        assertEquals("1|1", state(db, "a"), "one copy left: the minimum stays, nothing is read again");

        db.execute("DELETE FROM ag_t WHERE id = 2");
        refresh(db);
        assertEquals("5|1", state(db, "a"), "the last copy left: the group's rows give the next one");

        db.execute("INSERT INTO ag_t VALUES (7, 'b', 0, 'a'), (8, 'b', 0, 'b'), (9, 'c', 3, 'c')");
        refresh(db);
        assertEquals("0|2", state(db, "b"));
        assertEquals("3|1", state(db, "c"));

        // A row moving between groups, an extreme replaced in one statement, a group vanishing.
        db.execute("UPDATE ag_t SET g = 'a' WHERE id = 5");
        db.execute("UPDATE ag_t SET v = -1 WHERE id = 7");
        db.execute("DELETE FROM ag_t WHERE g = 'c'");
        refresh(db);
        assertEquals("-1|1", state(db, "b"));

        // Deleted and inserted again within one refresh: the net count at the extreme is zero.
        db.execute("DELETE FROM ag_t WHERE id = 7");
        db.execute("INSERT INTO ag_t VALUES (7, 'b', -1, 'a')");
        db.execute("UPDATE ag_t SET v = v + 10 WHERE g = 'a'");
        refresh(db);
        db.execute("DELETE FROM ag_t");
        refresh(db);
        assertEquals(0, DifferentialRefreshTest.number(db, "SELECT count(*) FROM ag_ext"));
        db.execute("INSERT INTO ag_t VALUES (1, 'a', 4, 'z'), (2, 'a', 4, 'y')");
        refresh(db);
    }

    @Test
    void otherAggregatesAreRecomputedOverTheTouchedGroups(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE ag_o (id int PRIMARY KEY, customer int, item text, qty int, flags bit(4))");
        db.execute("CREATE TABLE ag_c (id int PRIMARY KEY, region text)");
        db.execute("INSERT INTO ag_c VALUES (1, 'north'), (2, 'south'), (3, 'north')");
        db.execute("INSERT INTO ag_o VALUES (1, 1, 'pen', 2, B'0011'), (2, 1, 'ink', 1, B'0110'),"
                + " (3, 2, 'pen', 5, B'1111'), (4, 3, NULL, 3, NULL)");
        String perRegion = "SELECT c.region, string_agg(o.item, ', ' ORDER BY o.item) AS items,"
                + " array_agg(o.qty ORDER BY o.qty) AS quantities, count(DISTINCT o.item) AS kinds,"
                + " jsonb_agg(o.item ORDER BY o.id) FILTER (WHERE o.qty > 1) AS big,"
                + " bool_and(o.qty > 1) AS all_big, bit_or(o.flags) AS flags, count(*) FILTER (WHERE o.item = 'pen') AS pens"
                + " FROM ag_o o JOIN ag_c c ON c.id = o.customer GROUP BY c.region";
        createCompiledDifferential(db, "ag_rec", perRegion, "GROUP_RESCAN");

        db.execute("INSERT INTO ag_o VALUES (5, 3, 'cap', 1, B'1000')");
        db.execute("UPDATE ag_o SET item = 'nib' WHERE id = 1");
        refreshEachDifferentially(db, "ag_rec", perRegion);
        db.execute("UPDATE ag_c SET region = 'south' WHERE id = 3");
        refreshEachDifferentially(db, "ag_rec", perRegion);
        db.execute("DELETE FROM ag_o WHERE customer = 2");
        db.execute("UPDATE ag_o SET qty = NULL WHERE id = 2");
        refreshEachDifferentially(db, "ag_rec", perRegion);
    }

    @Test
    void distinctValuesAreCountedPerValueAndAGroupChangesOnlyWhereAValueAppearsOrLeaves(TestDatabase db)
            throws SQLException {
        db.execute("CREATE TABLE ag_d (id int PRIMARY KEY, g text, amount numeric)");
        db.execute("CREATE INDEX ON ag_d (g)");
        // x and -x are different values (PostgreSQL hashes a numeric without its sign), as are
        // NaN and the infinities (hashed alike); 1.0 and 1.00 are one value.
        db.execute("INSERT INTO ag_d VALUES (1, 'a', 1.5), (2, 'a', -1.5), (3, 'a', 1.5), (4, 'b', 'NaN'),"
                + " (5, 'b', 'Infinity'), (6, 'b', '-Infinity'), (7, 'b', NULL), (8, 'c', 1.0), (9, 'c', 1.00)");
        String distinct = "SELECT g, count(DISTINCT amount) AS kinds, sum(DISTINCT amount) FILTER (WHERE amount < 100)"
                + " AS total, avg(DISTINCT amount) AS mean, count(*) AS n, max(amount) AS hi FROM ag_d GROUP BY g";
        String overall = "SELECT count(DISTINCT amount) AS kinds, count(amount) AS n FROM ag_d";
        String bySign = "SELECT amount, count(*) AS n FROM ag_d GROUP BY amount";
        createCompiledDifferential(db, "ag_distinct", distinct, "GROUP_RESCAN");
        createCompiledDifferential(db, "ag_overall", overall, "AGGREGATE");
        createCompiledDifferential(db, "ag_sign", bySign, "AGGREGATE");
        assertEquals(2, DifferentialRefreshTest.number(db, "SELECT kinds FROM ag_distinct WHERE g = 'a'"));
        assertEquals(7, DifferentialRefreshTest.number(db, "SELECT count(*) FROM ag_sign"));
        assertEquals(1, DifferentialRefreshTest.number(db, "SELECT count(*) FROM pgtrickle.pgt_stream_tables"
                + " WHERE pgt_name = 'ag_overall' AND jsonb_array_length(plan->'kept_states') = 1"
                + " AND plan->>'refresh' LIKE '%__pgt_per_value%'"),
                "the distinct count reads the values' counts, kept per value");

        db.execute("DELETE FROM ag_d WHERE id = 1");
        db.execute("UPDATE ag_d SET amount = -amount WHERE g = 'b'");
        db.execute("UPDATE ag_d SET amount = 1.000 WHERE id = 8");
        refreshEachDifferentially(db, "ag_distinct", distinct, "ag_overall", overall, "ag_sign", bySign);
        db.execute("DELETE FROM ag_d WHERE id = 3");
        db.execute("INSERT INTO ag_d VALUES (10, 'c', -1), (11, 'd', 'NaN'), (12, 'a', 2)");
        refreshEachDifferentially(db, "ag_distinct", distinct, "ag_overall", overall, "ag_sign", bySign);
        db.execute("DELETE FROM ag_d WHERE g IN ('a', 'b')");
        refreshEachDifferentially(db, "ag_distinct", distinct, "ag_overall", overall, "ag_sign", bySign);
    }

    @Test
    void aggregatesInsideQueries(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE ag_p (id int PRIMARY KEY, supplier int, part text, cost numeric(8,2))");
        db.execute("CREATE TABLE ag_s (id int PRIMARY KEY, name text)");
        db.execute("INSERT INTO ag_s VALUES (1, 's1'), (2, 's2')");
        db.execute("INSERT INTO ag_p VALUES (1, 1, 'bolt', 1.50), (2, 2, 'bolt', 1.20), (3, 1, 'nut', 0.40),"
                + " (4, 2, 'nut', 0.40), (5, 2, 'gear', 7.00)");
        // TPC-H Q2's shape: the cheapest supplier of each part, ties included.
        String cheapest = "SELECT p.part, s.name, p.cost FROM ag_p p JOIN ag_s s ON s.id = p.supplier"
                + " WHERE p.cost = (SELECT min(p2.cost) FROM ag_p p2 WHERE p2.part = p.part)";
        String branches = "SELECT part, max(cost) AS c FROM ag_p GROUP BY part"
                + " UNION ALL SELECT s.name, min(p.cost) FROM ag_p p JOIN ag_s s ON s.id = p.supplier GROUP BY s.name";
        String distinctCounts = "SELECT s.name, d.parts FROM ag_s s"
                + " JOIN (SELECT supplier, count(DISTINCT part) AS parts FROM ag_p GROUP BY supplier) d ON d.supplier = s.id";
        createCompiledDifferential(db, "ag_cheap", cheapest, "CONTENT");
        createCompiledDifferential(db, "ag_branches", branches, "CONTENT");
        createCompiledDifferential(db, "ag_dcount", distinctCounts, "CONTENT");

        db.execute("UPDATE ag_p SET cost = 0.40 WHERE id = 2");
        db.execute("DELETE FROM ag_p WHERE id = 3");
        refreshEachDifferentially(db, "ag_cheap", cheapest, "ag_branches", branches, "ag_dcount", distinctCounts);
        db.execute("INSERT INTO ag_p VALUES (6, 1, 'gear', 6.99), (7, 1, 'nut', 0.40)");
        db.execute("UPDATE ag_p SET part = 'nut' WHERE id = 1");
        refreshEachDifferentially(db, "ag_cheap", cheapest, "ag_branches", branches, "ag_dcount", distinctCounts);
        db.execute("DELETE FROM ag_p WHERE part = 'nut' AND supplier = 2");
        refreshEachDifferentially(db, "ag_cheap", cheapest, "ag_branches", branches, "ag_dcount", distinctCounts);
    }

    @Test
    void anOrderDependentAggregateInsideAQueryIsRefusedWithItsReason(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE ag_r (id int PRIMARY KEY, g int, s text)");
        createStreamTable(db, "ag_refused", "SELECT r.id, l.names FROM ag_r r"
                + " JOIN (SELECT g, string_agg(s, ',') AS names FROM ag_r GROUP BY g) l ON l.g = r.g");
        CompileResult result = compile(db, "ag_refused");
        assertEquals(CompileResult.Outcome.UNSUPPORTED, result.outcome(), result::describe);
        assertTrue(result.detail().contains("string_agg(ag_r.s, ','::text)"), result.detail());
        assertTrue(result.detail().contains("may depend on the order rows are read in"), result.detail());
    }

    /** The stored minimum of group {@code g} and its copies, {@code value|copies}. */
    private static String state(TestDatabase db, String g) throws SQLException {
        return DifferentialRefreshTest.value(db, "SELECT coalesce(__pgt_agg_1_m::text, 'null') || '|' || __pgt_agg_1_c"
                + " FROM ag_ext WHERE g = ?", g);
    }

    private static void refresh(TestDatabase db) throws SQLException {
        refreshEachDifferentially(db, "ag_ext", EXTREMES, "ag_glob", GLOBAL);
    }
}
