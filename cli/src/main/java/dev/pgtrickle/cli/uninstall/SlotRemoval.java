package dev.pgtrickle.cli.uninstall;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Drops pgtrickle's replication slot. Dropping a slot is not transactional, so it happens once the
 * catalog's removal has committed; and it fails while a process streams from the slot.
 */
final class SlotRemoval {

    /** How long a stopped daemon's WAL sender may take to let go of the slot. */
    static final Duration RELEASE_WAIT = Duration.ofSeconds(10);

    private SlotRemoval() {
    }

    /** Waits up to {@code wait} until no process streams from the slot (or it is gone); whether it is free. */
    static boolean awaitReleased(Connection c, String slot, Duration wait) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            Integer pid = activePid(c, slot);
            if (pid == null) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
    }

    /** The process streaming from the slot, or {@code null}. */
    static Integer activePid(Connection c, String slot) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
            statement.setString(1, slot);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? row.getObject(1, Integer.class) : null;
            }
        }
    }

    /** Drops the slot if it exists; on a connection in autocommit mode. */
    static void drop(Connection c, String slot) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            statement.setString(1, slot);
            statement.execute();
        }
    }
}
