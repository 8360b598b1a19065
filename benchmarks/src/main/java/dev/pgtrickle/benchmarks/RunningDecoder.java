package dev.pgtrickle.benchmarks;

import dev.pgtrickle.cdc.journal.ChangeJournal;
import dev.pgtrickle.cdc.journal.JournalCursor;
import dev.pgtrickle.cdc.journal.JournalEntry;
import dev.pgtrickle.cdc.wal.PublicationAndSlot;
import dev.pgtrickle.cdc.wal.WalConnections;
import dev.pgtrickle.cdc.wal.WalDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * pgtrickle's {@link WalDecoder} on a thread of its own, decoding the database's slot into a
 * change journal in a temporary directory (deleted on close).
 */
final class RunningDecoder implements AutoCloseable {

    /** How often the decoder commits a heartbeat; its own small transaction, as in production. */
    static final Duration HEARTBEAT = Duration.ofSeconds(1);
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private final Path directory;
    private final ChangeJournal journal;
    private final WalDecoder decoder;
    private final Thread thread;
    private long startedNanos;

    private RunningDecoder(Path directory, ChangeJournal journal, WalDecoder decoder) {
        this.directory = directory;
        this.journal = journal;
        this.decoder = decoder;
        this.thread = new Thread(decoder, "wal-benchmark-decoder");
    }

    /** Opens a fresh journal and starts decoding the slot of {@code names} into it. */
    static RunningDecoder start(String jdbcUrl, PublicationAndSlot names) throws IOException {
        Path directory = Files.createTempDirectory("pgtrickle-wal-benchmark");
        ChangeJournal journal = ChangeJournal.open(directory);
        RunningDecoder running = new RunningDecoder(directory, journal,
                new WalDecoder(WalConnections.of(jdbcUrl), names, journal, HEARTBEAT));
        running.startedNanos = System.nanoTime();
        running.thread.start();
        return running;
    }

    /** {@link System#nanoTime()} when the decoder started, after its journal was opened. */
    long startedNanos() {
        return startedNanos;
    }

    /**
     * Waits until everything committed before {@code lsn} is durable in the journal. Polls every
     * millisecond, so a measured time is at most about a millisecond late.
     */
    void awaitDecoded(long lsn) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (Long.compareUnsigned(decoder.decodedThrough(), lsn) < 0) {
            if (System.nanoTime() > deadline || !thread.isAlive()) {
                throw new IllegalStateException("the decoder did not reach LSN " + lsn + " (it is at "
                        + decoder.decodedThrough() + (thread.isAlive() ? ")" : " and stopped)"));
            }
            Thread.sleep(1);
        }
    }

    /** Journaled inserts and deletes of a relation (an UPDATE is one of each); other entries are not counted. */
    long rowEntries(long relationOid) {
        long count = 0;
        try (JournalCursor cursor = journal.cursor(0)) {
            for (JournalEntry entry; (entry = cursor.next()) != null; ) {
                if (entry.relationOid() == (int) relationOid
                        && (entry.action() == JournalEntry.INSERT || entry.action() == JournalEntry.DELETE)) {
                    count++;
                }
            }
        }
        return count;
    }

    @Override
    public void close() throws InterruptedException, IOException {
        decoder.stop();
        try {
            if (!decoder.awaitStopped(Duration.ofSeconds(60))) {
                throw new IllegalStateException("the decoder did not stop within 60 s");
            }
        } finally {
            journal.close();
            deleteRecursively(directory);
        }
    }

    /** Deletes {@code directory} and everything in it (a journal). */
    static void deleteRecursively(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
