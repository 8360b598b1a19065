package dev.pgtrickle.cdc.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class JournalLocationTest {

    private static final UUID INSTANCE = UUID.fromString("0b6e8a52-6b0c-4a51-9d1d-2f6c4c3a1e77");

    @Test
    void underTheUsersStateDirectoryPerInstallation() {
        Path base = JournalLocation.defaultBase(Map.of(), "/home/ada");
        assertEquals(Path.of("/home/ada/.local/state/pgtrickle/journal"), base);
        assertEquals(Path.of("/home/ada/.local/state/pgtrickle/journal/" + INSTANCE), JournalLocation.forInstance(base, INSTANCE));
    }

    @Test
    void xdgStateHomeWhenSetToAnAbsolutePath() {
        assertEquals(Path.of("/var/lib/state/pgtrickle/journal"),
                JournalLocation.defaultBase(Map.of("XDG_STATE_HOME", "/var/lib/state"), "/home/ada"));
        // The XDG specification ignores relative paths: they would depend on the working directory.
        assertEquals(Path.of("/home/ada/.local/state/pgtrickle/journal"),
                JournalLocation.defaultBase(Map.of("XDG_STATE_HOME", "state"), "/home/ada"));
    }
}
