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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * GROUP BY with COUNT, SUM, AVG over exact types, MIN and MAX (and DISTINCT, as a GROUP BY of
 * every column): each stored group keeps its row count {@code __pgt_count} and, per aggregate
 * call, the count of non-NULL arguments {@code __pgt_agg_<n>_n} and their sum
 * {@code __pgt_agg_<n>_s}; for a numeric without a declared scale also how many values have each
 * scale ({@link ScaleCounts}, for the sum's display scale; {@link #scaled}); for MIN and MAX the
 * extreme and its copies ({@link Extrema}). The delta is aggregated per group and added to that
 * state; a group whose count drops to zero is deleted (except the one row of an aggregate
 * without GROUP BY). Work is proportional to the changed rows and groups; only a group that
 * lost the last copy of an extreme has its rows read again.
 */
record AggregateStrategy(Aggregate aggregate, Set<Integer> scaled) implements MaintenanceStrategy {

    /** Without unconstrained numeric sums. */
    AggregateStrategy(Aggregate aggregate) {
        this(aggregate, Set.of());
    }

    @Override
    public Maintenance maintain(DeltaContext context) throws UnsupportedQueryException {
        boolean global = aggregate.groupKeys().isEmpty();
        Extrema extrema = Extrema.of(aggregate);
        List<String> hidden = new ArrayList<>(List.of(ROW_ID, COUNT));
        List<String> deltaItems = new ArrayList<>(AggregateParts.keyItems(aggregate));
        List<String> deltaAggregates = new ArrayList<>();
        List<String> newState = new ArrayList<>();
        newState.add("COALESCE(__pgt_t." + COUNT + ", 0) + __pgt_d.__pgt_dcount AS " + COUNT);
        // Each hidden state column (but MIN/MAX's) and the column of __pgt_dagg holding its change.
        Map<String, String> changeOf = new LinkedHashMap<>();
        changeOf.put(COUNT, "__pgt_dcount");
        for (AggregateCall call : aggregate.calls()) {
            if (call.function() == AggregateCall.Function.COUNT_STAR) {
                continue;
            }
            int i = call.index();
            String arg = Extrema.argument(call);
            deltaItems.add("(" + call.argument() + ") AS " + arg);
            if (Extrema.isExtremum(call)) {
                hidden.addAll(Extrema.columns(call));
                continue;
            }
            hidden.add(call.nonNullColumn());
            deltaAggregates.add("pg_catalog.sum(" + DeltaContext.WEIGHT + ") FILTER (WHERE " + arg
                    + " IS NOT NULL)::bigint AS __pgt_dn" + i);
            newState.add(addState(call.nonNullColumn(), "__pgt_dn" + i));
            changeOf.put(call.nonNullColumn(), "__pgt_dn" + i);
            if (call.function() != AggregateCall.Function.COUNT) {
                hidden.add(call.sumColumn());
                deltaAggregates.add(Sql.finiteSum("pg_catalog.sum(" + DeltaContext.WEIGHT + " * " + arg + ")")
                        + " AS __pgt_ds" + i);
                newState.add(addState(call.sumColumn(), "__pgt_ds" + i));
                changeOf.put(call.sumColumn(), "__pgt_ds" + i);
            }
            if (scaled.contains(i)) {
                String counts = ScaleCounts.column(call);
                hidden.add(counts);
                deltaAggregates.add("pg_catalog.sum(" + DeltaContext.WEIGHT + " * " + ScaleCounts.weight(arg)
                        + ") AS __pgt_dsc" + i);
                newState.add(addState(counts, "__pgt_dsc" + i));
                changeOf.put(counts, "__pgt_dsc" + i);
            }
        }
        newState.addAll(extrema.newState());
        String populate = populate(context, extrema, hidden);

        DeltaContext.Exposure changes = context.expose(aggregate.input());
        deltaItems.add(changes.weight() + " AS " + DeltaContext.WEIGHT);
        context.addCte("__pgt_delta", "SELECT " + String.join(", ", deltaItems) + " FROM " + changes.from());
        List<String> keys = AggregateParts.keyColumns(aggregate, "__pgt_delta");
        List<String> dagg = new ArrayList<>(keys);
        dagg.add("pg_catalog.sum(" + DeltaContext.WEIGHT + ")::bigint AS __pgt_dcount");
        dagg.addAll(deltaAggregates);
        context.addCte("__pgt_dagg", "SELECT " + String.join(", ", dagg) + " FROM __pgt_delta"
                + (global ? " HAVING pg_catalog.count(*) > 0" : " GROUP BY " + String.join(", ", keys)));
        String relative = extrema.isEmpty() ? relativeApply(context.ctes(), changeOf, global) : null;
        extrema.addDeltaCtes(context);
        context.addCte("__pgt_new", "SELECT __pgt_d.*, " + String.join(", ", newState)
                + ", __pgt_t." + ROW_ID + " IS NOT NULL AS __pgt_existed, __pgt_t." + MergeStatement.STORED_AT
                + " FROM (SELECT __pgt_a.*, " + RowIdentity.groupKey(AggregateParts.keyColumns(aggregate, "__pgt_a"))
                + " AS " + ROW_ID + " FROM __pgt_dagg AS __pgt_a) AS __pgt_d"
                + RowIdentity.leftJoinByIdentity(PlanContract.STORAGE, ROW_ID, "__pgt_d." + ROW_ID,
                        List.of("__pgt_k.ctid AS " + MergeStatement.STORED_AT))
                + extrema.joins());
        String state = "__pgt_new";
        if (!extrema.isEmpty()) {
            extrema.addRescanCtes(context);
            state = "__pgt_state";
        }
        List<String> source = new ArrayList<>();
        source.add("CASE WHEN __pgt_n." + COUNT + " < 0 THEN pgtrickle._negative_multiplicity('group row count', "
                + context.truncatedSinceFrontier() + ")"
                + (extrema.isEmpty() ? "" : " WHEN " + extrema.negativeCopies("__pgt_n")
                        + " THEN pgtrickle._negative_multiplicity('copies of a group''s extreme', "
                        + context.truncatedSinceFrontier() + ")")
                + (global ? "" : " WHEN __pgt_n." + COUNT + " = 0 THEN CASE WHEN __pgt_n.__pgt_existed THEN 'D' END")
                + " WHEN __pgt_n.__pgt_existed THEN 'U' ELSE 'I' END AS __pgt_op");
        source.add("__pgt_n." + ROW_ID);
        source.add("__pgt_n." + MergeStatement.STORED_AT);
        for (String column : hidden.subList(1, hidden.size())) {
            source.add("__pgt_n." + column);
        }
        source.addAll(outputsFromState(AggregateStrategy::newState));
        context.addCte(MergeStatement.SOURCE_CTE, "SELECT " + String.join(", ", source) + " FROM " + state + " AS __pgt_n");

        List<String> updated = new ArrayList<>(aggregate.columns());
        updated.addAll(hidden.subList(1, hidden.size()));
        return new Maintenance(Strategy.AGGREGATE, populate, aggregate.columns(), hidden, List.of(ROW_ID), updated,
                false, true, "one MERGE keyed on __pgt_row_id (the group key): groups inserted, updated in place or"
                        + " deleted when their row count reaches zero"
                        + (extrema.isEmpty() ? "" : "; a group whose last copy of a MIN/MAX value left is read again"),
                // The groups the changes touch, from the changes alone.
                "SELECT " + RowIdentity.groupKey(AggregateParts.keyColumns(aggregate, "__pgt_a")) + " AS " + ROW_ID
                        + " FROM __pgt_dagg AS __pgt_a", relative);
    }

    /**
     * The IMMEDIATE statement adding each touched group's aggregated change ({@code __pgt_dagg})
     * to its stored state in the MERGE's actions ({@link RelativeMerge}).
     *
     * @param changeOf each hidden state column and the column of {@code __pgt_dagg} with its change
     */
    private String relativeApply(List<String> ctes, Map<String, String> changeOf, boolean global) {
        // A stored sum is NULL where the group has had no non-NULL value (as populated).
        UnaryOperator<String> updated = c -> changeOf.containsKey(c)
                ? "(COALESCE(__pgt_t." + c + ", 0) + COALESCE(__pgt_s." + changeOf.get(c) + ", 0))" : "__pgt_s." + c;
        UnaryOperator<String> inserted = c -> changeOf.containsKey(c)
                ? "COALESCE(__pgt_s." + changeOf.get(c) + ", 0)" : "__pgt_s." + c;
        List<String> sets = new ArrayList<>();
        List<String> columns = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (OutputColumn output : aggregate.outputs()) {
            String column = Sql.ident(output.name());
            sets.add(column + " = " + fromState(output.expression(), updated));
            columns.add(column);
            values.add(fromState(output.expression(), inserted));
        }
        columns.add(ROW_ID);
        values.add("__pgt_s." + ROW_ID);
        for (String column : changeOf.keySet()) {
            sets.add(column + " = " + updated.apply(column));
            columns.add(column);
            values.add(inserted.apply(column));
        }
        return RelativeMerge.build(ctes, "SELECT __pgt_a.*, " + RowIdentity.groupKey(AggregateParts.keyColumns(aggregate,
                "__pgt_a")) + " AS " + ROW_ID + " FROM __pgt_dagg AS __pgt_a", global, sets, columns, values);
    }

    /** A column of a group's new state, as CTE {@code __pgt_new} (and {@code __pgt_state}) compute it. */
    private static String newState(String column) {
        return "__pgt_n." + column;
    }

    /**
     * The query computing every group's outputs and hidden state. With MIN or MAX calls it
     * computes the state first ({@link Extrema#state}) and the outputs from it, as the refresh
     * does; otherwise it is the query itself with the state beside its outputs.
     */
    private String populate(DeltaContext context, Extrema extrema, List<String> hidden) throws UnsupportedQueryException {
        if (extrema.isEmpty()) {
            List<String> items = new ArrayList<>();
            items.add(RowIdentity.groupKey(aggregate.groupKeys().stream().map(k -> "(" + k + ")").toList())
                    + " AS " + ROW_ID);
            items.addAll(stateAggregates(call -> call.argument()));
            return aggregate.current(context, items);
        }
        List<String> state = stateAggregates(call -> "__pgt_r." + Extrema.argument(call));
        List<String> items = new ArrayList<>(outputsFromState(AggregateStrategy::newState));
        for (String column : hidden) {
            items.add("__pgt_n." + column);
        }
        return "SELECT " + String.join(", ", items) + " FROM ("
                + extrema.state(aggregate.input().current(context), state, false) + ") AS __pgt_n";
    }

    /**
     * The aggregates computing a group's row count and, per count, sum and avg call, its state
     * from the rows, each call's argument given by {@code argument}; in the order of the hidden
     * columns.
     */
    private List<String> stateAggregates(java.util.function.Function<AggregateCall, String> argument) {
        List<String> items = new ArrayList<>(List.of("pg_catalog.count(*) AS " + COUNT));
        for (AggregateCall call : aggregate.calls()) {
            if (call.function() == AggregateCall.Function.COUNT_STAR || Extrema.isExtremum(call)) {
                continue;
            }
            String arg = argument.apply(call);
            items.add("pg_catalog.count(" + arg + ") AS " + call.nonNullColumn());
            if (call.function() != AggregateCall.Function.COUNT) {
                items.add("pg_catalog.sum(" + arg + ") AS " + call.sumColumn());
            }
            if (scaled.contains(call.index())) {
                items.add("pg_catalog.sum(" + ScaleCounts.weight(arg) + ") AS " + ScaleCounts.column(call));
            }
        }
        return items;
    }

    /**
     * The outputs computed from a group's state, named; {@code state} gives the SQL of a state
     * column or group key ({@link TouchedGroups#key}) by its name.
     */
    private List<String> outputsFromState(UnaryOperator<String> state) {
        List<String> items = new ArrayList<>();
        for (OutputColumn output : aggregate.outputs()) {
            items.add(fromState(output.expression(), state) + " AS " + Sql.ident(output.name()));
        }
        return items;
    }

    /** The running sum, at the display scale PostgreSQL's own sum would have. */
    private String displayedSum(AggregateCall call, UnaryOperator<String> state) {
        return scaled.contains(call.index())
                ? "pg_catalog.round(" + state.apply(call.sumColumn()) + ", "
                        + ScaleCounts.largest(state.apply(ScaleCounts.column(call))) + ")"
                : state.apply(call.sumColumn());
    }

    private static String addState(String column, String delta) {
        return "COALESCE(__pgt_t." + column + ", 0) + COALESCE(__pgt_d." + delta + ", 0) AS " + column;
    }

    /** An output expression computed from a group's state ({@link #outputsFromState}). */
    private String fromState(String expression, UnaryOperator<String> state) {
        return Placeholders.substitute(expression,
                key -> state.apply(TouchedGroups.key(key)),
                agg -> {
                    AggregateCall call = aggregate.calls().get(agg - 1);
                    if (Extrema.isExtremum(call)) {
                        return state.apply(Extrema.value(call));
                    }
                    return call.fromState(state.apply(COUNT), state.apply(call.nonNullColumn()),
                            displayedSum(call, state));
                });
    }
}
