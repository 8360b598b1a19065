package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.assertCorrect;
import static dev.pgtrickle.it.DifferentialRefreshTest.assertLastAction;
import static dev.pgtrickle.it.DifferentialRefreshTest.createCompiled;
import static dev.pgtrickle.it.DifferentialRefreshTest.refresh;
import static dev.pgtrickle.it.DifferentialRefreshTest.refreshEachDifferentially;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Aggregates inside a query keep their groups' state in a table (docs/architecture.md, "Kept
 * state of aggregates inside a query"): a refresh adds the changes to it instead of reading the
 * touched groups' rows again, a FULL refresh refills it, and it goes with the plan. The oracle
 * throughout, and the kept state against the grouping it keeps.
 */
@PostgresTest
class KeptStateTest {

    /** TPC-H Q13's shape: how many customers have how many orders. */
    private static final String PER_COUNT = "SELECT n, count(*) AS customers FROM (SELECT c.id, count(o.id) AS n"
            + " FROM ks_c c LEFT JOIN ks_o o ON o.cid = c.id AND o.note IS NULL GROUP BY c.id) AS per GROUP BY n";
    /** The grouping PER_COUNT's kept state holds: key, row count, non-NULL count of o.id. */
    private static final String PER_CUSTOMER = "SELECT c.id, count(*), count(o.id) FROM ks_c c"
            + " LEFT JOIN ks_o o ON o.cid = c.id AND o.note IS NULL GROUP BY c.id";
    /**
     * An uncorrelated scalar subquery: one kept row; and the orders it tests, on a column without
     * an index, kept as a copy indexed on it (docs/architecture.md, "Kept rows of a tested input").
     */
    private static final String ABOVE_AVERAGE = "SELECT id, amt FROM ks_o WHERE amt > (SELECT avg(amt) FROM ks_o)";

    private final TestDatabase db;

    KeptStateTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
    }

    private List<String> keptTables(String name) throws SQLException {
        return db.queryList("SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = 'pgtrickle_changes' AND c.relkind = 'r' AND c.relname ~ ('^kept_' || (SELECT f.pgt_id FROM"
                + " pgtrickle._find_stream_table('" + name + "') f) || '_') ORDER BY 1")
                .stream().map(row -> (String) row.get("name")).toList();
    }

    /** The kept groups equal the grouping, and none has a negative count. */
    private void assertKept(String table, String columns, String grouping) throws SQLException {
        String kept = "SELECT " + columns + " FROM pgtrickle_changes." + table;
        assertEquals(0, db.queryLong("SELECT count(*) FROM ((" + kept + " EXCEPT ALL " + grouping + ") UNION ALL ("
                + grouping + " EXCEPT ALL " + kept + ")) AS d"), () -> table + " differs from " + grouping);
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle_changes." + table + " WHERE __pgt_count < 0"));
    }

    /**
     * The catalog builds the index expressions of kept sums itself: columns that are not sums of
     * the table (or names that are not column names at all) are refused, nothing is created.
     */
    @Test
    void keptStateIndexesOnlyItsOwnSums() throws SQLException {
        db.execute("CREATE TABLE kx_t (id int PRIMARY KEY, g int, v int)");
        createCompiled(db, "kx_st", "SELECT g, s FROM (SELECT g, sum(v) AS s FROM kx_t GROUP BY g) q", "CONTENT");
        long pgtId = db.queryLong("SELECT pgt_id FROM pgtrickle._find_stream_table('kx_st')");
        String columns = "ARRAY['__pgt_row_id', '__pgt_agg_1_n', '__pgt_agg_1_s']::name[], ARRAY['bytea', 'int8',"
                + " 'int8']::regtype[]::oid[], ARRAY[-1, -1, -1]";
        for (String sums : List.of("ARRAY['__pgt_agg_2_s']", "ARRAY['__pgt_row_id']",
                "ARRAY['__pgt_agg_1_s) OR (true']")) {
            try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
                connection.setAutoCommit(false);
                statement.execute("SELECT pgtrickle._locked(" + pgtId + ")");
                SQLException refused = assertThrows(SQLException.class,
                        () -> statement.execute("SELECT pgtrickle._create_kept_state(" + pgtId + ", 9, " + columns
                                + ", '{}', " + sums + "::name[])"));
                assertEquals("22023", refused.getSQLState(), refused::getMessage);
                connection.rollback();
            }
        }
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = 'pgtrickle_changes' AND c.relname = 'kept_" + pgtId + "_9'"));
    }

    /**
     * The groups' table has an index on the tested sum's value, and the refresh statement can read
     * the groups between two thresholds through it: PostgreSQL matches the statement's form of the
     * value with the index's (shown with sequential scans off, as the groups here are few).
     */
    private void assertBandReadThroughTheSumsIndex(String name, String groupsTable) throws SQLException {
        String index = db.queryString("SELECT indexname::text FROM pg_indexes WHERE schemaname = 'pgtrickle_changes'"
                + " AND tablename = '" + groupsTable + "' AND indexdef LIKE '%CASE%WHEN (__pgt_agg_1_n = 0) THEN NULL::numeric"
                + "%ELSE __pgt_agg_1_s%'");
        Map<String, Object> st = db.queryList("SELECT format('PREPARE refresh_statement (pg_snapshot, xid8, bigint) AS %s',"
                + " pgtrickle._plan_statement(s, s.plan ->> 'refresh')) AS prepare,"
                + " format('EXPLAIN EXECUTE refresh_statement (%L, %L, %L)', s.frontier, s.frontier_own_xid,"
                + " s.frontier_own_seq) AS explain FROM pgtrickle._find_stream_table('" + name + "') AS s").get(0);
        StringBuilder plan = new StringBuilder();
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("SET enable_seqscan = off");
            statement.execute((String) st.get("prepare"));
            try (ResultSet lines = statement.executeQuery((String) st.get("explain"))) {
                while (lines.next()) {
                    plan.append(lines.getString(1)).append('\n');
                }
            }
        }
        // A bitmap index scan "on" the index, or an index scan "using" it.
        assertTrue(plan.toString().contains(" on " + index) || plan.toString().contains(" using " + index + " on "),
                () -> index + " unused:\n" + plan);
    }

    /** SQL work on one statement. */
    @FunctionalInterface
    private interface Work {
        void run(Statement statement) throws SQLException;
    }

    /** Runs {@code work} in one transaction of a connection of its own, committed at the end. */
    private void inOneTransaction(Work work) throws SQLException {
        try (Connection writer = db.connect(); Statement statement = writer.createStatement()) {
            writer.setAutoCommit(false);
            work.run(statement);
            writer.commit();
        }
    }

    private void createSources() throws SQLException {
        db.execute("CREATE TABLE ks_c (id int PRIMARY KEY, name text)");
        db.execute("CREATE TABLE ks_o (id int PRIMARY KEY, cid int, amt numeric(10,2), note text)");
        db.execute("INSERT INTO ks_c SELECT g, 'c' || g FROM generate_series(1, 40) g");
        db.execute("INSERT INTO ks_o SELECT g, g % 45, CASE WHEN g % 11 = 0 THEN NULL ELSE g % 17 + 0.25 END,"
                + " CASE WHEN g % 7 = 0 THEN 'special requests' END FROM generate_series(1, 300) g");
    }

    @Test
    void keptGroupsFollowRandomChanges() throws SQLException {
        createSources();
        createCompiled(db, "ks_per_count", PER_COUNT, "AGGREGATE");
        createCompiled(db, "ks_above", ABOVE_AVERAGE, "KEYED");
        List<String> perCount = keptTables("ks_per_count");
        List<String> above = keptTables("ks_above");
        assertEquals(1, perCount.size(), perCount::toString);
        assertEquals(2, above.size(), above::toString);
        assertEquals(1, db.queryLong("SELECT count(*) FROM pg_indexes WHERE schemaname = 'pgtrickle_changes'"
                + " AND tablename = '" + above.get(1) + "' AND indexdef LIKE '%(__pgt_k2)'"), "indexed on amt");
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.explain_stream_table('ks_above') AS line"
                + " WHERE line LIKE 'kept state pgtrickle_changes.\"" + above.get(1) + "\" (also indexed on __pgt_k2): SELECT %'"));
        String ordersColumns = "__pgt_k1, __pgt_k2, __pgt_count";
        String orders = "SELECT id, amt, count(*) FROM ks_o GROUP BY id, amt";
        String perCustomerColumns = "__pgt_k1, __pgt_count, __pgt_agg_1_n";
        String averageColumns = "__pgt_count, __pgt_agg_1_n, __pgt_agg_1_s";
        String average = "SELECT count(*), count(amt), coalesce(sum(amt), 0) FROM ks_o";
        assertKept(perCount.get(0), perCustomerColumns, PER_CUSTOMER);
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.explain_stream_table('ks_per_count') AS line"
                + " WHERE line LIKE 'kept state pgtrickle_changes.\"" + perCount.get(0) + "\": SELECT %'"));

        Random random = new Random(1303);
        int[] nextId = {1000};
        for (int round = 0; round < 12; round++) {
            int newCustomer = 40 + round;
            inOneTransaction(statement -> {
                for (int i = 0; i < 6; i++) {
                    int id = random.nextInt(320);
                    switch (random.nextInt(6)) {
                        case 0 -> statement.execute("INSERT INTO ks_o VALUES (" + nextId[0]++ + ", " + random.nextInt(45)
                                + ", " + (random.nextBoolean() ? "NULL" : random.nextInt(30) + ".50") + ", NULL)");
                        case 1 -> statement.execute("DELETE FROM ks_o WHERE id = " + id);
                        // The key changes: the order moves to another customer, or to none.
                        case 2 -> statement.execute("UPDATE ks_o SET cid = " + (random.nextInt(10) == 0 ? "NULL"
                                : random.nextInt(45)) + " WHERE id = " + id);
                        case 3 -> statement.execute("UPDATE ks_o SET note = CASE WHEN note IS NULL THEN 'x' END,"
                                + " amt = amt + 1 WHERE id = " + id);
                        // Every order of a customer goes: its count drops to zero.
                        case 4 -> statement.execute("DELETE FROM ks_o WHERE cid = " + random.nextInt(45));
                        default -> statement.execute(random.nextBoolean()
                                ? "DELETE FROM ks_c WHERE id = " + random.nextInt(45)
                                : "INSERT INTO ks_c VALUES (" + newCustomer + ", 'new') ON CONFLICT DO NOTHING");
                    }
                }
            });
            refreshEachDifferentially(db, "ks_per_count", PER_COUNT, "ks_above", ABOVE_AVERAGE);
            assertKept(perCount.get(0), perCustomerColumns, PER_CUSTOMER);
            assertKept(above.get(0), averageColumns, average);
            assertKept(above.get(1), ordersColumns, orders);
        }
    }

    @Test
    void aFullRefreshRefillsTheStateWhichGoesWithThePlan() throws SQLException {
        db.execute("CREATE TABLE kf_o (id int PRIMARY KEY, cid int, amt int)");
        db.execute("INSERT INTO kf_o SELECT g, g % 9, g FROM generate_series(1, 100) g");
        String query = "SELECT t, count(*) AS n FROM (SELECT cid, sum(amt) % 3 AS t FROM kf_o GROUP BY cid) s GROUP BY t";
        String grouping = "SELECT cid, count(*), count(amt), coalesce(sum(amt), 0) FROM kf_o GROUP BY cid";
        String columns = "__pgt_k1, __pgt_count, __pgt_agg_1_n, __pgt_agg_1_s";
        createCompiled(db, "kf_st", query, "AGGREGATE");
        String table = keptTables("kf_st").get(0);

        db.execute("TRUNCATE kf_o; INSERT INTO kf_o SELECT g, g % 4, g * 2 FROM generate_series(1, 30) g");
        refresh(db, "kf_st");
        assertLastAction(db, "kf_st", "REINITIALIZE");
        assertCorrect(db, "kf_st", query);
        assertKept(table, columns, grouping);
        db.execute("UPDATE kf_o SET cid = cid + 1 WHERE id % 5 = 0; DELETE FROM kf_o WHERE id < 4");
        refreshEachDifferentially(db, "kf_st", query);
        assertKept(table, columns, grouping);

        // A new query brings a new plan, and the old state goes.
        String grouped = "SELECT t, count(*) AS n FROM (SELECT cid, count(*) AS t FROM kf_o GROUP BY cid) s GROUP BY t";
        db.execute("SELECT pgtrickle.alter_stream_table('kf_st', query => $$" + grouped + "$$)");
        assertEquals(List.of(), keptTables("kf_st"));
        assertEquals(CompileResult.Outcome.COMPILED, DifferentialRefreshTest.compile(db, "kf_st").outcome());
        assertEquals(1, keptTables("kf_st").size());
        db.execute("DELETE FROM kf_o WHERE cid = 2");
        refreshEachDifferentially(db, "kf_st", grouped);

        long pgtId = db.queryLong("SELECT pgt_id FROM pgtrickle._find_stream_table('kf_st')");
        db.execute("SELECT pgtrickle.drop_stream_table('kf_st')");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = 'pgtrickle_changes' AND c.relname LIKE 'kept\\_" + pgtId + "\\_%'"));
    }

    @Test
    void aNonSuperuserOwnerCompilesAndRefreshes() throws SQLException {
        db.createRole("kept_owner", "owner-pw", "LOGIN", "NOSUPERUSER");
        db.execute("GRANT CREATE ON SCHEMA public TO kept_owner");
        // The inner sum is over an unconstrained numeric: its kept state counts scales through
        // the catalog's functions, which the owner's refresh calls.
        String query = "SELECT n, count(*) AS k, sum(sv) AS total FROM (SELECT g, count(*) AS n, sum(v) AS sv FROM ko_t"
                + " GROUP BY g) s GROUP BY n";
        try (Connection owner = db.connectAs("kept_owner", "owner-pw"); Statement statement = owner.createStatement()) {
            statement.execute("CREATE TABLE ko_t (id int PRIMARY KEY, g int, v numeric)");
            statement.execute("INSERT INTO ko_t SELECT i, i % 6, round(i / 3.0, i % 3) FROM generate_series(1, 50) i");
            statement.execute("SELECT pgtrickle.create_stream_table('ko_st', $$" + query + "$$)");
            owner.setAutoCommit(false);
            CompileResult result = new StreamTableCompiler(owner).compile("ko_st");
            owner.commit();
            assertEquals(CompileResult.Outcome.COMPILED, result.outcome(), result::describe);
            owner.setAutoCommit(true);
            statement.execute("UPDATE ko_t SET g = g + 1 WHERE id % 3 = 0; DELETE FROM ko_t WHERE id > 45");
            statement.execute("SELECT pgtrickle.refresh_stream_table('ko_st')");
        }
        assertLastAction(db, "ko_st", "DIFFERENTIAL");
        assertCorrect(db, "ko_st", query);
        assertKept(keptTables("ko_st").get(0), "__pgt_k1, __pgt_count", "SELECT g, count(*) FROM ko_t GROUP BY g");
    }

    /**
     * TPC-H Q11's shape: groups tested in HAVING against a share of the total. Both aggregates are
     * kept, the sums over an unconstrained numeric with their display scales (values of 0 to 4
     * decimals come and go), and the groups meet the moving threshold through a semi join.
     */
    @Test
    void keptNumericSumsShowTheScaleARecomputationShows() throws SQLException {
        String query = "SELECT k, sum(v) AS sv, avg(v) AS av FROM ks_n GROUP BY k"
                + " HAVING sum(v) > (SELECT sum(v) * 0.06 FROM ks_n)";
        db.execute("CREATE TABLE ks_n (id int PRIMARY KEY, k int, v numeric)");
        db.execute("INSERT INTO ks_n SELECT g, g % 20, round((g % 13)::numeric / 3, g % 5) FROM generate_series(1, 200) g");
        createCompiled(db, "ks_share", query, "CONTENT");
        List<String> kept = keptTables("ks_share");
        assertEquals(2, kept.size(), kept::toString);
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.explain_stream_table('ks_share') AS line"
                + " WHERE line LIKE '%Semi join ON%'"), "the threshold is a semi join's test");
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.explain_stream_table('ks_share') AS line"
                + " WHERE line LIKE 'kept state pgtrickle_changes.\"" + kept.get(0)
                + "\" (also indexed on the value of __pgt_agg_1_s): SELECT %'"));
        assertBandReadThroughTheSumsIndex("ks_share", kept.get(0));
        String groups = "SELECT k, count(*), count(v), sum(v)::text, max(scale(v)) FROM ks_n GROUP BY k";
        // The counts per scale are the digits of one number, 20 per scale: its length tells the largest.
        String keptColumns = "__pgt_k1, __pgt_count, __pgt_agg_1_n, CASE WHEN __pgt_agg_1_n > 0 THEN __pgt_agg_1_s::text END,"
                + " CASE WHEN __pgt_agg_1_n > 0 THEN (length(__pgt_agg_1_dc::text) - 1) / 20 END";

        Random random = new Random(1107);
        int[] nextId = {1000};
        for (int round = 0; round < 15; round++) {
            inOneTransaction(statement -> {
                for (int i = 0; i < 5; i++) {
                    int id = random.nextInt(220);
                    String value = random.nextInt(8) == 0 ? "NULL"
                            : "round(" + random.nextInt(400) + "::numeric / 7, " + random.nextInt(5) + ")";
                    switch (random.nextInt(5)) {
                        case 0 -> statement.execute("INSERT INTO ks_n VALUES (" + nextId[0]++ + ", " + random.nextInt(22)
                                + ", " + value + ")");
                        case 1 -> statement.execute("DELETE FROM ks_n WHERE id = " + id);
                        case 2 -> statement.execute("UPDATE ks_n SET v = " + value + " WHERE id = " + id);
                        case 3 -> statement.execute("UPDATE ks_n SET k = " + random.nextInt(22) + " WHERE id = " + id);
                        // The values of the largest scale leave a group, or the whole group goes.
                        default -> statement.execute(random.nextBoolean()
                                ? "DELETE FROM ks_n WHERE k = " + random.nextInt(22) + " AND scale(v) >= 3"
                                : "DELETE FROM ks_n WHERE k = " + random.nextInt(22));
                    }
                }
            });
            refreshEachDifferentially(db, "ks_share", query);
            String shown = "SELECT k, sv::text, av::text FROM ";
            assertEquals(0, db.queryLong("SELECT count(*) FROM ((" + shown + "ks_share EXCEPT ALL " + shown + "(" + query
                    + ") q) UNION ALL (" + shown + "(" + query + ") q EXCEPT ALL " + shown + "ks_share)) AS d"),
                    "sums and averages as text, display scale included");
            assertKept(kept.get(0), keptColumns, groups);
        }
    }
}
