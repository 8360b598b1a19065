package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.COUNT;
import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Placeholders;
import dev.pgtrickle.ivm.plan.ScaleCounts;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * GROUP BY with COUNT, SUM and AVG over exact types (and DISTINCT, as a GROUP BY of every
 * column): each stored group keeps its row count {@code __pgt_count} and, per aggregate call,
 * the count of non-NULL arguments {@code __pgt_agg_<n>_n} and their sum {@code __pgt_agg_<n>_s};
 * for a numeric without a declared scale also how many values have each scale
 * ({@link ScaleCounts}, for the sum's display scale; {@link #scaled}). The delta is aggregated
 * per group and added to that state; a group whose count drops to zero is deleted (except the
 * one row of an aggregate without GROUP BY). Work is proportional to the changed rows and
 * groups; no group's rows are read again.
 */
record AggregateStrategy(Aggregate aggregate, Set<Integer> scaled) implements MaintenanceStrategy {

    /** Without unconstrained numeric sums. */
    AggregateStrategy(Aggregate aggregate) {
        this(aggregate, Set.of());
    }

    @Override
    public Maintenance maintain(DeltaContext context) throws UnsupportedQueryException {
        boolean global = aggregate.groupKeys().isEmpty();
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
                String counts = ScaleCounts.column(call);
                hidden.add(counts);
                populateItems.add("pg_catalog.sum(" + ScaleCounts.weight(call.argument()) + ") AS " + counts);
                deltaAggregates.add("pg_catalog.sum(" + DeltaContext.WEIGHT + " * " + ScaleCounts.weight(arg)
                        + ") AS __pgt_dsc" + i);
                newState.add(addState(counts, "__pgt_dsc" + i));
            }
        }
        String populate = aggregate.current(context, populateItems);

        DeltaContext.Exposure changes = context.expose(aggregate.input());
        deltaItems.add(changes.weight() + " AS " + DeltaContext.WEIGHT);
        context.addCte("__pgt_delta", "SELECT " + String.join(", ", deltaItems) + " FROM " + changes.from());
        List<String> keys = AggregateParts.keyColumns(aggregate, "__pgt_delta");
        List<String> dagg = new ArrayList<>(keys);
        dagg.add("pg_catalog.sum(" + DeltaContext.WEIGHT + ")::bigint AS __pgt_dcount");
        dagg.addAll(deltaAggregates);
        context.addCte("__pgt_dagg", "SELECT " + String.join(", ", dagg) + " FROM __pgt_delta"
                + (global ? " HAVING pg_catalog.count(*) > 0" : " GROUP BY " + String.join(", ", keys)));
        context.addCte("__pgt_new", "SELECT __pgt_d.*, " + String.join(", ", newState)
                + ", __pgt_t." + ROW_ID + " IS NOT NULL AS __pgt_existed"
                + " FROM (SELECT __pgt_a.*, " + RowIdentity.groupKey(AggregateParts.keyColumns(aggregate, "__pgt_a"))
                + " AS " + ROW_ID + " FROM __pgt_dagg AS __pgt_a) AS __pgt_d"
                + RowIdentity.leftJoinByIdentity(PlanContract.STORAGE, ROW_ID, "__pgt_d." + ROW_ID, List.of()));
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

    /** The running sum, at the display scale PostgreSQL's own sum would have. */
    private String displayedSum(AggregateCall call) {
        return scaled.contains(call.index())
                ? "pg_catalog.round(__pgt_n." + call.sumColumn() + ", "
                        + ScaleCounts.largest("__pgt_n." + ScaleCounts.column(call)) + ")"
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
