package dev.pgtrickle.scheduler.catalog;

import dev.pgtrickle.scheduler.schedule.Schedule;
import dev.pgtrickle.scheduler.schedule.Tier;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Reads the daemon's view of the catalog in one query. */
public final class CatalogReader {

    // Stream tables whose storage table is gone are left out: only drop_stream_table helps them.
    private static final String QUERY = """
            SELECT st.pgt_id, pgtrickle._display_name(n.nspname, c.relname), st.schedule, st.tier,
                   st.status, st.data_timestamp, st.consecutive_errors, pg_get_userbyid(c.relowner),
                   ARRAY(SELECT up.pgt_id FROM pgtrickle.pgt_dependencies d
                         JOIN pgtrickle.pgt_stream_tables up ON up.pgt_relid = d.source_relid
                         WHERE d.pgt_id = st.pgt_id),
                   st.compile_status,
                   (SELECT fb.recent FROM pgtrickle._last_fallback(st.pgt_id) fb),
                   st.diamond_consistency = 'atomic', st.refresh_mode = 'IMMEDIATE'
            FROM pgtrickle.pgt_stream_tables st
            JOIN pg_class c ON c.oid = st.pgt_relid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            ORDER BY st.pgt_id
            """;

    private CatalogReader() {
    }

    public static List<StreamTableState> load(Connection connection) throws SQLException {
        List<StreamTableState> tables = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(QUERY);
             ResultSet row = statement.executeQuery()) {
            while (row.next()) {
                Timestamp lastRefresh = row.getTimestamp(6);
                tables.add(new StreamTableState(
                        row.getLong(1),
                        row.getString(2),
                        Schedule.parse(row.getString(3)),
                        Tier.of(row.getString(4)),
                        row.getString(5),
                        lastRefresh == null ? null : lastRefresh.toInstant(),
                        row.getInt(7),
                        row.getString(8),
                        ids(row.getArray(9)),
                        row.getString(10),
                        row.getString(11),
                        row.getBoolean(12),
                        row.getBoolean(13)));
            }
        }
        return tables;
    }

    private static Set<Long> ids(Array array) throws SQLException {
        Set<Long> ids = new HashSet<>();
        for (Object id : (Object[]) array.getArray()) {
            ids.add(((Number) id).longValue());
        }
        return ids;
    }
}
