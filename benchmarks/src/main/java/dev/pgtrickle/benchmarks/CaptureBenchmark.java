package dev.pgtrickle.benchmarks;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Capture overhead (issue 3 §8): the same DML on two copies of {@code orders} (same data, same
 * indexes), {@code capture_off} without and {@code capture_on} with pgtrickle's capture
 * triggers (a differential stream table reads it). Each repetition runs, per table, a bulk
 * INSERT, UPDATE and DELETE of {@code captureBulkRows} rows (one autocommit statement each) and
 * {@code singleRowInserts} single-row INSERTs (each its own autocommit transaction). The tables
 * alternate which goes first; between repetitions, untimed, the stream table consumes the
 * buffered changes and both tables are vacuumed.
 */
public final class CaptureBenchmark {

    public enum Operation {
        BULK_INSERT("bulk INSERT"), BULK_UPDATE("bulk UPDATE"), BULK_DELETE("bulk DELETE"),
        SINGLE_ROW_INSERTS("single-row INSERTs");

        public final String label;

        Operation(String label) {
            this.label = label;
        }

        public boolean bulk() {
            return this != SINGLE_ROW_INSERTS;
        }
    }

    static final String WITHOUT = "capture_off";
    static final String WITH = "capture_on";
    static final String STREAM_TABLE = "st_capture_probe";
    private static final long BULK_ID_BASE = 1_000_000_000L;
    private static final long SINGLE_ID_BASE = 2_000_000_000L;

    private final Db db;
    private final BenchmarkOptions options;
    private final Progress progress;

    public CaptureBenchmark(Db db, BenchmarkOptions options, Progress progress) {
        this.db = db;
        this.options = options;
        this.progress = progress;
    }

    /** Timings without and with capture, per operation. */
    public record Times(Samples without, Samples with) {

        public double ratio() {
            return with.median() / without.median();
        }
    }

    public record Result(int bulkRows, int singleRowInserts, Map<Operation, Times> times) {
    }

    public Result run() throws SQLException {
        DataGenerator.copyOrders(db, WITHOUT);
        DataGenerator.copyOrders(db, WITH);
        StreamTables.createDifferential(db, STREAM_TABLE,
                "SELECT status, count(*) AS orders, sum(amount) AS total FROM " + WITH + " GROUP BY status");
        String buffer = StreamTables.bufferOf(db, WITH);
        db.execute("VACUUM (ANALYZE) " + WITHOUT + ", " + WITH + ", " + buffer);
        progress.log("capture tables loaded (" + options.orders() + " rows each)");

        Map<Operation, Times> times = new LinkedHashMap<>();
        for (Operation operation : Operation.values()) {
            times.put(operation, new Times(new Samples(), new Samples()));
        }
        int bulk = options.captureBulkRows();
        for (int run = 0; run < options.captureRuns(); run++) {
            List<String> order = run % 2 == 0 ? List.of(WITHOUT, WITH) : List.of(WITH, WITHOUT);
            for (String table : order) {
                boolean captured = table.equals(WITH);
                long firstUpdated = 1 + ((long) run * bulk) % Math.max(1, options.orders() - bulk);
                record(times, Operation.BULK_INSERT, captured, db.timed("INSERT INTO " + table
                        + " (id, customer_id, amount, status, created_at)"
                        + " SELECT " + BULK_ID_BASE + " + g, 1 + g % " + options.customers() + ","
                        + " (1 + g % 500)::numeric(12,2), 'pending', timestamptz '" + DataGenerator.EPOCH + "'"
                        + " FROM generate_series(1, " + bulk + ") AS g"));
                record(times, Operation.BULK_UPDATE, captured, db.timed("UPDATE " + table
                        + " SET amount = amount + 1, status = 'shipped'"
                        + " WHERE id BETWEEN " + firstUpdated + " AND " + (firstUpdated + bulk - 1)));
                record(times, Operation.BULK_DELETE, captured, db.timed("DELETE FROM " + table
                        + " WHERE id > " + BULK_ID_BASE + " AND id <= " + (BULK_ID_BASE + bulk)));
                record(times, Operation.SINGLE_ROW_INSERTS, captured, singleRowInserts(table));

                db.execute("DELETE FROM " + table + " WHERE id > " + SINGLE_ID_BASE);
                if (captured) {
                    db.execute(StreamTables.refreshSql(STREAM_TABLE));
                }
                db.execute("VACUUM (ANALYZE) " + table + (captured ? ", " + buffer : ""));
            }
            progress.log("capture repetition " + (run + 1) + "/" + options.captureRuns() + " done");
        }
        long differences = Oracle.differences(db, STREAM_TABLE,
                "SELECT status, count(*) AS orders, sum(amount) AS total FROM " + WITH + " GROUP BY status");
        if (differences != 0) {
            throw new IllegalStateException(STREAM_TABLE + " differs from its query in " + differences + " rows");
        }
        return new Result(bulk, options.singleRowInserts(), times);
    }

    private long singleRowInserts(String table) throws SQLException {
        try (PreparedStatement insert = db.prepare("INSERT INTO " + table
                + " (id, customer_id, amount, status, created_at) VALUES (?, ?, ?, 'pending', now())")) {
            long start = System.nanoTime();
            for (int i = 1; i <= options.singleRowInserts(); i++) {
                insert.setLong(1, SINGLE_ID_BASE + i);
                insert.setInt(2, 1 + i % options.customers());
                insert.setBigDecimal(3, java.math.BigDecimal.valueOf(i % 500 + 1));
                insert.executeUpdate();
            }
            return System.nanoTime() - start;
        }
    }

    private static void record(Map<Operation, Times> times, Operation operation, boolean captured, long nanos) {
        Times t = times.get(operation);
        (captured ? t.with() : t.without()).add(nanos);
    }
}
