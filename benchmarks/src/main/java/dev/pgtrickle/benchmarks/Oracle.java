package dev.pgtrickle.benchmarks;

import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The correctness oracle: a stream table (or materialized view) must hold exactly what its
 * query returns, as a multiset: symmetric {@code EXCEPT ALL} over the query's (visible) columns.
 */
public final class Oracle {

    private Oracle() {
    }

    /** Rows in which {@code relation} and {@code query} differ (0 when they are equal). */
    public static long differences(Db db, String relation, String query) throws SQLException {
        List<String> columns = new ArrayList<>();
        try (Statement statement = db.connection().createStatement();
             ResultSet rows = statement.executeQuery("SELECT * FROM (" + query + ") AS q LIMIT 0")) {
            ResultSetMetaData meta = rows.getMetaData();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                columns.add("\"" + meta.getColumnLabel(i).replace("\"", "\"\"") + "\"");
            }
        }
        String stored = "SELECT " + String.join(", ", columns) + " FROM " + relation;
        return db.queryLong("SELECT count(*) FROM (((" + stored + ") EXCEPT ALL (" + query + "))"
                + " UNION ALL ((" + query + ") EXCEPT ALL (" + stored + "))) AS diff");
    }
}
