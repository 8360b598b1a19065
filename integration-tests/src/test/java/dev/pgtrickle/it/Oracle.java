package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.PGConnection;

/**
 * The correctness oracle of stream tables: a stream table must hold exactly what its defining
 * query returns, as a multiset (duplicates and NULLs included, order ignored).
 */
public final class Oracle {

    /** How many differing rows of each side a failure message shows. */
    private static final int SHOWN_ROWS = 20;

    private Oracle() {
    }

    /**
     * Asserts that {@code streamTable} equals {@code query} as a multiset, with symmetric
     * {@code EXCEPT ALL}. The storage table's user columns (hidden {@code __pgt_} columns aside)
     * must be the query's columns; they are compared in the query's column order, since an
     * in-place rebuild may have left the storage table's columns in another order.
     */
    public static void assertStreamTableMatchesQuery(TestDatabase db, String streamTable, String query)
            throws SQLException {
        try (Connection connection = db.connect()) {
            assertStreamTableMatchesQuery(connection, streamTable, query);
        }
    }

    /**
     * The same on the caller's connection: inside its transaction, e.g. where the query reads the
     * clock and must be evaluated at the same now() as the refresh before it.
     */
    public static void assertStreamTableMatchesQuery(Connection connection, String streamTable, String query)
            throws SQLException {
        List<String> queryColumns = queryColumns(connection, query);
        List<String> storageColumns = columns(connection, streamTable, false);
        assertEquals(queryColumns.stream().sorted().toList(), storageColumns.stream().sorted().toList(),
                "columns of stream table " + streamTable + " vs. its query " + query);

        PGConnection pg = connection.unwrap(PGConnection.class);
        List<String> quoted = new ArrayList<>();
        for (String column : queryColumns) {
            quoted.add(pg.escapeIdentifier(column));
        }
        String stream = "SELECT " + String.join(", ", quoted) + " FROM " + streamTable;
        String onlyInStream = "(" + stream + ") EXCEPT ALL (" + query + ")";
        String onlyInQuery = "(" + query + ") EXCEPT ALL (" + stream + ")";
        long differences = count(connection,
                "SELECT count(*) FROM ((" + onlyInStream + ") UNION ALL (" + onlyInQuery + ")) AS diff");
        if (differences != 0) {
            fail("stream table " + streamTable + " differs from its query " + query + " in " + differences
                    + " row(s)\n  only in the stream table: " + rows(connection, onlyInStream)
                    + "\n  only in the query:        " + rows(connection, onlyInQuery));
        }
    }

    /** Runs each statement on the caller's connection, checking the stream table against its query after each. */
    public static void assertAfterEachStatement(Connection connection, String streamTable, String query,
                                                String... statements) throws SQLException {
        try (java.sql.Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
                assertStreamTableMatchesQuery(connection, streamTable, query);
            }
        }
    }

    /** Output column names of a query, in order (the query is planned, not run). */
    public static List<String> queryColumns(Connection connection, String query) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT * FROM (" + query + ") AS q LIMIT 0")) {
            ResultSetMetaData meta = rows.getMetaData();
            List<String> names = new ArrayList<>();
            for (int column = 1; column <= meta.getColumnCount(); column++) {
                names.add(meta.getColumnLabel(column));
            }
            return names;
        }
    }

    /** Visible (or, with {@code hidden}, the {@code __pgt_}) columns of a table, in column order. */
    public static List<String> columns(Connection connection, String table, boolean hidden) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0"
                        + " AND NOT attisdropped AND (attname ~ '^__pgt_') = ? ORDER BY attnum")) {
            statement.setString(1, table);
            statement.setBoolean(2, hidden);
            try (ResultSet rows = statement.executeQuery()) {
                List<String> names = new ArrayList<>();
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
                return names;
            }
        }
    }

    /** The first column of the first row, as a number. */
    public static long count(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Up to a few rows of a query, as text, for failure messages. */
    public static String rows(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(
                     "SELECT __oracle_row::text FROM (" + sql + ") AS __oracle_row ORDER BY 1 LIMIT " + (SHOWN_ROWS + 1))) {
            List<String> shown = new ArrayList<>();
            while (rows.next()) {
                shown.add(shown.size() == SHOWN_ROWS ? "..." : rows.getString(1));
            }
            return shown.toString();
        }
    }
}
