package dev.pgtrickle.cdc.wal;

import dev.pgtrickle.cdc.journal.ChangeJournal;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;

/** A decoder in a JVM of its own, for {@link DecoderKillTest}: runs until killed. */
public final class DecoderMain {

    private DecoderMain() {
    }

    public static void main(String[] args) throws Exception {
        String jdbcUrl = args[0];
        WalConnections connections = WalConnections.of(jdbcUrl);
        PublicationAndSlot names;
        try (Connection c = connections.sql()) {
            names = PublicationAndSlot.of(c);
        }
        try (ChangeJournal journal = ChangeJournal.open(Path.of(args[1]))) {
            new WalDecoder(connections, names, journal, Duration.ofMillis(50)).run();
        }
    }
}
