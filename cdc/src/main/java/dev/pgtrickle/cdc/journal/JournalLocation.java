package dev.pgtrickle.cdc.journal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * Where a daemon keeps its journal when no directory is configured: under the user's state
 * directory ({@code $XDG_STATE_HOME/pgtrickle/journal}, else {@code ~/.local/state/pgtrickle/journal}),
 * in a subdirectory named after the installation's identity ({@code pgtrickle.pgt_instance}). It
 * does not depend on where the daemon was started, survives restarts, and two databases never
 * share a journal.
 */
public final class JournalLocation {

    private JournalLocation() {
    }

    /** The directory holding the default journals of every installation. */
    public static Path defaultBase(Map<String, String> environment, String userHome) {
        String state = environment.get("XDG_STATE_HOME");
        Path base = state != null && !state.isBlank() && Path.of(state).isAbsolute()
                ? Path.of(state)
                : Path.of(userHome, ".local", "state");
        return base.resolve("pgtrickle").resolve("journal");
    }

    /** The default base of this process's user. */
    public static Path defaultBase() {
        return defaultBase(System.getenv(), System.getProperty("user.home"));
    }

    /**
     * The name of this machine, as recorded beside a journal's directory in the catalog: a
     * directory is only ever removed on the machine that wrote it.
     */
    public static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            String fromEnvironment = System.getenv("HOSTNAME");
            return fromEnvironment == null || fromEnvironment.isBlank() ? "localhost" : fromEnvironment;
        }
    }

    /** The default journal of one installation. */
    public static Path forInstance(Path base, UUID instanceId) {
        return base.resolve(instanceId.toString());
    }
}
