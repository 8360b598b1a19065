package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.Block;
import dev.pgtrickle.ivm.delta.DeltaBuilder;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;

/**
 * GROUP BY queries whose groups cannot be maintained from a running state — HAVING (a group's
 * state is needed while it is hidden) or SUM/AVG over inexact types (subtracting floats drifts):
 * the keys of the groups the delta touches are collected, and exactly those groups are
 * recomputed from the sources and merged. Work is proportional to the size of the touched groups.
 */
final class GroupRescanStrategy {

    static final String ROW_ID = ContentStrategy.ROW_ID;

    private GroupRescanStrategy() {
    }

    static CompiledPlan compile(Aggregate aggregate, String normalizedQuery, List<ExplainLine> operators)
            throws UnsupportedQueryException {
        DeltaBuilder builder = new DeltaBuilder();
        Block input = Block.of(aggregate.input());
        boolean global = aggregate.groupKeys().isEmpty();
        List<String> items = new ArrayList<>(AggregateParts.plainOutputs(aggregate));
        items.add(RowIdentity.groupKey(aggregate.groupKeys().stream().map(k -> "(" + k + ")").toList()) + " AS " + ROW_ID);
        String populate = builder.current(input, items) + AggregateParts.groupBy(aggregate)
                + AggregateParts.having(aggregate);

        List<String> keyItems = AggregateParts.keyItems(aggregate);
        builder.addCte("__pgt_delta", builder.delta(input, keyItems.isEmpty() ? List.of("1 AS __pgt_any") : keyItems));
        List<String> affectedKeys = AggregateParts.keyColumns(aggregate, "__pgt_a");
        String touched;
        if (global) {
            builder.addCte("__pgt_affected", "SELECT 1 FROM __pgt_delta LIMIT 1");
            builder.addCte("__pgt_ids", "SELECT " + RowIdentity.CONSTANT + " AS " + ROW_ID + " FROM __pgt_affected");
            touched = "EXISTS (SELECT 1 FROM __pgt_affected)";
        } else {
            builder.addCte("__pgt_affected", "SELECT DISTINCT " + String.join(", ",
                    AggregateParts.keyColumns(aggregate, "__pgt_delta")) + " FROM __pgt_delta");
            builder.addCte("__pgt_ids", "SELECT DISTINCT " + RowIdentity.groupKey(affectedKeys) + " AS " + ROW_ID
                    + " FROM __pgt_affected AS __pgt_a");
            List<String> matches = new ArrayList<>();
            for (int i = 1; i <= aggregate.groupKeys().size(); i++) {
                matches.add("__pgt_a." + AggregateParts.key(i) + " IS NOT DISTINCT FROM (" + aggregate.groupKeys().get(i - 1) + ")");
            }
            touched = "EXISTS (SELECT 1 FROM __pgt_affected AS __pgt_a WHERE " + String.join(" AND ", matches) + ")";
        }
        builder.addCte("__pgt_fresh", builder.current(input.and(touched), items) + AggregateParts.groupBy(aggregate)
                + AggregateParts.having(aggregate));
        List<String> columns = aggregate.columns();
        builder.addCte(MergeStatement.SOURCE_CTE, "SELECT CASE"
                + " WHEN __pgt_f." + ROW_ID + " IS NULL THEN CASE WHEN __pgt_t." + ROW_ID + " IS NOT NULL THEN 'D' END"
                + " WHEN __pgt_t." + ROW_ID + " IS NOT NULL THEN 'U' ELSE 'I' END AS __pgt_op,"
                + " __pgt_i." + ROW_ID + ", " + Sql.columns("__pgt_f", columns)
                + " FROM __pgt_ids AS __pgt_i"
                + " LEFT JOIN __pgt_fresh AS __pgt_f ON __pgt_f." + ROW_ID + " = __pgt_i." + ROW_ID
                + " LEFT JOIN " + MergeStatement.STORAGE + " AS __pgt_t ON __pgt_t." + ROW_ID + " = __pgt_i." + ROW_ID);

        List<String> storageColumns = new ArrayList<>(columns);
        storageColumns.add(ROW_ID);
        String refresh = MergeStatement.build(builder.ctes(), builder.truncatedSinceFrontier(), List.of(ROW_ID),
                storageColumns, columns);
        List<ExplainLine> explain = new ArrayList<>(operators);
        explain.add(0, new ExplainLine(0, "Apply", "one MERGE keyed on __pgt_row_id (the group key): the groups"
                + " the delta touches are recomputed from the sources and replaced"));
        return new CompiledPlan(CompiledPlan.FORMAT, normalizedQuery, Strategy.GROUP_RESCAN, storageColumns,
                List.of(ROW_ID), List.of(ROW_ID), populate, refresh, null,
                builder.sources().stream().map(s -> s.oid()).toList(), explain);
    }
}
