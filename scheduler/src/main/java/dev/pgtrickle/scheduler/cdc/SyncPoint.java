package dev.pgtrickle.scheduler.cdc;

import dev.pgtrickle.cdc.load.Snapshot;
import dev.pgtrickle.cdc.wal.WalDecoder;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A snapshot placed in the WAL, for loading the journal up to it (docs/architecture.md, "WAL
 * capture"): the snapshot and a non-transactional sync message are taken in one statement, so
 * every commit the snapshot sees precedes the message in the WAL, and once the decoder has passed
 * the message the journal holds all of them.
 *
 * @param snapshot the snapshot
 * @param syncLsn  where the sync message is
 */
record SyncPoint(Snapshot snapshot, long syncLsn) {

    /** Takes the snapshot and emits the message, in the caller's transaction. */
    static SyncPoint take(Connection c) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT pg_current_snapshot()::text, (pg_logical_emit_message(false, ?, '') - '0/0')::text")) {
            statement.setString(1, WalDecoder.SYNC_PREFIX);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return new SyncPoint(Snapshot.parse(row.getString(1)), Long.parseLong(row.getString(2)));
            }
        }
    }

    /**
     * The WAL insert position now: read before a snapshot is taken, every transaction that
     * snapshot does not see commits after it (where reading the journal starts next time).
     */
    static long insertLsn(Connection c) throws SQLException {
        try (Statement statement = c.createStatement();
             ResultSet row = statement.executeQuery("SELECT (pg_current_wal_insert_lsn() - '0/0')::text")) {
            row.next();
            return Long.parseLong(row.getString(1));
        }
    }
}
