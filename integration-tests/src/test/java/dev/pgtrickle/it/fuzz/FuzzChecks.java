package dev.pgtrickle.it.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pgtrickle.it.Oracle;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.PGConnection;

/**
 * What must hold after every refresh of a stream table: it equals its defining query as a
 * multiset (I3), its hidden bookkeeping is consistent (no negative or missing multiplicities,
 * row identity follows content), and the refresh really was differential.
 */
final class FuzzChecks {

    /** The newest history row of a stream table. */
    record History(long id, String action, String status) {
    }

    private FuzzChecks() {
    }

    /**
     * I3: the stream table equals its query, as a multiset, over the query's columns (in the
     * query's order; columns listed in {@link StreamTableDef#compared()} through their expression).
     * Both sides are read by one statement, so under one snapshot.
     */
    static void assertMatchesQuery(Connection connection, StreamTableDef st) throws SQLException {
        List<String> queryColumns = Oracle.queryColumns(connection, st.query());
        List<String> storageColumns = Oracle.columns(connection, st.name(), false);
        assertEquals(queryColumns.stream().sorted().toList(), storageColumns.stream().sorted().toList(),
                "visible columns of stream table " + st.name());
        List<String> items = new ArrayList<>();
        for (String column : queryColumns) {
            String quoted = ident(connection, column);
            items.add(st.compared().getOrDefault(column, quoted) + " AS " + quoted);
        }
        String select = String.join(", ", items);
        String stream = "SELECT " + select + " FROM " + st.name();
        String query = "SELECT " + select + " FROM (" + st.query() + ") AS __fuzz_q";
        String onlyInStream = "(" + stream + ") EXCEPT ALL (" + query + ")";
        String onlyInQuery = "(" + query + ") EXCEPT ALL (" + stream + ")";
        long differences = Oracle.count(connection,
                "SELECT count(*) FROM ((" + onlyInStream + ") UNION ALL (" + onlyInQuery + ")) AS __fuzz_d");
        if (differences != 0) {
            fail("I3 violated: stream table " + st.name() + " differs from its query in " + differences + " row(s)"
                    + "\n  only in the stream table: " + Oracle.rows(connection, onlyInStream)
                    + "\n  only in the query:        " + Oracle.rows(connection, onlyInQuery)
                    + "\n  stream table now:         " + Oracle.rows(connection, "SELECT * FROM " + st.name())
                    + "\n  query now:                " + Oracle.rows(connection, st.query()));
        }
    }

    /**
     * The hidden columns are consistent: content-strategy tables number the copies of each row
     * identity exactly 1..n, rows sharing an identity are equal (but for their window values) and
     * copies of a row share one;
     * aggregate tables keep a positive row count per stored group (non-negative for an aggregate
     * without GROUP BY) and non-NULL counts between 0 and the row count.
     */
    static void assertHiddenColumnsConsistent(Connection connection, StreamTableDef st) throws SQLException {
        List<String> hidden = Oracle.columns(connection, st.name(), true);
        List<String> visible = Oracle.columns(connection, st.name(), false);
        List<String> quoted = new ArrayList<>();
        for (String column : visible) {
            quoted.add(ident(connection, column));
        }
        String content = "ROW(" + String.join(", ", quoted) + ")";
        if (hidden.contains("__pgt_dup")) {
            // A window's row is identified without its window values: copies of one row may rank apart.
            String oneContent = hidden.contains("__pgt_part") ? "" : " OR contents <> 1";
            String badNumbering = "SELECT __pgt_row_id, n, lo, hi, d, contents FROM (SELECT __pgt_row_id,"
                    + " count(*) AS n, min(__pgt_dup) AS lo, max(__pgt_dup) AS hi, count(DISTINCT __pgt_dup) AS d,"
                    + " count(DISTINCT " + content + ") AS contents FROM " + st.name() + " GROUP BY __pgt_row_id) AS x"
                    + " WHERE lo IS DISTINCT FROM 1 OR hi IS DISTINCT FROM n OR d <> n" + oneContent;
            assertNone(connection, badNumbering, "stream table " + st.name()
                    + ": __pgt_dup must be exactly 1..n per __pgt_row_id, and one content per identity");
            assertNone(connection, "SELECT * FROM " + st.name() + " WHERE __pgt_row_id IS NULL OR __pgt_dup IS NULL",
                    "stream table " + st.name() + ": NULL identity");
            // Copies of a row (the very same bytes) share one identity, whatever the identity's
            // equality is (values equal by their type's equality but stored differently, like
            // numeric 1.0 and 1.00, may or may not share one).
            assertNone(connection, "SELECT pg_catalog.record_send(" + content + ") FROM " + st.name()
                    + " GROUP BY 1 HAVING count(DISTINCT __pgt_row_id) > 1", "stream table " + st.name()
                    + ": copies of one row must share one row identity");
        }
        if (hidden.contains("__pgt_count")) {
            String condition = st.grouped() ? "__pgt_count IS NULL OR __pgt_count <= 0" : "__pgt_count IS NULL OR __pgt_count < 0";
            for (String column : hidden) {
                if (column.matches("__pgt_agg_\\d+_n")) {
                    condition += " OR " + column + " IS NULL OR " + column + " < 0 OR " + column + " > __pgt_count";
                }
            }
            assertNone(connection, "SELECT * FROM " + st.name() + " WHERE " + condition, "stream table " + st.name()
                    + ": every stored group needs a positive row count (__pgt_count) and non-NULL counts within it");
        }
        if (hidden.contains("__pgt_row_id") && !hidden.contains("__pgt_dup")) {
            assertNone(connection, "SELECT __pgt_row_id FROM " + st.name() + " GROUP BY __pgt_row_id"
                    + " HAVING count(*) > 1 OR __pgt_row_id IS NULL", "stream table " + st.name() + ": group identities");
        }
    }

    static History lastHistory(Connection connection, String streamTable) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT h.refresh_id, h.action, h.status FROM pgtrickle.pgt_refresh_history h"
                        + " JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)"
                        + " WHERE s.pgt_relid = ?::regclass ORDER BY h.refresh_id DESC LIMIT 1")) {
            statement.setString(1, streamTable);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return new History(0, null, null);
                }
                return new History(row.getLong(1), row.getString(2), row.getString(3));
            }
        }
    }

    /** {@code effective_mode: mode_reason} from pgt_status(). */
    static String status(Connection connection, String streamTable) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT effective_mode || coalesce(': ' || mode_reason, '') FROM pgtrickle.pgt_status() WHERE name = ?")) {
            statement.setString(1, streamTable);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? row.getString(1) : "(not in pgt_status())";
            }
        }
    }

    static String strategy(Connection connection, String streamTable) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT plan ->> 'strategy' FROM pgtrickle.pgt_stream_tables WHERE pgt_relid = ?::regclass")) {
            statement.setString(1, streamTable);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void assertNone(Connection connection, String sql, String message) throws SQLException {
        long found = Oracle.count(connection, "SELECT count(*) FROM (" + sql + ") AS __fuzz_bad");
        if (found != 0) {
            fail(message + ": " + found + " offending row(s): " + Oracle.rows(connection, sql));
        }
    }

    private static String ident(Connection connection, String name) throws SQLException {
        return connection.unwrap(PGConnection.class).escapeIdentifier(name);
    }
}
