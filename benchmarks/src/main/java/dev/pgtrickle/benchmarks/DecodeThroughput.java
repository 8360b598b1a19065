package dev.pgtrickle.benchmarks;

import java.io.IOException;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * How fast the decoder turns a backlog into journal entries, against how fast the same WAL can
 * merely be streamed. Two slots are created before the workload, so both readers read the same
 * WAL: the decoder's (pgtrickle's slot) and a raw one. The workload is written while nothing reads
 * (a seeded mix of inserts, updates and deletes in many transactions); then each reader reads it
 * all, {@code decodeRuns} times, taking turns going first:
 * <ul>
 *   <li>raw: {@link RawSlotReader} streams the raw slot until the end LSN, discarding the messages;
 *       it never confirms, so every read starts at the same place;</li>
 *   <li>decoded: a {@link RunningDecoder} decodes pgtrickle's slot into a fresh journal until
 *       {@code decodedThrough()} reaches the end LSN. The decoder confirms what it journaled, so
 *       before each later run its slot is replaced by a copy of the unconfirmed raw slot.</li>
 * </ul>
 * Both times start when the reader starts connecting (the decoder's journal is opened before).
 */
final class DecodeThroughput {

    static final String TABLE = "wal_bench_decode";

    /** The row changes written: an update is one pgoutput message and two journal entries (old row out, new row in). */
    record Workload(int transactions, long inserts, long updates, long deletes) {

        long changes() {
            return inserts + updates + deletes;
        }

        long journalEntries() {
            return inserts + 2 * updates + deletes;
        }
    }

    /**
     * @param raw     milliseconds of each raw read
     * @param decoded milliseconds of each decoder run
     * @param bytes   pgoutput bytes one raw read streamed (message payloads)
     */
    record Result(Workload workload, double writeSeconds, Samples raw, Samples decoded, long bytes, long messages) {

        double rawChangesPerSecond() {
            return workload.changes() / (raw.median() / 1000);
        }

        double decodedChangesPerSecond() {
            return workload.changes() / (decoded.median() / 1000);
        }

        /** Decoded throughput as a fraction of raw (medians). */
        double fraction() {
            return decodedChangesPerSecond() / rawChangesPerSecond();
        }
    }

    private final Db db;
    private final String jdbcUrl;
    private final WalSlots slots;
    private final WalOptions options;
    private final Progress progress;

    DecodeThroughput(Db db, String jdbcUrl, WalSlots slots, WalOptions options, Progress progress) {
        this.db = db;
        this.jdbcUrl = jdbcUrl;
        this.slots = slots;
        this.options = options;
        this.progress = progress;
    }

    Result run() throws SQLException, IOException, InterruptedException {
        DataGenerator.createOrdersLike(db, TABLE);
        DataGenerator.indexOrdersLike(db, TABLE);
        slots.capture(TABLE);
        long oid = slots.relationOid(TABLE);
        slots.recreateDecoderSlot();
        String rawSlot = slots.createExtraSlot("raw");

        long writeStart = System.nanoTime();
        Workload workload = write();
        double writeSeconds = (System.nanoTime() - writeStart) / 1e9;
        long end = slots.markEnd();
        progress.log(String.format("decode workload written: %,d changes in %,d transactions (%.1f s)",
                workload.changes(), workload.transactions(), writeSeconds));

        Samples raw = new Samples();
        Samples decoded = new Samples();
        RawSlotReader.Read lastRead = null;
        for (int run = 0; run < options.decodeRuns(); run++) {
            for (boolean rawTurn : run % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true}) {
                if (rawTurn) {
                    slots.awaitInactive(rawSlot);
                    lastRead = RawSlotReader.read(jdbcUrl, rawSlot, slots.names().publication(), end);
                    check("raw row messages", lastRead.rowMessages(), workload.changes());
                    raw.add(lastRead.nanos());
                } else {
                    if (run > 0) {
                        slots.copyToDecoderSlot(rawSlot);
                    }
                    slots.awaitInactive(slots.names().slot());
                    decoded.add(decode(end, oid, workload));
                }
            }
            progress.log(String.format("decode run %d/%d: raw %.0f ms, decoded %.0f ms", run + 1,
                    options.decodeRuns(), raw.values().get(run), decoded.values().get(run)));
        }
        return new Result(workload, writeSeconds, raw, decoded, lastRead.bytes(), lastRead.messages());
    }

    /** One decoder run from its slot's start to {@code end}; returns its nanoseconds. */
    private long decode(long end, long oid, Workload workload) throws SQLException, IOException, InterruptedException {
        try (RunningDecoder decoder = RunningDecoder.start(jdbcUrl, slots.names())) {
            decoder.awaitDecoded(end);
            long nanos = System.nanoTime() - decoder.startedNanos();
            check("journaled row changes", decoder.rowEntries(oid), workload.journalEntries());
            return nanos;
        }
    }

    private static void check(String what, long actual, long expected) {
        if (actual != expected) {
            throw new IllegalStateException(what + " of " + TABLE + ": " + actual + ", expected " + expected);
        }
    }

    /**
     * The seeded workload: transactions of {@code transactionChanges} changes, each change an
     * insert (50 %), an update (30 %) or a delete (20 %) of a row that existed before the
     * transaction, at most one change per row and transaction, as three set-based statements.
     */
    private Workload write() throws SQLException {
        Random random = new Random(options.seed());
        List<Long> live = new ArrayList<>();
        long nextId = 1;
        long inserts = 0;
        long updates = 0;
        long deletes = 0;
        int transactions = 0;
        Connection c = db.connection();
        try (PreparedStatement insert = db.prepare("INSERT INTO " + TABLE + " (id, customer_id, amount, status, created_at)"
                + " SELECT id, customer_id, amount, 'pending', timestamptz '" + DataGenerator.EPOCH + "'"
                + " FROM unnest(?::bigint[], ?::int[], ?::numeric[]) AS u(id, customer_id, amount)");
             PreparedStatement update = db.prepare("UPDATE " + TABLE
                     + " SET amount = amount + 1, status = 'shipped' WHERE id = ANY(?::bigint[])");
             PreparedStatement delete = db.prepare("DELETE FROM " + TABLE + " WHERE id = ANY(?::bigint[])")) {
            for (long done = 0; done < options.decodeChanges(); transactions++) {
                int size = (int) Math.min(options.transactionChanges(), options.decodeChanges() - done);
                List<Long> inserted = new ArrayList<>();
                List<Integer> customers = new ArrayList<>();
                List<BigDecimal> amounts = new ArrayList<>();
                List<Long> updated = new ArrayList<>();
                List<Long> deleted = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    double kind = random.nextDouble();
                    if (live.isEmpty() || kind < 0.5) {
                        inserted.add(nextId++);
                        customers.add(1 + random.nextInt(100_000));
                        amounts.add(BigDecimal.valueOf(100 + random.nextInt(49_900), 2));
                    } else {
                        // Swap-remove: a row changes at most once per transaction.
                        int at = random.nextInt(live.size());
                        long id = live.get(at);
                        live.set(at, live.get(live.size() - 1));
                        live.remove(live.size() - 1);
                        (kind < 0.8 ? updated : deleted).add(id);
                    }
                }
                db.inTransaction(() -> {
                    if (!inserted.isEmpty()) {
                        insert.setArray(1, c.createArrayOf("bigint", inserted.toArray()));
                        insert.setArray(2, c.createArrayOf("integer", customers.toArray()));
                        insert.setArray(3, c.createArrayOf("numeric", amounts.toArray()));
                        insert.executeUpdate();
                    }
                    if (!updated.isEmpty()) {
                        update.setArray(1, c.createArrayOf("bigint", updated.toArray()));
                        update.executeUpdate();
                    }
                    if (!deleted.isEmpty()) {
                        delete.setArray(1, c.createArrayOf("bigint", deleted.toArray()));
                        delete.executeUpdate();
                    }
                });
                live.addAll(updated);
                live.addAll(inserted);
                inserts += inserted.size();
                updates += updated.size();
                deletes += deleted.size();
                done += size;
            }
        }
        return new Workload(transactions, inserts, updates, deletes);
    }
}
