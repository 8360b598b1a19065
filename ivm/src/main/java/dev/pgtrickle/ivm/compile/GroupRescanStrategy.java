package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Filter;
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
record GroupRescanStrategy(Aggregate aggregate) implements MaintenanceStrategy {

    @Override
    public Maintenance maintain(DeltaContext context) throws UnsupportedQueryException {
        boolean global = aggregate.groupKeys().isEmpty();
        List<String> identity = List.of(RowIdentity.groupKey(aggregate.groupKeys().stream()
                .map(k -> "(" + k + ")").toList()) + " AS " + ROW_ID);
        String populate = aggregate.current(context, identity);

        List<String> keyItems = new ArrayList<>(AggregateParts.keyItems(aggregate));
        if (keyItems.isEmpty()) {
            keyItems.add("1 AS __pgt_any");
        }
        DeltaContext.Exposure changes = context.expose(aggregate.input());
        context.addCte("__pgt_delta", "SELECT " + String.join(", ", keyItems) + " FROM " + changes.from());
        List<String> affectedKeys = AggregateParts.keyColumns(aggregate, "__pgt_a");
        String touched;
        if (global) {
            context.addCte("__pgt_affected", "SELECT 1 FROM __pgt_delta LIMIT 1");
            context.addCte("__pgt_ids", "SELECT " + RowIdentity.CONSTANT + " AS " + ROW_ID + " FROM __pgt_affected");
            touched = "EXISTS (SELECT 1 FROM __pgt_affected)";
        } else {
            context.addCte("__pgt_affected", "SELECT DISTINCT " + String.join(", ",
                    AggregateParts.keyColumns(aggregate, "__pgt_delta")) + " FROM __pgt_delta");
            context.addCte("__pgt_ids", "SELECT DISTINCT " + RowIdentity.groupKey(affectedKeys) + " AS " + ROW_ID
                    + " FROM __pgt_affected AS __pgt_a");
            List<String> matches = new ArrayList<>();
            for (int i = 1; i <= aggregate.groupKeys().size(); i++) {
                matches.add("__pgt_a." + AggregateParts.key(i) + " IS NOT DISTINCT FROM ("
                        + aggregate.groupKeys().get(i - 1) + ")");
            }
            touched = "EXISTS (SELECT 1 FROM __pgt_affected AS __pgt_a WHERE " + String.join(" AND ", matches) + ")";
        }
        Aggregate touchedGroups = new Aggregate(new Filter(aggregate.input(),
                new Condition(touched, aggregate.input().aliases())),
                aggregate.groupKeys(), aggregate.calls(), aggregate.outputs(), aggregate.having());
        context.addCte("__pgt_fresh", touchedGroups.current(context, identity));
        List<String> columns = aggregate.columns();
        context.addCte(MergeStatement.SOURCE_CTE, "SELECT CASE"
                + " WHEN __pgt_f." + ROW_ID + " IS NULL THEN CASE WHEN __pgt_t." + ROW_ID + " IS NOT NULL THEN 'D' END"
                + " WHEN __pgt_t." + ROW_ID + " IS NOT NULL THEN 'U' ELSE 'I' END AS __pgt_op,"
                + " __pgt_i." + ROW_ID + ", " + Sql.columns("__pgt_f", columns)
                + " FROM __pgt_ids AS __pgt_i"
                + " LEFT JOIN __pgt_fresh AS __pgt_f ON __pgt_f." + ROW_ID + " = __pgt_i." + ROW_ID
                + " LEFT JOIN " + PlanContract.STORAGE + " AS __pgt_t ON __pgt_t." + ROW_ID + " = __pgt_i." + ROW_ID);
        return new Maintenance(Strategy.GROUP_RESCAN, populate, columns, List.of(ROW_ID), List.of(ROW_ID), columns,
                false, "one MERGE keyed on __pgt_row_id (the group key): the groups the delta touches are"
                        + " recomputed from the sources and replaced");
    }
}
