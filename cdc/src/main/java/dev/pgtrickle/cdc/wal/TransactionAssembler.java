package dev.pgtrickle.cdc.wal;

import dev.pgtrickle.cdc.journal.JournalEntry;
import dev.pgtrickle.cdc.wal.decode.Begin;
import dev.pgtrickle.cdc.wal.decode.ColumnValue;
import dev.pgtrickle.cdc.wal.decode.Commit;
import dev.pgtrickle.cdc.wal.decode.Delete;
import dev.pgtrickle.cdc.wal.decode.Insert;
import dev.pgtrickle.cdc.wal.decode.PgOutputMessage;
import dev.pgtrickle.cdc.wal.decode.Relation;
import dev.pgtrickle.cdc.wal.decode.Truncate;
import dev.pgtrickle.cdc.wal.decode.TupleData;
import dev.pgtrickle.cdc.wal.decode.Update;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the pgoutput message stream into whole transactions of journal entries: an INSERT is one
 * 'I' entry, a DELETE one 'D' entry of the old row, an UPDATE 'D' of the old row and 'I' of the
 * new one, a TRUNCATE a 'T' marker per table. Before the first change to a table, each
 * transaction carries an 'S' entry with the table's column names (as the server publishes them
 * then), so a reader starting anywhere maps values by name, across schema changes.
 *
 * <p>Old rows need every column, which only REPLICA IDENTITY FULL sends. Where a value is missing
 * (no old row, only its key, or an unchanged TOAST value without an old copy) no placeholder may
 * reach a stream table: the change becomes a 'T' marker instead, and the readers of that table
 * recompute it.
 */
public final class TransactionAssembler {

    private static final Logger LOG = LoggerFactory.getLogger(TransactionAssembler.class);

    private final Map<Integer, Relation> relations = new HashMap<>();
    private final List<JournalEntry> entries = new ArrayList<>();
    private final Set<Integer> described = new HashSet<>();
    private Begin current;
    private long xid;
    private long xidReference;

    /** A recent full xid of the server, to widen the 32-bit xids of Begin messages. */
    public void referenceXid(long fullXid) {
        xidReference = fullXid;
    }

    public Relation relation(int oid) {
        return relations.get(oid);
    }

    /** @return the transaction when {@code message} is its commit, otherwise {@code null} */
    public CommittedTransaction accept(PgOutputMessage message) {
        if (message instanceof Begin begin) {
            current = begin;
            xid = FullXids.widen(begin.xid(), xidReference);
            entries.clear();
            described.clear();
        } else if (message instanceof Relation relation) {
            relations.put(relation.relationOid(), relation);
            // A schema change inside the transaction: describe the table again before its next change.
            described.remove(relation.relationOid());
        } else if (message instanceof Insert insert) {
            add(insert.relationOid(), 'I', text(insert.newTuple(), null));
        } else if (message instanceof Update update) {
            String[] old = update.oldTupleKind() == 'O' ? text(update.oldTuple(), null) : null;
            String[] updated = old == null ? null : text(update.newTuple(), old);
            if (old == null || updated == null) {
                truncateMarker(update.relationOid(), "an UPDATE without the complete old row");
            } else {
                add(update.relationOid(), 'D', old);
                add(update.relationOid(), 'I', updated);
            }
        } else if (message instanceof Delete delete) {
            String[] old = delete.oldTupleKind() == 'O' ? text(delete.oldTuple(), null) : null;
            if (old == null) {
                truncateMarker(delete.relationOid(), "a DELETE without the complete old row");
            } else {
                add(delete.relationOid(), 'D', old);
            }
        } else if (message instanceof Truncate truncate) {
            truncate.relationOids().forEach(oid -> add(oid, 'T', new String[0]));
        } else if (message instanceof Commit commit) {
            CommittedTransaction done = new CommittedTransaction(commit.commitLsn(), commit.endLsn(), xid, entries);
            entries.clear();
            current = null;
            return done;
        }
        return null;
    }

    private void add(int relationOid, char action, String[] values) {
        if (current == null) {
            throw new IllegalStateException("a row change outside a transaction (relation " + relationOid + ")");
        }
        if (described.add(relationOid)) {
            Relation relation = relations.get(relationOid);
            if (relation == null) {
                throw new IllegalStateException("a row change of relation " + relationOid + " before its Relation message");
            }
            entries.add(JournalEntry.schema(current.finalLsn(), xid, relationOid,
                    relation.columns().stream().map(Relation.Column::name).toArray(String[]::new)));
        }
        entries.add(new JournalEntry(current.finalLsn(), xid, relationOid, action, values));
    }

    private void truncateMarker(int relationOid, String why) {
        Relation relation = relations.get(relationOid);
        LOG.warn("{} on {}: recorded as a reinitialization (set REPLICA IDENTITY FULL on the table)", why,
                relation == null ? "relation " + relationOid : relation.namespace() + "." + relation.name());
        add(relationOid, 'T', new String[0]);
    }

    /**
     * The tuple's values as text; unchanged TOAST values are taken from {@code old} (same column
     * positions). Returns {@code null} when such a value has no old copy.
     */
    private static String[] text(TupleData tuple, String[] old) {
        List<ColumnValue> values = tuple.values();
        String[] text = new String[values.size()];
        for (int i = 0; i < text.length; i++) {
            ColumnValue value = values.get(i);
            if (value instanceof ColumnValue.Text t) {
                text[i] = t.value();
            } else if (value instanceof ColumnValue.UnchangedToast) {
                if (old == null || i >= old.length) {
                    return null;
                }
                text[i] = old[i];
            } else if (!(value instanceof ColumnValue.Null)) {
                throw new IllegalStateException("a binary column value: the stream must be requested in text form");
            }
        }
        return text;
    }
}
