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
     * The WAL insert position now. Read before a snapshot is taken, it is where reading the
     * journal starts next time, except for a transaction whose commit record precedes it but which
     * became visible only after the snapshot: the loader looks for those (docs/architecture.md,
     * "Where the next read starts").
     */
    static long insertLsn(Connection c) throws SQLException {
        try (Statement statement = c.createStatement();
             ResultSet row = statement.executeQuery("SELECT (pg_current_wal_insert_lsn() - '0/0')::text")) {
            row.next();
            return Long.parseLong(row.getString(1));
        }
    }
}
