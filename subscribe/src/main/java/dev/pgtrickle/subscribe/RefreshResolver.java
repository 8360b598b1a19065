package dev.pgtrickle.subscribe;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The refresh a decoded transaction was: its row in {@code pgt_refresh_history}, found by the
 * transaction id (the 32 bits logical decoding carries, matched against the history's
 * {@code xid8}). Committed in the same transaction as the changes, so it is there when they are.
 */
final class RefreshResolver {

    /** A refresh: its id and action. */
    record Refresh(Long id, String action) {

        static final Refresh UNKNOWN = new Refresh(null, null);
    }

    private static final String FIND = """
            SELECT refresh_id, action FROM pgtrickle.pgt_refresh_history
             WHERE pgt_id = ? AND (xid::text::bigint % 4294967296) = ?
             ORDER BY refresh_id DESC LIMIT 1
            """;

    private final Connection connection;
    private final long pgtId;
    private long lastXid = -1;
    private Refresh last = Refresh.UNKNOWN;

    RefreshResolver(Connection connection, long pgtId) {
        this.connection = connection;
        this.pgtId = pgtId;
    }

    /** The refresh of transaction {@code xid}; {@link Refresh#UNKNOWN} when no refresh wrote it. */
    Refresh of(long xid) throws SQLException {
        if (xid != lastXid) {
            try (PreparedStatement statement = connection.prepareStatement(FIND)) {
                statement.setLong(1, pgtId);
                statement.setLong(2, xid);
                try (ResultSet row = statement.executeQuery()) {
                    last = row.next() ? new Refresh(row.getLong(1), row.getString(2)) : Refresh.UNKNOWN;
                }
            }
            lastXid = xid;
        }
        return last;
    }
}
