package dev.pgtrickle.cdc.journal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.function.LongSupplier;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Reads journal entries in journal (commit) order, one at a time, from a position on.
 *
 * <p>Only entries of transactions that were written completely and {@linkplain ChangeJournal#sync()
 * synced} are returned: {@link #next()} returns {@code null} at the first transaction that is not
 * (yet) both, and returns it on a later call once it is. Copies of a transaction torn by a crash
 * are skipped (see {@link CommitProbe}). A cursor may start anywhere, even inside a transaction.
 *
 * <p>Not thread-safe: use one cursor from one thread at a time. Close it when done.
 */
public final class JournalCursor implements AutoCloseable {

    private final ExcerptTailer tailer;
    private final CommitProbe probe;
    private final LongSupplier durableCommitIndex;
    private final long minIndex;
    private ByteBuffer scratch;
    /** Index of the COMMIT of the transaction being returned; entries below it are verified. */
    private long verifiedThrough = -1;
    private final ByteArrayOutputStream parts = new ByteArrayOutputStream();
    private int nextPart;
    private long partsIndex;
    private long lastIndex = -1;

    JournalCursor(SingleChronicleQueue queue, long fromIndex, boolean atEnd, LongSupplier durableCommitIndex) {
        this.durableCommitIndex = durableCommitIndex;
        this.minIndex = atEnd ? 0 : Math.max(0, fromIndex);
        this.tailer = queue.createTailer();
        try {
            tailer.singleThreadedCheckDisabled(true);
            if (atEnd) {
                tailer.toEnd();
            } else {
                seek(queue, fromIndex);
            }
            this.probe = new CommitProbe(queue);
        } catch (RuntimeException e) {
            tailer.close();
            throw e;
        }
    }

    /** Positions the tailer on the first excerpt at or after {@code index}, or at the end. */
    private void seek(SingleChronicleQueue queue, long index) {
        long first = queue.firstIndex();
        if (first == Long.MAX_VALUE || index <= first) {
            tailer.toStart();
            return;
        }
        if (tailer.moveToIndex(index)) {
            return;
        }
        // Not an excerpt (a cycle's end, a gap between cycles, beyond the end): the next cycle that has one.
        int cycle = queue.rollCycle().toCycle(index);
        for (int later : new CycleFiles(queue).list().tailMap(cycle, false).keySet()) {
            if (tailer.moveToIndex(queue.rollCycle().toIndex(later, 0))) {
                return;
            }
        }
        tailer.toEnd();
    }

    /**
     * The next entry, or {@code null} when every complete, synced transaction has been read (for
     * now: a later call returns what was appended and synced since).
     */
    public JournalEntry next() {
        while (true) {
            long jumpTo = -1;
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    return null;
                }
                long index = dc.index();
                if (index < minIndex) {
                    continue;
                }
                byte kind = ExcerptIo.kind(dc);
                if (kind == ExcerptCodec.COMMIT) {
                    verifiedThrough = -1;
                    continue;
                }
                scratch = ExcerptIo.copy(dc, scratch);
                ExcerptCodec.Excerpt excerpt = ExcerptCodec.decode(scratch);
                CommitProbe.Verdict verdict = null;
                if (excerpt instanceof ExcerptCodec.Begin begin) {
                    verdict = probe.ofBegin(index, begin.entryCount());
                } else if (index > verifiedThrough) {
                    // started inside a transaction
                    verdict = probe.ofEntry(index, excerpt.commitLsn(), excerpt.xid());
                }
                if (verdict != null) {
                    if (verdict.outcome() == CommitProbe.Outcome.TORN) {
                        jumpTo = verdict.index();
                    } else if (verdict.outcome() == CommitProbe.Outcome.COMMITTED
                            && verdict.index() <= durableCommitIndex.getAsLong()) {
                        verifiedThrough = verdict.index();
                        parts.reset();
                        nextPart = 0;
                    } else {
                        dc.rollbackOnClose();
                        return null;
                    }
                }
                if (jumpTo < 0) {
                    JournalEntry entry = entryOf(excerpt, index);
                    if (entry != null) {
                        return entry;
                    }
                    continue;
                }
            }
            if (!tailer.moveToIndex(jumpTo)) {
                throw new IllegalStateException("journal excerpt " + Long.toHexString(jumpTo) + " vanished");
            }
        }
    }

    /** The entry an excerpt completes, or null (a BEGIN, a part of a larger entry). */
    private JournalEntry entryOf(ExcerptCodec.Excerpt excerpt, long index) {
        if (excerpt instanceof ExcerptCodec.Row row) {
            lastIndex = index;
            return row.entry();
        }
        if (excerpt instanceof ExcerptCodec.Part part) {
            if (part.number() != nextPart) {
                // the start of this entry lies before where the cursor started: not ours
                nextPart = 0;
                parts.reset();
                return null;
            }
            if (nextPart++ == 0) {
                partsIndex = index;
            }
            parts.writeBytes(part.bytes());
            if (!part.last()) {
                return null;
            }
            ByteBuffer body = ByteBuffer.wrap(parts.toByteArray());
            parts.reset();
            nextPart = 0;
            lastIndex = partsIndex;
            return ExcerptCodec.decodeEntryBody(body, part.commitLsn(), part.xid());
        }
        return null;
    }

    /** The index of the entry last returned by {@link #next()} (of its first part if it was split), or -1. */
    public long index() {
        return lastIndex;
    }

    /**
     * Where this cursor stands: a cursor created at this index reads exactly what this one would
     * read next. A consumer that has used everything returned so far may pass it to
     * {@link ChangeJournal#markConsumed}.
     */
    public long position() {
        return Math.max(tailer.index(), minIndex);
    }

    @Override
    public void close() {
        try {
            probe.close();
        } finally {
            tailer.close();
        }
    }
}
