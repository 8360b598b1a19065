package dev.pgtrickle.cdc.load;

import dev.pgtrickle.cdc.journal.ChangeJournal;
import dev.pgtrickle.cdc.journal.JournalCursor;
import dev.pgtrickle.cdc.journal.JournalEntry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Loads the journal's changes a refresh owes into the change buffers, inside the refresh's
 * REPEATABLE READ transaction: for each journal source, the changes of transactions visible in
 * the refresh snapshot and not yet loaded (see {@link JournalSource#owed}), stamped with the
 * writer's xid8 and capture stamp 0, so the generated delta SQL reads them like trigger rows.
 * Values are mapped to buffer columns by name through the journal's schema entries.
 */
public final class JournalLoader {

    private static final int FLUSH_BYTES = 1 << 16;

    private final ChangeJournal journal;

    public JournalLoader(ChangeJournal journal) {
        this.journal = journal;
    }

    /**
     * @param now       the refresh snapshot
     * @param nowLsn    a position the decoder has passed, after every commit {@code now} sees
     * @param lsnBefore an LSN read before {@code now} was taken, where reading the journal starts
     *                  next time. A transaction {@code now} does not see can still have committed
     *                  before it: its commit record was written before the LSN was read, but it
     *                  became visible only after the snapshot. Such transactions of the source are
     *                  in the part of the journal read here, and reading starts before the first of
     *                  them next time.
     */
    public Loaded load(Connection c, List<JournalSource> sources, Snapshot now, long nowLsn, long lsnBefore)
            throws SQLException {
        long rows = 0;
        long readFrom = lsnBefore;
        for (JournalSource source : sources) {
            if (source.wal() && source.triggers()) {
                // Their rows for transactions after the cut duplicate the journal (see R__70_wal.sql).
                try (PreparedStatement delete = c.prepareStatement("SELECT pgtrickle._drop_trigger_rows_after_cut(?::oid)")) {
                    delete.setLong(1, source.oid());
                    delete.execute();
                }
            }
            Copied copied = copy(c, source, now, nowLsn);
            rows += copied.rows();
            long resumeAfter = copied.firstUnseenCommit() == NONE_UNSEEN ? lsnBefore
                    : Math.min(lsnBefore, copied.firstUnseenCommit() - 1);
            readFrom = Math.min(readFrom, resumeAfter);
            try (PreparedStatement loaded = c.prepareStatement(
                    "UPDATE pgtrickle.pgt_change_sources SET wal_loaded = ?::pg_snapshot, wal_loaded_lsn = ?::pg_lsn"
                            + " WHERE source_relid = ?")) {
                loaded.setString(1, now.toString());
                loaded.setString(2, lsnText(resumeAfter));
                loaded.setLong(3, source.oid());
                loaded.executeUpdate();
            }
        }
        return new Loaded(rows, readFrom);
    }

    /**
     * What a load did.
     *
     * @param rows     buffer rows written
     * @param readFrom the lowest position where the next read of the sources' journal starts:
     *                 a transaction committed after it may be owed by the next load
     */
    public record Loaded(long rows, long readFrom) {
    }

    private static final long NONE_UNSEEN = Long.MAX_VALUE;

    /**
     * @param rows              buffer rows written
     * @param firstUnseenCommit the lowest commit LSN of the source's journaled transactions that
     *                          the snapshot does not see ({@link #NONE_UNSEEN}: none)
     */
    private record Copied(long rows, long firstUnseenCommit) {
    }

    private Copied copy(Connection c, JournalSource source, Snapshot now, long nowLsn) throws SQLException {
        int relation = (int) source.oid();
        int[] positions = null;
        CopyIn copy = null;
        StringBuilder pending = new StringBuilder();
        long rows = 0;
        long firstUnseenCommit = NONE_UNSEEN;
        try (JournalCursor cursor = journal.cursorAfterCommitLsn(source.loadedLsn())) {
            for (JournalEntry entry; (entry = cursor.next()) != null; ) {
                if (Long.compareUnsigned(entry.commitLsn(), nowLsn) > 0) {
                    break;
                }
                if (entry.relationOid() != relation) {
                    continue;
                }
                if (!now.visible(entry.xid())) {
                    firstUnseenCommit = Math.min(firstUnseenCommit, entry.commitLsn());
                }
                if (entry.action() == JournalEntry.SCHEMA) {
                    positions = positions(source, entry);
                    continue;
                }
                if (!source.owed(entry.xid(), now)) {
                    continue;
                }
                if (positions == null) {
                    throw new IllegalStateException("journal change of " + source.buffer() + " without a schema entry");
                }
                if (copy == null) {
                    copy = startCopy(c, source);
                }
                appendRow(pending, entry, positions);
                rows++;
                if (pending.length() >= FLUSH_BYTES) {
                    write(copy, pending);
                }
            }
            if (copy != null) {
                write(copy, pending);
                copy.endCopy();
                copy = null;
            }
        } finally {
            if (copy != null && copy.isActive()) {
                copy.cancelCopy();
            }
        }
        return new Copied(rows, firstUnseenCommit);
    }

    /** For each captured column, its position in the journal's values. */
    private static int[] positions(JournalSource source, JournalEntry schema) {
        Map<String, Integer> byName = new HashMap<>();
        for (int i = 0; i < schema.columnCount(); i++) {
            byName.put(schema.value(i), i);
        }
        int[] positions = new int[source.columns().size()];
        for (int i = 0; i < positions.length; i++) {
            Integer position = byName.get(source.columns().get(i));
            if (position == null) {
                throw new StaleCaptureException("column " + source.columns().get(i) + " of table with oid "
                        + Integer.toUnsignedString((int) source.oid()) + " is not in the WAL (dropped or renamed?);"
                        + " the capture is rebuilt and the stream tables recomputed");
            }
            positions[i] = position;
        }
        return positions;
    }

    private static CopyIn startCopy(Connection c, JournalSource source) throws SQLException {
        StringBuilder sql = new StringBuilder("COPY ").append(source.qualifiedBuffer())
                .append(" (__pgt_xid, __pgt_seq, __pgt_action");
        for (String column : source.columns()) {
            sql.append(", ").append(quoteIdent(column));
        }
        sql.append(") FROM STDIN");
        return c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql.toString());
    }

    private static void appendRow(StringBuilder out, JournalEntry entry, int[] positions) {
        out.append(Long.toUnsignedString(entry.xid())).append("\t0\t").append(entry.action());
        for (int position : positions) {
            out.append('\t');
            appendValue(out, entry.action() == JournalEntry.TRUNCATE ? null : entry.value(position));
        }
        out.append('\n');
    }

    /** COPY text format: backslash escapes for the delimiter, line breaks and backslash; \N is NULL. */
    static void appendValue(StringBuilder out, String value) {
        if (value == null) {
            out.append("\\N");
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(ch);
            }
        }
    }

    private static void write(CopyIn copy, StringBuilder pending) throws SQLException {
        byte[] bytes = pending.toString().getBytes(StandardCharsets.UTF_8);
        copy.writeToCopy(bytes, 0, bytes.length);
        pending.setLength(0);
    }

    static String lsnText(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
    }

    static String quoteIdent(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }
}
