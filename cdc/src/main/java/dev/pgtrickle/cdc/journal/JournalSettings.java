package dev.pgtrickle.cdc.journal;

import java.util.Objects;
import net.openhft.chronicle.core.time.SystemTimeProvider;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;

/**
 * How a {@link ChangeJournal} is built. Production uses {@link #defaults()}; tests swap in a fast
 * roll cycle with a settable clock, a small part size or a counting {@link FileSync}.
 *
 * @param rollCycle         how often a new file starts; releases work in whole files. The default,
 *                          {@code FAST_HOURLY}, holds up to 2^32 excerpts an hour. Only used when
 *                          the directory is new: an existing journal keeps its roll cycle.
 * @param timeProvider      the clock that picks the cycle
 * @param maxExcerptPayload an entry whose encoding is larger than this is written in parts, each
 *                          excerpt staying well below Chronicle's limit (a quarter of its 64 MiB block)
 * @param fileSync          forces files and directories to the device
 */
record JournalSettings(RollCycle rollCycle, TimeProvider timeProvider, int maxExcerptPayload, FileSync fileSync) {

    static final int DEFAULT_MAX_EXCERPT_PAYLOAD = 4 << 20;

    JournalSettings {
        Objects.requireNonNull(rollCycle, "rollCycle");
        Objects.requireNonNull(timeProvider, "timeProvider");
        Objects.requireNonNull(fileSync, "fileSync");
        if (maxExcerptPayload < 64) {
            throw new IllegalArgumentException("maxExcerptPayload must be at least 64 bytes");
        }
    }

    static JournalSettings defaults() {
        return new JournalSettings(RollCycles.FAST_HOURLY, SystemTimeProvider.INSTANCE,
                DEFAULT_MAX_EXCERPT_PAYLOAD, new FileSync());
    }

    JournalSettings withRollCycle(RollCycle rollCycle, TimeProvider timeProvider) {
        return new JournalSettings(rollCycle, timeProvider, maxExcerptPayload, fileSync);
    }

    JournalSettings withMaxExcerptPayload(int maxExcerptPayload) {
        return new JournalSettings(rollCycle, timeProvider, maxExcerptPayload, fileSync);
    }

    JournalSettings withFileSync(FileSync fileSync) {
        return new JournalSettings(rollCycle, timeProvider, maxExcerptPayload, fileSync);
    }
}
