package dev.pgtrickle.subscribe;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Replication slot names of subscribers, and where a durable slot's offsets are kept. */
final class SlotNames {

    /** What PostgreSQL allows in a replication slot's name. */
    private static final Pattern VALID = Pattern.compile("[a-z0-9_]{1,63}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private SlotNames() {
    }

    /** A fresh name for a slot dropped when the subscriber stops. */
    static String temporary() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return "pgt_sub_" + HexFormat.of().formatHex(bytes);
    }

    /** {@code slot}, if PostgreSQL accepts it as a slot name. */
    static String checked(String slot) {
        if (!VALID.matcher(slot).matches()) {
            throw new IllegalArgumentException("invalid slot name \"" + slot
                    + "\": use 1 to 63 lower-case letters, digits and underscores");
        }
        return slot;
    }

    /**
     * {@code $XDG_STATE_HOME/pgtrickle/subscribe/<database>-<slot>.offsets} (else under
     * {@code ~/.local/state}): beside the journal's default, surviving restarts.
     */
    static Path defaultOffsets(String database, String slot) {
        String state = System.getenv("XDG_STATE_HOME");
        Path base = state != null && !state.isBlank() ? Path.of(state)
                : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("pgtrickle").resolve("subscribe")
                .resolve(database.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + slot + ".offsets");
    }
}
