package dev.pgtrickle.cdc.journal;

import java.util.Arrays;
import java.util.Objects;

/**
 * One captured row change of one committed transaction, as stored in the {@link ChangeJournal}.
 *
 * <p>Immutable: the values array is copied on the way in and on the way out; {@link #value(int)}
 * and {@link #columnCount()} read it without copying. Equality compares the array content.
 *
 * @param commitLsn   LSN of the transaction's commit record (the same for every entry of it)
 * @param xid         the transaction's full 64-bit id (xid8), what readers filter snapshots by
 * @param relationOid the changed relation's OID (its raw 32 bits; OIDs above 2^31 are negative here)
 * @param action      {@link #INSERT} (weight +1), {@link #DELETE} (weight -1), {@link #TRUNCATE}
 *                    (a marker without values) or {@link #SCHEMA} (the column names the relation's
 *                    later entries of the same transaction follow)
 * @param values      column values in PostgreSQL text form, a {@code null} element is SQL NULL;
 *                    empty for a truncate marker; the column names for a schema entry
 */
public record JournalEntry(long commitLsn, long xid, int relationOid, char action, String[] values) {

    public static final char INSERT = 'I';
    public static final char DELETE = 'D';
    public static final char TRUNCATE = 'T';
    public static final char SCHEMA = 'S';

    private static final String[] NONE = new String[0];

    public JournalEntry {
        Objects.requireNonNull(values, "values (use an empty array for no columns)");
        if (action != INSERT && action != DELETE && action != TRUNCATE && action != SCHEMA) {
            throw new IllegalArgumentException("action must be 'I', 'D', 'T' or 'S', not '" + action + "'");
        }
        if (action == TRUNCATE && values.length != 0) {
            throw new IllegalArgumentException("a truncate marker carries no values");
        }
        values = values.length == 0 ? NONE : values.clone();
    }

    public static JournalEntry insert(long commitLsn, long xid, int relationOid, String... values) {
        return new JournalEntry(commitLsn, xid, relationOid, INSERT, values);
    }

    public static JournalEntry delete(long commitLsn, long xid, int relationOid, String... values) {
        return new JournalEntry(commitLsn, xid, relationOid, DELETE, values);
    }

    public static JournalEntry truncate(long commitLsn, long xid, int relationOid) {
        return new JournalEntry(commitLsn, xid, relationOid, TRUNCATE, NONE);
    }

    public static JournalEntry schema(long commitLsn, long xid, int relationOid, String... columnNames) {
        return new JournalEntry(commitLsn, xid, relationOid, SCHEMA, columnNames);
    }

    /** A copy of the column values. */
    @Override
    public String[] values() {
        return values.length == 0 ? NONE : values.clone();
    }

    public int columnCount() {
        return values.length;
    }

    /** The value of column {@code i} (0-based) in text form, {@code null} for SQL NULL. */
    public String value(int i) {
        return values[i];
    }

    /** +1 for an insert, -1 for a delete, 0 for a truncate marker or a schema entry. */
    public int weight() {
        return action == INSERT ? 1 : action == DELETE ? -1 : 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JournalEntry other
                && commitLsn == other.commitLsn
                && xid == other.xid
                && relationOid == other.relationOid
                && action == other.action
                && Arrays.equals(values, other.values);
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(commitLsn);
        h = 31 * h + Long.hashCode(xid);
        h = 31 * h + relationOid;
        h = 31 * h + action;
        return 31 * h + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "JournalEntry[commitLsn=" + Long.toHexString(commitLsn) + ", xid=" + xid
                + ", relationOid=" + Integer.toUnsignedString(relationOid) + ", action=" + action
                + ", values=" + Arrays.toString(values) + "]";
    }
}
