package dev.pgtrickle.benchmarks;

import dev.pgtrickle.cdc.wal.PublicationAndSlot;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The publication and the replication slots of the WAL benchmark: pgtrickle's own (the decoder's,
 * {@link PublicationAndSlot}) plus extra slots the benchmark reads raw. Closing drops every slot
 * and the publication: a slot holds WAL back and keeps its database from being dropped.
 */
final class WalSlots implements AutoCloseable {

    /** Prefix of the transactional message committed after a measured workload (see {@link #markEnd}). */
    static final String END_MARKER = "pgtrickle.benchmark.end";

    private final Db db;
    private final PublicationAndSlot names;
    private final Set<String> extraSlots = new LinkedHashSet<>();

    private WalSlots(Db db, PublicationAndSlot names) {
        this.db = db;
        this.names = names;
    }

    /** Creates pgtrickle's publication and slot in {@code db}'s database (autocommit). */
    static WalSlots create(Db db) throws SQLException {
        PublicationAndSlot names = PublicationAndSlot.of(db.connection());
        names.ensure(db.connection());
        return new WalSlots(db, names);
    }

    /**
     * pgtrickle's publication and slot in {@code db}'s database, as someone else (the daemon)
     * creates them; closing drops them whether or not they were created.
     */
    static WalSlots existing(Db db) throws SQLException {
        return new WalSlots(db, PublicationAndSlot.of(db.connection()));
    }

    PublicationAndSlot names() {
        return names;
    }

    /** Gives {@code table} what WAL capture needs: REPLICA IDENTITY FULL and a place in the publication. */
    void capture(String table) throws SQLException {
        db.execute("ALTER TABLE " + table + " REPLICA IDENTITY FULL");
        names.addTable(db.connection(), relationOid(table));
    }

    long relationOid(String table) throws SQLException {
        return db.queryLong("SELECT '" + table + "'::regclass::oid");
    }

    /** Drops and creates the decoder's slot: it then starts at the current end of the WAL. */
    void recreateDecoderSlot() throws SQLException {
        dropSlot(names.slot());
        names.ensure(db.connection());
    }

    /** Replaces the decoder's slot by a copy of {@code source}, which starts where {@code source} starts. */
    void copyToDecoderSlot(String source) throws SQLException {
        dropSlot(names.slot());
        awaitInactive(source);
        try (PreparedStatement copy = db.prepare("SELECT pg_copy_logical_replication_slot(?, ?)")) {
            copy.setString(1, source);
            copy.setString(2, names.slot());
            copy.execute();
        }
    }

    /** A pgoutput slot besides the decoder's, named after it; returns its name. */
    String createExtraSlot(String suffix) throws SQLException {
        String slot = names.slot() + "_" + suffix;
        try (PreparedStatement create = db.prepare("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
            create.setString(1, slot);
            create.execute();
        }
        extraSlots.add(slot);
        return slot;
    }

    /**
     * Returns the current end of the WAL and then commits a transaction holding only a logical
     * message. Readers wait for the first commit at or past the returned position; the marker
     * guarantees there is one even when the server wrote other WAL (such as a running-xacts
     * record) after the workload's last commit. Decoded, it is a transaction without changes.
     */
    long markEnd() throws SQLException {
        long end = currentLsn();
        db.execute("SELECT pg_logical_emit_message(true, '" + END_MARKER + "', '')");
        return end;
    }

    long currentLsn() throws SQLException {
        return LogSequenceNumber.valueOf(db.queryString("SELECT pg_current_wal_insert_lsn()::text")).asLong();
    }

    /**
     * Waits until no walsender holds {@code slot}: after a replication connection closes, its
     * server process lets the slot go a moment later, and until then it can be neither read nor dropped.
     */
    void awaitInactive(String slot) throws SQLException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try (PreparedStatement active = db.prepare(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = ? AND active")) {
            active.setString(1, slot);
            while (true) {
                try (var row = active.executeQuery()) {
                    row.next();
                    if (row.getLong(1) == 0) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("slot " + slot + " is still in use after 30 s");
                }
                pause();
            }
        }
    }

    private void dropSlot(String slot) throws SQLException {
        awaitInactive(slot);
        try (PreparedStatement drop = db.prepare(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            drop.setString(1, slot);
            drop.execute();
        }
    }

    @Override
    public void close() throws SQLException {
        for (String slot : extraSlots) {
            dropSlot(slot);
        }
        awaitInactive(names.slot());
        names.drop(db.connection());
    }

    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
