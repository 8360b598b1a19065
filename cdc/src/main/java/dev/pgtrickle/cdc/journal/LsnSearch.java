package dev.pgtrickle.cdc.journal;

import java.util.Map;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Finds the first excerpt whose commit LSN is above a given LSN, by binary search.
 *
 * <p>Commit LSNs never decrease along the journal (transactions are appended in commit order, a
 * torn copy and its rewrite share one LSN), and a transaction's BEGIN comes before its other
 * excerpts, so the excerpt found is always a BEGIN. Within a roll cycle, indexes are consecutive.
 */
final class LsnSearch {

    private LsnSearch() {
    }

    /** The index of the first excerpt with a commit LSN above {@code lsn}, or -1 if there is none. */
    static long firstIndexAfter(SingleChronicleQueue queue, long lsn) {
        RollCycle rollCycle = queue.rollCycle();
        try (ExcerptTailer tailer = queue.createTailer()) {
            long laterStart = -1;
            for (Map.Entry<Integer, ?> file : new CycleFiles(queue).list().descendingMap().entrySet()) {
                int cycle = file.getKey();
                long count = tailer.excerptsInCycle(cycle);
                if (count <= 0) {
                    continue;
                }
                long first = rollCycle.toIndex(cycle, 0);
                if (lsnAt(tailer, first) > lsn) {
                    laterStart = first;
                    continue;
                }
                long low = 0;        // lsn at low <= lsn
                long high = count;   // lsn at high > lsn (or past the cycle's end)
                while (high - low > 1) {
                    long mid = (low + high) >>> 1;
                    if (lsnAt(tailer, rollCycle.toIndex(cycle, mid)) > lsn) {
                        high = mid;
                    } else {
                        low = mid;
                    }
                }
                return high < count ? rollCycle.toIndex(cycle, high) : laterStart;
            }
            return laterStart;
        }
    }

    private static long lsnAt(ExcerptTailer tailer, long index) {
        if (!tailer.moveToIndex(index)) {
            throw new IllegalStateException("journal excerpt " + Long.toHexString(index) + " is missing");
        }
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) {
                throw new IllegalStateException("journal excerpt " + Long.toHexString(index) + " is missing");
            }
            return ExcerptIo.commitLsn(dc);
        }
    }
}
