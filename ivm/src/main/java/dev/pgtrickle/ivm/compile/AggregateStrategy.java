package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.COUNT;
import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Placeholders;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * GROUP BY with COUNT, SUM and AVG over exact types (and DISTINCT, as a GROUP BY of every
 * column): each stored group keeps its row count {@code __pgt_count} and, per aggregate call,
 * the count of non-NULL arguments {@code __pgt_agg_<n>_n} and their sum {@code __pgt_agg_<n>_s};
 * for a numeric without a declared scale also the largest scale among the values
 * {@code __pgt_agg_<n>_d} and how many have it {@code __pgt_agg_<n>_dn} ({@link #scaled}).
 * The delta is aggregated per group and added to that state; a group whose count drops to zero
 * is deleted (except the one row of an aggregate without GROUP BY). Work is proportional to
 * the changed rows and groups.
 */
record AggregateStrategy(Aggregate aggregate, Set<Integer> scaled) implements MaintenanceStrategy {

    /** Without unconstrained numeric sums. */
    AggregateStrategy(Aggregate aggregate) {
        this(aggregate, Set.of());
    }

    @Override
    public Maintenance maintain(DeltaContext context) throws UnsupportedQueryException {
        boolean global = aggregate.groupKeys().isEmpty();
        // With scales to track, the populate query reads the input with each group's largest scale
        // alongside (a window), to count the values that have it.
        DeltaContext.Exposure rows = scaled.isEmpty() ? null : withLargestScales(context);
        List<String> hidden = new ArrayList<>(List.of(ROW_ID, COUNT));
        List<String> populateItems = new ArrayList<>();
        populateItems.add(RowIdentity.groupKey(aggregate.groupKeys().stream().map(k -> "(" + k + ")").toList())
                + " AS " + ROW_ID);
        populateItems.add("pg_catalog.count(*) AS " + COUNT);
        List<String> deltaItems = new ArrayList<>(AggregateParts.keyItems(aggregate));
        List<String> deltaAggregates = new ArrayList<>();
        List<String> newState = new ArrayList<>();
        newState.add("COALESCE(__pgt_t." + COUNT + ", 0) + __pgt_d.__pgt_dcount AS " + COUNT);
        for (AggregateCall call : aggregate.calls()) {
            if (call.function() == AggregateCall.Function.COUNT_STAR) {
                continue;
            }
            int i = call.index();
            String arg = "__pgt_a" + i;
            deltaItems.add("(" + call.argument() + ") AS " + arg);
            hidden.add(call.nonNullColumn());
            populateItems.add("pg_catalog.count(" + call.argument() + ") AS " + call.nonNullColumn());
            deltaAggregates.add("pg_catalog.sum(" + DeltaContext.WEIGHT + ") FILTER (WHERE " + arg
                    + " IS NOT NULL)::bigint AS __pgt_dn" + i);
            newState.add(addState(call.nonNullColumn(), "__pgt_dn" + i));
            if (call.function() != AggregateCall.Function.COUNT) {
                hidden.add(call.sumColumn());
                populateItems.add("pg_catalog.sum(" + call.argument() + ") AS " + call.sumColumn());
                deltaAggregates.add(Sql.finiteSum("pg_catalog.sum(" + DeltaContext.WEIGHT + " * " + arg + ")")
                        + " AS __pgt_ds" + i);
                newState.add(addState(call.sumColumn(), "__pgt_ds" + i));
            }
            if (scaled.contains(i)) {
                hidden.add(scale(call));
                hidden.add(scaleCount(call));
                populateItems.add("pg_catalog.max(pg_catalog.scale(" + call.argument() + ")) AS " + scale(call));
                populateItems.add("pg_catalog.count(*) FILTER (WHERE pg_catalog.scale(" + call.argument() + ") = "
                        + rows.reference() + ".__pgt_gmax" + i + ") AS " + scaleCount(call));
            }
        }
        String populate = rows == null ? aggregate.current(context, populateItems)
                : "SELECT " + String.join(", ", Sql.concat(aggregate.plainOutputs(), populateItems))
                        + " FROM " + rows.from() + aggregate.groupBy();

        DeltaContext.Exposure changes = context.expose(aggregate.input());
        deltaItems.add(changes.weight() + " AS " + DeltaContext.WEIGHT);
        context.addCte("__pgt_delta", "SELECT " + String.join(", ", deltaItems) + " FROM " + changes.from());
        List<String> keys = AggregateParts.keyColumns(aggregate, "__pgt_delta");
        List<String> dagg = new ArrayList<>(keys);
        dagg.add("pg_catalog.sum(" + DeltaContext.WEIGHT + ")::bigint AS __pgt_dcount");
        dagg.addAll(deltaAggregates);
        context.addCte("__pgt_dagg", "SELECT " + String.join(", ", dagg) + " FROM __pgt_delta"
                + (global ? " HAVING pg_catalog.count(*) > 0" : " GROUP BY " + String.join(", ", keys)));
        StringBuilder scales = new StringBuilder();
        for (AggregateCall call : aggregate.calls()) {
            if (scaled.contains(call.index())) {
                scales.append(trackScale(context, call, keys, newState));
            }
        }
        context.addCte("__pgt_new", "SELECT __pgt_d.*, " + String.join(", ", newState)
                + ", __pgt_t." + ROW_ID + " IS NOT NULL AS __pgt_existed"
                + " FROM (SELECT __pgt_a.*, " + RowIdentity.groupKey(AggregateParts.keyColumns(aggregate, "__pgt_a"))
                + " AS " + ROW_ID + " FROM __pgt_dagg AS __pgt_a) AS __pgt_d"
                + " LEFT JOIN " + PlanContract.STORAGE + " AS __pgt_t ON __pgt_t." + ROW_ID + " = __pgt_d." + ROW_ID
                + scales);
        List<String> source = new ArrayList<>();
        source.add("CASE WHEN __pgt_n." + COUNT + " < 0 THEN pgtrickle._negative_multiplicity('group row count', "
                + context.truncatedSinceFrontier() + ")"
                + (global ? "" : " WHEN __pgt_n." + COUNT + " = 0 THEN CASE WHEN __pgt_n.__pgt_existed THEN 'D' END")
                + " WHEN __pgt_n.__pgt_existed THEN 'U' ELSE 'I' END AS __pgt_op");
        source.add("__pgt_n." + ROW_ID);
        for (String column : hidden.subList(1, hidden.size())) {
            source.add("__pgt_n." + column);
        }
        for (OutputColumn output : aggregate.outputs()) {
            source.add(fromState(output.expression()) + " AS " + Sql.ident(output.name()));
        }
        context.addCte(MergeStatement.SOURCE_CTE, "SELECT " + String.join(", ", source) + " FROM __pgt_new AS __pgt_n");

        List<String> updated = new ArrayList<>(aggregate.columns());
        updated.addAll(hidden.subList(1, hidden.size()));
        return new Maintenance(Strategy.AGGREGATE, populate, aggregate.columns(), hidden, List.of(ROW_ID), updated,
                false, "one MERGE keyed on __pgt_row_id (the group key): groups inserted, updated in place or"
                        + " deleted when their row count reaches zero");
    }

    /**
     * The input with, per tracked call, the group's largest scale of its argument
     * ({@code __pgt_gmax<n>}), the input's aliases visible.
     */
    private DeltaContext.Exposure withLargestScales(DeltaContext context) throws UnsupportedQueryException {
        FromPlan input = aggregate.input();
        List<String> items = new ArrayList<>(DeltaContext.positionalItems(input.bindings(), List.of()));
        String partition = aggregate.groupKeys().isEmpty() ? "" : "PARTITION BY "
                + String.join(", ", aggregate.groupKeys().stream().map(k -> "(" + k + ")").toList());
        for (AggregateCall call : aggregate.calls()) {
            if (scaled.contains(call.index())) {
                items.add("pg_catalog.max(pg_catalog.scale(" + call.argument() + ")) OVER (" + partition + ") AS __pgt_gmax"
                        + call.index());
            }
        }
        return context.exposeRows("(" + input.current(context).select(items) + ")", input.bindings());
    }

    /**
     * The display scale of a numeric sum is the largest scale among the values summed, which a
     * running sum cannot follow when values leave; so the group keeps that scale and how many of
     * its values have it. The changes' net count per scale decides the new largest scale: a
     * larger one inserted, else the old one if values of it remain; only when the last value of
     * the largest scale leaves is the group's largest scale looked up in the input again.
     * Registers the changes per scale and adds the new scale state to {@code newState}; returns
     * the join that brings the changes' counts to each group.
     */
    private String trackScale(DeltaContext context, AggregateCall call, List<String> keys, List<String> newState)
            throws UnsupportedQueryException {
        int i = call.index();
        String arg = "__pgt_a" + i;
        String perScale = "__pgt_scales" + i;
        String scaleOfArg = "pg_catalog.scale(" + arg + ")";
        context.addCte(perScale, "SELECT " + String.join(", ", Sql.concat(keys, List.of(scaleOfArg + " AS s",
                "pg_catalog.sum(" + DeltaContext.WEIGHT + ")::bigint AS c"))) + " FROM __pgt_delta WHERE " + arg
                + " IS NOT NULL GROUP BY " + String.join(", ", Sql.concat(keys, List.of(scaleOfArg)))
                + " HAVING pg_catalog.sum(" + DeltaContext.WEIGHT + ") <> 0");
        List<String> sameGroup = new ArrayList<>();
        List<String> equalKeys = new ArrayList<>();
        List<String> nullSafeKeys = new ArrayList<>();
        List<String> someNull = new ArrayList<>();
        for (int k = 1; k <= aggregate.groupKeys().size(); k++) {
            String key = "__pgt_d." + TouchedGroups.key(k);
            sameGroup.add("__pgt_x." + TouchedGroups.key(k) + " IS NOT DISTINCT FROM " + key);
            equalKeys.add("(" + aggregate.groupKeys().get(k - 1) + ") = " + key);
            nullSafeKeys.add("(" + aggregate.groupKeys().get(k - 1) + ") IS NOT DISTINCT FROM " + key);
            someNull.add(key + " IS NULL");
        }
        String same = sameGroup.isEmpty() ? "true" : String.join(" AND ", sameGroup);
        String changes = "__pgt_sc" + i;
        String oldScale = "__pgt_t." + scale(call);
        String counts = " LEFT JOIN LATERAL (SELECT __pgt_u.up,"
                + " (SELECT __pgt_x.c FROM " + perScale + " AS __pgt_x WHERE " + same + " AND __pgt_x.s = __pgt_u.up) AS up_count,"
                + " (SELECT __pgt_x.c FROM " + perScale + " AS __pgt_x WHERE " + same + " AND __pgt_x.s = " + oldScale
                + ") AS at_old FROM (SELECT pg_catalog.max(__pgt_x.s) AS up FROM " + perScale + " AS __pgt_x WHERE " + same
                + " AND __pgt_x.c > 0 AND __pgt_x.s > COALESCE(" + oldScale + ", -1)) AS __pgt_u) AS " + changes + " ON true";

        // The group's rows in the input, found with = (an index serves it) unless a key is NULL.
        Fragment input = aggregate.input().current(context);
        Fragment equalGroup = input;
        Fragment nullGroup = input;
        for (int k = 0; k < equalKeys.size(); k++) {
            equalGroup = equalGroup.and(equalKeys.get(k));
            nullGroup = nullGroup.and(nullSafeKeys.get(k));
        }
        String scaleOf = "pg_catalog.scale(" + call.argument() + ")";
        String largest = perGroup(someNull, equalGroup.select(List.of("pg_catalog.max(" + scaleOf + ")")),
                nullGroup.select(List.of("pg_catalog.max(" + scaleOf + ")")));
        String countAtLargest = perGroup(someNull,
                equalGroup.and(scaleOf + " = " + largest).select(List.of("pg_catalog.count(*)")),
                nullGroup.and(scaleOf + " = " + largest).select(List.of("pg_catalog.count(*)")));
        String empty = "COALESCE(__pgt_t." + call.nonNullColumn() + ", 0) + COALESCE(__pgt_d.__pgt_dn" + i + ", 0) = 0";
        String remaining = "COALESCE(__pgt_t." + scaleCount(call) + ", 0) + COALESCE(" + changes + ".at_old, 0)";
        newState.add("CASE WHEN " + empty + " THEN NULL WHEN " + changes + ".up IS NOT NULL THEN " + changes + ".up"
                + " WHEN " + remaining + " > 0 THEN " + oldScale + " ELSE " + largest + " END AS " + scale(call));
        newState.add("CASE WHEN " + empty + " THEN 0 WHEN " + changes + ".up IS NOT NULL THEN " + changes + ".up_count"
                + " WHEN " + remaining + " > 0 THEN " + remaining + " ELSE " + countAtLargest + " END AS " + scaleCount(call));
        return counts;
    }

    /** The subquery for the group at hand: {@code equal} when no key of it is NULL, else {@code nullSafe}. */
    private static String perGroup(List<String> someNull, String equal, String nullSafe) {
        if (someNull.isEmpty()) {
            return "(" + equal + ")";
        }
        return "CASE WHEN " + String.join(" OR ", someNull) + " THEN (" + nullSafe + ") ELSE (" + equal + ") END";
    }

    private static String scale(AggregateCall call) {
        return call.placeholder() + "_d";
    }

    private static String scaleCount(AggregateCall call) {
        return call.placeholder() + "_dn";
    }

    /** The running sum, at the display scale PostgreSQL's own sum would have. */
    private String displayedSum(AggregateCall call) {
        return scaled.contains(call.index())
                ? "pg_catalog.round(__pgt_n." + call.sumColumn() + ", __pgt_n." + scale(call) + ")"
                : "__pgt_n." + call.sumColumn();
    }

    private static String addState(String column, String delta) {
        return "COALESCE(__pgt_t." + column + ", 0) + COALESCE(__pgt_d." + delta + ", 0) AS " + column;
    }

    /** An output expression computed from a group's new state (in CTE __pgt_new). */
    private String fromState(String expression) {
        return Placeholders.substitute(expression,
                key -> "__pgt_n." + TouchedGroups.key(key),
                agg -> {
                    AggregateCall call = aggregate.calls().get(agg - 1);
                    return call.fromState("__pgt_n." + COUNT, "__pgt_n." + call.nonNullColumn(), displayedSum(call));
                });
    }
}
