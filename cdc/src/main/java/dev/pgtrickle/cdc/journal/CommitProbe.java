package dev.pgtrickle.cdc.journal;

import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Decides, by looking ahead with its own tailer, whether the transaction at a given excerpt was
 * written completely.
 *
 * <p>A transaction is BEGIN, its entries, COMMIT. A writer that dies or fails half way leaves a
 * <em>torn</em> transaction: a BEGIN and some entries with no COMMIT. The next thing ever written
 * after it is a BEGIN (the decoder writes the same transaction again, since {@code lastCommitLsn}
 * does not count the torn copy), so the first marker after an excerpt tells its fate: a COMMIT of
 * the same transaction (committed), a BEGIN (torn: skip to that BEGIN), or none yet (pending).
 *
 * <p>The common case costs one index lookup: in one roll cycle, indexes are consecutive, so the
 * COMMIT of a BEGIN with {@code n} entries is at {@code begin + n + 1}. Otherwise (a large entry
 * split in parts, a roll inside the transaction, a torn copy) it scans forward; a scan that runs
 * into the end of the journal is resumed where it stopped on the next call, so polling a large
 * transaction while it is being written stays linear.
 */
final class CommitProbe implements AutoCloseable {

    enum Outcome { COMMITTED, TORN, PENDING }

    /** COMMITTED: index of the COMMIT; TORN: index of the BEGIN that follows; PENDING: -1. */
    record Verdict(Outcome outcome, long index) {
        static final Verdict PENDING = new Verdict(Outcome.PENDING, -1);
    }

    private final ExcerptTailer tailer;
    private final RollCycle rollCycle;
    /** The excerpt a scan paused at the end of the journal started from, or -1. */
    private long pausedFrom = -1;
    private long decidedFrom = -1;
    private Verdict decided;

    CommitProbe(SingleChronicleQueue queue) {
        this.tailer = queue.createTailer();
        this.tailer.singleThreadedCheckDisabled(true);
        this.rollCycle = queue.rollCycle();
    }

    /** The fate of the transaction whose BEGIN (announcing {@code entryCount} entries) is at {@code beginIndex}. */
    Verdict ofBegin(long beginIndex, int entryCount) {
        if (decidedFrom == beginIndex) {
            return decided;
        }
        if (pausedFrom != beginIndex) {
            long expected = beginIndex + entryCount + 1L;
            if (rollCycle.toCycle(expected) == rollCycle.toCycle(beginIndex) && tailer.moveToIndex(expected)) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (dc.isPresent() && ExcerptIo.kind(dc) == ExcerptCodec.COMMIT
                            && ((ExcerptCodec.Commit) ExcerptIo.decode(dc)).beginIndex() == beginIndex) {
                        return decide(beginIndex, new Verdict(Outcome.COMMITTED, expected));
                    }
                }
            }
        }
        return scan(beginIndex, beginIndex, 0, 0);
    }

    /** The fate of the transaction {@code (commitLsn, xid)} that the entry at {@code index} belongs to. */
    Verdict ofEntry(long index, long commitLsn, long xid) {
        if (decidedFrom == index) {
            return decided;
        }
        return scan(index, -1, commitLsn, xid);
    }

    private Verdict scan(long from, long beginIndex, long commitLsn, long xid) {
        if (pausedFrom != from) {
            if (!tailer.moveToIndex(from)) {
                throw new IllegalStateException("journal excerpt " + Long.toHexString(from) + " vanished");
            }
            tailer.readingDocument().close(); // step over the excerpt itself
            pausedFrom = from;
        }
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    return Verdict.PENDING;
                }
                byte kind = ExcerptIo.kind(dc);
                if (kind == ExcerptCodec.BEGIN) {
                    return decide(from, new Verdict(Outcome.TORN, dc.index()));
                }
                if (kind == ExcerptCodec.COMMIT) {
                    ExcerptCodec.Commit commit = (ExcerptCodec.Commit) ExcerptIo.decode(dc);
                    boolean same = beginIndex >= 0
                            ? commit.beginIndex() == beginIndex
                            : commit.commitLsn() == commitLsn && commit.xid() == xid;
                    if (!same) {
                        throw new IllegalStateException("corrupt journal: COMMIT at " + Long.toHexString(dc.index())
                                + " does not close the transaction of excerpt " + Long.toHexString(from));
                    }
                    return decide(from, new Verdict(Outcome.COMMITTED, dc.index()));
                }
            }
        }
    }

    private Verdict decide(long from, Verdict verdict) {
        pausedFrom = -1;
        decidedFrom = from;
        decided = verdict;
        return verdict;
    }

    @Override
    public void close() {
        tailer.close();
    }
}
