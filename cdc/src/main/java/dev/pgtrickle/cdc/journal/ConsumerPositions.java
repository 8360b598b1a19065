package dev.pgtrickle.cdc.journal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The named consumers' positions and the release watermark, kept in {@value #FILE_NAME} in the
 * journal directory.
 *
 * <p>Every change is written to a temporary file, forced, renamed over the old file atomically and
 * the directory forced: after a crash the file holds either the old or the new state, never a mix.
 */
final class ConsumerPositions {

    static final String FILE_NAME = "consumers.properties";
    private static final String CONSUMER_PREFIX = "consumer.";
    private static final String RELEASED_BEFORE = "released.before";
    private static final String RELEASED_THROUGH_LSN = "released.through.lsn";

    private final Path directory;
    private final Path file;
    private final FileSync fileSync;
    private Map<String, Long> positions;
    private long releasedBefore;
    private long releasedThroughLsn;

    private ConsumerPositions(Path directory, FileSync fileSync, Map<String, Long> positions,
                              long releasedBefore, long releasedThroughLsn) {
        this.directory = directory;
        this.file = directory.resolve(FILE_NAME);
        this.fileSync = fileSync;
        this.positions = positions;
        this.releasedBefore = releasedBefore;
        this.releasedThroughLsn = releasedThroughLsn;
    }

    static ConsumerPositions load(Path directory, FileSync fileSync) throws IOException {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(directory.resolve(FILE_NAME))) {
            properties.load(in);
        } catch (NoSuchFileException e) {
            // no consumer registered yet
        }
        Map<String, Long> positions = new TreeMap<>();
        long releasedBefore = 0;
        long releasedThroughLsn = 0;
        for (String key : properties.stringPropertyNames()) {
            long value = parse(key, properties.getProperty(key));
            if (key.equals(RELEASED_BEFORE)) {
                releasedBefore = value;
            } else if (key.equals(RELEASED_THROUGH_LSN)) {
                releasedThroughLsn = value;
            } else if (key.startsWith(CONSUMER_PREFIX)) {
                positions.put(key.substring(CONSUMER_PREFIX.length()), value);
            }
        }
        return new ConsumerPositions(directory, fileSync, positions, releasedBefore, releasedThroughLsn);
    }

    Map<String, Long> positions() {
        return Collections.unmodifiableMap(positions);
    }

    /** Excerpts below this index may have been deleted. */
    long releasedBefore() {
        return releasedBefore;
    }

    /** The highest commit LSN among released excerpts (0 if none were released). */
    long releasedThroughLsn() {
        return releasedThroughLsn;
    }

    OptionalLong minimum() {
        return positions.values().stream().mapToLong(Long::longValue).min();
    }

    void put(String consumer, long position) throws IOException {
        Map<String, Long> next = new TreeMap<>(positions);
        next.put(consumer, position);
        persist(next, releasedBefore, releasedThroughLsn);
        positions = next;
    }

    boolean remove(String consumer) throws IOException {
        if (!positions.containsKey(consumer)) {
            return false;
        }
        Map<String, Long> next = new TreeMap<>(positions);
        next.remove(consumer);
        persist(next, releasedBefore, releasedThroughLsn);
        positions = next;
        return true;
    }

    /** Records, before any file is deleted, that excerpts below {@code index} (LSNs up to {@code lsn}) go. */
    void released(long index, long lsn) throws IOException {
        long before = Math.max(releasedBefore, index);
        long throughLsn = Math.max(releasedThroughLsn, lsn);
        persist(positions, before, throughLsn);
        releasedBefore = before;
        releasedThroughLsn = throughLsn;
    }

    private void persist(Map<String, Long> positions, long releasedBefore, long releasedThroughLsn) throws IOException {
        Properties properties = new Properties();
        properties.setProperty(RELEASED_BEFORE, Long.toString(releasedBefore));
        properties.setProperty(RELEASED_THROUGH_LSN, Long.toString(releasedThroughLsn));
        positions.forEach((name, position) -> properties.setProperty(CONSUMER_PREFIX + name, Long.toString(position)));
        Path temporary = directory.resolve(FILE_NAME + ".tmp");
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            OutputStream out = Channels.newOutputStream(channel);
            properties.store(out, "pgtrickle change journal: consumer positions (excerpt indexes)");
            out.flush();
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fileSync.forceDirectory(directory);
    }

    private static long parse(String key, String value) throws IOException {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IOException("corrupt " + FILE_NAME + ": " + key + "=" + value, e);
        }
    }
}
