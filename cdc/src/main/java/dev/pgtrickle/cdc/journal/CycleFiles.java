package dev.pgtrickle.cdc.journal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.NavigableMap;
import java.util.TreeMap;
import net.openhft.chronicle.queue.impl.RollingResourcesCache;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

/**
 * The roll-cycle files of a queue directory, by cycle number. The names are parsed with the same
 * {@link RollingResourcesCache} rules Chronicle uses for the queue's roll cycle and epoch.
 */
final class CycleFiles {

    private final Path directory;
    private final RollingResourcesCache names;

    CycleFiles(SingleChronicleQueue queue) {
        this.directory = queue.file().toPath();
        this.names = new RollingResourcesCache(queue.rollCycle(), queue.epoch(),
                name -> new File(queue.file(), name + SingleChronicleQueue.SUFFIX),
                file -> baseName(file.getName()));
    }

    /** Every cycle file in the directory, ascending by cycle. */
    NavigableMap<Integer, Path> list() {
        NavigableMap<Integer, Path> files = new TreeMap<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*" + SingleChronicleQueue.SUFFIX)) {
            for (Path file : stream) {
                files.put(names.parseCount(baseName(file.getFileName().toString())), file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** The queue's table store (roll cycle, directory listing, locks). */
    Path metadata() {
        return directory.resolve(SingleChronicleQueue.QUEUE_METADATA_FILE);
    }

    private static String baseName(String fileName) {
        return fileName.substring(0, fileName.length() - SingleChronicleQueue.SUFFIX.length());
    }
}
