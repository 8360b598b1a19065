package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.COUNT;
import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.ArrayList;
import java.util.List;

/**
 * The MIN and MAX calls of an {@link AggregateStrategy}: each stored group keeps its extreme
 * value {@code __pgt_agg_<n>_m} and how many of its rows have it, {@code __pgt_agg_<n>_c}. The
 * changes' net count per value moves both: a new value beyond the extreme replaces it, changes
 * at the extreme adjust its count. Only a group whose last copy of the extreme left is read
 * again — the rows of those groups, through an index on the group key where there is one.
 *
 * <p>Values are compared with the type's own ordering and equality ({@code <}, {@code =}, the
 * column's collation), as min and max compare them; values equal but spelled apart (numeric
 * 1.0 and 1.00) count as one.
 */
record Extrema(Aggregate aggregate, List<AggregateCall> calls) {

    static boolean isExtremum(AggregateCall call) {
        return call.function() == AggregateCall.Function.MIN || call.function() == AggregateCall.Function.MAX;
    }

    static Extrema of(Aggregate aggregate) {
        return new Extrema(aggregate, aggregate.calls().stream().filter(Extrema::isExtremum).toList());
    }

    boolean isEmpty() {
        return calls.isEmpty();
    }

    static String value(AggregateCall call) {
        return call.placeholder() + "_m";
    }

    static String copies(AggregateCall call) {
        return call.placeholder() + "_c";
    }

    /** The hidden columns of one call. */
    static List<String> columns(AggregateCall call) {
        return List.of(value(call), copies(call));
    }

    private static boolean isMin(AggregateCall call) {
        return call.function() == AggregateCall.Function.MIN;
    }

    /** {@code a} is beyond {@code b}: smaller for MIN, larger for MAX. */
    private static String beyond(AggregateCall call, String a, String b) {
        return a + (isMin(call) ? " < " : " > ") + b;
    }

    private static String extreme(AggregateCall call, String value) {
        return (isMin(call) ? "pg_catalog.min(" : "pg_catalog.max(") + value + ")";
    }

    /**
     * The stored state of every group, computed from the input rows in one pass: the calls'
     * extremes and their copies (a window gives each row its group's extreme), besides the
     * {@code state} aggregates over the rows' keys {@code __pgt_k<n>} and arguments
     * {@code __pgt_a<n>} (see {@link AggregateStrategy}). A global aggregate has its one row
     * over no rows too, unless {@code onlyWithRows}.
     */
    String state(Fragment rows, List<String> state, boolean onlyWithRows) {
        List<String> partition = aggregate.groupKeys().stream().map(k -> "(" + k + ")").toList();
        String over = " OVER (" + (partition.isEmpty() ? "" : "PARTITION BY " + String.join(", ", partition)) + ")";
        List<String> items = new ArrayList<>(AggregateParts.keyItems(aggregate));
        List<String> grouped = new ArrayList<>(AggregateParts.keyColumns(aggregate, "__pgt_r"));
        grouped.add(RowIdentity.groupKey(AggregateParts.keyColumns(aggregate, "__pgt_r")) + " AS " + ROW_ID);
        grouped.addAll(state);
        for (AggregateCall call : aggregate.calls()) {
            if (call.argument() != null) {
                items.add("(" + call.argument() + ") AS " + argument(call));
            }
        }
        for (AggregateCall call : calls) {
            items.add(extreme(call, "(" + call.argument() + ")") + over + " AS __pgt_w" + call.index());
            grouped.add(extreme(call, "__pgt_r." + argument(call)) + " AS " + value(call));
            grouped.add("pg_catalog.count(*) FILTER (WHERE __pgt_r." + argument(call) + " = __pgt_r.__pgt_w"
                    + call.index() + ") AS " + copies(call));
        }
        List<String> keys = AggregateParts.keyColumns(aggregate, "__pgt_r");
        return "SELECT " + String.join(", ", grouped) + " FROM (" + rows.select(items) + ") AS __pgt_r"
                + (!keys.isEmpty() ? " GROUP BY " + String.join(", ", keys)
                        : onlyWithRows ? " HAVING pg_catalog.count(*) > 0" : "");
    }

    /** The column of a call's argument among the rows' items. */
    static String argument(AggregateCall call) {
        return "__pgt_a" + call.index();
    }

    /**
     * Per argument, the changes' net count per group and value ({@code __pgt_dv<n>}) and, from
     * them in one pass, per group and call ({@code __pgt_dx<n>}): the extreme of the values the
     * changes added with its net count ({@code __pgt_x<i>}, {@code __pgt_xn<i>}), and the extreme
     * of all the values they changed with its net count ({@code __pgt_e<i>}, {@code __pgt_en<i>}),
     * from CTE {@code __pgt_delta}. The latter is all a stored extreme needs: a value a change
     * removed was stored, so it is not beyond the stored extreme; a changed value beyond it was
     * added, and replaces it. So the net count at the stored extreme is the one at the changed
     * values' extreme when the two are equal, and zero otherwise.
     */
    void addDeltaCtes(DeltaContext context) {
        List<String> keys = AggregateParts.keyColumns(aggregate, "__pgt_delta");
        String identity = RowIdentity.groupKey(keys);
        for (AggregateCall first : arguments()) {
            List<String> grouping = new ArrayList<>(keys);
            grouping.add("__pgt_delta." + argument(first));
            String perValue = perValue(first);
            context.addCte(perValue, "SELECT " + identity + " AS " + ROW_ID + ", __pgt_delta."
                    + argument(first) + " AS __pgt_v, pg_catalog.sum(" + DeltaContext.WEIGHT + ")::bigint AS __pgt_w"
                    + " FROM __pgt_delta WHERE __pgt_delta." + argument(first) + " IS NOT NULL GROUP BY "
                    + String.join(", ", grouping) + " HAVING pg_catalog.sum(" + DeltaContext.WEIGHT + ") <> 0");
            List<String> windows = new ArrayList<>();
            List<String> perGroup = new ArrayList<>(List.of(ROW_ID));
            for (AggregateCall call : calls) {
                if (sameArgument(call) != first) {
                    continue;
                }
                int i = call.index();
                windows.add(extreme(call, "__pgt_v") + " FILTER (WHERE __pgt_w > 0) OVER __pgt_g AS __pgt_wx" + i);
                windows.add(extreme(call, "__pgt_v") + " OVER __pgt_g AS __pgt_we" + i);
                perGroup.add(extreme(call, "__pgt_wx" + i) + " AS __pgt_x" + i);
                perGroup.add(netAt("__pgt_wx" + i) + " AS __pgt_xn" + i);
                perGroup.add(extreme(call, "__pgt_we" + i) + " AS __pgt_e" + i);
                perGroup.add(netAt("__pgt_we" + i) + " AS __pgt_en" + i);
            }
            context.addCte(changedExtremes(first), "SELECT " + String.join(", ", perGroup) + " FROM (SELECT "
                    + perValue + ".*, " + String.join(", ", windows) + " FROM " + perValue
                    + " WINDOW __pgt_g AS (PARTITION BY " + ROW_ID + ")) AS __pgt_s GROUP BY " + ROW_ID);
        }
    }

    /** The net count of the changes at the value in column {@code value}. */
    private static String netAt(String value) {
        return "pg_catalog.sum(__pgt_w) FILTER (WHERE __pgt_v = " + value + ")::bigint";
    }

    /** The first call of each argument, in call order. */
    private List<AggregateCall> arguments() {
        return calls.stream().filter(c -> sameArgument(c) == c).toList();
    }

    /** The first call over the same argument as {@code call} (MIN and MAX of one column share their net counts). */
    private AggregateCall sameArgument(AggregateCall call) {
        return calls.stream().filter(c -> c.argument().equals(call.argument())).findFirst().orElseThrow();
    }

    /** The CTE of the changes' net count per group and value of {@code call}'s argument. */
    private String perValue(AggregateCall call) {
        return "__pgt_dv" + sameArgument(call).index();
    }

    /** The CTE of the changes' extremes per group of {@code call}'s argument. */
    private String changedExtremes(AggregateCall call) {
        return "__pgt_dx" + sameArgument(call).index();
    }

    /** The joins of each group's changes ({@code __pgt_d}) with the CTEs of {@link #addDeltaCtes}. */
    String joins() {
        StringBuilder joins = new StringBuilder();
        for (AggregateCall first : arguments()) {
            String cte = changedExtremes(first);
            joins.append(" LEFT JOIN ").append(cte).append(" ON ").append(cte).append('.').append(ROW_ID)
                    .append(" = __pgt_d.").append(ROW_ID);
        }
        return joins.toString();
    }

    /**
     * The state after the changes, before any group is read again ({@code __pgt_pm<n>},
     * {@code __pgt_pc<n>}): a value added beyond the stored extreme (or to a group without one)
     * is the new extreme with its net count; otherwise the extreme stays and its count moves by
     * the net count at it — to zero when its last copy left.
     */
    List<String> newState() {
        List<String> items = new ArrayList<>();
        for (AggregateCall call : calls) {
            int i = call.index();
            String changed = changedExtremes(call) + ".";
            String added = changed + "__pgt_x" + i;
            String stored = "__pgt_t." + value(call);
            String replaced = added + " IS NOT NULL AND (" + stored + " IS NULL OR " + beyond(call, added, stored) + ")";
            items.add("CASE WHEN " + replaced + " THEN " + added + " ELSE " + stored + " END AS __pgt_pm" + i);
            items.add("CASE WHEN " + replaced + " THEN " + changed + "__pgt_xn" + i + " ELSE COALESCE(__pgt_t."
                    + copies(call) + ", 0) + CASE WHEN " + changed + "__pgt_e" + i + " = " + stored + " THEN "
                    + changed + "__pgt_en" + i + " ELSE 0 END END AS __pgt_pc" + i);
        }
        return items;
    }

    /**
     * Registers {@code __pgt_lost} (the groups of {@code __pgt_new} that still have rows but
     * lost the last copy of an extreme), {@code __pgt_rescan} (their extremes from their current
     * rows) and {@code __pgt_state}: {@code __pgt_new} with every call's final extreme and count.
     */
    void addRescanCtes(DeltaContext context) throws UnsupportedQueryException {
        List<String> lost = new ArrayList<>();
        for (AggregateCall call : calls) {
            lost.add("(__pgt_pc" + call.index() + " = 0 AND __pgt_pm" + call.index() + " IS NOT NULL)");
        }
        List<String> keys = new ArrayList<>();
        for (int i = 1; i <= aggregate.groupKeys().size(); i++) {
            keys.add(TouchedGroups.key(i));
        }
        String lostCte = context.freshName("__pgt_lost");
        context.addCte(lostCte, "SELECT " + (keys.isEmpty() ? "1" : String.join(", ", keys)) + " FROM __pgt_new WHERE "
                + COUNT + " > 0 AND (" + String.join(" OR ", lost) + ")");
        List<String> rescans = new ArrayList<>();
        for (Fragment rows : new TouchedGroups(lostCte, aggregate.groupKeys()).rows(context, aggregate.input())) {
            rescans.add(state(rows, List.of(), true));
        }
        context.addCte("__pgt_rescan", DeltaContext.union(rescans));
        List<String> items = new ArrayList<>(List.of("__pgt_p.*"));
        for (AggregateCall call : calls) {
            int i = call.index();
            String rescanned = "__pgt_r." + ROW_ID + " IS NOT NULL";
            // Without copies and not read again, the group has no values left (a global aggregate's
            // one row over no rows).
            items.add("CASE WHEN " + rescanned + " THEN __pgt_r." + value(call) + " WHEN __pgt_p.__pgt_pc" + i
                    + " = 0 THEN NULL ELSE __pgt_p.__pgt_pm" + i + " END AS " + value(call));
            items.add("CASE WHEN " + rescanned + " THEN __pgt_r." + copies(call) + " ELSE __pgt_p.__pgt_pc" + i
                    + " END AS " + copies(call));
        }
        context.addCte("__pgt_state", "SELECT " + String.join(", ", items) + " FROM __pgt_new AS __pgt_p"
                + " LEFT JOIN __pgt_rescan AS __pgt_r ON __pgt_r." + ROW_ID + " = __pgt_p." + ROW_ID);
    }

    /** A condition that holds when some call's count of copies went negative (the state is corrupt). */
    String negativeCopies(String alias) {
        return calls.stream().map(c -> alias + "." + copies(c) + " < 0").reduce((a, b) -> a + " OR " + b)
                .orElse("false");
    }
}
