package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.sql.Sql;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The single statement of a differential refresh: CTEs computing {@code __pgt_src} (one row per
 * storage row to insert, update or delete, with {@code __pgt_op} 'I', 'U', 'D' or NULL), then one
 * MERGE. The MERGE's source is LEFT JOINed to a one-row subquery that hands the statement's
 * snapshot and row counts to {@code pgtrickle._remember_refresh}: evaluated exactly once, even
 * when there are no changes, and under the same snapshot as every read of the statement (I2).
 */
final class MergeStatement {

    static final String SOURCE_CTE = "__pgt_src";

    /** The column of {@value #SOURCE_CTE} with the ctid of the stored row a row updates or deletes, where carried. */
    static final String STORED_AT = "__pgt_at";

    private MergeStatement() {
    }

    /**
     * What the statement reports about the changes it read.
     *
     * @param truncated SQL boolean: a source was truncated since the old frontier
     * @param consumed SQL bigint: how many change rows the refresh reads
     * @param oldest SQL xid8: the oldest transaction among them
     */
    record Changes(String truncated, String consumed, String oldest) {
    }

    /**
     * @param ctes CTE definitions, the last one being {@value #SOURCE_CTE}
     * @param changes what is reported about the changes read
     * @param matchColumns identity columns matched between storage and source rows
     * @param insertColumns columns set on insert
     * @param updateColumns columns set on update; empty when rows are never updated
     * @param carriesStoredRows whether {@value #SOURCE_CTE} carries the stored rows' ctids as
     *     {@value #STORED_AT}
     */
    static String build(List<String> ctes, Changes changes, List<String> matchColumns,
                        List<String> insertColumns, List<String> updateColumns, boolean carriesStoredRows) {
        String source = "(SELECT __pgt_row.* FROM (SELECT pgtrickle._remember_refresh("
                + "pg_catalog.pg_current_snapshot(), pg_catalog.pg_current_xact_id_if_assigned(), "
                + changes.truncated() + ", " + count("I") + ", " + count("U") + ", " + count("D")
                + ", false, " + changes.consumed() + ", " + changes.oldest() + ") AS __pgt_remembered) AS __pgt_snapshot"
                + " LEFT JOIN " + SOURCE_CTE + " AS __pgt_row ON true)";
        return merge(ctes, source, matchColumns, insertColumns, updateColumns, carriesStoredRows).toString();
    }

    /**
     * The statement applying the changes of one statement on a source, inside it (IMMEDIATE
     * mode): no frontier to remember. A row to update or delete that the MERGE no longer finds
     * where it was read (another transaction changed it meanwhile, which the locks taken before
     * should rule out) stops the statement with SQLSTATE PT003 instead of being lost
     * ({@code pgtrickle._immediate_conflict}).
     */
    static String buildImmediate(List<String> ctes, List<String> matchColumns, List<String> insertColumns,
                                 List<String> updateColumns, boolean carriesStoredRows) {
        String first = Sql.ident(matchColumns.get(0));
        return merge(ctes, SOURCE_CTE, matchColumns, insertColumns, updateColumns, carriesStoredRows)
                .append("\nWHEN NOT MATCHED AND __pgt_s.__pgt_op IN ('U', 'D') THEN INSERT (").append(first)
                .append(") VALUES (pgtrickle._immediate_conflict(__pgt_s.").append(first).append("))")
                .toString();
    }

    private static StringBuilder merge(List<String> ctes, String source, List<String> matchColumns,
                                       List<String> insertColumns, List<String> updateColumns,
                                       boolean carriesStoredRows) {
        StringBuilder sql = new StringBuilder("WITH ")
                .append(String.join(",\n", ctes))
                .append("\nMERGE INTO ").append(PlanContract.STORAGE).append(" AS __pgt_t\nUSING ").append(source)
                .append(" AS __pgt_s\nON ")
                .append(matchColumns.stream()
                        .map(c -> "__pgt_t." + Sql.ident(c) + " = __pgt_s." + Sql.ident(c))
                        .collect(Collectors.joining(" AND ")))
                .append(" AND __pgt_t.ctid = ANY (").append(carriesStoredRows
                        ? "ARRAY(SELECT " + STORED_AT + " FROM " + SOURCE_CTE + " WHERE " + STORED_AT + " IS NOT NULL)"
                        : storedRows(matchColumns)).append(")")
                .append("\nWHEN MATCHED AND __pgt_s.__pgt_op = 'D' THEN DELETE");
        if (!updateColumns.isEmpty()) {
            sql.append("\nWHEN MATCHED AND __pgt_s.__pgt_op = 'U' THEN UPDATE SET ")
                    .append(updateColumns.stream()
                            .map(c -> Sql.ident(c) + " = __pgt_s." + Sql.ident(c))
                            .collect(Collectors.joining(", ")));
        }
        sql.append("\nWHEN NOT MATCHED AND __pgt_s.__pgt_op = 'I' THEN INSERT (")
                .append(Sql.columns("", insertColumns)).append(") VALUES (")
                .append(Sql.columns("__pgt_s", insertColumns)).append(")");
        return sql;
    }

    /**
     * The INSERT-only variant: inserts the {@code 'I'} rows of {@value #SOURCE_CTE} and reports
     * the snapshot the same way; any other row means the changes were not insert-only, and
     * {@code pgtrickle._remember_refresh} stops the statement with SQLSTATE PT002.
     */
    static String buildInsertOnly(List<String> ctes, Changes changes, List<String> insertColumns) {
        return "WITH " + String.join(",\n", ctes)
                + ",\n__pgt_inserted AS (INSERT INTO " + PlanContract.STORAGE + " (" + Sql.columns("", insertColumns) + ") SELECT "
                + Sql.columns("", insertColumns) + " FROM " + SOURCE_CTE + " WHERE __pgt_op = 'I' RETURNING 1)"
                + "\nSELECT pgtrickle._remember_refresh(pg_catalog.pg_current_snapshot(),"
                + " pg_catalog.pg_current_xact_id_if_assigned(), " + changes.truncated() + ","
                + " (SELECT pg_catalog.count(*) FROM __pgt_inserted), 0, 0,"
                + " EXISTS (SELECT 1 FROM " + SOURCE_CTE + " WHERE __pgt_op <> 'I'), " + changes.consumed() + ", "
                + changes.oldest() + ")";
    }

    /**
     * The ctids of the storage rows that the source rows to update or delete match, each looked
     * up through the identity index ({@code OFFSET 0} keeps the lookup per source row). Given to
     * the MERGE as a restriction of the storage table, it makes the storage side a TID scan of
     * those rows: left to its cost model, PostgreSQL joins a few thousand source rows to the
     * storage table by hashing all of it, since it prices each index probe as a random page read.
     * A row to insert is not looked up: its identity is not stored (the INSERT-only statement
     * relies on that too, and the identity's unique index stops a refresh that would break it),
     * and a moving window inserts as many rows as it deletes.
     */
    private static String storedRows(List<String> matchColumns) {
        return "ARRAY(SELECT __pgt_l.ctid FROM " + SOURCE_CTE + " AS __pgt_r, LATERAL (SELECT __pgt_k.ctid FROM "
                + PlanContract.STORAGE + " AS __pgt_k WHERE "
                + matchColumns.stream().map(c -> "__pgt_k." + Sql.ident(c) + " = __pgt_r." + Sql.ident(c))
                        .collect(Collectors.joining(" AND "))
                + " OFFSET 0) AS __pgt_l WHERE __pgt_r.__pgt_op IN ('U', 'D'))";
    }

    private static String count(String op) {
        return "(SELECT pg_catalog.count(*) FROM " + SOURCE_CTE + " WHERE __pgt_op = '" + op + "')";
    }
}
