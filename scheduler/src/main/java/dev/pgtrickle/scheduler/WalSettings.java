package dev.pgtrickle.scheduler;

import dev.pgtrickle.cdc.wal.WalConnections;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What the daemon needs to capture changes from the WAL: connections (a replication one among
 * them) and the directory of its journal, which only the leader opens; {@code null} for the
 * installation's default journal (see {@link dev.pgtrickle.cdc.journal.JournalLocation}).
 */
public record WalSettings(WalConnections connections, Path journalDirectory) {

    public WalSettings {
        Objects.requireNonNull(connections, "connections");
    }
}
