package dev.pgtrickle.it.fuzz;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A random schema of 2-3 source tables in a schema of their own. Every table has the columns
 * {@code id, k, g, v, n, b, f} so that every query shape applies to every seed; what varies is
 * whether {@code id} is a primary key (keyless tables get duplicate rows), the type of the join
 * and group key {@code k} (int, bigint or numeric written with varying scale: 1 = 1.0 = 1.00),
 * whether {@code k} and {@code g} are indexed (which decides whether delta terms probe per row),
 * the size of the value domains (small, so joins and groups collide and groups appear and
 * vanish) and how often values are NULL.
 */
final class FuzzSchema {

    /** Columns of every table, in order. */
    static final List<String> COLUMNS = List.of("id", "k", "g", "v", "n", "b", "f");

    /**
     * One source table.
     *
     * @param index 1-based number: table {@code t<index>}
     * @param primaryKey whether {@code id} is the primary key (otherwise duplicates are allowed)
     * @param keyType SQL type of {@code k}
     * @param keyDomain values of {@code k} are 0..keyDomain-1 (or NULL)
     * @param idDomain values of {@code id} of a keyless table are 1..idDomain
     * @param nullPercent how often a nullable value is NULL
     * @param indexed whether {@code k} and {@code g} have indexes
     */
    record Table(String schema, int index, boolean primaryKey, String keyType, int keyDomain, int idDomain,
                 int nullPercent, boolean indexed) {

        String name() {
            return "t" + index;
        }

        String qualified() {
            return schema + "." + name();
        }

        String ddl() {
            return "CREATE TABLE " + qualified() + " (id int" + (primaryKey ? " PRIMARY KEY" : " NOT NULL")
                    + ", k " + keyType + ", g text, v int, n numeric, b bigint, f double precision)";
        }
    }

    private static final String[] KEY_TYPES = {"int", "bigint", "numeric"};
    private static final String[] TEXTS = {"'a'", "'b'", "'c'", "''"};
    private static final String[] BIGINTS = {"-3", "0", "7", "3000000000", "4611686018427387904"};

    final String schema;
    final List<Table> tables;

    private FuzzSchema(String schema, List<Table> tables) {
        this.schema = schema;
        this.tables = List.copyOf(tables);
    }

    static FuzzSchema random(Random random, String schema, int minTables) {
        int count = Math.max(minTables, 2 + random.nextInt(2));
        List<Table> tables = new ArrayList<>();
        boolean anyKeyless = false;
        for (int i = 1; i <= count; i++) {
            // At least one keyless table per schema: duplicates are where multiplicities go wrong.
            boolean primaryKey = (i < count || anyKeyless) && random.nextBoolean();
            anyKeyless |= !primaryKey;
            tables.add(new Table(schema, i, primaryKey, KEY_TYPES[random.nextInt(KEY_TYPES.length)],
                    2 + random.nextInt(4), 4 + random.nextInt(8), 5 + random.nextInt(25), random.nextBoolean()));
        }
        return new FuzzSchema(schema, tables);
    }

    Table table(int index) {
        return tables.get(index - 1);
    }

    String qualified(String name) {
        return schema + "." + name;
    }

    List<String> ddl() {
        List<String> statements = new ArrayList<>();
        statements.add("CREATE SCHEMA " + schema);
        for (Table table : tables) {
            statements.add(table.ddl());
            if (table.indexed()) {
                statements.add("CREATE INDEX ON " + table.qualified() + " (k)");
                statements.add("CREATE INDEX ON " + table.qualified() + " (g)");
            }
        }
        return statements;
    }

    // ---------------------------------------------------------------- random values as SQL literals

    static boolean isNull(Random random, Table table) {
        return random.nextInt(100) < table.nullPercent();
    }

    static String key(Random random, Table table) {
        if (isNull(random, table)) {
            return "NULL";
        }
        int value = random.nextInt(table.keyDomain());
        if (table.keyType().equals("numeric")) {
            // The same number with different scales: equal by numeric equality (I5).
            return switch (random.nextInt(3)) {
                case 0 -> Integer.toString(value);
                case 1 -> value + ".0";
                default -> value + ".00";
            };
        }
        return Integer.toString(value);
    }

    static String text(Random random, Table table) {
        return isNull(random, table) ? "NULL" : TEXTS[random.nextInt(TEXTS.length)];
    }

    static String integer(Random random, Table table) {
        return isNull(random, table) ? "NULL" : Integer.toString(random.nextInt(13) - 3);
    }

    static String numeric(Random random, Table table) {
        if (isNull(random, table)) {
            return "NULL";
        }
        int hundredths = random.nextInt(1500) - 300;
        if (random.nextInt(15) == 0) {
            // Many decimals, as a division leaves them: a sum's display scale is the largest of
            // its terms' and so depends on which rows are there.
            return new BigDecimal(hundredths).divide(BigDecimal.valueOf(700), 18, RoundingMode.HALF_UP).toPlainString();
        }
        String value = (hundredths < 0 ? "-" : "") + Math.abs(hundredths) / 100 + "."
                + String.format("%02d", Math.abs(hundredths) % 100);
        return switch (random.nextInt(3)) {
            case 0 -> value;
            case 1 -> value.substring(0, value.length() - 1); // one decimal
            default -> value + "0";                            // three decimals, trailing zero
        };
    }

    static String bigint(Random random, Table table) {
        return isNull(random, table) ? "NULL" : BIGINTS[random.nextInt(BIGINTS.length)];
    }

    /** Tenths (not exact in binary, so float sums depend on their order), rarely NaN or -0. */
    static String dbl(Random random, Table table) {
        if (isNull(random, table)) {
            return "NULL";
        }
        int roll = random.nextInt(100);
        if (roll < 2) {
            return "'NaN'::float8";
        }
        if (roll < 4) {
            return "'-0'::float8";
        }
        return (random.nextInt(70) - 20) / 10.0 + "::float8";
    }

    /** A row of random values, {@code id} given. */
    static String row(Random random, Table table, int id) {
        return "(" + id + ", " + key(random, table) + ", " + text(random, table) + ", " + integer(random, table)
                + ", " + numeric(random, table) + ", " + bigint(random, table) + ", " + dbl(random, table) + ")";
    }
}
