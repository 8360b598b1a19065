package dev.pgtrickle.cdc.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * The durable change journal of WAL-based capture: a Chronicle Queue in one directory holding
 * committed transactions' row changes in commit order, for every consumer to read at its own pace.
 *
 * <p><b>Layout.</b> A transaction is stored as a BEGIN excerpt, one excerpt per entry (a very large
 * entry in several parts) and a COMMIT excerpt, in the compact binary format of
 * {@link ExcerptCodec}. Readers return only complete transactions, so a transaction torn by a crash
 * half way through {@link #appendTransaction} is never seen; {@link #lastCommitLsn()} does not count
 * it, so the decoder writes it again. Indexes are Chronicle's: {@code cycle << n | sequence},
 * increasing along the journal but not consecutive across roll cycles.
 *
 * <p><b>Durability.</b> {@link #appendTransaction} writes to the memory-mapped files (what survives
 * a crash of this process); {@link #sync()} makes it survive a crash of the machine, and readers see
 * a transaction only once it has been synced. See {@link #sync()}.
 *
 * <p><b>Space.</b> Consumers register their positions with {@link #markConsumed}; {@link
 * #releaseCycles()} deletes whole roll-cycle files (hourly by default) that every consumer has
 * passed, never the file being written.
 *
 * <p>One process at a time may write a journal directory. All methods are thread-safe; cursors are
 * not (one per thread). {@link #open} reports I/O failures as {@link IOException}, the other methods
 * as {@link UncheckedIOException}.
 */
public final class ChangeJournal implements AutoCloseable {

    private static final Duration OPEN_RETRY = Duration.ofSeconds(60);

    private final Path directory;
    private final JournalSettings settings;
    private final SingleChronicleQueue queue;
    private final ExcerptAppender appender;
    private final CycleFiles cycleFiles;
    private final ConsumerPositions consumers;
    private final ExcerptCodec.Encoder encoder = new ExcerptCodec.Encoder();
    private final ExcerptCodec.Encoder partEncoder = new ExcerptCodec.Encoder();

    private long lastCommitLsn;
    private long lastCommitIndex = -1;
    /** Index of the last COMMIT known to be on the device; readers stop after it. */
    private volatile long durableCommitIndex = -1;

    /** Files written since the last sync, besides {@link #writingFile}. */
    private final Set<Path> unsynced = new LinkedHashSet<>();
    private Path writingFile;
    private int writingCycle = Integer.MIN_VALUE;
    private boolean appendedSinceSync;
    private boolean directoryChanged;
    private boolean closed;

    private ChangeJournal(Path directory, JournalSettings settings, SingleChronicleQueue queue) throws IOException {
        this.directory = directory;
        this.settings = settings;
        this.queue = queue;
        this.appender = queue.createAppender();
        this.appender.singleThreadedCheckDisabled(true);
        this.cycleFiles = new CycleFiles(queue);
        this.consumers = ConsumerPositions.load(directory, settings.fileSync());
    }

    /** Opens the journal in {@code directory}, creating it if needed. */
    public static ChangeJournal open(Path directory) throws IOException {
        return open(directory, JournalSettings.defaults());
    }

    /**
     * Chronicle claims a file lock on the queue's metadata while opening it. Right after the
     * previous owner was killed (a daemon restarted after kill -9) the claim can time out; the
     * lock frees itself, so opening is retried for a while before giving up.
     */
    private static SingleChronicleQueue build(Path dir, JournalSettings settings) throws IOException {
        long deadline = System.nanoTime() + OPEN_RETRY.toNanos();
        while (true) {
            try {
                return SingleChronicleQueueBuilder.binary(dir)
                        .rollCycle(settings.rollCycle())
                        .timeProvider(settings.timeProvider())
                        .syncMode(SyncMode.SYNC)
                        .build();
            } catch (IllegalStateException e) {
                if (!String.valueOf(e.getMessage()).startsWith("Unable to claim") || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while opening the journal in " + dir, interrupted);
                }
            }
        }
    }

    static ChangeJournal open(Path directory, JournalSettings settings) throws IOException {
        Path dir = directory.toAbsolutePath();
        boolean existed = Files.isDirectory(dir);
        Files.createDirectories(dir);
        if (!existed && dir.getParent() != null) {
            settings.fileSync().forceDirectory(dir.getParent());
        }
        SingleChronicleQueue queue = build(dir, settings);
        ChangeJournal journal = null;
        try {
            journal = new ChangeJournal(dir, settings, queue);
            journal.recover();
            return journal;
        } catch (IOException | RuntimeException | Error e) {
            if (journal != null) {
                journal.appender.close();
            }
            queue.close();
            throw e;
        }
    }

    /**
     * Makes whatever an earlier process left in the page cache durable before anyone reads it, and
     * finds where the journal ends.
     */
    private void recover() throws IOException {
        for (Path file : cycleFiles.list().values()) {
            settings.fileSync().force(file);
        }
        if (Files.exists(cycleFiles.metadata())) {
            settings.fileSync().force(cycleFiles.metadata());
        }
        settings.fileSync().forceDirectory(directory);
        try (ExcerptTailer tailer = queue.createTailer()) {
            tailer.direction(TailerDirection.BACKWARD).toEnd();
            while (true) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    if (ExcerptIo.kind(dc) == ExcerptCodec.COMMIT) {
                        lastCommitLsn = ExcerptIo.decode(dc).commitLsn();
                        lastCommitIndex = dc.index();
                        break;
                    }
                }
            }
        }
        lastCommitLsn = Math.max(lastCommitLsn, consumers.releasedThroughLsn());
        durableCommitIndex = lastCommitIndex;
    }

    /**
     * Appends one committed transaction: BEGIN, the entries in order, COMMIT.
     *
     * <p>All entries must carry the same commit LSN and xid, and the commit LSN must be above
     * {@link #lastCommitLsn()} (the journal is in commit order; a transaction already journaled must
     * be skipped by the caller). An empty list writes nothing — a transaction without captured rows
     * leaves no trace, and the decoder simply meets it again after a restart.
     *
     * <p>The transaction is readable by cursors after the next {@link #sync()}.
     *
     * @return the index of the last excerpt written (the COMMIT), or -1 for an empty list
     */
    public synchronized long appendTransaction(List<JournalEntry> entries) {
        ensureOpen();
        if (entries.isEmpty()) {
            return -1;
        }
        JournalEntry first = Objects.requireNonNull(entries.get(0), "entry");
        long commitLsn = first.commitLsn();
        long xid = first.xid();
        for (JournalEntry entry : entries) {
            Objects.requireNonNull(entry, "entry");
            if (entry.commitLsn() != commitLsn || entry.xid() != xid) {
                throw new IllegalArgumentException("one transaction's entries must share commit LSN and xid: "
                        + first + " vs " + entry);
            }
        }
        if (commitLsn <= lastCommitLsn) {
            throw new IllegalArgumentException("commit LSN " + Long.toHexString(commitLsn)
                    + " is not after the journal's last commit LSN " + Long.toHexString(lastCommitLsn)
                    + " (already journaled?)");
        }
        int count = entries.size();
        long beginIndex = write(encoder.begin(commitLsn, xid, count));
        for (JournalEntry entry : entries) {
            encoder.entry(entry);
            if (encoder.length() <= settings.maxExcerptPayload()) {
                write(encoder);
            } else {
                writeInParts(encoder, commitLsn, xid);
            }
        }
        long commitIndex = write(encoder.commit(commitLsn, xid, count, beginIndex));
        lastCommitLsn = commitLsn;
        lastCommitIndex = commitIndex;
        return commitIndex;
    }

    private void writeInParts(ExcerptCodec.Encoder entry, long commitLsn, long xid) {
        int chunk = settings.maxExcerptPayload() - ExcerptCodec.HEADER_SIZE - 16;
        int from = ExcerptCodec.HEADER_SIZE;
        int end = entry.length();
        for (int number = 0; from < end; number++) {
            int n = Math.min(chunk, end - from);
            write(partEncoder.part(commitLsn, xid, number, from + n == end, entry.array(), from, n));
            from += n;
        }
    }

    private long write(ExcerptCodec.Encoder encoded) {
        appendedSinceSync = true;
        long index = ExcerptIo.append(appender, encoded);
        int cycle = appender.cycle();
        if (cycle != writingCycle) {
            if (writingFile != null) {
                unsynced.add(writingFile); // the roll wrote its end-of-file marker
            }
            writingFile = appender.currentFile().toPath();
            writingCycle = cycle;
            directoryChanged = true;
        }
        return index;
    }

    /**
     * Forces everything appended so far to the storage device, then lets cursors read it.
     *
     * <p>Three steps: Chronicle's own {@code sync()} of the appender, which with {@link SyncMode#SYNC}
     * is a blocking {@code msync(MS_SYNC)} of the range written since its last sync (the default,
     * ASYNC, would only schedule the write-back); then {@code fdatasync} of every roll-cycle file
     * written since the last sync, which also covers what the range sync leaves out (Chronicle's
     * header and index pages near the start of the file, parts of a large transaction in earlier
     * mapped chunks, the end-of-file marker of a file left by a roll); and, when a new file was
     * started, {@code fsync} of the queue's metadata file and of the directory, so that the new
     * file's name survives too. When it returns, the files on the device hold what the page cache
     * held: a power loss now is no worse than a crash of this process, which Chronicle survives.
     */
    public synchronized void sync() {
        ensureOpen();
        if (!appendedSinceSync) {
            return;
        }
        try {
            appender.sync();
            unsynced.add(writingFile);
            for (Path file : unsynced) {
                settings.fileSync().force(file);
            }
            if (directoryChanged) {
                settings.fileSync().force(cycleFiles.metadata());
                settings.fileSync().forceDirectory(directory);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not sync the change journal in " + directory, e);
        }
        unsynced.clear();
        directoryChanged = false;
        appendedSinceSync = false;
        durableCommitIndex = lastCommitIndex;
    }

    /**
     * The commit LSN of the last complete transaction in the journal, 0 when there is none: a
     * restarted decoder skips every transaction whose commit LSN is not above it (the server sends
     * at least once, the journal keeps exactly once).
     */
    public synchronized long lastCommitLsn() {
        return lastCommitLsn;
    }

    /** A cursor reading from the oldest entry still kept. */
    public synchronized JournalCursor cursor() {
        return cursor(consumers.releasedBefore());
    }

    /**
     * A cursor reading from {@code fromIndex} on: from the first excerpt at or after it (0 reads
     * everything; a {@link JournalCursor#position()} resumes where that cursor stood).
     *
     * @throws IllegalArgumentException if {@code fromIndex} lies in released (deleted) files
     */
    public synchronized JournalCursor cursor(long fromIndex) {
        ensureOpen();
        if (fromIndex < consumers.releasedBefore()) {
            throw new IllegalArgumentException("index " + Long.toHexString(fromIndex) + " was released (everything below "
                    + Long.toHexString(consumers.releasedBefore()) + " is deleted)");
        }
        return new JournalCursor(queue, fromIndex, false, () -> durableCommitIndex);
    }

    /**
     * A cursor reading the transactions whose commit LSN is above {@code lsn}, those appended later
     * included.
     *
     * @throws IllegalArgumentException if such transactions may have been released
     */
    public synchronized JournalCursor cursorAfterCommitLsn(long lsn) {
        ensureOpen();
        if (lsn < consumers.releasedThroughLsn()) {
            throw new IllegalArgumentException("transactions after LSN " + Long.toHexString(lsn)
                    + " were released (up to LSN " + Long.toHexString(consumers.releasedThroughLsn()) + ")");
        }
        long index = LsnSearch.firstIndexAfter(queue, lsn);
        return index < 0
                ? new JournalCursor(queue, 0, true, () -> durableCommitIndex)
                : new JournalCursor(queue, index, false, () -> durableCommitIndex);
    }

    /**
     * Records (durably) that {@code consumer} no longer needs the excerpts before {@code position}.
     * Positions may move back, but not below what was already released. A consumer reading by
     * snapshot must pass the position of the first entry whose transaction is not yet visible in
     * its frontier, not merely where its cursor stopped.
     */
    public synchronized void markConsumed(String consumer, long position) {
        ensureOpen();
        requireName(consumer);
        if (position < consumers.releasedBefore()) {
            throw new IllegalArgumentException("position " + Long.toHexString(position) + " of " + consumer
                    + " is below the released part of the journal (" + Long.toHexString(consumers.releasedBefore()) + ")");
        }
        try {
            consumers.put(consumer, position);
        } catch (IOException e) {
            throw new UncheckedIOException("could not record the position of " + consumer, e);
        }
    }

    /** Forgets a consumer (e.g. a dropped stream table) so that it no longer holds files back. */
    public synchronized boolean removeConsumer(String consumer) {
        ensureOpen();
        requireName(consumer);
        try {
            return consumers.remove(consumer);
        } catch (IOException e) {
            throw new UncheckedIOException("could not remove consumer " + consumer, e);
        }
    }

    /** The registered consumers and their positions. */
    public synchronized Map<String, Long> consumerPositions() {
        ensureOpen();
        return Map.copyOf(consumers.positions());
    }

    /**
     * Deletes the roll-cycle files that lie entirely below every registered consumer's position,
     * never the newest file nor the one being written. With no consumer registered nothing is
     * deleted. Cursors must not be reading in the deleted files.
     *
     * @return the number of files deleted
     */
    public synchronized int releaseCycles() {
        ensureOpen();
        OptionalLong minimum = consumers.minimum();
        NavigableMap<Integer, Path> files = cycleFiles.list();
        if (minimum.isEmpty() || files.isEmpty()) {
            return 0;
        }
        RollCycle rollCycle = queue.rollCycle();
        int limit = Math.min(rollCycle.toCycle(minimum.getAsLong()), files.lastKey());
        if (writingFile != null) {
            limit = Math.min(limit, writingCycle);
        }
        NavigableMap<Integer, Path> doomed = files.headMap(limit, false);
        if (doomed.isEmpty()) {
            return 0;
        }
        int deleted = 0;
        try {
            // The watermark first: after a crash the files may still exist, never the reverse.
            consumers.released(rollCycle.toIndex(limit, 0), lastCommitLsnIn(doomed.descendingKeySet()));
            for (Path file : doomed.values()) {
                if (Files.deleteIfExists(file)) {
                    deleted++;
                }
            }
            queue.refreshDirectoryListing();
            settings.fileSync().forceDirectory(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("could not release journal files in " + directory, e);
        }
        return deleted;
    }

    /** The commit LSN of the last COMMIT in the highest of the given cycles that has one, else 0. */
    private long lastCommitLsnIn(Iterable<Integer> cyclesDescending) {
        RollCycle rollCycle = queue.rollCycle();
        try (ExcerptTailer tailer = queue.createTailer()) {
            for (int cycle : cyclesDescending) {
                long count = tailer.excerptsInCycle(cycle);
                if (count <= 0 || !tailer.moveToIndex(rollCycle.toIndex(cycle, count - 1))) {
                    continue;
                }
                tailer.direction(TailerDirection.BACKWARD);
                while (true) {
                    try (DocumentContext dc = tailer.readingDocument()) {
                        if (!dc.isPresent() || rollCycle.toCycle(dc.index()) != cycle) {
                            break;
                        }
                        if (ExcerptIo.kind(dc) == ExcerptCodec.COMMIT) {
                            return ExcerptIo.decode(dc).commitLsn();
                        }
                    }
                }
                tailer.direction(TailerDirection.FORWARD);
            }
        }
        return 0;
    }

    /** Syncs what was appended, then closes the queue. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            sync();
        } finally {
            closed = true;
            appender.close();
            queue.close();
        }
    }

    /** Chronicle's record of the last index its appender synced (for tests). */
    synchronized long chronicleLastIndexMSynced() {
        return queue.lastIndexMSynced();
    }

    /** The msync mode of the mapping the appender writes to, null before the first write (for tests). */
    synchronized SyncMode chronicleSyncMode() {
        if (appender.wire() == null) {
            return null;
        }
        Object store = appender.wire().bytes().bytesStore();
        return store instanceof MappedBytesStore mapped ? mapped.syncMode() : null;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the change journal in " + directory + " is closed");
        }
    }

    private static void requireName(String consumer) {
        if (consumer == null || consumer.isBlank()) {
            throw new IllegalArgumentException("a consumer needs a name");
        }
    }
}
