package dev.pgtrickle.benchmarks;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.SplittableRandom;

/**
 * Change batches on {@code orders}: 70 % updates (every one changes the amount, 30 % also the
 * status, 10 % also the customer), 15 % inserts and 15 % deletes of distinct random live rows,
 * applied as three set-based statements (UPDATE … FROM unnest, INSERT … SELECT unnest, DELETE …
 * = ANY) in one transaction. Ids of live rows are tracked here so every batch has exactly the
 * requested size; the values come from a seeded generator, so runs are repeatable.
 */
public final class ChangeWorkload {

    static final double UPDATE_SHARE = 0.70;
    static final double INSERT_SHARE = 0.15;
    static final double STATUS_CHANGE_PROBABILITY = 0.30;
    static final double CUSTOMER_CHANGE_PROBABILITY = 0.10;

    private final String table;
    private final int customers;
    private final SplittableRandom random;
    /** Ids of the live rows in positions 0..liveCount-1, in no particular order. */
    private long[] live;
    private int liveCount;
    private long nextId;

    public ChangeWorkload(String table, int orders, int customers, long seed) {
        this.table = table;
        this.customers = customers;
        this.random = new SplittableRandom(seed);
        this.live = new long[orders + orders / 2 + 16];
        for (int i = 0; i < orders; i++) {
            live[i] = i + 1;
        }
        this.liveCount = orders;
        this.nextId = orders + 1L;
    }

    /** Counts of one applied batch. */
    public record Batch(int updates, int inserts, int deletes) {

        public int size() {
            return updates + inserts + deletes;
        }

        /** Rows the capture triggers write: an UPDATE is a 'D' plus an 'I'. */
        public int bufferRows() {
            return 2 * updates + inserts + deletes;
        }
    }

    public static Batch composition(int size) {
        int inserts = (int) Math.round(size * INSERT_SHARE);
        int deletes = (int) Math.round(size * (1 - UPDATE_SHARE - INSERT_SHARE));
        return new Batch(size - inserts - deletes, inserts, deletes);
    }

    /** Applies one batch of {@code size} changes in one committed transaction. */
    public Batch apply(Db db, int size) throws SQLException {
        Batch batch = composition(size);
        if (batch.updates() + batch.deletes() > liveCount) {
            throw new IllegalStateException("batch larger than the table");
        }
        // Partial Fisher–Yates: positions 0..k-1 become a uniform sample of distinct live rows.
        int sampled = batch.deletes() + batch.updates();
        for (int i = 0; i < sampled; i++) {
            int j = i + random.nextInt(liveCount - i);
            long swap = live[i];
            live[i] = live[j];
            live[j] = swap;
        }
        Long[] deleteIds = new Long[batch.deletes()];
        for (int i = 0; i < deleteIds.length; i++) {
            deleteIds[i] = live[i];
        }
        Long[] updateIds = new Long[batch.updates()];
        BigDecimal[] updateAmounts = new BigDecimal[batch.updates()];
        String[] updateStatuses = new String[batch.updates()];
        Integer[] updateCustomers = new Integer[batch.updates()];
        for (int i = 0; i < updateIds.length; i++) {
            updateIds[i] = live[deleteIds.length + i];
            updateAmounts[i] = amount();
            updateStatuses[i] = random.nextDouble() < STATUS_CHANGE_PROBABILITY
                    ? DataGenerator.status(random.nextDouble()) : null;
            updateCustomers[i] = random.nextDouble() < CUSTOMER_CHANGE_PROBABILITY ? customer() : null;
        }
        Long[] insertIds = new Long[batch.inserts()];
        Integer[] insertCustomers = new Integer[batch.inserts()];
        BigDecimal[] insertAmounts = new BigDecimal[batch.inserts()];
        String[] insertStatuses = new String[batch.inserts()];
        for (int i = 0; i < insertIds.length; i++) {
            insertIds[i] = nextId + i;
            insertCustomers[i] = customer();
            insertAmounts[i] = amount();
            insertStatuses[i] = DataGenerator.status(random.nextDouble());
        }

        db.inTransaction(() -> {
            try (PreparedStatement update = db.prepare("UPDATE " + table + " AS o SET amount = u.amount,"
                    + " status = coalesce(u.status, o.status), customer_id = coalesce(u.customer_id, o.customer_id)"
                    + " FROM unnest(?::bigint[], ?::numeric[], ?::text[], ?::integer[]) AS u(id, amount, status, customer_id)"
                    + " WHERE o.id = u.id")) {
                update.setArray(1, array(db, "bigint", updateIds));
                update.setArray(2, array(db, "numeric", updateAmounts));
                update.setArray(3, array(db, "text", updateStatuses));
                update.setArray(4, array(db, "integer", updateCustomers));
                check(update.executeUpdate(), batch.updates(), "UPDATE");
            }
            try (PreparedStatement insert = db.prepare("INSERT INTO " + table
                    + " (id, customer_id, amount, status, created_at)"
                    + " SELECT id, customer_id, amount, status, now()"
                    + " FROM unnest(?::bigint[], ?::integer[], ?::numeric[], ?::text[]) AS i(id, customer_id, amount, status)")) {
                insert.setArray(1, array(db, "bigint", insertIds));
                insert.setArray(2, array(db, "integer", insertCustomers));
                insert.setArray(3, array(db, "numeric", insertAmounts));
                insert.setArray(4, array(db, "text", insertStatuses));
                check(insert.executeUpdate(), batch.inserts(), "INSERT");
            }
            try (PreparedStatement delete = db.prepare("DELETE FROM " + table + " WHERE id = ANY (?::bigint[])")) {
                delete.setArray(1, array(db, "bigint", deleteIds));
                check(delete.executeUpdate(), batch.deletes(), "DELETE");
            }
        });

        // Bookkeeping after the commit: deleted rows leave, inserted rows join.
        for (int i = 0; i < deleteIds.length; i++) {
            live[i] = live[--liveCount];
        }
        if (liveCount + insertIds.length > live.length) {
            live = java.util.Arrays.copyOf(live, (liveCount + insertIds.length) * 2);
        }
        for (Long id : insertIds) {
            live[liveCount++] = id;
        }
        nextId += insertIds.length;
        return batch;
    }

    public int liveRows() {
        return liveCount;
    }

    private BigDecimal amount() {
        double value = DataGenerator.MIN_AMOUNT + random.nextDouble() * (DataGenerator.MAX_AMOUNT - DataGenerator.MIN_AMOUNT);
        return BigDecimal.valueOf(value).setScale(2, RoundingMode.HALF_UP);
    }

    private int customer() {
        return 1 + random.nextInt(customers);
    }

    private static Array array(Db db, String type, Object[] values) throws SQLException {
        return db.connection().createArrayOf(type, values);
    }

    private static void check(int actual, int expected, String what) throws SQLException {
        if (actual != expected) {
            throw new SQLException(what + " of the change batch touched " + actual + " rows, expected " + expected);
        }
    }
}
