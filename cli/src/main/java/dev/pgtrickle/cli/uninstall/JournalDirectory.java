package dev.pgtrickle.cli.uninstall;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A directory that may hold a journal of this installation, and whether uninstall may delete it.
 * It deletes only what looks like a Chronicle journal — Chronicle's files ({@code *.cq4},
 * {@code *.cq4t}) and no subdirectories — so that a mistyped {@code --journal-dir} (a home
 * directory, say) never loses anything else.
 *
 * @param origin where uninstall learned of it, for the messages
 * @param host   the machine it is on when that is not this one, else {@code null}
 */
record JournalDirectory(Path path, String origin, State state, String host) {

    enum State {
        /** Looks like a journal: uninstall deletes it. */
        JOURNAL,
        MISSING,
        NOT_A_JOURNAL,
        /** On another machine, where the daemon ran: the user deletes it there. */
        ELSEWHERE
    }

    /** Looks at a directory on this machine. */
    static JournalDirectory inspect(Path path, String origin) {
        Path absolute = path.toAbsolutePath().normalize();
        return new JournalDirectory(absolute, origin, stateOf(absolute), null);
    }

    /** A directory on another machine, which this one cannot look at. */
    static JournalDirectory elsewhere(Path path, String origin, String host) {
        return new JournalDirectory(path, origin, State.ELSEWHERE, host);
    }

    private static State stateOf(Path path) {
        if (!Files.exists(path)) {
            return State.MISSING;
        }
        if (!Files.isDirectory(path)) {
            return State.NOT_A_JOURNAL;
        }
        boolean chronicle = false;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
            for (Path entry : entries) {
                if (Files.isDirectory(entry)) {
                    return State.NOT_A_JOURNAL;
                }
                String name = entry.getFileName().toString();
                chronicle |= name.endsWith(".cq4") || name.endsWith(".cq4t");
            }
        } catch (IOException e) {
            return State.NOT_A_JOURNAL;
        }
        return chronicle ? State.JOURNAL : State.NOT_A_JOURNAL;
    }

    /** What it is, for the list of what uninstall removes: the path and where it came from. */
    String describe() {
        return path + " (" + origin + ")";
    }

    /** Why uninstall leaves it, for the user. */
    String whyLeft() {
        return switch (state) {
            case JOURNAL -> describe();
            case MISSING -> describe() + ": does not exist";
            case NOT_A_JOURNAL -> describe() + ": not a Chronicle journal (it must hold *.cq4 or *.cq4t files and"
                    + " no subdirectories), left as it is";
            case ELSEWHERE -> describe() + ": on " + (host == null ? "another host" : "host " + host) + ", delete it there";
        };
    }

    /** Deletes its files, then the directory; it has no subdirectories (see {@link #state}). */
    void remove() throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
            for (Path entry : entries) {
                Files.delete(entry);
            }
        }
        Files.delete(path);
    }
}
