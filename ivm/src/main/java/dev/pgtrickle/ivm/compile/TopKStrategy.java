package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.DUP;
import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.plan.TopK;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.List;

/**
 * {@code ORDER BY … LIMIT n} at the top: the stored rows are the first ones of the input, kept
 * like CONTENT rows (identity by content, copies numbered). The input's delta is compared with
 * the boundary, the last stored row in the order: a change that sorts after it (inserted, deleted
 * or updated there) cannot enter or leave the first rows, so the refresh ends there — its cost is
 * the input's delta. A change at or before the boundary (or any change while fewer rows than the
 * limit are stored) recomputes the first rows (from the input's kept state where it keeps one)
 * and applies the difference to the stored ones — unless fewer rows than the limit are stored
 * and stay so: they are then all the input's rows, and the input's delta applies as it is.
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
        context.addCte("__pgt_fresh", "SELECT * FROM (" + ContentStrategy.numbered(topK, columns, topK.current(context))
                + ") AS __pgt_f WHERE " + hit);
        context.addCte("__pgt_recomputed", ContentStrategy.difference("__pgt_fresh", "(SELECT " + ROW_ID + ", " + DUP
                + " FROM " + storage + " WHERE " + hit + ")", columns));
        String applied = direct ? ContentStrategy.copies(context, topK, columns, changes) : null;
        context.addCte(MergeStatement.SOURCE_CTE, "SELECT * FROM __pgt_recomputed"
                + (direct ? " UNION ALL SELECT * FROM (" + applied + ") AS __pgt_a WHERE (SELECT __pgt_direct FROM"
                        + " __pgt_direct)" : ""));
        return new Maintenance(Strategy.TOP_K, populate, columns, List.of(ROW_ID, DUP), List.of(ROW_ID, DUP),
                List.of(), false, "one MERGE keyed on (__pgt_row_id, __pgt_dup), only when a change sorts at or"
                        + " before the last stored row: the first rows recomputed, the difference inserted and deleted");
    }
}
