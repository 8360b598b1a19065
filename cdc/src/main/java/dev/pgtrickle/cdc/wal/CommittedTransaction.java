package dev.pgtrickle.cdc.wal;

import dev.pgtrickle.cdc.journal.JournalEntry;
import java.util.List;

/**
 * One decoded transaction, complete: its commit position, its full xid and its row changes in
 * order (empty for a transaction that only carried a logical message, such as a heartbeat).
 *
 * @param endLsn the position after the commit record: what the slot may confirm once the entries
 *               are durable
 */
public record CommittedTransaction(long commitLsn, long endLsn, long xid, List<JournalEntry> entries) {

    public CommittedTransaction {
        entries = List.copyOf(entries);
    }
}
