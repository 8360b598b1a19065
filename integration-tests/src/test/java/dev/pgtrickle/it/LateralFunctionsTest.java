package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.refreshEachDifferentially;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Set-returning functions in FROM, end to end: JSON documents exploded into their items (arrays
 * that grow, shrink, empty and vanish), arrays unnested with their positions, objects into
 * their keys, series per row, a grouping over exploded rows, a LEFT JOIN LATERAL that keeps rows
 * without results, a calendar of constants first in FROM, ROWS FROM and JSON_TABLE. The oracle
 * after every refresh.
 */
@PostgresTest
class LateralFunctionsTest {

    private static final String ITEMS = "SELECT o.id, i.value ->> 'sku' AS sku, (i.value ->> 'qty')::int AS qty"
            + " FROM orders_doc o, LATERAL jsonb_array_elements(o.doc -> 'items') AS i";
    private static final String TAGS = "SELECT o.id, t.tag, t.position FROM orders_doc o"
            + " CROSS JOIN LATERAL unnest(o.tags) WITH ORDINALITY AS t(tag, position)";
    private static final String FIELDS = "SELECT o.id, f.key, f.value FROM orders_doc o, jsonb_each_text(o.doc) AS f"
            + " WHERE f.key <> 'items'";
    private static final String PER_SKU = "SELECT i.value ->> 'sku' AS sku, count(*) AS lines,"
            + " sum((i.value ->> 'qty')::int) AS quantity FROM orders_doc o,"
            + " LATERAL jsonb_array_elements(o.doc -> 'items') AS i GROUP BY 1";
    private static final String SERIES = "SELECT o.id, c.name, s.n FROM orders_doc o JOIN customers_doc c"
            + " ON c.id = o.id % 3, generate_series(1, o.copies) AS s(n) WHERE s.n <> 2";

    /** A document whose array is empty, NULL or all filtered out keeps one row, its item NULL. */
    private static final String LEFT_ITEMS = "SELECT o.id, t.tag, t.position FROM orders_doc o"
            + " LEFT JOIN LATERAL unnest(o.tags) WITH ORDINALITY AS t(tag, position) ON t.tag IS DISTINCT FROM 't1'";
    /** A calendar of constants first in FROM, the documents counted per day of it (zero included). */
    private static final String CALENDAR = "SELECT d.n, count(o.id) AS documents, sum(o.copies) AS copies"
            + " FROM generate_series(0, 4) AS d(n) LEFT JOIN orders_doc o ON o.copies = d.n GROUP BY d.n";

    /** Two functions zipped row by row (the shorter padded with NULLs), numbered. */
    private static final String ZIPPED = "SELECT o.id, r.tag, r.item, r.n FROM orders_doc o,"
            + " ROWS FROM (unnest(o.tags), jsonb_array_elements(o.doc -> 'items')) WITH ORDINALITY AS r(tag, item, n)";
    /** The items as rows with typed columns (PostgreSQL 17 and later). */
    private static final String JSON_TABLE = "SELECT o.id, jt.sku, jt.qty, jt.ord FROM orders_doc o,"
            + " JSON_TABLE(o.doc, '$.items[*]' COLUMNS (sku text PATH '$.sku', qty int PATH '$.qty' DEFAULT 0 ON EMPTY,"
            + " ord FOR ORDINALITY)) AS jt";

    private static final String[] COMMON = {"lf_items", ITEMS, "lf_tags", TAGS, "lf_fields", FIELDS,
            "lf_per_sku", PER_SKU, "lf_series", SERIES, "lf_left", LEFT_ITEMS, "lf_calendar", CALENDAR,
            "lf_zipped", ZIPPED};
    /** The stream tables of this server: {@link #COMMON}, and JSON_TABLE's where the server has it. */
    private static String[] all;

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
        db.execute("""
                CREATE TABLE orders_doc (id int PRIMARY KEY, doc jsonb, tags text[], copies int);
                CREATE TABLE customers_doc (id int PRIMARY KEY, name text);
                INSERT INTO customers_doc VALUES (0, 'zero'), (1, 'one');
                INSERT INTO orders_doc VALUES
                    (1, '{"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}], "note": "x"}', '{red,blue}', 2),
                    (2, '{"items": []}', '{}', 0),
                    (3, '{"items": [{"sku": "a", "qty": 5}]}', NULL, 3);
                """);
        all = db.queryLong("SELECT current_setting('server_version_num')::int") < 170000 ? COMMON
                : java.util.stream.Stream.concat(java.util.Arrays.stream(COMMON), java.util.stream.Stream.of(
                        "lf_json_table", JSON_TABLE)).toArray(String[]::new);
        for (int i = 0; i < all.length; i += 2) {
            DifferentialRefreshTest.createCompiledDifferential(db, all[i], all[i + 1],
                    all[i].equals("lf_per_sku") || all[i].equals("lf_calendar") ? "AGGREGATE" : "CONTENT");
        }
    }

    @Test
    void documentsWhoseArraysGrowShrinkAndVanish(TestDatabase db) throws SQLException {
        db.execute("UPDATE orders_doc SET doc = jsonb_set(doc, '{items}', doc -> 'items' || '[{\"sku\": \"c\", \"qty\": 3}]'),"
                + " tags = tags || '{green}', copies = 3 WHERE id = 1");
        refreshEachDifferentially(db, all);
        db.execute("UPDATE orders_doc SET doc = '{\"items\": [{\"sku\": \"a\", \"qty\": 1}, {\"sku\": \"a\", \"qty\": 1}]}',"
                + " tags = '{x,x,NULL}' WHERE id = 2"); // equal items, equal tags, a NULL element
        db.execute("UPDATE orders_doc SET doc = doc - 'items' WHERE id = 3"); // no array at all
        refreshEachDifferentially(db, all);
        db.execute("DELETE FROM orders_doc WHERE id = 1");
        db.execute("INSERT INTO orders_doc VALUES (4, '{\"items\": [{\"sku\": \"b\"}], \"note\": null}', '{b}', NULL)");
        db.execute("UPDATE orders_doc SET id = 5 WHERE id = 4"); // its key changes
        refreshEachDifferentially(db, all);
    }

    @Test
    void randomDocuments(TestDatabase db) throws SQLException {
        Random random = new Random(5);
        for (int round = 0; round < 20; round++) {
            StringBuilder step = new StringBuilder();
            for (int change = 0; change < 4; change++) {
                int id = 100 + random.nextInt(12);
                switch (change == 0 ? 0 : random.nextInt(4)) { // an upsert first: every round changes something
                    case 0 -> step.append("INSERT INTO orders_doc VALUES (").append(id).append(", ").append(document(random))
                            .append(", ").append(tags(random)).append(", ").append(random.nextInt(4))
                            .append(") ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc;");
                    case 1 -> step.append("UPDATE orders_doc SET doc = ").append(document(random)).append(" WHERE id = ")
                            .append(id).append(";");
                    case 2 -> step.append("UPDATE orders_doc SET tags = ").append(tags(random)).append(", copies = ")
                            .append(random.nextInt(4)).append(" WHERE id = ").append(id).append(";");
                    default -> step.append("DELETE FROM orders_doc WHERE id = ").append(id).append(";");
                }
            }
            db.execute(step.toString());
            refreshEachDifferentially(db, all);
        }
    }

    private static String document(Random random) {
        StringBuilder items = new StringBuilder();
        int count = random.nextInt(4);
        for (int i = 0; i < count; i++) {
            items.append(i == 0 ? "" : ", ").append("{\"sku\": \"").append((char) ('a' + random.nextInt(3)))
                    .append("\", \"qty\": ").append(random.nextInt(3)).append("}");
        }
        String note = random.nextBoolean() ? ", \"note\": \"n" + random.nextInt(3) + "\"" : "";
        return random.nextInt(8) == 0 ? "NULL" : "'{\"items\": [" + items + "]" + note + "}'";
    }

    private static String tags(Random random) {
        int count = random.nextInt(4);
        StringBuilder tags = new StringBuilder("'{");
        for (int i = 0; i < count; i++) {
            tags.append(i == 0 ? "" : ",").append(random.nextInt(5) == 0 ? "NULL" : "t" + random.nextInt(3));
        }
        return random.nextInt(8) == 0 ? "NULL" : tags.append("}'").toString();
    }
}
