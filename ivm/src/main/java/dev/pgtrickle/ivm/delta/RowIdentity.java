package dev.pgtrickle.ivm.delta;

import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Row identities (I5), exact or at least 128 bits (64-bit hashes collided in practice).
 *
 * <ul>
 *   <li>A row without a key is identified by its content: SHA-256 of the binary send form. A
 *       deletion always carries the very bytes the insertion it cancels carried, so binary
 *       equality is the right equality here.</li>
 *   <li>A group is identified by its key under the key types' own equality — GROUP BY puts
 *       numeric 1.0 and 1.00, interval '1 day' and '24 hours', or 'a' and 'A' under a
 *       case-insensitive collation into one group, and their binary forms differ. PostgreSQL's
 *       extended hash functions agree with equality by definition; two independently seeded
 *       64-bit hashes make 128 bits. They hash a numeric without its sign, so each key's sign
 *       ({@code pgtrickle._key_sign}, 0 for other types) is hashed with it.</li>
 * </ul>
 */
public final class RowIdentity {

    /** Identity of the single row of an aggregate without GROUP BY. */
    public static final String CONSTANT = "'\\x00'::bytea";

    private RowIdentity() {
    }

    /** Identity of a row by its content (SQL expressions of its columns). */
    public static String content(List<String> columns) {
        return "pg_catalog.sha256(pg_catalog.record_send(ROW(" + String.join(", ", columns) + ")))";
    }

    /** Identity of a group by its key values; {@link #CONSTANT} for a global aggregate. */
    public static String groupKey(List<String> keys) {
        if (keys.isEmpty()) {
            return CONSTANT;
        }
        List<String> parts = new ArrayList<>(keys);
        keys.forEach(k -> parts.add("pgtrickle._key_sign(" + k + ")"));
        String row = parts.stream().collect(Collectors.joining(", ", "ROW(", ")"));
        return "(pg_catalog.int8send(pg_catalog.hash_record_extended(" + row + ", 0))"
                + " OPERATOR(pg_catalog.||) pg_catalog.int8send(pg_catalog.hash_record_extended(" + row + ", 1)))";
    }

    /**
     * Identity of a row by its content for netting within one statement: the binary send form
     * itself, exact and cheaper than its SHA-256, where nothing stores it (a stored identity
     * stays {@link #content}, bounded in size).
     */
    public static String sentForm(List<String> columns) {
        return "pg_catalog.record_send(ROW(" + String.join(", ", columns) + "))";
    }

    /**
     * One row per {@code identity} of {@code rows} — its {@code columns} (SQL column references of
     * {@code rows}), which rows of one identity hold alike — with {@code aggregate} over the
     * identity's rows as the bigint column {@code name}. Hashed by the identity alone: each other
     * column is one value of its group ({@code pgtrickle._any_value}), so it needs no equality
     * of its own type and nothing is sorted.
     */
    public static String perIdentity(String identity, List<String> columns, String aggregate, String name, String rows) {
        List<String> items = columns.stream()
                .map(c -> c.equals(identity) ? c : "pgtrickle._any_value(" + c + ") AS " + c)
                .toList();
        return "SELECT " + Sql.list(items, "(" + aggregate + ")::bigint AS " + name) + " FROM " + rows
                + " GROUP BY " + identity;
    }

    /**
     * {@code LEFT JOIN} of the row of {@code table} whose identity {@code column} is {@code identity}
     * (with {@code items} beyond its columns), as {@code __pgt_t}: one index probe per row asking
     * ({@code OFFSET 0} keeps it one), since the planner cannot know how few those rows are and,
     * joining them otherwise, may read and sort the whole table.
     */
    public static String leftJoinByIdentity(String table, String column, String identity, List<String> items) {
        List<String> read = new ArrayList<>(List.of("__pgt_k.*"));
        read.addAll(items);
        return " LEFT JOIN LATERAL (SELECT " + String.join(", ", read) + " FROM " + table + " AS __pgt_k WHERE"
                + " __pgt_k." + column + " = " + identity + " OFFSET 0) AS __pgt_t ON true";
    }
}
