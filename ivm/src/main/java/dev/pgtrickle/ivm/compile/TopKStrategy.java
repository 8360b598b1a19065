package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.DUP;
import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.plan.TopK;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.List;

/**
 * {@code ORDER BY … LIMIT n} at the top: the stored rows are the first ones of the input, kept
 * like CONTENT rows (identity by content, copies numbered). The input's delta is compared with
 * the boundary, the last stored row in the order: a change that sorts after it (inserted, deleted
 * or updated there) cannot enter or leave the first rows, so the refresh ends there — its cost is
 * the input's delta. After a change at or before the boundary, with a plain LIMIT, the first
 * rows are the first of the stored rows less the deleted ones and the inserted rows before the
 * boundary, as long as enough are left and no change ties with the boundary; otherwise (or any
 * change while fewer rows than the limit are stored) the first rows are recomputed (from the
 * input's kept state where it keeps one). The difference is applied to the stored rows — unless
 * fewer rows than the limit are stored and stay so: they are then all the input's rows, and the
 * input's delta applies as it is.
 */
record TopKStrategy(TopK topK) implements MaintenanceStrategy {

    @Override
    public Maintenance maintain(DeltaContext context) throws UnsupportedQueryException {
        List<String> columns = topK.columns();
        String populate = ContentStrategy.numbered(topK, columns, topK.current(context));
        String storage = PlanContract.STORAGE;
        String sortColumns = Sql.columns("", topK.order().stream().map(TopK.SortKey::column).toList());

        context.addCte("__pgt_changed", "SELECT " + sortColumns + " FROM " + context.delta(topK.input()) + " AS __pgt_c");
        // The last stored row in the order, when the first rows are all there (else every change counts).
        String full = topK.limit() == null ? "false"
                : "(SELECT pg_catalog.count(*) FROM " + storage + ") >= " + topK.limit();
        context.addCte("__pgt_boundary", "SELECT " + sortColumns + " FROM " + storage + " WHERE " + full
                + topK.orderBy(null) + " OFFSET (SELECT GREATEST(pg_catalog.count(*) - 1, 0) FROM " + storage + ") LIMIT 1");
        // Sorted together with the boundary, a change first (ties count: a tied row may take its place).
        context.addCte("__pgt_hit", "SELECT COALESCE((SELECT __pgt_s.__pgt_b = 0 FROM (SELECT " + sortColumns
                + ", 1 AS __pgt_b FROM __pgt_boundary UNION ALL SELECT " + sortColumns + ", 0 FROM __pgt_changed)"
                + " AS __pgt_s" + topK.orderBy("__pgt_s") + ", __pgt_s.__pgt_b LIMIT 1), false) AS __pgt_hit");
        // While the stored rows are fewer than the limit they are all the input's rows: if they
        // stay within it, the input's delta applies as it is, without computing the first rows.
        boolean direct = topK.limit() != null && topK.offset() == 0;
        String count = "(SELECT pg_catalog.count(*) FROM " + storage + ")";
        String changes = context.delta(topK.input());
        context.addCte("__pgt_direct", "SELECT " + (direct ? count + " < " + topK.limit() + " AND " + count
                + " + (SELECT COALESCE(pg_catalog.sum(" + DeltaContext.WEIGHT + "), 0) FROM " + changes + ") <= "
                + topK.limit() : "false") + " AS __pgt_direct");
        String hit = "((SELECT __pgt_hit FROM __pgt_hit) AND NOT (SELECT __pgt_direct FROM __pgt_direct))";
        // Recomputed from a kept grouping where the input has one (TPC-H Q21: the top suppliers
        // by a count), not from the sources.
        String recompute = "SELECT * FROM (" + ContentStrategy.numbered(topK, columns, context.currentInStatement(topK))
                + ") AS __pgt_f WHERE " + hit;
        if (mergeable()) {
            String usable = candidates(context, columns);
            context.addCte("__pgt_fresh", recompute + " AND NOT " + usable + "\nUNION ALL\nSELECT * FROM ("
                    + ContentStrategy.numbered(topK, columns, "SELECT " + Sql.columns("__pgt_c", columns)
                    + " FROM __pgt_candidates AS __pgt_c CROSS JOIN LATERAL pg_catalog.generate_series(1, __pgt_c."
                    + DeltaContext.WEIGHT + ") WHERE __pgt_c." + DeltaContext.WEIGHT + " > 0" + topK.orderBy("__pgt_c")
                    + " LIMIT " + topK.limit()) + ") AS __pgt_m WHERE " + hit + " AND " + usable);
        } else {
            context.addCte("__pgt_fresh", recompute);
        }
        context.addCte("__pgt_recomputed", ContentStrategy.difference("__pgt_fresh", "(SELECT " + ROW_ID + ", " + DUP
                + " FROM " + storage + " WHERE " + hit + ")", columns, List.of(), false));
        String applied = direct ? ContentStrategy.copies(context, topK, columns, changes) : null;
        context.addCte(MergeStatement.SOURCE_CTE, "SELECT * FROM __pgt_recomputed"
                + (direct ? " UNION ALL SELECT * FROM (" + applied + ") AS __pgt_a WHERE (SELECT __pgt_direct FROM"
                        + " __pgt_direct)" : ""));
        return new Maintenance(Strategy.TOP_K, populate, columns, List.of(ROW_ID, DUP), List.of(ROW_ID, DUP),
                List.of(), false, false, "one MERGE keyed on (__pgt_row_id, __pgt_dup), only when a change sorts at or"
                        + " before the last stored row: the first rows taken from the stored ones and the changes where"
                        + " enough are left, else recomputed; the difference inserted and deleted");
    }

    /**
     * The query telling whether the changes registered in {@code context} by {@link #maintain}
     * reach the first rows: without a hit, the MERGE changes nothing (IMMEDIATE mode lets such
     * writers go on side by side).
     */
    static String reachesFirstRows(DeltaContext context) {
        return "WITH " + String.join(",\n", context.readingCtes()) + "\nSELECT __pgt_hit FROM __pgt_hit";
    }

    /** Whether the first rows can follow from the stored ones and the changes: a plain LIMIT without OFFSET. */
    private boolean mergeable() {
        return topK.limit() != null && topK.offset() == 0 && !topK.withTies();
    }

    /**
     * Registers {@code __pgt_candidates} — the stored rows less the deleted ones, with the
     * inserted rows that sort before the boundary, as copies per content — and returns the
     * condition under which the first rows are the first of them: no change ties with the
     * boundary and at least the limit's rows are left. Every row of the input that sorts before
     * the boundary is stored, so the rows before it are then exact, and no row beyond it can
     * reach the first rows; otherwise the first rows are computed again from the input.
     */
    private String candidates(DeltaContext context, List<String> columns) throws UnsupportedQueryException {
        String changes = context.delta(topK.input());
        String tied = topK.order().stream()
                .map(k -> "__pgt_c." + Sql.ident(k.column()) + " IS NOT DISTINCT FROM __pgt_b." + Sql.ident(k.column()))
                .reduce((a, b) -> a + " AND " + b).orElseThrow();
        String before = TopK.sortsBefore(topK.order(), k -> "__pgt_c." + Sql.ident(k.column()),
                k -> "__pgt_b." + Sql.ident(k.column()), false);
        String rows = "(SELECT " + ROW_ID + ", " + Sql.columns("", columns) + ", 1::bigint AS " + DeltaContext.WEIGHT
                + " FROM " + PlanContract.STORAGE + " UNION ALL SELECT "
                + ContentStrategy.identity(topK, ContentStrategy.qualified("__pgt_c", columns)) + ", "
                + Sql.columns("__pgt_c", columns) + ", __pgt_c." + DeltaContext.WEIGHT + " FROM " + changes + " AS __pgt_c"
                + " WHERE __pgt_c." + DeltaContext.WEIGHT + " < 0 OR EXISTS (SELECT 1 FROM __pgt_boundary AS __pgt_b WHERE "
                + before + ")) AS __pgt_all";
        context.addCte("__pgt_candidates", RowIdentity.perIdentity(ROW_ID, ContentStrategy.withRowId(columns),
                "pg_catalog.sum(" + DeltaContext.WEIGHT + ")", DeltaContext.WEIGHT, rows));
        // The hit first: without one (most refreshes), AND stops there and no candidate is read.
        context.addCte("__pgt_usable", "SELECT (SELECT __pgt_hit FROM __pgt_hit) AND EXISTS (SELECT 1 FROM __pgt_boundary)"
                + " AND NOT EXISTS (SELECT 1 FROM "
                + changes + " AS __pgt_c, __pgt_boundary AS __pgt_b WHERE " + tied + ") AND (SELECT COALESCE("
                + "pg_catalog.sum(" + DeltaContext.WEIGHT + ") FILTER (WHERE " + DeltaContext.WEIGHT + " > 0), 0)"
                + " FROM __pgt_candidates) >= " + topK.limit() + " AS __pgt_usable");
        return "(SELECT __pgt_usable FROM __pgt_usable)";
    }
}
