package dev.pgtrickle.it.fuzz;

import dev.pgtrickle.it.fuzz.FuzzSchema.Table;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Random single DML statements against the source tables: inserts (single, multi-row, copies of
 * existing rows, upserts), updates (of join and group keys, of values, of primary keys, to NULL,
 * updates that change nothing or match nothing), deletes (by key, by predicate, one copy of a
 * duplicated row). Statements are deterministic given the database state, so a seed replays.
 * TRUNCATE is decided by the caller.
 */
final class DmlGenerator {

    /** What a statement may do. */
    enum Mode {
        /** Anything. */
        ANY,
        /**
         * Plain inserts of new rows only: they never wait for a row lock or a unique index entry
         * another open transaction holds.
         */
        INSERT_ONLY
    }

    /** Deterministic choice among equal candidates for "one copy of a row" (ties are equal rows). */
    private static final String ROW_ORDER = "k, k::text, g, v, n, n::text, b, f, f::text";

    private final Random random;
    private final FuzzSchema schema;
    /** Next fresh id per table with a primary key, shared by all generators of a test. */
    private final Map<String, AtomicInteger> nextIds;
    /** Ids of primary-key tables this generator handed out, per table. */
    private final Map<String, List<Integer>> ownIds = new HashMap<>();

    DmlGenerator(Random random, FuzzSchema schema, Map<String, AtomicInteger> nextIds) {
        this.random = random;
        this.schema = schema;
        this.nextIds = nextIds;
    }

    Random random() {
        return random;
    }

    /** An INSERT of {@code rows} new random rows. */
    String insert(Table t, int rows) {
        StringBuilder sql = new StringBuilder("INSERT INTO " + t.qualified() + " (id, k, g, v, n, b, f) VALUES ");
        for (int i = 0; i < rows; i++) {
            if (i > 0) {
                sql.append(", ");
            }
            sql.append(FuzzSchema.row(random, t, newId(t)));
        }
        return sql.toString();
    }

    String statement(Table t, Mode mode) {
        if (mode == Mode.INSERT_ONLY) {
            return insert(t, 1 + random.nextInt(3));
        }
        String q = t.qualified();
        int roll = random.nextInt(100);
        if (roll < 18) {
            return insert(t, 1);
        }
        if (roll < 30) {
            return insert(t, 2 + random.nextInt(4));
        }
        if (roll < 35) {
            if (t.primaryKey()) {
                // Upsert: an INSERT statement that updates; both capture triggers fire.
                return "INSERT INTO " + q + " (id, k, g, v, n, b, f) VALUES " + FuzzSchema.row(random, t, usedId(t))
                        + " ON CONFLICT (id) DO UPDATE SET k = EXCLUDED.k, v = EXCLUDED.v";
            }
            // Exact duplicates of existing rows.
            return "INSERT INTO " + q + " SELECT * FROM " + q + " WHERE id = " + anyId(t);
        }
        if (roll < 44) {
            return "UPDATE " + q + " SET k = " + FuzzSchema.key(random, t) + " WHERE " + oneRow(t);
        }
        if (roll < 51) {
            return "UPDATE " + q + " SET g = " + FuzzSchema.text(random, t) + " WHERE " + someRows(t);
        }
        if (roll < 58) {
            return switch (random.nextInt(4)) {
                case 0 -> "UPDATE " + q + " SET v = " + FuzzSchema.integer(random, t) + ", n = "
                        + FuzzSchema.numeric(random, t) + " WHERE " + someRows(t);
                case 1 -> "UPDATE " + q + " SET v = v + 1 WHERE v < " + random.nextInt(8);
                case 2 -> "UPDATE " + q + " SET f = " + FuzzSchema.dbl(random, t) + ", b = "
                        + FuzzSchema.bigint(random, t) + " WHERE " + oneRow(t);
                default -> "UPDATE " + q + " SET n = -n, k = " + FuzzSchema.key(random, t) + ", g = "
                        + FuzzSchema.text(random, t) + " WHERE " + someRows(t);
            };
        }
        if (roll < 63) {
            // Updates that change nothing: captured as a delete and an insert of the same row.
            return random.nextBoolean()
                    ? "UPDATE " + q + " SET v = v WHERE " + someRows(t)
                    : "UPDATE " + q + " SET g = g, k = k WHERE " + oneRow(t);
        }
        if (roll < 65) {
            return "UPDATE " + q + " SET v = 0 WHERE id < 0"; // matches nothing
        }
        if (roll < 69) {
            return t.primaryKey()
                    ? "UPDATE " + q + " SET id = " + newId(t) + " WHERE id = " + anyId(t)
                    : "UPDATE " + q + " SET k = NULL, g = NULL WHERE " + oneRow(t);
        }
        if (roll < 79) {
            return "DELETE FROM " + q + " WHERE " + oneRow(t);
        }
        if (roll < 87) {
            return "DELETE FROM " + q + " WHERE " + someRows(t);
        }
        if (roll < 90) {
            return "DELETE FROM " + q + " WHERE k IS NULL OR v > " + (5 + random.nextInt(5));
        }
        if (roll < 95) {
            // A join key and a group key at once.
            return "UPDATE " + q + " SET k = " + FuzzSchema.key(random, t) + ", g = " + FuzzSchema.text(random, t)
                    + ", v = " + FuzzSchema.integer(random, t) + " WHERE " + someRows(t);
        }
        if (roll < 97) {
            return bulkInsert(t, 10 + random.nextInt(30));
        }
        if (roll < 99) {
            // Every key moves: the whole table changes join partners and groups at once.
            return "UPDATE " + q + " SET k = (k + 1) % " + t.keyDomain() + " WHERE v IS DISTINCT FROM " + random.nextInt(5);
        }
        return "DELETE FROM " + q + " WHERE id % 3 = " + random.nextInt(3);
    }

    /** A multi-row INSERT ... SELECT of generated rows (a large delta in one statement). */
    String bulkInsert(Table t, int rows) {
        int first = random.nextInt(1000);
        String id;
        if (t.primaryKey()) {
            int start = nextIds.computeIfAbsent(t.name(), n -> new AtomicInteger(1)).getAndAdd(rows);
            id = "s - " + first + " + " + start;
        } else {
            id = "1 + s % " + t.idDomain();
        }
        String key = "(s % " + t.keyDomain() + ")::" + t.keyType();
        return "INSERT INTO " + t.qualified() + " (id, k, g, v, n, b, f) SELECT " + id + ", "
                + "CASE WHEN s % 7 = 0 THEN NULL ELSE " + key + " END, "
                + "(ARRAY['a', 'b', 'c', NULL])[1 + s % 4], "
                + "CASE WHEN s % 5 = 0 THEN NULL ELSE s % 13 - 3 END, "
                + "CASE WHEN s % 6 = 0 THEN NULL ELSE (s % 300) / 8.0 END, "
                + "(s % 3) * 3000000000, "
                + "(s % 50) / 10.0 - 1 "
                + "FROM generate_series(" + first + ", " + (first + rows - 1) + ") AS s";
    }

    /** A predicate selecting one row: by primary key, or one copy of the rows with an id. */
    private String oneRow(Table t) {
        if (t.primaryKey()) {
            return "id = " + anyId(t);
        }
        return "ctid = (SELECT ctid FROM " + t.qualified() + " WHERE id = " + anyId(t)
                + " ORDER BY " + ROW_ORDER + " LIMIT 1)";
    }

    /** A predicate selecting a few rows, possibly none. */
    private String someRows(Table t) {
        return switch (random.nextInt(5)) {
            case 0 -> "k = " + FuzzSchema.key(random, t).replace("NULL", "0");
            case 1 -> "g IS NULL";
            case 2 -> "g = " + FuzzSchema.text(random, t).replace("NULL", "'a'");
            case 3 -> "v BETWEEN " + random.nextInt(6) + " AND " + (3 + random.nextInt(6));
            default -> "id IN (" + anyId(t) + ", " + anyId(t) + ")";
        };
    }

    private int newId(Table t) {
        if (!t.primaryKey()) {
            return 1 + random.nextInt(t.idDomain());
        }
        int id = nextIds.computeIfAbsent(t.name(), n -> new AtomicInteger(1)).getAndIncrement();
        ownIds.computeIfAbsent(t.name(), n -> new ArrayList<>()).add(id);
        return id;
    }

    /**
     * An id this generator handed out before (its statement has run, so an upsert of it can
     * never collide with a plain INSERT of a new id still to run in another session), else a
     * new one.
     */
    private int usedId(Table t) {
        List<Integer> own = ownIds.get(t.name());
        return own == null || own.isEmpty() ? newId(t) : own.get(random.nextInt(own.size()));
    }

    /** An id that probably exists (or existed). */
    private int anyId(Table t) {
        if (!t.primaryKey()) {
            return 1 + random.nextInt(t.idDomain());
        }
        int next = nextIds.computeIfAbsent(t.name(), n -> new AtomicInteger(1)).get();
        return 1 + random.nextInt(Math.max(1, next - 1));
    }
}
