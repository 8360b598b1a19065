package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential refresh, one delta rule per test. Every differential refresh is checked three
 * ways: the refresh history says it really was DIFFERENTIAL, the stream table equals its
 * defining query as a multiset (I3), and the hidden multiplicities are consistent (content
 * strategy: the copies of each row numbered exactly 1..n; aggregate strategy: a positive row
 * count per group, except the one row of an aggregate without GROUP BY).
 *
 * <p>The static helpers are shared with {@link DifferentialModesTest} and {@link CompileCliTest}.
 */
@PostgresTest
class DifferentialRefreshTest {

    private final TestDatabase db;

    DifferentialRefreshTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
        // These tests exercise the delta rules: AUTO must not switch their small tables to FULL
        // (the cost model has tests of its own, AutoModeAndEventsTest).
        db.execute("ALTER DATABASE \"" + db.databaseName() + "\" SET pgtrickle.auto_cost_model = off");
    }

    // ------------------------------------------------------------------------------------------
    // shared helpers

    /** Rows of a parameterized query as maps from column label to value. */
    static List<Map<String, Object>> rows(TestDatabase db, String sql, Object... parameters) throws SQLException {
        try (Connection connection = db.connect()) {
            return rows(connection, sql, parameters);
        }
    }

    static List<Map<String, Object>> rows(Connection connection, String sql, Object... parameters)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                ResultSetMetaData meta = rows.getMetaData();
                List<Map<String, Object>> result = new ArrayList<>();
                while (rows.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int column = 1; column <= meta.getColumnCount(); column++) {
                        row.put(meta.getColumnLabel(column), rows.getObject(column));
                    }
                    result.add(row);
                }
                return result;
            }
        }
    }

    /** The only value of a parameterized query, as text. */
    static String value(TestDatabase db, String sql, Object... parameters) throws SQLException {
        List<Map<String, Object>> result = rows(db, sql, parameters);
        assertEquals(1, result.size(), () -> "one row expected from " + sql + ": " + result);
        Object value = result.get(0).values().iterator().next();
        return value == null ? null : value.toString();
    }

    static long number(TestDatabase db, String sql, Object... parameters) throws SQLException {
        String value = value(db, sql, parameters);
        assertNotNull(value, () -> "a number expected from " + sql);
        return Long.parseLong(value);
    }

    /** Creates a stream table through the SQL API (AUTO, default schedule): PENDING until compiled. */
    static void createStreamTable(TestDatabase db, String name, String query) throws SQLException {
        rows(db, "SELECT 1 FROM pgtrickle.create_stream_table(?, ?)", name, query);
    }

    /** Compiles a stream table in one transaction and commits. */
    static CompileResult compile(TestDatabase db, String name) throws SQLException {
        try (Connection connection = db.connect()) {
            connection.setAutoCommit(false);
            try {
                CompileResult result = new StreamTableCompiler(connection).compile(name);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /**
     * Creates a stream table, compiles it and checks that it got a differential plan of the given
     * strategy and equals its query.
     */
    static void createCompiled(TestDatabase db, String name, String query, String strategy) throws SQLException {
        createStreamTable(db, name, query);
        CompileResult result = compile(db, name);
        assertEquals(CompileResult.Outcome.COMPILED, result.outcome(), result::describe);
        assertEquals(strategy, result.detail(), result::describe);
        Map<String, Object> entry = catalogRow(db, name);
        assertEquals("COMPILED", entry.get("compile_status"), entry::toString);
        assertEquals("DIFFERENTIAL", entry.get("effective_mode"), entry::toString);
        assertCorrect(db, name, query);
    }

    /** {@link #createCompiled}, then refreshed DIFFERENTIAL whatever share of the sources changed. */
    static void createCompiledDifferential(TestDatabase db, String name, String query, String strategy)
            throws SQLException {
        createCompiled(db, name, query, strategy);
        db.execute("SELECT pgtrickle.alter_stream_table('" + name + "', refresh_mode => 'DIFFERENTIAL')");
    }

    static Map<String, Object> catalogRow(TestDatabase db, String name) throws SQLException {
        List<Map<String, Object>> result = rows(db, "SELECT st.pgt_id, st.compile_status, st.effective_mode,"
                + " st.refresh_mode, st.mode_reason, st.compile_error, st.frontier::text AS frontier,"
                + " st.plan IS NOT NULL AS has_plan, st.plan ->> 'strategy' AS strategy"
                + " FROM pgtrickle.pgt_stream_tables st"
                + " WHERE st.pgt_id = (SELECT f.pgt_id FROM pgtrickle._find_stream_table(?) AS f)", name);
        assertEquals(1, result.size(), () -> "catalog row of " + name);
        return result.get(0);
    }

    static void refresh(TestDatabase db, String name) throws SQLException {
        rows(db, "SELECT 1 FROM pgtrickle.refresh_stream_table(?)", name);
    }

    static void refresh(Connection connection, String name) throws SQLException {
        rows(connection, "SELECT 1 FROM pgtrickle.refresh_stream_table(?)", name);
    }

    /** The newest refresh history row of a stream table. */
    static Map<String, Object> lastRefresh(TestDatabase db, String name) throws SQLException {
        List<Map<String, Object>> result = rows(db, "SELECT h.action, h.status, h.rows_inserted, h.rows_updated,"
                + " h.rows_deleted, h.changes_consumed, h.initiated_by, h.frontier::text AS frontier"
                + " FROM pgtrickle.pgt_refresh_history h"
                + " WHERE h.pgt_id = (SELECT f.pgt_id FROM pgtrickle._find_stream_table(?) AS f)"
                + " ORDER BY h.refresh_id DESC LIMIT 1", name);
        assertEquals(1, result.size(), () -> "a refresh history row for " + name);
        return result.get(0);
    }

    static long historyCount(TestDatabase db, String name) throws SQLException {
        return number(db, "SELECT count(*) FROM pgtrickle.pgt_refresh_history h"
                + " WHERE h.pgt_id = (SELECT f.pgt_id FROM pgtrickle._find_stream_table(?) AS f)", name);
    }

    static long consumed(Map<String, Object> historyRow) {
        return ((Number) historyRow.get("changes_consumed")).longValue();
    }

    static void assertLastAction(TestDatabase db, String name, String action) throws SQLException {
        Map<String, Object> last = lastRefresh(db, name);
        assertEquals(action, last.get("action"), () -> "last refresh of " + name + ": " + last);
        assertEquals("COMPLETED", last.get("status"), () -> "last refresh of " + name + ": " + last);
    }

    /** Refreshes and checks the refresh was DIFFERENTIAL and the result correct. */
    static void refreshDifferentially(TestDatabase db, String name, String query) throws SQLException {
        refresh(db, name);
        assertDifferential(db, name, query);
    }

    /** {@link #refreshDifferentially} for each stream table of {@code namesAndQueries} (name, query, ...). */
    static void refreshEachDifferentially(TestDatabase db, String... namesAndQueries) throws SQLException {
        for (int i = 0; i < namesAndQueries.length; i += 2) {
            refreshDifferentially(db, namesAndQueries[i], namesAndQueries[i + 1]);
        }
    }

    /**
     * Runs each of {@code steps} (SQL) and after each refreshes every stream table of
     * {@code queries} ({name, query, …} rows) differentially, checking it against its query.
     */
    static void applyStepsRefreshingEach(TestDatabase db, String[][] queries, String... steps) throws SQLException {
        for (String step : steps) {
            db.execute(step);
            for (String[] query : queries) {
                refreshDifferentially(db, query[0], query[1]);
            }
        }
    }

    /** The last refresh was DIFFERENTIAL, and the stream table is correct. */
    static void assertDifferential(TestDatabase db, String name, String query) throws SQLException {
        assertLastAction(db, name, "DIFFERENTIAL");
        assertCorrect(db, name, query);
    }

    /** The oracle (I3) and the hidden multiplicities. */
    static void assertCorrect(TestDatabase db, String name, String query) throws SQLException {
        Oracle.assertStreamTableMatchesQuery(db, name, query);
        assertHiddenMultiplicities(db, name);
    }

    static List<String> hiddenColumns(TestDatabase db, String name) throws SQLException {
        List<String> names = new ArrayList<>();
        for (Map<String, Object> row : rows(db, "SELECT attname::text AS name FROM pg_attribute"
                + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped AND attname ~ '^__pgt_'"
                + " ORDER BY attnum", name)) {
            names.add((String) row.get("name"));
        }
        return names;
    }

    /**
     * Content strategy ({@code __pgt_dup}): the copies of each {@code __pgt_row_id} are numbered
     * exactly 1..n. Aggregate strategy ({@code __pgt_count}): every group has a positive row count,
     * except the single row of an aggregate without GROUP BY (identity {@code '\x00'}), and the
     * per-call non-NULL counts lie between 0 and the row count.
     */
    static void assertHiddenMultiplicities(TestDatabase db, String name) throws SQLException {
        List<String> hidden = hiddenColumns(db, name);
        if (hidden.contains("__pgt_dup")) {
            List<Map<String, Object>> bad = rows(db, "SELECT g.id::text AS id, g.n, g.dups::text AS dups FROM"
                    + " (SELECT __pgt_row_id AS id, count(*) AS n, array_agg(__pgt_dup ORDER BY __pgt_dup) AS dups"
                    + " FROM " + name + " GROUP BY __pgt_row_id) AS g"
                    + " WHERE g.id IS NULL OR g.dups IS DISTINCT FROM array(SELECT generate_series(1, g.n::int))"
                    + " LIMIT 5");
            assertTrue(bad.isEmpty(), () -> "copies of a row must be numbered 1..n in " + name + ": " + bad);
        }
        if (hidden.contains("__pgt_count")) {
            List<Map<String, Object>> bad = rows(db, "SELECT __pgt_row_id::text AS id, __pgt_count FROM " + name
                    + " WHERE __pgt_count IS NULL OR __pgt_count < 0"
                    + " OR (__pgt_count = 0 AND __pgt_row_id IS DISTINCT FROM '\\x00'::bytea) LIMIT 5");
            assertTrue(bad.isEmpty(), () -> "every group of " + name + " needs a positive row count: " + bad);
            long global = number(db, "SELECT count(*) FROM " + name + " WHERE __pgt_row_id = '\\x00'::bytea");
            if (global > 0) {
                assertEquals(1, number(db, "SELECT count(*) FROM " + name),
                        "an aggregate without GROUP BY has exactly one row");
            }
            for (String column : hidden) {
                if (column.matches("__pgt_agg_\\d+_n")) {
                    long wrong = number(db, "SELECT count(*) FROM " + name + " WHERE " + column + " IS NULL OR "
                            + column + " < 0 OR " + column + " > __pgt_count");
                    assertEquals(0, wrong, "non-NULL count " + column + " of " + name + " within 0..__pgt_count");
                }
            }
        }
    }

    /** Everything stored in a table, hidden columns included, in a stable order (for "unchanged"). */
    static List<String> dump(TestDatabase db, String table) throws SQLException {
        List<String> result = new ArrayList<>();
        for (Map<String, Object> row : rows(db, "SELECT t::text AS r FROM " + table + " AS t ORDER BY 1")) {
            result.add((String) row.get("r"));
        }
        return result;
    }

    private static PSQLExceptionLike expectFailure(Executable action) {
        SQLException e = assertThrows(SQLException.class, action::run);
        return new PSQLExceptionLike(e.getSQLState(), e.getMessage());
    }

    private interface Executable {
        void run() throws SQLException;
    }

    private record PSQLExceptionLike(String sqlState, String message) {
    }

    private static String single(Statement statement, String sql) throws SQLException {
        try (ResultSet result = statement.executeQuery(sql)) {
            assertTrue(result.next(), sql);
            return result.getString(1);
        }
    }

    // ------------------------------------------------------------------------------------------
    // linear operators

    @Test
    void filterAndProjectionWithExpressions() throws SQLException {
        db.execute("CREATE TABLE fp_src (id int PRIMARY KEY, qty int, price numeric(10,2), note text);"
                + " INSERT INTO fp_src SELECT g, g % 7, g * 1.25, CASE WHEN g % 5 = 0 THEN NULL ELSE 'n' || g END"
                + " FROM generate_series(1, 40) g");
        String query = "SELECT id, qty * price AS total, upper(note) AS loud, qty + 1 AS next_qty,"
                + " coalesce(note, '-') || ':' || qty AS label FROM fp_src WHERE qty > 2 AND note IS NOT NULL";
        createCompiled(db, "fp_st", query, "KEYED");

        db.execute("INSERT INTO fp_src VALUES (41, 6, 2.50, 'new'), (42, 1, 9.99, 'filtered out'), (43, 5, 1, NULL)");
        refreshDifferentially(db, "fp_st", query);

        // Rows moving into and out of the filter, expression inputs changing, deletes.
        db.execute("UPDATE fp_src SET qty = 6 WHERE id IN (1, 2, 42);"
                + " UPDATE fp_src SET qty = 0 WHERE id IN (3, 4);"
                + " UPDATE fp_src SET price = price * 2, note = 'changed' WHERE id BETWEEN 10 AND 14;"
                + " UPDATE fp_src SET note = NULL WHERE id = 41;"
                + " UPDATE fp_src SET note = 'back' WHERE id = 43;"
                + " DELETE FROM fp_src WHERE id BETWEEN 30 AND 35");
        refreshDifferentially(db, "fp_st", query);

        // An update that changes nothing visible, and one reverted within the window.
        db.execute("UPDATE fp_src SET price = price WHERE id < 20;"
                + " UPDATE fp_src SET qty = 100 WHERE id = 20; UPDATE fp_src SET qty = 20 % 7 WHERE id = 20");
        refreshDifferentially(db, "fp_st", query);
    }

    // ------------------------------------------------------------------------------------------
    // joins

    private void createJoinSources(String prefix) throws SQLException {
        db.execute("CREATE TABLE " + prefix + "_cust (id int PRIMARY KEY, name text NOT NULL);"
                + " CREATE TABLE " + prefix + "_ord (id int PRIMARY KEY, cust_id int NOT NULL, amount int);"
                + " INSERT INTO " + prefix + "_cust SELECT g, 'c' || g FROM generate_series(1, 6) g;"
                + " INSERT INTO " + prefix + "_ord SELECT g, g % 8, g * 10 FROM generate_series(1, 30) g");
    }

    private static String joinQuery(String prefix) {
        return "SELECT o.id AS order_id, c.name, o.amount FROM " + prefix + "_ord o JOIN " + prefix
                + "_cust c ON o.cust_id = c.id";
    }

    @Test
    void joinWhereOnlyTheLeftSideChanges() throws SQLException {
        createJoinSources("jl");
        String query = joinQuery("jl");
        createCompiled(db, "jl_st", query, "KEYED");

        db.execute("INSERT INTO jl_ord VALUES (31, 1, 5), (32, 7, 5), (33, 6, NULL)");
        refreshDifferentially(db, "jl_st", query);

        db.execute("UPDATE jl_ord SET amount = amount + 1 WHERE cust_id = 2;"
                + " DELETE FROM jl_ord WHERE cust_id = 3;"
                + " UPDATE jl_ord SET cust_id = 0 WHERE id = 1");
        refreshDifferentially(db, "jl_st", query);
    }

    @Test
    void joinWhereOnlyTheRightSideChanges() throws SQLException {
        createJoinSources("jr");
        String query = joinQuery("jr");
        createCompiled(db, "jr_st", query, "KEYED");

        // Customer 7 has orders waiting for it; customer 2 goes, customer 3 is renamed.
        db.execute("INSERT INTO jr_cust VALUES (7, 'c7'), (100, 'nobody orders')");
        refreshDifferentially(db, "jr_st", query);

        db.execute("DELETE FROM jr_cust WHERE id = 2; UPDATE jr_cust SET name = 'renamed' WHERE id = 3");
        refreshDifferentially(db, "jr_st", query);
    }

    @Test
    void joinWhereBothSidesChangeInOneTransactionNeedsTheCrossTerm() throws SQLException {
        createJoinSources("jb");
        String query = joinQuery("jb");
        createCompiled(db, "jb_st", query, "KEYED");

        // Every change pairs a left change with a right change on the same key: ΔR ⋈ ΔS matters.
        db.execute("BEGIN;"
                + " INSERT INTO jb_cust VALUES (10, 'c10'); INSERT INTO jb_ord VALUES (100, 10, 1), (101, 10, 2);"
                + " DELETE FROM jb_ord WHERE cust_id = 2; DELETE FROM jb_cust WHERE id = 2;"
                + " UPDATE jb_cust SET name = 'c3 renamed' WHERE id = 3; UPDATE jb_ord SET amount = -1 WHERE cust_id = 3;"
                + " INSERT INTO jb_cust VALUES (11, 'c11'); DELETE FROM jb_cust WHERE id = 11;"
                + " INSERT INTO jb_ord VALUES (102, 11, 7);"
                + " COMMIT");
        refreshDifferentially(db, "jb_st", query);

        // Inserted and deleted again within one window, on both sides.
        db.execute("BEGIN; INSERT INTO jb_cust VALUES (12, 'c12'); INSERT INTO jb_ord VALUES (103, 12, 3);"
                + " COMMIT; BEGIN; DELETE FROM jb_ord WHERE id = 103; DELETE FROM jb_cust WHERE id = 12;"
                + " UPDATE jb_cust SET id = 20 WHERE id = 4; UPDATE jb_ord SET cust_id = 20 WHERE cust_id = 4; COMMIT");
        refreshDifferentially(db, "jb_st", query);
    }

    @Test
    void threeWayJoin() throws SQLException {
        db.execute("CREATE TABLE j3_region (id int PRIMARY KEY, region text NOT NULL);"
                + " CREATE TABLE j3_cust (id int PRIMARY KEY, region_id int, name text);"
                + " CREATE TABLE j3_ord (id int PRIMARY KEY, cust_id int, amount int);"
                + " INSERT INTO j3_region VALUES (1, 'north'), (2, 'south'), (3, 'east');"
                + " INSERT INTO j3_cust SELECT g, g % 4, 'c' || g FROM generate_series(1, 8) g;"
                + " INSERT INTO j3_ord SELECT g, g % 10, g FROM generate_series(1, 40) g");
        String query = "SELECT r.region, c.name, o.id AS order_id, o.amount * 2 AS doubled FROM j3_ord o"
                + " JOIN j3_cust c ON c.id = o.cust_id JOIN j3_region r ON r.id = c.region_id WHERE o.amount > 3";
        createCompiled(db, "j3_st", query, "KEYED");

        db.execute("INSERT INTO j3_region VALUES (0, 'zero'); UPDATE j3_region SET region = 'N' WHERE id = 1");
        refreshDifferentially(db, "j3_st", query);

        db.execute("BEGIN; INSERT INTO j3_region VALUES (4, 'west'); INSERT INTO j3_cust VALUES (9, 4, 'c9');"
                + " INSERT INTO j3_ord VALUES (41, 9, 50), (42, 9, 1); UPDATE j3_cust SET region_id = 2 WHERE id = 1;"
                + " DELETE FROM j3_region WHERE id = 3; DELETE FROM j3_ord WHERE id % 5 = 0; COMMIT");
        refreshDifferentially(db, "j3_st", query);

        db.execute("UPDATE j3_ord SET amount = 2 WHERE cust_id = 2; DELETE FROM j3_cust WHERE id = 5");
        refreshDifferentially(db, "j3_st", query);
    }

    @Test
    void fiveWayJoinIsAChainOfBinaryJoinsOverCurrentStates() throws SQLException {
        db.execute("CREATE TABLE j5_a (id int PRIMARY KEY, b_id int, av int);"
                + " CREATE TABLE j5_b (id int PRIMARY KEY, c_id int, bv int);"
                + " CREATE TABLE j5_c (id int PRIMARY KEY, d_id int, cv int);"
                + " CREATE TABLE j5_d (id int PRIMARY KEY, e_id int, dv int);"
                + " CREATE TABLE j5_e (id int PRIMARY KEY, label text);"
                + " INSERT INTO j5_a SELECT g, g % 6, g FROM generate_series(1, 30) g;"
                + " INSERT INTO j5_b SELECT g, g % 5, g FROM generate_series(0, 5) g;"
                + " INSERT INTO j5_c SELECT g, g % 4, g FROM generate_series(0, 4) g;"
                + " INSERT INTO j5_d SELECT g, g % 3, g FROM generate_series(0, 3) g;"
                + " INSERT INTO j5_e SELECT g, 'e' || g FROM generate_series(0, 2) g");
        String query = "SELECT a.id AS a_id, a.av + b.bv + c.cv + d.dv AS total, e.label FROM j5_a a"
                + " JOIN j5_b b ON b.id = a.b_id JOIN j5_c c ON c.id = b.c_id JOIN j5_d d ON d.id = c.d_id"
                + " JOIN j5_e e ON e.id = d.e_id";
        createCompiled(db, "j5_st", query, "KEYED");
        String plan = value(db, "SELECT plan::text FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'j5_st'");
        assertEquals(4, plan.split("\"Inner join ON", -1).length - 1,
                () -> "a 5-way join is four binary joins: " + plan.substring(0, Math.min(plan.length(), 400)));

        db.execute("INSERT INTO j5_a VALUES (31, 1, 100)");
        refreshDifferentially(db, "j5_st", query);

        db.execute("UPDATE j5_e SET label = 'E0' WHERE id = 0; UPDATE j5_c SET cv = cv * 10 WHERE id = 2");
        refreshDifferentially(db, "j5_st", query);

        // All five inputs change in one transaction, keys included.
        db.execute("BEGIN; INSERT INTO j5_e VALUES (3, 'e3'); INSERT INTO j5_d VALUES (4, 3, 4);"
                + " INSERT INTO j5_c VALUES (5, 4, 5); INSERT INTO j5_b VALUES (6, 5, 6);"
                + " INSERT INTO j5_a VALUES (32, 6, 1), (33, 6, 2);"
                + " UPDATE j5_b SET c_id = 0 WHERE id = 1; DELETE FROM j5_d WHERE id = 1;"
                + " UPDATE j5_a SET b_id = 2 WHERE id BETWEEN 1 AND 5; DELETE FROM j5_e WHERE id = 2;"
                + " UPDATE j5_c SET d_id = 3 WHERE id = 4; COMMIT");
        refreshDifferentially(db, "j5_st", query);

        db.execute("BEGIN; DELETE FROM j5_a WHERE id > 30; DELETE FROM j5_b WHERE id = 6;"
                + " DELETE FROM j5_c WHERE id = 5; UPDATE j5_e SET id = 2 WHERE id = 3; COMMIT");
        refreshDifferentially(db, "j5_st", query);
    }

    @Test
    void joinKeyUpdatesMoveRowsBetweenPartners() throws SQLException {
        // Join on a non-unique code: many-to-many, and keys can be swapped freely.
        db.execute("CREATE TABLE jk_cust (id int PRIMARY KEY, code int, name text);"
                + " CREATE TABLE jk_ord (id int PRIMARY KEY, cust_code int, amount int);"
                + " INSERT INTO jk_cust VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c'), (4, 30, 'c2');"
                + " INSERT INTO jk_ord SELECT g, (g % 4) * 10, g FROM generate_series(1, 20) g");
        String query = "SELECT c.name, o.id AS order_id, o.amount FROM jk_ord o JOIN jk_cust c ON c.code = o.cust_code";
        createCompiled(db, "jk_st", query, "CONTENT");

        db.execute("UPDATE jk_ord SET cust_code = 20 WHERE cust_code = 10");
        refreshDifferentially(db, "jk_st", query);

        db.execute("UPDATE jk_cust SET code = CASE code WHEN 20 THEN 30 WHEN 30 THEN 20 END WHERE code IN (20, 30)");
        refreshDifferentially(db, "jk_st", query);

        db.execute("BEGIN; UPDATE jk_cust SET code = 0 WHERE id = 1; UPDATE jk_ord SET cust_code = 0 WHERE id % 3 = 0;"
                + " UPDATE jk_ord SET cust_code = 99 WHERE id = 1; UPDATE jk_cust SET code = 99 WHERE id = 4; COMMIT");
        refreshDifferentially(db, "jk_st", query);
    }

    @Test
    void commaJoinWithWhere() throws SQLException {
        db.execute("CREATE TABLE cj_a (id int PRIMARY KEY, k int, x int);"
                + " CREATE TABLE cj_b (id int PRIMARY KEY, k int, y int);"
                + " INSERT INTO cj_a SELECT g, g % 5, g FROM generate_series(1, 25) g;"
                + " INSERT INTO cj_b SELECT g, g % 7, g * 3 FROM generate_series(1, 14) g");
        String query = "SELECT a.id AS a_id, b.id AS b_id, a.x + b.y AS s FROM cj_a a, cj_b b"
                + " WHERE a.k = b.k AND b.y > 6 AND a.x <> 13";
        createCompiled(db, "cj_st", query, "KEYED");

        db.execute("INSERT INTO cj_a VALUES (26, 6, 1), (27, 1, 13); INSERT INTO cj_b VALUES (15, 6, 100)");
        refreshDifferentially(db, "cj_st", query);

        db.execute("BEGIN; UPDATE cj_b SET y = 0 WHERE id = 3; UPDATE cj_a SET k = 0 WHERE id < 6;"
                + " DELETE FROM cj_b WHERE k = 2; UPDATE cj_a SET x = 13 WHERE id = 7; COMMIT");
        refreshDifferentially(db, "cj_st", query);
    }

    // ------------------------------------------------------------------------------------------
    // aggregates

    private static final String GROUP_QUERY = "SELECT grp, count(*) AS n, count(v) AS nv, sum(v) AS s, avg(v) AS a,"
            + " sum(q) AS sq, avg(q) AS aq FROM %s GROUP BY grp";

    @Test
    void groupByAggregatesFollowNullSemantics() throws SQLException {
        db.execute("CREATE TABLE gn_src (id int PRIMARY KEY, grp text, v numeric(12,2), q int);"
                + " INSERT INTO gn_src VALUES (1, 'mixed', 1.5, 1), (2, 'mixed', NULL, NULL), (3, 'mixed', 2.5, 3),"
                + " (4, 'nulls', NULL, NULL), (5, 'nulls', NULL, NULL), (6, NULL, 7, 7), (7, 'vals', 4, 4)");
        String query = String.format(GROUP_QUERY, "gn_src");
        createCompiled(db, "gn_st", query, "AGGREGATE");
        assertGroup("gn_st", "nulls", 2, 0, null, null);
        assertGroup("gn_st", "mixed", 3, 2, "4.0", "2.0");

        // The values of 'vals' become NULL: SUM and AVG over only NULLs are NULL, not 0.
        db.execute("UPDATE gn_src SET v = NULL, q = NULL WHERE grp = 'vals';"
                + " INSERT INTO gn_src VALUES (8, 'mixed', NULL, 5)");
        refreshDifferentially(db, "gn_st", query);
        assertGroup("gn_st", "vals", 1, 0, null, null);
        assertGroup("gn_st", "mixed", 4, 2, "4.0", "2.0");

        // A first non-NULL value in an all-NULL group; the NULL group key is a group of its own.
        db.execute("UPDATE gn_src SET v = 0 WHERE id = 4; INSERT INTO gn_src VALUES (9, NULL, NULL, NULL)");
        refreshDifferentially(db, "gn_st", query);
        assertGroup("gn_st", "nulls", 2, 1, "0", "0");
        assertEquals(2, number(db, "SELECT n FROM gn_st WHERE grp IS NULL"));

        // Deleting the non-NULL values again: back to NULL sums, not zeros.
        db.execute("DELETE FROM gn_src WHERE id = 4; DELETE FROM gn_src WHERE v IS NOT NULL AND grp = 'mixed'");
        refreshDifferentially(db, "gn_st", query);
        assertGroup("gn_st", "nulls", 1, 0, null, null);
        assertGroup("gn_st", "mixed", 2, 0, null, null);
    }

    private void assertGroup(String streamTable, String group, long n, long nonNull, String sum, String avg)
            throws SQLException {
        List<Map<String, Object>> found = rows(db, "SELECT n, nv, s, a FROM " + streamTable + " WHERE grp = ?", group);
        assertEquals(1, found.size(), () -> "group " + group + " of " + streamTable + ": " + found);
        Map<String, Object> row = found.get(0);
        assertEquals(n, ((Number) row.get("n")).longValue(), row::toString);
        assertEquals(nonNull, ((Number) row.get("nv")).longValue(), row::toString);
        assertNumeric(sum, row.get("s"), "sum of group " + group);
        assertNumeric(avg, row.get("a"), "avg of group " + group);
    }

    private static void assertNumeric(String expected, Object actual, String what) {
        if (expected == null) {
            assertNull(actual, what + " must be NULL");
        } else {
            assertNotNull(actual, what + " must not be NULL");
            assertEquals(0, new BigDecimal(expected).compareTo(new BigDecimal(actual.toString())),
                    () -> what + ": expected " + expected + ", got " + actual);
        }
    }

    @Test
    void numericSumsStayExact() throws SQLException {
        // Unconstrained numeric: a sum's scale is the largest scale among the rows summed; the group
        // keeps how many values have each scale, so the scale falls back when the last value of
        // the largest one leaves.
        db.execute("CREATE TABLE ge_src (id int PRIMARY KEY, grp text NOT NULL, v numeric, q int)");
        String query = String.format(GROUP_QUERY, "ge_src");
        createCompiled(db, "ge_st", query, "AGGREGATE");

        for (int i = 1; i <= 10; i++) {
            db.execute("INSERT INTO ge_src VALUES (" + i + ", 'tenths', 0.1, 1)");
            refreshDifferentially(db, "ge_st", query);
        }
        assertGroup("ge_st", "tenths", 10, 10, "1.0", "0.1");
        assertEquals("1.0", value(db, "SELECT s::text FROM ge_st WHERE grp = 'tenths'"), "exactly 1.0");

        db.execute("DELETE FROM ge_src WHERE id IN (1, 2, 3)");
        refreshDifferentially(db, "ge_st", query);
        assertGroup("ge_st", "tenths", 7, 7, "0.7", "0.1");

        db.execute("INSERT INTO ge_src SELECT g, 'tiny', 0.000000000000000000001, g FROM generate_series(11, 40) g;"
                + " INSERT INTO ge_src VALUES (41, 'tiny', 12345678901234567890.123456789, 0)");
        refreshDifferentially(db, "ge_st", query);
        db.execute("DELETE FROM ge_src WHERE id = 41");
        refreshDifferentially(db, "ge_st", query);
        assertGroup("ge_st", "tiny", 30, 30, "0.000000000000000000030", "0.000000000000000000001");
    }

    @Test
    void groupsAppearAndVanish() throws SQLException {
        db.execute("CREATE TABLE gv_src (id int PRIMARY KEY, grp text, v numeric(12,2), q int);"
                + " INSERT INTO gv_src SELECT g, 'g' || (g % 3), g, g FROM generate_series(1, 9) g");
        String query = String.format(GROUP_QUERY, "gv_src");
        createCompiled(db, "gv_st", query, "AGGREGATE");

        db.execute("INSERT INTO gv_src VALUES (10, 'new', 1, 1), (11, 'new', 2, 2)");
        refreshDifferentially(db, "gv_st", query);
        assertEquals(4, number(db, "SELECT count(*) FROM gv_st"));

        db.execute("DELETE FROM gv_src WHERE grp = 'g1'");
        refreshDifferentially(db, "gv_st", query);
        assertEquals(0, number(db, "SELECT count(*) FROM gv_st WHERE grp = 'g1'"), "an emptied group vanishes");

        // A group that appears and vanishes within one window leaves no trace; another one comes back.
        db.execute("INSERT INTO gv_src VALUES (20, 'flash', 1, 1); DELETE FROM gv_src WHERE id = 20;"
                + " INSERT INTO gv_src VALUES (21, 'g1', 5, 5)");
        refreshDifferentially(db, "gv_st", query);
        assertEquals(0, number(db, "SELECT count(*) FROM gv_st WHERE grp = 'flash'"));

        db.execute("DELETE FROM gv_src");
        refreshDifferentially(db, "gv_st", query);
        assertEquals(0, number(db, "SELECT count(*) FROM gv_st"));
        db.execute("INSERT INTO gv_src VALUES (30, 'again', 3, 3)");
        refreshDifferentially(db, "gv_st", query);
    }

    @Test
    void groupKeyUpdatesMoveRowsBetweenGroups() throws SQLException {
        db.execute("CREATE TABLE gk_src (id int PRIMARY KEY, grp text, v numeric(12,2), q int);"
                + " INSERT INTO gk_src SELECT g, 'g' || (g % 4), g * 1.5, g FROM generate_series(1, 20) g");
        String query = String.format(GROUP_QUERY, "gk_src");
        createCompiled(db, "gk_st", query, "AGGREGATE");

        db.execute("UPDATE gk_src SET grp = 'g0' WHERE grp = 'g1'");
        refreshDifferentially(db, "gk_st", query);

        db.execute("UPDATE gk_src SET grp = CASE grp WHEN 'g2' THEN 'g3' WHEN 'g3' THEN 'g2' END WHERE grp IN ('g2', 'g3');"
                + " UPDATE gk_src SET grp = NULL, v = NULL WHERE id = 4; UPDATE gk_src SET grp = 'fresh' WHERE id = 8");
        refreshDifferentially(db, "gk_st", query);

        // Moved away and back within one window.
        db.execute("UPDATE gk_src SET grp = 'elsewhere' WHERE id = 12; UPDATE gk_src SET grp = 'g0' WHERE id = 12");
        refreshDifferentially(db, "gk_st", query);
    }

    @Test
    void globalAggregateOverAnEmptyInputAndBack() throws SQLException {
        db.execute("CREATE TABLE ga_src (id int PRIMARY KEY, v numeric(12,2))");
        String query = "SELECT count(*) AS n, count(v) AS nv, sum(v) AS s, avg(v) AS a FROM ga_src";
        createCompiled(db, "ga_st", query, "AGGREGATE");
        assertGlobal(0, 0, null, null);

        db.execute("INSERT INTO ga_src VALUES (1, 10), (2, NULL), (3, 0.5)");
        refreshDifferentially(db, "ga_st", query);
        assertGlobal(3, 2, "10.5", "5.25");

        db.execute("DELETE FROM ga_src WHERE v IS NOT NULL");
        refreshDifferentially(db, "ga_st", query);
        assertGlobal(1, 0, null, null);

        db.execute("DELETE FROM ga_src");
        refreshDifferentially(db, "ga_st", query);
        assertGlobal(0, 0, null, null);

        db.execute("INSERT INTO ga_src VALUES (4, 2), (5, 4)");
        refreshDifferentially(db, "ga_st", query);
        assertGlobal(2, 2, "6", "3");
    }

    private void assertGlobal(long n, long nonNull, String sum, String avg) throws SQLException {
        List<Map<String, Object>> found = rows(db, "SELECT n, nv, s, a FROM ga_st");
        assertEquals(1, found.size(), () -> "an aggregate without GROUP BY has one row: " + found);
        Map<String, Object> row = found.get(0);
        assertEquals(n, ((Number) row.get("n")).longValue(), row::toString);
        assertEquals(nonNull, ((Number) row.get("nv")).longValue(), row::toString);
        assertNumeric(sum, row.get("s"), "sum");
        assertNumeric(avg, row.get("a"), "avg");
    }

    @Test
    void havingGroupsCrossTheThresholdBothWays() throws SQLException {
        db.execute("CREATE TABLE hv_src (id int PRIMARY KEY, grp text, v int);"
                + " INSERT INTO hv_src VALUES (1, 'a', 1), (2, 'a', 2), (3, 'b', 5), (4, 'c', 1), (5, 'c', 1), (6, NULL, 3)");
        String query = "SELECT grp, count(*) AS n, sum(v) AS s FROM hv_src GROUP BY grp HAVING count(*) >= 2";
        createCompiled(db, "hv_st", query, "GROUP_RESCAN");

        // b crosses the threshold upwards, a downwards; the NULL group comes in.
        db.execute("INSERT INTO hv_src VALUES (7, 'b', 1), (8, NULL, 4); DELETE FROM hv_src WHERE id = 1");
        refreshDifferentially(db, "hv_st", query);
        assertEquals(List.of("b", "c", "null"), groups("hv_st"));

        // a comes back, c goes, b changes without crossing.
        db.execute("INSERT INTO hv_src VALUES (9, 'a', 9); DELETE FROM hv_src WHERE id = 5;"
                + " UPDATE hv_src SET v = 100 WHERE id = 3");
        refreshDifferentially(db, "hv_st", query);
        assertEquals(List.of("a", "b", "null"), groups("hv_st"));

        // Crossing up and down again within one window: no change.
        db.execute("INSERT INTO hv_src VALUES (10, 'c', 1); DELETE FROM hv_src WHERE id = 10");
        refreshDifferentially(db, "hv_st", query);
        assertEquals(List.of("a", "b", "null"), groups("hv_st"));
    }

    @Test
    void havingOnASumCrossesTheThresholdBothWays() throws SQLException {
        db.execute("CREATE TABLE hs_src (id int PRIMARY KEY, grp text, v numeric);"
                + " INSERT INTO hs_src VALUES (1, 'a', 6), (2, 'a', 6), (3, 'b', 3)");
        String query = "SELECT grp, avg(v) AS a FROM hs_src GROUP BY grp HAVING sum(v) > 10";
        createCompiled(db, "hs_st", query, "GROUP_RESCAN");

        db.execute("UPDATE hs_src SET v = 8 WHERE id = 3; INSERT INTO hs_src VALUES (4, 'b', 3)");
        refreshDifferentially(db, "hs_st", query);
        db.execute("UPDATE hs_src SET v = 1 WHERE id = 1");
        refreshDifferentially(db, "hs_st", query);
        assertEquals(List.of("b"), groups("hs_st"));
    }

    private List<String> groups(String streamTable) throws SQLException {
        List<String> result = new ArrayList<>();
        for (Map<String, Object> row : rows(db, "SELECT coalesce(grp, 'null') AS g FROM " + streamTable + " ORDER BY 1")) {
            result.add((String) row.get("g"));
        }
        return result;
    }

    // ------------------------------------------------------------------------------------------
    // multiplicities: DISTINCT, UNION ALL, duplicates

    @Test
    void selectDistinctWithDuplicatesComingAndGoing() throws SQLException {
        db.execute("CREATE TABLE ds_src (id int PRIMARY KEY, grp text, flag boolean);"
                + " INSERT INTO ds_src SELECT g, 'g' || (g % 3), g % 2 = 0 FROM generate_series(1, 12) g");
        String query = "SELECT DISTINCT grp, flag FROM ds_src";
        createCompiled(db, "ds_st", query, "AGGREGATE");
        assertEquals(2, number(db, "SELECT __pgt_count FROM ds_st WHERE grp = 'g0' AND flag"));

        // Removing copies one by one: the row stays while a copy is left.
        db.execute("DELETE FROM ds_src WHERE id = 6");
        refreshDifferentially(db, "ds_st", query);
        assertEquals(1, number(db, "SELECT count(*) FROM ds_st WHERE grp = 'g0' AND flag"));
        db.execute("DELETE FROM ds_src WHERE id = 12");
        refreshDifferentially(db, "ds_st", query);
        assertEquals(0, number(db, "SELECT count(*) FROM ds_st WHERE grp = 'g0' AND flag"));

        // Copies coming back, NULLs as values, and an update creating a duplicate of an existing row.
        db.execute("INSERT INTO ds_src VALUES (13, 'g0', true), (14, 'g0', true), (15, NULL, NULL), (16, NULL, NULL);"
                + " UPDATE ds_src SET grp = 'g1' WHERE id = 2");
        refreshDifferentially(db, "ds_st", query);
        assertEquals(1, number(db, "SELECT count(*) FROM ds_st WHERE grp IS NULL AND flag IS NULL"));

        db.execute("DELETE FROM ds_src WHERE id IN (13, 15)");
        refreshDifferentially(db, "ds_st", query);
    }

    @Test
    void unionAllWithDuplicateRowsAcrossBranches() throws SQLException {
        db.execute("CREATE TABLE ua_a (id int PRIMARY KEY, k int, v text);"
                + " CREATE TABLE ua_b (id int PRIMARY KEY, k int, v text);"
                + " INSERT INTO ua_a VALUES (1, 1, 'x'), (2, 2, 'y'), (3, 1, 'x');"
                + " INSERT INTO ua_b VALUES (1, 1, 'x'), (2, 3, 'z')");
        String query = "SELECT k, v FROM ua_a UNION ALL SELECT k, v FROM ua_b WHERE k < 10"
                + " UNION ALL SELECT k + 0, upper(v) FROM ua_a WHERE k = 2";
        createCompiled(db, "ua_st", query, "CONTENT");
        assertEquals(3, number(db, "SELECT count(*) FROM ua_st WHERE k = 1 AND v = 'x'"));

        db.execute("DELETE FROM ua_a WHERE id = 1");
        refreshDifferentially(db, "ua_st", query);
        assertEquals(2, number(db, "SELECT count(*) FROM ua_st WHERE k = 1 AND v = 'x'"));

        db.execute("BEGIN; INSERT INTO ua_a VALUES (4, 1, 'x'), (5, 1, 'x'); INSERT INTO ua_b VALUES (3, 1, 'x');"
                + " DELETE FROM ua_b WHERE id = 1; UPDATE ua_a SET v = 'Y' WHERE id = 2; COMMIT");
        refreshDifferentially(db, "ua_st", query);
        assertEquals(4, number(db, "SELECT count(*) FROM ua_st WHERE k = 1 AND v = 'x'"));

        db.execute("DELETE FROM ua_a WHERE k = 1; UPDATE ua_b SET k = 11 WHERE id = 3");
        refreshDifferentially(db, "ua_st", query);
        assertEquals(0, number(db, "SELECT count(*) FROM ua_st WHERE k = 1"));
    }

    @Test
    void duplicateRowsInASourceWithoutPrimaryKey() throws SQLException {
        db.execute("CREATE TABLE np_src (a int, b text);"
                + " INSERT INTO np_src VALUES (1, 'x'), (1, 'x'), (2, 'y'), (NULL, NULL), (NULL, NULL)");
        String query = "SELECT a, b FROM np_src";
        createCompiled(db, "np_st", query, "CONTENT");
        assertEquals(2, number(db, "SELECT count(*) FROM np_st WHERE a = 1"));

        // Delete one of two identical rows: exactly one copy remains.
        db.execute("DELETE FROM np_src WHERE ctid = (SELECT min(ctid) FROM np_src WHERE a = 1)");
        refreshDifferentially(db, "np_st", query);
        assertEquals(1, number(db, "SELECT count(*) FROM np_st WHERE a = 1 AND b = 'x'"));

        db.execute("UPDATE np_src SET b = 'z' WHERE ctid = (SELECT min(ctid) FROM np_src WHERE a IS NULL);"
                + " INSERT INTO np_src VALUES (1, 'x'), (1, 'x'), (1, 'x')");
        refreshDifferentially(db, "np_st", query);
        assertEquals(4, number(db, "SELECT count(*) FROM np_st WHERE a = 1 AND b = 'x'"));
        assertEquals(1, number(db, "SELECT count(*) FROM np_st WHERE a IS NULL AND b IS NULL"));

        db.execute("DELETE FROM np_src WHERE ctid IN (SELECT ctid FROM np_src WHERE a = 1 LIMIT 3)");
        refreshDifferentially(db, "np_st", query);
        assertEquals(1, number(db, "SELECT count(*) FROM np_st WHERE a = 1 AND b = 'x'"));
    }

    @Test
    void numericKeysEqualByValueShareOneIdentity() throws SQLException {
        db.execute("CREATE TABLE nk_src (id int PRIMARY KEY, k numeric, v int)");
        String grouped = "SELECT k, count(*) AS n, sum(v) AS s FROM nk_src GROUP BY k";
        String content = "SELECT k FROM nk_src";
        createCompiled(db, "nk_grp", grouped, "AGGREGATE");
        createCompiled(db, "nk_rows", content, "CONTENT");

        db.execute("INSERT INTO nk_src VALUES (1, 1.0, 5)");
        refreshDifferentially(db, "nk_grp", grouped);
        refreshDifferentially(db, "nk_rows", content);

        // 1.00 = 1.0: the same group, whatever the scale.
        db.execute("INSERT INTO nk_src VALUES (2, 1.00, 7), (3, 1.000, 1), (4, 2, 1)");
        refreshDifferentially(db, "nk_grp", grouped);
        refreshDifferentially(db, "nk_rows", content);
        assertEquals(1, number(db, "SELECT count(*) FROM nk_grp WHERE k = 1"), "one group for 1.0, 1.00, 1.000");
        assertEquals(3, number(db, "SELECT n FROM nk_grp WHERE k = 1"));

        db.execute("DELETE FROM nk_src WHERE id = 1");
        refreshDifferentially(db, "nk_grp", grouped);
        refreshDifferentially(db, "nk_rows", content);
        assertEquals(2, number(db, "SELECT n FROM nk_grp WHERE k = 1"));

        db.execute("DELETE FROM nk_src WHERE k = 1");
        refreshDifferentially(db, "nk_grp", grouped);
        refreshDifferentially(db, "nk_rows", content);
        assertEquals(0, number(db, "SELECT count(*) FROM nk_grp WHERE k = 1"));
        assertEquals(0, number(db, "SELECT count(*) FROM nk_rows WHERE k = 1"));
    }

    /**
     * Row identity follows each type's own equality (I5), not its binary form: values PostgreSQL
     * groups together must land in one stored group. Each case inserts two values that are equal
     * but differ in representation, in two refresh windows.
     */
    static Stream<Arguments> equalValuesOfDifferentRepresentation() {
        return Stream.of(
                Arguments.of("numeric", "numeric", "1.0", "1.000"),
                Arguments.of("float_zero", "float8", "0::float8", "-(0::float8)"),
                Arguments.of("interval", "interval", "'1 day'", "'24 hours'"),
                Arguments.of("numeric_array", "numeric[]", "ARRAY[1.0]", "ARRAY[1.00]"),
                Arguments.of("jsonb", "jsonb", "'{\"x\": 1.0}'", "'{\"x\": 1.00}'"),
                Arguments.of("float_nan", "float8", "'NaN'::float8", "-('NaN'::float8)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("equalValuesOfDifferentRepresentation")
    void groupKeysEqualByTheirTypesEqualityShareOneGroup(String tag, String type, String first, String second)
            throws SQLException {
        String source = "eq_" + tag;
        db.execute("CREATE TABLE " + source + " (id int PRIMARY KEY, k " + type + ", v int)");
        assertEquals("true", value(db, "SELECT (" + first + ")::" + type + " = (" + second + ")::" + type),
                "the two values are equal by the type's equality");
        String query = "SELECT k, count(*) AS n, sum(v) AS s FROM " + source + " GROUP BY k";
        String distinct = "SELECT DISTINCT k FROM " + source;
        createCompiled(db, source + "_grp", query, "AGGREGATE");
        createCompiled(db, source + "_dst", distinct, "AGGREGATE");

        db.execute("INSERT INTO " + source + " VALUES (1, " + first + ", 1)");
        refreshDifferentially(db, source + "_grp", query);
        refreshDifferentially(db, source + "_dst", distinct);
        db.execute("INSERT INTO " + source + " VALUES (2, " + second + ", 2)");
        refreshDifferentially(db, source + "_grp", query);
        refreshDifferentially(db, source + "_dst", distinct);
        assertEquals(1, number(db, "SELECT count(*) FROM " + source + "_grp"), "one group");

        db.execute("DELETE FROM " + source + " WHERE id = 1");
        refreshDifferentially(db, source + "_grp", query);
        refreshDifferentially(db, source + "_dst", distinct);
        db.execute("DELETE FROM " + source);
        refreshDifferentially(db, source + "_grp", query);
        refreshDifferentially(db, source + "_dst", distinct);
    }

    /** The same for text under a nondeterministic (case-insensitive) ICU collation. */
    @Test
    void groupKeysEqualUnderANondeterministicCollationShareOneGroup() throws SQLException {
        try {
            db.execute("CREATE COLLATION IF NOT EXISTS diff_ci (provider = icu, locale = 'und-u-ks-level2',"
                    + " deterministic = false)");
        } catch (SQLException e) {
            Assumptions.abort("no ICU collations on this server: " + e.getMessage());
        }
        db.execute("CREATE TABLE ci_src (id int PRIMARY KEY, k text COLLATE diff_ci, v int)");
        String query = "SELECT k, count(*) AS n, sum(v) AS s FROM ci_src GROUP BY k";
        createCompiled(db, "ci_st", query, "AGGREGATE");
        db.execute("INSERT INTO ci_src VALUES (1, 'abc', 1)");
        refreshDifferentially(db, "ci_st", query);
        db.execute("INSERT INTO ci_src VALUES (2, 'ABC', 2)");
        refreshDifferentially(db, "ci_st", query);
        assertEquals(1, number(db, "SELECT count(*) FROM ci_st"), "'abc' and 'ABC' are one group");
    }

    @Test
    void sumsOverFloatsRescanTheTouchedGroups() throws SQLException {
        // Values with exact binary fractions, so that the order of summation cannot matter.
        db.execute("CREATE TABLE fs_src (id int PRIMARY KEY, grp text, f float8);"
                + " INSERT INTO fs_src VALUES (1, 'a', 0.5), (2, 'a', 0.25), (3, 'b', 1), (4, 'b', NULL)");
        String query = "SELECT grp, sum(f) AS s, avg(f) AS a, count(*) AS n FROM fs_src GROUP BY grp";
        createCompiled(db, "fs_st", query, "GROUP_RESCAN");
        String global = "SELECT sum(f) AS s, count(*) AS n FROM fs_src";
        createCompiled(db, "fs_all", global, "GROUP_RESCAN");

        db.execute("INSERT INTO fs_src VALUES (5, 'b', 0.125), (6, NULL, 2), (7, 'c', NULL); DELETE FROM fs_src WHERE id = 1");
        refreshDifferentially(db, "fs_st", query);
        refreshDifferentially(db, "fs_all", global);
        db.execute("UPDATE fs_src SET grp = 'a' WHERE grp = 'b'; DELETE FROM fs_src WHERE id = 7");
        refreshDifferentially(db, "fs_st", query);
        refreshDifferentially(db, "fs_all", global);
        db.execute("DELETE FROM fs_src");
        refreshDifferentially(db, "fs_st", query);
        refreshDifferentially(db, "fs_all", global);
        assertEquals(1, number(db, "SELECT count(*) FROM fs_all WHERE s IS NULL AND n = 0"));
    }

    // ------------------------------------------------------------------------------------------
    // stream tables over stream tables and views

    @Test
    void chainOfThreeStreamTablesStaysDifferential() throws SQLException {
        db.execute("CREATE TABLE ch_base (id int PRIMARY KEY, grp text NOT NULL, v int NOT NULL);"
                + " INSERT INTO ch_base SELECT g, 'g' || (g % 4), g % 7 - 2 FROM generate_series(1, 40) g");
        String positive = "SELECT id, grp, v FROM ch_base WHERE v > 0";
        String grouped = "SELECT grp, count(*) AS n, sum(v) AS s FROM ch_pos GROUP BY grp";
        String top = "SELECT count(*) AS group_count, sum(n) AS row_total, sum(s) AS total FROM ch_grp";
        String topFromBase = "SELECT count(*) AS group_count, sum(n) AS row_total, sum(s) AS total FROM"
                + " (SELECT grp, count(*) AS n, sum(v) AS s FROM ch_base WHERE v > 0 GROUP BY grp) AS g";
        createCompiled(db, "ch_pos", positive, "KEYED");
        createCompiled(db, "ch_grp", grouped, "AGGREGATE");
        createCompiled(db, "ch_top", top, "AGGREGATE");

        List<String> batches = List.of(
                "INSERT INTO ch_base VALUES (41, 'g9', 5), (42, 'g1', -1), (43, 'g1', 3)",
                "UPDATE ch_base SET v = -v WHERE id % 5 = 0; UPDATE ch_base SET grp = 'g0' WHERE grp = 'g2'",
                "DELETE FROM ch_base WHERE grp = 'g9'; UPDATE ch_base SET v = v + 1 WHERE id < 10",
                "DELETE FROM ch_base");
        for (String batch : batches) {
            db.execute(batch);
            refreshDifferentially(db, "ch_pos", positive);
            refreshDifferentially(db, "ch_grp", grouped);
            Oracle.assertStreamTableMatchesQuery(db, "ch_grp",
                    "SELECT grp, count(*) AS n, sum(v) AS s FROM ch_base WHERE v > 0 GROUP BY grp");
            refreshDifferentially(db, "ch_top", top);
            Oracle.assertStreamTableMatchesQuery(db, "ch_top", topFromBase);
        }
        assertEquals(0, number(db, "SELECT group_count FROM ch_top"));
    }

    @Test
    void streamTableOverAViewReadsTheExpandedView() throws SQLException {
        db.execute("CREATE TABLE vw_base (id int PRIMARY KEY, grp text, v int);"
                + " CREATE VIEW vw_pos AS SELECT id, grp, v * 2 AS v2 FROM vw_base WHERE v > 0;"
                + " INSERT INTO vw_base SELECT g, 'g' || (g % 3), g - 5 FROM generate_series(1, 15) g");
        String query = "SELECT grp, count(*) AS n, sum(v2) AS s FROM vw_pos GROUP BY grp";
        createCompiled(db, "vw_st", query, "AGGREGATE");
        assertEquals(List.of(Map.of("source_name", "vw_base", "source_kind", "TABLE")),
                rows(db, "SELECT d.source_name::text AS source_name, d.source_kind FROM pgtrickle.pgt_dependencies d"
                        + " JOIN pgtrickle.pgt_stream_tables s USING (pgt_id) WHERE s.pgt_name = 'vw_st'"));

        db.execute("INSERT INTO vw_base VALUES (16, 'g9', 1), (17, 'g0', -1); UPDATE vw_base SET v = -v WHERE id IN (6, 7)");
        refreshDifferentially(db, "vw_st", query);
        db.execute("DELETE FROM vw_base WHERE grp = 'g1'; UPDATE vw_base SET v = 10 WHERE id = 1");
        refreshDifferentially(db, "vw_st", query);
    }

    // ------------------------------------------------------------------------------------------
    // TRUNCATE, transactions, failures

    @Test
    void truncateReinitializesThenTheNextRefreshIsDifferentialAgain() throws SQLException {
        db.execute("CREATE TABLE tr_src (id int PRIMARY KEY, grp text, v int);"
                + " INSERT INTO tr_src SELECT g, 'g' || (g % 3), g FROM generate_series(1, 12) g");
        String query = "SELECT grp, count(*) AS n, sum(v) AS s FROM tr_src GROUP BY grp";
        createCompiled(db, "tr_st", query, "AGGREGATE");
        db.execute("INSERT INTO tr_src VALUES (13, 'g1', 13)");
        refreshDifferentially(db, "tr_st", query);

        db.execute("DELETE FROM tr_src WHERE id = 1; TRUNCATE tr_src; INSERT INTO tr_src VALUES (100, 'after', 1), (101, 'g0', 2)");
        refresh(db, "tr_st");
        assertLastAction(db, "tr_st", "REINITIALIZE");
        assertCorrect(db, "tr_st", query);

        db.execute("INSERT INTO tr_src VALUES (102, 'after', 5); DELETE FROM tr_src WHERE id = 101");
        refreshDifferentially(db, "tr_st", query);
        assertEquals(2, consumed(lastRefresh(db, "tr_st")), "only the changes after the reinitialization");
    }

    @Test
    void aTransactionOpenAcrossTwoDifferentialRefreshesIsCountedOnceAfterItsCommit() throws SQLException {
        db.execute("CREATE TABLE lt_src (id int PRIMARY KEY, grp text, v int);"
                + " INSERT INTO lt_src SELECT g, 'g' || (g % 3), g FROM generate_series(1, 9) g");
        String query = "SELECT grp, count(*) AS n, sum(v) AS s FROM lt_src GROUP BY grp";
        createCompiled(db, "lt_st", query, "AGGREGATE");

        try (Connection longWriter = db.connect(); Statement writer = longWriter.createStatement()) {
            longWriter.setAutoCommit(false);
            // 5 inserts and one update (2 buffer rows): 7 changes.
            writer.execute("INSERT INTO lt_src SELECT g, 'long', g FROM generate_series(100, 104) g;"
                    + " UPDATE lt_src SET v = 1000 WHERE id = 1");
            single(writer, "SELECT pg_current_xact_id()");

            db.execute("INSERT INTO lt_src VALUES (20, 'g0', 1), (21, 'short', 2), (22, 'short', 3)");
            refreshDifferentially(db, "lt_st", query);
            assertEquals(3, consumed(lastRefresh(db, "lt_st")), "the open transaction is not counted yet");

            db.execute("DELETE FROM lt_src WHERE id = 20");
            refreshDifferentially(db, "lt_st", query);
            assertEquals(1, consumed(lastRefresh(db, "lt_st")), "still not the open transaction");

            longWriter.commit();
        }
        refreshDifferentially(db, "lt_st", query);
        assertEquals(7, consumed(lastRefresh(db, "lt_st")), "the long transaction, counted by the first refresh after its commit");
        assertEquals(1, number(db, "SELECT count(*) FROM lt_st WHERE grp = 'long'"));

        refresh(db, "lt_st");
        assertLastAction(db, "lt_st", "NO_DATA");
        assertEquals(0, consumed(lastRefresh(db, "lt_st")), "and never again");
    }

    @Test
    void insertAndRefreshInOneTransactionThenMoreWritesAfterTheCommit() throws SQLException {
        db.execute("CREATE TABLE st_src (id int PRIMARY KEY, grp text, v int);"
                + " INSERT INTO st_src SELECT g, 'g' || (g % 3), g FROM generate_series(1, 9) g");
        String query = "SELECT grp, count(*) AS n, sum(v) AS s FROM st_src GROUP BY grp";
        createCompiled(db, "st_st", query, "AGGREGATE");

        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("INSERT INTO st_src VALUES (10, 'own', 10), (11, 'own', 11); DELETE FROM st_src WHERE id = 1");
            refresh(connection, "st_st");
            connection.commit();
        }
        assertDifferential(db, "st_st", query);
        assertEquals(3, consumed(lastRefresh(db, "st_st")), "the refreshing transaction's own writes");

        db.execute("INSERT INTO st_src VALUES (12, 'own', 12); UPDATE st_src SET v = 0 WHERE id = 10");
        refreshDifferentially(db, "st_st", query);
        assertEquals(3, consumed(lastRefresh(db, "st_st")), "only the writes after the commit, nothing twice");
        assertEquals(3, number(db, "SELECT n FROM st_st WHERE grp = 'own'"));
    }

    @Test
    void writesAfterARefreshInTheSameTransactionAreNotLost() throws SQLException {
        db.execute("CREATE TABLE sa_src (id int PRIMARY KEY, grp text, v int);"
                + " INSERT INTO sa_src SELECT g, 'g' || (g % 3), g FROM generate_series(1, 9) g");
        String query = "SELECT grp, count(*) AS n, sum(v) AS s FROM sa_src GROUP BY grp";
        createCompiled(db, "sa_st", query, "AGGREGATE");

        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("INSERT INTO sa_src VALUES (10, 'own', 10)");
            refresh(connection, "sa_st");
            // Written by the same transaction after its refresh: the next refresh must apply it.
            statement.execute("INSERT INTO sa_src VALUES (11, 'own', 11); DELETE FROM sa_src WHERE id = 2");
            connection.commit();
        }
        refreshDifferentially(db, "sa_st", query);
        assertEquals(2, number(db, "SELECT n FROM sa_st WHERE grp = 'own'"));
    }

    @Test
    void aFailedRefreshLeavesTableAndFrontierUnchanged() throws SQLException {
        db.execute("CREATE TABLE fl_src (id int PRIMARY KEY, d int NOT NULL);"
                + " INSERT INTO fl_src SELECT g, g FROM generate_series(1, 5) g");
        String query = "SELECT id, 100 / d AS q FROM fl_src";
        createCompiled(db, "fl_st", query, "KEYED");
        db.execute("INSERT INTO fl_src VALUES (6, 4)");
        refreshDifferentially(db, "fl_st", query);

        List<String> contents = dump(db, "fl_st");
        String frontier = (String) catalogRow(db, "fl_st").get("frontier");
        long history = historyCount(db, "fl_st");

        db.execute("INSERT INTO fl_src VALUES (7, 0)");
        PSQLExceptionLike failure = expectFailure(() -> refresh(db, "fl_st"));
        assertEquals("22012", failure.sqlState(), failure::message);
        assertTrue(failure.message().contains("division by zero"), failure::message);

        assertEquals(contents, dump(db, "fl_st"), "contents unchanged by the failed refresh");
        assertEquals(frontier, catalogRow(db, "fl_st").get("frontier"), "frontier unchanged");
        assertEquals(history, historyCount(db, "fl_st"), "no history row from SQL");

        // Once the data is fixed, the next refresh accounts for the failed window's change too. Its
        // delta still holds the row (7, 0) (inserted, then updated away), on which the projection
        // fails; the refresh falls back to FULL for that (documented in _differential_refresh).
        db.execute("UPDATE fl_src SET d = 5 WHERE id = 7");
        refresh(db, "fl_st");
        Map<String, Object> fixed = lastRefresh(db, "fl_st");
        assertTrue(List.of("DIFFERENTIAL", "FULL").contains(fixed.get("action")), fixed::toString);
        assertEquals(3L, consumed(fixed), "the insert and the update (two buffer rows): " + fixed);
        assertCorrect(db, "fl_st", query);

        // And the refreshes after it are differential again.
        db.execute("INSERT INTO fl_src VALUES (8, 50); DELETE FROM fl_src WHERE id = 1");
        refreshDifferentially(db, "fl_st", query);
        assertEquals(2, consumed(lastRefresh(db, "fl_st")));
    }

    @Test
    void renamingTheStorageTableKeepsDifferentialRefreshWorking() throws SQLException {
        db.execute("CREATE TABLE rn_src (id int PRIMARY KEY, grp text, v int);"
                + " INSERT INTO rn_src SELECT g, 'g' || (g % 3), g FROM generate_series(1, 9) g");
        String query = "SELECT grp, count(*) AS n, sum(v) AS s FROM rn_src GROUP BY grp";
        createCompiled(db, "rn_st", query, "AGGREGATE");
        assertEquals("true", value(db, "SELECT plan ->> 'refresh' LIKE '%\"\\_\\_pgt\\_storage\\_\\_\"%'"
                + " AND plan ->> 'refresh' NOT LIKE '%rn\\_st%' FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'rn_st'"),
                "the plan names the storage table by a placeholder");

        db.execute("ALTER TABLE rn_st RENAME TO rn_renamed; INSERT INTO rn_src VALUES (10, 'g1', 10), (11, 'new', 1)");
        refreshDifferentially(db, "rn_renamed", query);
        assertEquals("rn_renamed", value(db, "SELECT pgt_name::text FROM pgtrickle.pgt_stream_tables"
                + " WHERE pgt_relid = 'rn_renamed'::regclass"));

        db.execute("CREATE SCHEMA rn_other; ALTER TABLE rn_renamed SET SCHEMA rn_other; DELETE FROM rn_src WHERE grp = 'g2'");
        refreshDifferentially(db, "rn_other.rn_renamed", query);
    }

    @Test
    void aStreamTableCreatedUnderTheNameOfARenamedOneCompiles() throws SQLException {
        db.execute("CREATE TABLE ri_src (id int PRIMARY KEY, v int); INSERT INTO ri_src VALUES (1, 1), (2, 2)");
        String query = "SELECT id, v FROM ri_src";
        createCompiled(db, "ri_st", query, "KEYED");
        db.execute("ALTER TABLE ri_st RENAME TO ri_st_old");
        // A refresh records the new name in the catalog, also when nothing changed.
        refresh(db, "ri_st_old");
        assertLastAction(db, "ri_st_old", "NO_DATA");
        assertEquals("ri_st_old", value(db, "SELECT pgt_name FROM pgtrickle.pgt_stream_tables WHERE pgt_name LIKE 'ri_st%'"));

        // The old one's identity index must not be in the way of the new one's.
        String other = "SELECT id, v * 2 AS w FROM ri_src";
        createCompiled(db, "ri_st", other, "KEYED");
        db.execute("INSERT INTO ri_src VALUES (3, 3)");
        refreshDifferentially(db, "ri_st", other);
        refreshDifferentially(db, "ri_st_old", query);
    }

    @Test
    void streamTablesWithLongNamesSharingAPrefixBothCompile() throws SQLException {
        db.execute("CREATE TABLE ln_src (id int PRIMARY KEY, v int); INSERT INTO ln_src VALUES (1, 1)");
        String prefix = "ln_" + "x".repeat(50);
        String query = "SELECT id, v FROM ln_src";
        createCompiled(db, prefix + "_one", query, "KEYED");
        createCompiled(db, prefix + "_two", query, "KEYED");
        db.execute("INSERT INTO ln_src VALUES (2, 2)");
        refreshDifferentially(db, prefix + "_one", query);
        refreshDifferentially(db, prefix + "_two", query);
    }

    /**
     * With no source change since the frontier, a refresh in any mode records NO_DATA and writes
     * nothing: not a row of the storage table is touched (their xmin and ctid stay).
     */
    @Test
    void aRefreshWithoutChangesRecordsNoDataAndWritesNothing() throws SQLException {
        db.execute("CREATE TABLE nc_src (id int PRIMARY KEY, grp text, v int);"
                + " INSERT INTO nc_src SELECT g, 'g' || (g % 3), g FROM generate_series(1, 9) g");
        String grouped = "SELECT grp, count(*) AS n, sum(v) AS s FROM nc_src GROUP BY grp";
        String global = "SELECT count(*) AS n, sum(v) AS s FROM nc_src";
        String content = "SELECT id, v FROM nc_src WHERE v > 3";
        createCompiled(db, "nc_grp", grouped, "AGGREGATE");
        createCompiled(db, "nc_all", global, "AGGREGATE");
        createCompiled(db, "nc_rows", content, "KEYED");
        rows(db, "SELECT 1 FROM pgtrickle.create_stream_table('nc_full', ?, refresh_mode => 'FULL')", content);
        // A change that was refreshed already is no reason either.
        db.execute("UPDATE nc_src SET v = v + 1 WHERE id = 9");
        for (String name : List.of("nc_grp", "nc_all", "nc_rows", "nc_full")) {
            refresh(db, name);
        }

        for (String name : List.of("nc_grp", "nc_all", "nc_rows", "nc_full")) {
            List<String> before = dump(db, name);
            String versions = "SELECT string_agg(xmin::text || ctid::text, ',' ORDER BY ctid) FROM " + name;
            String written = value(db, versions);
            for (int i = 0; i < 2; i++) {
                refresh(db, name);
                Map<String, Object> last = lastRefresh(db, name);
                assertEquals("NO_DATA", last.get("action"), last::toString);
                assertEquals(0L, ((Number) last.get("rows_inserted")).longValue(), last::toString);
                assertEquals(0L, ((Number) last.get("rows_updated")).longValue(), last::toString);
                assertEquals(0L, ((Number) last.get("rows_deleted")).longValue(), last::toString);
                assertEquals(0L, consumed(last), last::toString);
                assertEquals(before, dump(db, name), "nothing changed in " + name);
                assertEquals(written, value(db, versions), "no row of " + name + " was written");
            }
        }
        assertCorrect(db, "nc_grp", grouped);
        assertCorrect(db, "nc_all", global);
        assertCorrect(db, "nc_rows", content);
        Oracle.assertStreamTableMatchesQuery(db, "nc_full", content);

        // Changes that cancel out inside the window: consumed, but nothing applied.
        db.execute("INSERT INTO nc_src VALUES (100, 'x', 100); DELETE FROM nc_src WHERE id = 100");
        refreshDifferentially(db, "nc_rows", content);
        Map<String, Object> last = lastRefresh(db, "nc_rows");
        assertEquals(2L, consumed(last), last::toString);
        assertEquals(0L, ((Number) last.get("rows_inserted")).longValue() + ((Number) last.get("rows_deleted")).longValue(),
                last::toString);
    }

    // ------------------------------------------------------------------------------------------
    // roles

    @Test
    void aNonSuperuserOwnerRefreshesItsStreamTableDifferentiallyWhileAPlainWriterWrites() throws SQLException {
        String owner = "diff_owner";
        String writer = "diff_writer";
        db.createRole(owner, "owner-pw", "LOGIN", "NOSUPERUSER");
        db.createRole(writer, "writer-pw", "LOGIN", "NOSUPERUSER");
        db.execute("GRANT CREATE ON SCHEMA public TO " + owner);
        // A table of someone else's, already captured for another stream table, readable by the owner.
        db.execute("CREATE TABLE ro_dim (id int PRIMARY KEY, label text);"
                + " INSERT INTO ro_dim SELECT g, 'd' || g FROM generate_series(1, 4) g;"
                + " GRANT SELECT ON ro_dim TO " + owner + "; GRANT SELECT, INSERT, UPDATE, DELETE ON ro_dim TO " + writer);
        createCompiled(db, "ro_admin_st", "SELECT id, label FROM ro_dim", "KEYED");

        String query = "SELECT d.label, count(*) AS n, sum(f.amount) AS total FROM ro_fact f"
                + " JOIN ro_dim d ON d.id = f.dim_id GROUP BY d.label";
        try (Connection connection = db.connectAs(owner, "owner-pw"); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE ro_fact (id int PRIMARY KEY, dim_id int, amount numeric(12,2));"
                    + " INSERT INTO ro_fact SELECT g, g % 5, g * 0.5 FROM generate_series(1, 20) g;"
                    + " GRANT SELECT, INSERT, UPDATE, DELETE ON ro_fact TO " + writer);
            statement.execute("SELECT pgtrickle.create_stream_table('ro_st', $q$" + query + "$q$)");
            connection.setAutoCommit(false);
            CompileResult result = new StreamTableCompiler(connection).compile("ro_st");
            connection.commit();
            assertEquals(CompileResult.Outcome.COMPILED, result.outcome(), result::describe);
            assertEquals("AGGREGATE", result.detail());
        }
        assertEquals(owner, value(db, "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'ro_st'::regclass"));
        assertCorrect(db, "ro_st", query);

        try (Connection connection = db.connectAs(writer, "writer-pw"); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO ro_fact VALUES (21, 1, 100), (22, 4, 1); DELETE FROM ro_fact WHERE id = 2;"
                    + " UPDATE ro_dim SET label = 'renamed' WHERE id = 3; INSERT INTO ro_dim VALUES (0, 'zero')");
        }
        try (Connection connection = db.connectAs(owner, "owner-pw")) {
            refresh(connection, "ro_st");
        }
        assertDifferential(db, "ro_st", query);

        try (Connection connection = db.connectAs(writer, "writer-pw"); Statement statement = connection.createStatement()) {
            statement.execute("UPDATE ro_fact SET dim_id = 0 WHERE dim_id = 1");
        }
        try (Connection connection = db.connectAs(owner, "owner-pw")) {
            refresh(connection, "ro_st");
            assertEquals("DIFFERENTIAL", rows(connection, "SELECT h.action FROM pgtrickle.pgt_refresh_history h"
                    + " JOIN pgtrickle.pgt_stream_tables s USING (pgt_id) WHERE s.pgt_name = 'ro_st'"
                    + " ORDER BY h.refresh_id DESC LIMIT 1").get(0).get("action"));
        }
        assertDifferential(db, "ro_st", query);
        assertFalse(rows(db, "SELECT 1 FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'ro_admin_st'").isEmpty());
    }
}
