package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.delta.OldState;
import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * GROUP BY with aggregates, optionally HAVING; it also computes its SELECT list.
 *
 * <p>Output and HAVING expressions refer to aggregate calls through their placeholders
 * ({@code __pgt_agg_<n>}) and to grouping expressions through {@code __pgt_key_<n>}
 * (1-based index into {@link #groupKeys()}); every other column reference has been replaced by
 * one of those, so an output can be computed from a group's keys and aggregate values alone.
 * At the top of a defining query the maintenance strategies keep per-group state; inside a
 * query it is a relation with a delta of its own ({@link #delta}).
 *
 * @param input the rows being grouped
 * @param groupKeys GROUP BY expressions over the input (SQL text); empty for a global aggregate
 * @param calls the distinct aggregate calls
 * @param outputs the SELECT list, in terms of placeholders
 * @param having the HAVING predicate in terms of placeholders, or {@code null}
 */
public record Aggregate(FromPlan input, List<String> groupKeys, List<AggregateCall> calls,
                        List<OutputColumn> outputs, String having) implements Partitioned {

    public Aggregate {
        groupKeys = List.copyOf(groupKeys);
        calls = List.copyOf(calls);
        outputs = List.copyOf(outputs);
    }

    @Override
    public String current(Fragment rows, List<String> extra) {
        List<String> items = new ArrayList<>(plainOutputs());
        items.addAll(extra);
        return rows.select(items) + groupBy() + havingClause();
    }

    public static String keyPlaceholder(int index) {
        return "__pgt_key_" + index;
    }

    @Override
    public List<String> columns() {
        return outputs.stream().map(OutputColumn::name).toList();
    }

    @Override
    public List<Plan> inputs() {
        return List.of(input);
    }

    /**
     * The grouped query, as PostgreSQL evaluates it; {@code extra} items are added to the SELECT
     * list. A global aggregate (one row) read by delta terms is computed once for all of them.
     */
    @Override
    public String current(DeltaContext context, List<String> extra) throws UnsupportedQueryException {
        KeptGroups kept = kept(context);
        if (kept != null && extra.isEmpty() && context.insideDelta()) {
            context.delta(this);
            return kept.current(context.keptGroups(this));
        }
        List<String> items = new ArrayList<>(plainOutputs());
        items.addAll(extra);
        String query = input.current(context).select(items) + groupBy() + havingClause();
        return groupKeys.isEmpty() && extra.isEmpty() ? context.sharedCurrent(this, query) : query;
    }

    @Override
    public String current(DeltaContext context) throws UnsupportedQueryException {
        return current(context, List.of());
    }

    /**
     * As a relation (a subquery, a view, a scalar subquery): where the compiler keeps the groups'
     * state in a table, the delta adds the input's changes to it ({@link KeptGroups}). Otherwise
     * the groups the input's delta touches are computed twice, from the input's current rows (weight +1) and from its old rows (weight
     * -1); where the change left a group's output as it was, the two cancel. Only exact
     * aggregates qualify (see {@code PlanCompiler}): the old values must be the very values
     * computed before. Where every sum adds up exactly at a fixed scale (or there is none), they
     * are summed from weighted rows ({@link OldState#weighted}); otherwise the old rows are
     * matched up first ({@link OldState#rows}), so that e.g. an unconstrained numeric's sum shows
     * the scale of the old rows only.
     */
    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        KeptGroups kept = kept(context);
        if (kept != null) {
            return kept.delta(context);
        }
        TouchedGroups touched = TouchedGroups.of(context, "__pgt_touched", groupKeys, context.expose(input),
                context.groupFilter(this));
        boolean weighted = context.hasExactSums(this)
                || calls.stream().allMatch(c -> c.function() == AggregateCall.Function.COUNT_STAR
                        || c.function() == AggregateCall.Function.COUNT);
        List<String> terms = new ArrayList<>();
        List<String> conditions = touched.conditions();
        List<Fragment> rows = touched.rows(context, input);
        for (int i = 0; i < conditions.size(); i++) {
            if (weighted) {
                terms.addAll(nowAndBefore(context, rows.get(i), conditions.get(i)));
            } else {
                List<String> now = new ArrayList<>(plainOutputs());
                now.add("1::bigint AS " + DeltaContext.WEIGHT);
                terms.add(rows.get(i).select(now) + groupBy() + havingClause());
                terms.add(consolidatedBefore(context, rows.get(i), conditions.get(i)));
            }
        }
        return DeltaContext.union(terms);
    }

    /** The kept state of this aggregate's groups, where the compiler gave it one. */
    private KeptGroups kept(DeltaContext context) {
        DeltaContext.KeptTable table = context.keptTable(this);
        return table == null ? null : new KeptGroups(this, table.table(), table.scaledCalls());
    }

    /**
     * The query that fills the table keeping this aggregate's groups ({@link KeptGroups}); the
     * compiler gave it one.
     */
    public String keptFill(DeltaContext context) throws UnsupportedQueryException {
        return kept(context).fill(context);
    }

    /**
     * The index of this aggregate's kept groups that serves bounds on output {@code name}: on a
     * key, the row count, a count, or a sum's value; empty for other outputs (expressions,
     * averages), which the groups' table has no column or matching expression for.
     */
    public Optional<KeptIndex> keptIndexOf(String name) {
        int position = columns().indexOf(name);
        if (position < 0) {
            return Optional.empty();
        }
        String expression = outputs.get(position).expression().strip();
        for (int i = 1; i <= groupKeys.size(); i++) {
            if (expression.equals(keyPlaceholder(i))) {
                return Optional.of(KeptIndex.on(TouchedGroups.key(i)));
            }
        }
        for (AggregateCall call : calls) {
            if (expression.equals(call.placeholder())) {
                return keptIndexOf(call);
            }
        }
        return Optional.empty();
    }

    /**
     * The index of this aggregate's kept groups that serves its HAVING, where that reads one
     * count or sum and no key ({@code HAVING sum(l_quantity) > 300}): reading the groups that
     * pass, as the current rows do, then takes the few that do instead of every group.
     */
    public Optional<KeptIndex> keptHavingIndex() {
        if (having == null) {
            return Optional.empty();
        }
        Set<Integer> keys = new TreeSet<>();
        Set<Integer> aggregates = new TreeSet<>();
        Placeholders.substitute(having, key -> {
            keys.add(key);
            return "";
        }, agg -> {
            aggregates.add(agg);
            return "";
        });
        return keys.isEmpty() && aggregates.size() == 1 ? keptIndexOf(calls.get(aggregates.iterator().next() - 1))
                : Optional.empty();
    }

    private static Optional<KeptIndex> keptIndexOf(AggregateCall call) {
        return switch (call.function()) {
            case COUNT_STAR -> Optional.of(KeptIndex.on(KeptGroups.COUNT));
            case COUNT -> Optional.of(KeptIndex.on(call.nonNullColumn()));
            case SUM -> Optional.of(KeptIndex.valueOf(call));
            case AVG, MIN, MAX, RECOMPUTED, RECOMPUTED_IN_ORDER -> Optional.empty();
        };
    }

    private String consolidatedBefore(DeltaContext context, Fragment now, String condition)
            throws UnsupportedQueryException {
        List<String> before = new ArrayList<>(plainOutputs());
        before.add("-1::bigint AS " + DeltaContext.WEIGHT);
        return "SELECT " + String.join(", ", before) + " FROM " + OldState.rows(context, input, now, condition)
                + groupBy() + havingClause();
    }

    /**
     * The groups' outputs now (weight +1) and before (weight −1), from one pass over their
     * current rows and the delta's ({@link OldState#weighted}): the new values over the current
     * rows only, the old ones over all rows weighted. A CTE holds both per group; each term
     * reads the groups that exist, and pass HAVING, at its time.
     */
    private List<String> nowAndBefore(DeltaContext context, Fragment now, String condition)
            throws UnsupportedQueryException {
        DeltaContext.Exposure rows = OldState.weighted(context, input, now, condition);
        String weight = rows.weight();
        String isNow = rows.reference() + "." + OldState.IS_NOW;
        List<String> items = new ArrayList<>();
        List<String> nowItems = new ArrayList<>();
        List<String> beforeItems = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            String expression = outputs.get(i).expression();
            String name = Sql.ident(outputs.get(i).name());
            items.add(overCurrentRows(expression, isNow) + " AS __pgt_n" + i);
            items.add(weighted(expression, weight) + " AS __pgt_b" + i);
            nowItems.add("__pgt_n" + i + " AS " + name);
            beforeItems.add("__pgt_b" + i + " AS " + name);
        }
        // A global aggregate has its one row at both times; a group exists while it has rows.
        items.add((groupKeys.isEmpty() ? "true" : "pg_catalog.bool_or(" + isNow + ")") + " AS __pgt_now");
        items.add((groupKeys.isEmpty() ? "true" : "pg_catalog.sum(" + weight + ") > 0") + " AS __pgt_before");
        if (having != null) {
            items.add("(" + overCurrentRows(having, isNow) + ") AS __pgt_having_now");
            items.add("(" + weighted(having, weight) + ") AS __pgt_having_before");
        }
        String groups = context.freshName("__pgt_groups");
        context.addCte(groups, "SELECT " + String.join(", ", items) + " FROM " + rows.from() + groupBy());
        nowItems.add("1::bigint AS " + DeltaContext.WEIGHT);
        beforeItems.add("-1::bigint AS " + DeltaContext.WEIGHT);
        String havingNow = having == null ? "" : " AND __pgt_having_now";
        String havingBefore = having == null ? "" : " AND __pgt_having_before";
        return List.of(
                "SELECT " + String.join(", ", nowItems) + " FROM " + groups + " WHERE __pgt_now" + havingNow,
                "SELECT " + String.join(", ", beforeItems) + " FROM " + groups + " WHERE __pgt_before" + havingBefore);
    }

    /** An output or HAVING expression over the rows marked current by {@code isNow} only. */
    private String overCurrentRows(String expression, String isNow) {
        return Placeholders.substitute(expression, key -> groupKeys.get(key - 1),
                agg -> plainCall(calls.get(agg - 1)) + " FILTER (WHERE " + isNow + ")");
    }

    /** An output or HAVING expression over weighted rows ({@link #weightedCall}). */
    private String weighted(String expression, String weight) {
        return Placeholders.substitute(expression, key -> groupKeys.get(key - 1),
                agg -> weightedCall(calls.get(agg - 1), weight));
    }

    /**
     * The aggregate call over rows that each stand for {@code weight} copies, of the same type
     * as {@link #plainCall}: the weight is an int4 factor, so a sum of int2 or int4 stays bigint,
     * and numeric keeps its scale; avg divides as PostgreSQL's avg does (numeric sum by count).
     */
    static String weightedCall(AggregateCall call, String weight) {
        String count = call.argument() == null ? "COALESCE(pg_catalog.sum(" + weight + "), 0)"
                : "COALESCE(pg_catalog.sum(" + weight + ") FILTER (WHERE (" + call.argument() + ") IS NOT NULL), 0)";
        String sum = Sql.finiteSum("pg_catalog.sum((" + call.argument() + ") * (" + weight + ")::int4)");
        return switch (call.function()) {
            case COUNT_STAR, COUNT -> count + "::bigint";
            case SUM -> "CASE WHEN " + count + " = 0 THEN NULL ELSE " + sum + " END";
            case AVG -> "CASE WHEN " + count + " = 0 THEN NULL ELSE " + sum + "::numeric / " + count + "::numeric END";
            case MIN, MAX, RECOMPUTED, RECOMPUTED_IN_ORDER ->
                    throw new IllegalStateException(call.function() + " cannot be summed from weighted rows");
        };
    }

    @Override
    public String describe() {
        String list = calls.stream().map(AggregateCall::describe).collect(Collectors.joining(", "));
        return "Aggregate GROUP BY " + (groupKeys.isEmpty() ? "()" : String.join(", ", groupKeys))
                + (list.isEmpty() ? "" : ": " + list) + (having == null ? "" : " HAVING " + having);
    }

    @Override
    public String deltaRule() {
        String inside = "; inside a query: the groups kept in a table and the changes added to them where the plan"
                + " lists a kept state, else the touched groups recomputed before and after the change";
        return (having != null
                ? "group rescan: groups touched by the delta are recomputed (HAVING needs hidden groups' state)"
                : "algebraic: per-group count, non-NULL counts and sums in hidden columns, updated by the"
                        + " delta (group rescan instead when a SUM/AVG argument is not of an exact type)") + inside;
    }

    /** The aggregate call in plain SQL, as PostgreSQL evaluates it over a group. */
    public static String plainCall(AggregateCall call) {
        return switch (call.function()) {
            case COUNT_STAR -> "pg_catalog.count(*)";
            case COUNT -> "pg_catalog.count(" + call.argument() + ")";
            case SUM -> "pg_catalog.sum(" + call.argument() + ")";
            case AVG -> "pg_catalog.avg(" + call.argument() + ")";
            case MIN -> "pg_catalog.min(" + call.argument() + ")";
            case MAX -> "pg_catalog.max(" + call.argument() + ")";
            case RECOMPUTED, RECOMPUTED_IN_ORDER -> call.call();
        };
    }

    /** The outputs over the input rows ({@code expression AS "name"}, placeholders replaced). */
    public List<String> plainOutputs() {
        List<String> items = new ArrayList<>();
        for (OutputColumn output : outputs) {
            items.add(plain(output.expression()) + " AS " + Sql.ident(output.name()));
        }
        return items;
    }

    /** {@code GROUP BY K1, …}, or nothing for a global aggregate. */
    public String groupBy() {
        if (groupKeys.isEmpty()) {
            return "";
        }
        return " GROUP BY " + groupKeys.stream().map(k -> "(" + k + ")").collect(Collectors.joining(", "));
    }

    /** {@code HAVING condition}, or nothing. */
    public String havingClause() {
        return having == null ? "" : " HAVING " + plain(having);
    }

    /** An output or HAVING expression over the input rows of the group. */
    private String plain(String expression) {
        return Placeholders.substitute(expression, key -> groupKeys.get(key - 1),
                agg -> plainCall(calls.get(agg - 1)));
    }
}
