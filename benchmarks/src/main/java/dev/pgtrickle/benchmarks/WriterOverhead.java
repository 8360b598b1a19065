package dev.pgtrickle.benchmarks;

import java.io.IOException;
import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What capture costs the writers: the same statements on three empty tables shaped like
 * {@code orders}, one per {@link Capture}. Each repetition runs, per table, the bulk shape (one
 * INSERT … SELECT, one UPDATE of every row, one DELETE of every row) and the single-row shape
 * (INSERTs, UPDATEs by key, DELETEs by key, each its own autocommit transaction); each statement
 * is timed from the client, commit included. The tables take turns going first.
 *
 * <p>The decoder runs only while its table is written: logical decoding reads all of the
 * database's WAL, so a decoder running during the other tables' turns would slow their writers
 * with work that is not theirs. Before its turn it catches up, untimed; after each shape the time
 * it takes to catch up is recorded (the capture's lag). Between turns, untimed, the stream table
 * consumes the trigger buffer and the written table is vacuumed.
 */
final class WriterOverhead {

    enum Capture {
        NONE("no capture", "wal_bench_none"),
        TRIGGER("trigger capture", "wal_bench_trigger"),
        WAL("WAL capture", "wal_bench_wal");

        final String label;
        final String table;

        Capture(String label, String table) {
            this.label = label;
            this.table = table;
        }
    }

    enum Operation {
        BULK_INSERT("bulk INSERT", true), BULK_UPDATE("bulk UPDATE", true), BULK_DELETE("bulk DELETE", true),
        SINGLE_INSERTS("single-row INSERTs", false), SINGLE_UPDATES("single-row UPDATEs", false),
        SINGLE_DELETES("single-row DELETEs", false);

        final String label;
        final boolean bulk;

        Operation(String label, boolean bulk) {
            this.label = label;
            this.bulk = bulk;
        }
    }

    /** Milliseconds per operation and capture; {@code bulk} and {@code single} are the shapes' sums per repetition. */
    record Result(int bulkRows, int singleRows, int runs, Map<Operation, Map<Capture, Samples>> times,
                  Map<Capture, Samples> bulk, Map<Capture, Samples> single, Samples bulkLag, Samples singleLag,
                  long journaledPerRun, long streamTableDifferences) {

        /** Median of {@code capture} over median without capture. */
        static double ratio(Map<Capture, Samples> byCapture, Capture capture) {
            return byCapture.get(capture).median() / byCapture.get(Capture.NONE).median();
        }
    }

    static final String STREAM_TABLE = "st_wal_bench_probe";
    private static final String PROBE_QUERY =
            "SELECT status, count(*) AS orders, sum(amount) AS total FROM " + Capture.TRIGGER.table + " GROUP BY status";
    private static final int CUSTOMERS = 1000;

    private final Db db;
    private final String jdbcUrl;
    private final WalSlots slots;
    private final WalOptions options;
    private final Progress progress;
    private final Map<Operation, Map<Capture, Samples>> times = new EnumMap<>(Operation.class);
    private final Map<Capture, Samples> bulk = samplesPerCapture();
    private final Map<Capture, Samples> single = samplesPerCapture();
    private final Samples bulkLag = new Samples();
    private final Samples singleLag = new Samples();

    WriterOverhead(Db db, String jdbcUrl, WalSlots slots, WalOptions options, Progress progress) {
        this.db = db;
        this.jdbcUrl = jdbcUrl;
        this.slots = slots;
        this.options = options;
        this.progress = progress;
        for (Operation operation : Operation.values()) {
            times.put(operation, samplesPerCapture());
        }
    }

    Result run() throws SQLException, IOException, InterruptedException {
        for (Capture capture : Capture.values()) {
            DataGenerator.createOrdersLike(db, capture.table);
            DataGenerator.indexOrdersLike(db, capture.table);
        }
        // Trigger capture as the macro benchmark sets it up: a differential stream table reads the table.
        StreamTables.createDifferential(db, STREAM_TABLE, PROBE_QUERY);
        if (db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = '" + Capture.TRIGGER.table
                + "'::regclass AND tgname LIKE 'pgtrickle_capture%'") == 0) {
            throw new IllegalStateException(Capture.TRIGGER.table + " got no capture triggers: is it captured another way?");
        }
        slots.capture(Capture.WAL.table);
        long walOid = slots.relationOid(Capture.WAL.table);
        long expectedEntries = 4L * options.bulkRows() + 4L * options.singleRows();

        Capture[] all = Capture.values();
        for (int run = 0; run < options.writerRuns(); run++) {
            for (int i = 0; i < all.length; i++) {
                Capture capture = all[(run + i) % all.length];
                if (capture == Capture.WAL) {
                    try (RunningDecoder decoder = RunningDecoder.start(jdbcUrl, slots.names())) {
                        decoder.awaitDecoded(slots.markEnd());
                        writeBulk(capture);
                        bulkLag.add(catchUp(decoder));
                        writeSingleRows(capture, run);
                        singleLag.add(catchUp(decoder));
                        long journaled = decoder.rowEntries(walOid);
                        if (journaled != expectedEntries) {
                            throw new IllegalStateException("the decoder journaled " + journaled + " row changes of "
                                    + capture.table + ", expected " + expectedEntries);
                        }
                    }
                } else {
                    writeBulk(capture);
                    writeSingleRows(capture, run);
                }
                cleanUp(capture);
            }
            progress.log("writer repetition " + (run + 1) + "/" + options.writerRuns() + " done");
        }
        long differences = Oracle.differences(db, STREAM_TABLE, PROBE_QUERY);
        return new Result(options.bulkRows(), options.singleRows(), options.writerRuns(), times, bulk, single,
                bulkLag, singleLag, expectedEntries, differences);
    }

    private void writeBulk(Capture capture) throws SQLException {
        String table = capture.table;
        long insert = db.timed("INSERT INTO " + table + " (id, customer_id, amount, status, created_at)"
                + " SELECT g, 1 + g % " + CUSTOMERS + ", (1 + g % 500)::numeric(12,2), 'pending',"
                + " timestamptz '" + DataGenerator.EPOCH + "' FROM generate_series(1, " + options.bulkRows() + ") AS g");
        long update = db.timed("UPDATE " + table + " SET amount = amount + 1, status = 'shipped'");
        long delete = db.timed("DELETE FROM " + table);
        record(Operation.BULK_INSERT, capture, insert);
        record(Operation.BULK_UPDATE, capture, update);
        record(Operation.BULK_DELETE, capture, delete);
        bulk.get(capture).add(insert + update + delete);
    }

    /** Every table gets the same values and key orders in a repetition (seeded by seed and repetition). */
    private void writeSingleRows(Capture capture, int run) throws SQLException {
        String table = capture.table;
        Random random = new Random(options.seed() * 31 + run);
        int n = options.singleRows();
        long insert;
        try (PreparedStatement statement = db.prepare("INSERT INTO " + table
                + " (id, customer_id, amount, status, created_at) VALUES (?, ?, ?, 'pending', now())")) {
            long start = System.nanoTime();
            for (int id = 1; id <= n; id++) {
                statement.setLong(1, id);
                statement.setInt(2, 1 + random.nextInt(CUSTOMERS));
                statement.setBigDecimal(3, BigDecimal.valueOf(100 + random.nextInt(49_900), 2));
                statement.executeUpdate();
            }
            insert = System.nanoTime() - start;
        }
        long update = byKey("UPDATE " + table + " SET amount = amount + 1, status = 'shipped' WHERE id = ?",
                shuffledKeys(n, random));
        long delete = byKey("DELETE FROM " + table + " WHERE id = ?", shuffledKeys(n, random));
        record(Operation.SINGLE_INSERTS, capture, insert);
        record(Operation.SINGLE_UPDATES, capture, update);
        record(Operation.SINGLE_DELETES, capture, delete);
        single.get(capture).add(insert + update + delete);
    }

    private long byKey(String sql, List<Long> keys) throws SQLException {
        try (PreparedStatement statement = db.prepare(sql)) {
            long start = System.nanoTime();
            for (long key : keys) {
                statement.setLong(1, key);
                if (statement.executeUpdate() != 1) {
                    throw new IllegalStateException("no row " + key + " for " + sql);
                }
            }
            return System.nanoTime() - start;
        }
    }

    private static List<Long> shuffledKeys(int n, Random random) {
        List<Long> keys = new ArrayList<>(n);
        for (long id = 1; id <= n; id++) {
            keys.add(id);
        }
        Collections.shuffle(keys, random);
        return keys;
    }

    /** Nanoseconds from the end of the last statement until the decoder journaled it. */
    private long catchUp(RunningDecoder decoder) throws SQLException, InterruptedException {
        long start = System.nanoTime();
        decoder.awaitDecoded(slots.markEnd());
        return System.nanoTime() - start;
    }

    private void cleanUp(Capture capture) throws SQLException {
        if (capture == Capture.TRIGGER) {
            db.execute(StreamTables.refreshSql(STREAM_TABLE));
            db.execute("VACUUM (ANALYZE) " + capture.table + ", " + StreamTables.bufferOf(db, capture.table));
        } else {
            db.execute("VACUUM (ANALYZE) " + capture.table);
        }
    }

    private void record(Operation operation, Capture capture, long nanos) {
        times.get(operation).get(capture).add(nanos);
    }

    private static Map<Capture, Samples> samplesPerCapture() {
        Map<Capture, Samples> map = new EnumMap<>(Capture.class);
        for (Capture capture : Capture.values()) {
            map.put(capture, new Samples());
        }
        return map;
    }
}
