package dev.pgtrickle.cdc.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Forces files and directories to the storage device (fdatasync / fsync).
 *
 * <p>On Linux, {@code fdatasync} on any descriptor of a file writes back every dirty page of that
 * file, including pages dirtied through a shared memory mapping such as Chronicle's, and the size
 * needed to read them back. Forcing a directory makes the creation, rename or deletion of its
 * entries durable. Not final: tests count the calls.
 */
class FileSync {

    private static final boolean WINDOWS = System.getProperty("os.name", "").startsWith("Windows");

    /** Writes the file's data (and the metadata needed to read it) to the device. */
    void force(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(false);
        }
    }

    /** Makes the directory's entries durable; a no-op where directories cannot be opened (Windows). */
    void forceDirectory(Path directory) throws IOException {
        if (WINDOWS) {
            return;
        }
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
