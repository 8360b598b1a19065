package dev.pgtrickle.cli.uninstall;

import dev.pgtrickle.cdc.journal.JournalLocation;
import dev.pgtrickle.cli.uninstall.Installation.Instance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The journal directories of an installation that uninstall knows of: one given with
 * {@code --journal-dir}, the one the leading daemon recorded in {@code pgtrickle.pgt_instance}
 * (only looked at on the host it recorded), and the installation's default journal under this
 * user's state directory. A directory is listed once, under its first origin.
 */
final class JournalDirectories {

    private JournalDirectories() {
    }

    /**
     * @param instance    the installation's row, or {@code null} when the catalog has none
     * @param given       the {@code --journal-dir}, or {@code null}
     * @param defaultBase where default journals are, {@link JournalLocation#defaultBase()}
     * @param host        this machine's name, as the daemon records it ({@link JournalLocation#hostName()})
     */
    static List<JournalDirectory> find(Instance instance, Path given, Path defaultBase, String host) {
        List<JournalDirectory> found = new ArrayList<>();
        if (given != null) {
            found.add(JournalDirectory.inspect(given, "given with --journal-dir"));
        }
        if (instance != null && instance.journalDir() != null) {
            Path recorded = Path.of(instance.journalDir());
            String origin = "used by the pgtrickle daemon";
            found.add(host.equalsIgnoreCase(String.valueOf(instance.journalHost()))
                    ? JournalDirectory.inspect(recorded, origin)
                    : JournalDirectory.elsewhere(recorded, origin, instance.journalHost()));
        }
        if (instance != null && instance.id() != null) {
            JournalDirectory standard = JournalDirectory.inspect(
                    JournalLocation.forInstance(defaultBase, instance.id()), "default journal of this installation");
            // It exists only where a daemon without --journal-dir ran as this user: no news otherwise.
            if (standard.state() != JournalDirectory.State.MISSING) {
                found.add(standard);
            }
        }
        Set<Path> seen = new HashSet<>();
        found.removeIf(directory -> !seen.add(directory.path()));
        return List.copyOf(found);
    }
}
