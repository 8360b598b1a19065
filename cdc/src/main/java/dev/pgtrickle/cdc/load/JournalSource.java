package dev.pgtrickle.cdc.load;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A source table whose changes (partly) come from the journal, as {@code pgt_change_sources}
 * describes it (see R__70_wal.sql).
 *
 * @param oid              the source table
 * @param buffer           its change buffer in schema {@code pgtrickle_changes}
 * @param columns          the captured columns, in buffer order
 * @param wal              captured from the WAL now (else: back on triggers, journal still owed)
 * @param triggers         capture triggers are (still) installed on the table
 * @param cut              the snapshot of the last switch, or {@code null}
 * @param loaded           the journal is loaded for the transactions this snapshot sees
 * @param loadedLsn        every transaction {@code loaded} does not see commits after this LSN
 */
public record JournalSource(long oid, String buffer, List<String> columns, boolean wal, boolean triggers, Snapshot cut,
                            Snapshot loaded, long loadedLsn) {

    /** What {@link #read} maps, from {@code pgt_change_sources}. */
    private static final String COLUMNS = "source_relid, buffer_table, captured_columns, cdc_mode = 'wal', wal_cut::text,"
            + " wal_loaded::text, (wal_loaded_lsn - '0/0')::text, pgtrickle._has_capture_triggers(source_relid)";

    public JournalSource {
        columns = List.copyOf(columns);
    }

    /** The buffer's name, schema-qualified and quoted for SQL. */
    public String qualifiedBuffer() {
        return "pgtrickle_changes." + JournalLoader.quoteIdent(buffer);
    }

    /**
     * The statement locking the buffers of {@code sources} for loading: SHARE UPDATE EXCLUSIVE
     * conflicts with itself, so two sessions never load one buffer at once, while the capture
     * triggers' inserts and the refreshes' reads go on; with {@code nowait}, a buffer another
     * session loads is an error (55P03) instead of a wait.
     */
    public static String lockForLoading(List<JournalSource> sources, boolean nowait) {
        return "LOCK TABLE " + sources.stream().map(JournalSource::qualifiedBuffer).collect(Collectors.joining(", "))
                + " IN SHARE UPDATE EXCLUSIVE MODE" + (nowait ? " NOWAIT" : "");
    }

    /** Whether the journal's change of transaction {@code xid} belongs in the buffer for a refresh at {@code now}. */
    boolean owed(long xid, Snapshot now) {
        return now.visible(xid) && !loaded.visible(xid) && (wal || cut.visible(xid));
    }

    /** The journal sources of stream table {@code pgtId}, read in the caller's transaction. */
    public static List<JournalSource> of(Connection c, long pgtId) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT " + COLUMNS + " FROM pgtrickle._journal_sources(?)")) {
            statement.setLong(1, pgtId);
            return read(statement);
        }
    }

    /**
     * The sources captured from the WAL alone (no capture triggers, so no trigger rows to reconcile
     * with): those whose journal changes may be loaded ahead of their refreshes.
     */
    public static List<JournalSource> walOnly(Connection c) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement("SELECT " + COLUMNS
                + " FROM pgtrickle.pgt_change_sources WHERE cdc_mode = 'wal' AND NOT pgtrickle._has_capture_triggers(source_relid)"
                + " ORDER BY source_relid")) {
            return read(statement);
        }
    }

    /**
     * Source {@code oid} as it is now, if it is still captured from the WAL alone, its catalog row
     * locked against switches and other loaders; fails with SQLSTATE 55P03 rather than wait for a
     * lock someone else holds. Manual commit, READ COMMITTED.
     */
    public static Optional<JournalSource> lockedWalOnly(Connection c, long oid) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement("SELECT " + COLUMNS
                + " FROM pgtrickle.pgt_change_sources WHERE source_relid = ?::oid AND cdc_mode = 'wal'"
                + " AND NOT pgtrickle._has_capture_triggers(source_relid) FOR UPDATE NOWAIT")) {
            statement.setLong(1, oid);
            return read(statement).stream().findFirst();
        }
    }

    private static List<JournalSource> read(PreparedStatement statement) throws SQLException {
        List<JournalSource> sources = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                Array columns = rows.getArray(3);
                sources.add(new JournalSource(rows.getLong(1), rows.getString(2),
                        List.of((String[]) columns.getArray()), rows.getBoolean(4), rows.getBoolean(8),
                        rows.getString(5) == null ? null : Snapshot.parse(rows.getString(5)),
                        Snapshot.parse(rows.getString(6)), Long.parseLong(rows.getString(7))));
            }
        }
        return sources;
    }
}
