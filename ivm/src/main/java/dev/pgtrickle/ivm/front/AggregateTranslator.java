package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.delta.ChangeBuffers;
import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Placeholders;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.UnionAll;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.operators.relational.ExpressionList;
import net.sf.jsqlparser.expression.operators.relational.ParenthesedExpressionList;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.statement.select.GroupByElement;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the {@link Aggregate} of a grouped query block: its group keys, its distinct aggregate
 * calls, and its SELECT list and HAVING rewritten in terms of their placeholders.
 */
final class AggregateTranslator {

    private final Expressions expressions;
    private final CanonicalText text;
    /** Comparable text of each group key (see {@link Expressions#comparable}) to its 1-based index. */
    private final Map<String, Integer> keyIndexes = new LinkedHashMap<>();
    private final List<String> keys = new ArrayList<>();
    private final Map<String, AggregateCall> calls = new LinkedHashMap<>();
    /** The count, sum or avg of DISTINCT values among the calls, by call index. */
    private final Map<Integer, DistinctCall> distinctCalls = new LinkedHashMap<>();
    /** The key indexes of each GROUPING(…) call's arguments. */
    private final List<List<Integer>> groupings = new ArrayList<>();

    AggregateTranslator(Expressions expressions, CanonicalText text) {
        this.expressions = expressions;
        this.text = text;
    }

    Aggregate translate(FromPlan input, List<SelectList.Output> outputs, GroupByElement groupBy, Expression having)
            throws UnsupportedQueryException {
        if (groupBy != null) {
            groupKeys(groupBy);
        }
        List<OutputColumn> columns = new ArrayList<>();
        for (SelectList.Output output : outputs) {
            columns.add(new OutputColumn(output.name(), withoutGroupings(rewrite(output.expression()))));
        }
        String condition = having == null ? null : withoutGroupings(rewrite(having));
        return new Aggregate(input, keys, List.copyOf(calls.values()), columns, condition);
    }

    /** {@code function(DISTINCT value)}: count, sum or avg of a group's distinct non-NULL values. */
    private record DistinctCall(AggregateCall.Function function, String value) {
    }

    /** The alias of the per-value grouping under an aggregate of distinct values. */
    static final String PER_VALUE = "__pgt_per_value";

    /**
     * {@code groups} (which {@link #translate} returned) with its count, sum or avg of DISTINCT
     * values computed from per-value counts, where it can be: as an aggregate over the grouping
     * by its keys and the value, which counts each value's rows in its group — a table kept up
     * to date by the changes, inside a query ({@code KeptGroups}). A value then counts once
     * while its count in the group is above zero, and a change reaches the group's distinct
     * aggregates only where a value appears in it or leaves it. All such calls must take the same
     * value, the others be counts (summed from the per-value counts) or MIN/MAX of that value;
     * otherwise {@code groups} is returned as it is, its distinct calls recomputed per group.
     */
    Aggregate countingDistinctValues(Aggregate groups) {
        List<String> values = distinctCalls.values().stream().map(DistinctCall::value).distinct().toList();
        if (values.size() != 1) {
            return groups;
        }
        String value = values.get(0);
        for (AggregateCall call : groups.calls()) {
            boolean fits = distinctCalls.containsKey(call.index()) || switch (call.function()) {
                case COUNT_STAR, COUNT -> true;
                case MIN, MAX -> value.equals(call.argument());
                default -> false;
            };
            if (!fits) {
                return groups;
            }
        }
        int grouped = keys.size();
        List<String> innerKeys = new ArrayList<>(keys);
        innerKeys.add(value);
        List<OutputColumn> innerOutputs = new ArrayList<>();
        List<String> outerKeys = new ArrayList<>();
        for (int i = 1; i <= grouped; i++) {
            innerOutputs.add(new OutputColumn("__pgt_k" + i, Aggregate.keyPlaceholder(i)));
            outerKeys.add(perValue("__pgt_k" + i));
        }
        innerOutputs.add(new OutputColumn("__pgt_v", Aggregate.keyPlaceholder(grouped + 1)));
        List<AggregateCall> innerCalls = new ArrayList<>();
        List<AggregateCall> outerCalls = new ArrayList<>();
        // The counts become sums of per-value counts: numeric, NULL over no rows; cast back.
        Map<Integer, String> counts = new LinkedHashMap<>();
        for (AggregateCall call : groups.calls()) {
            DistinctCall distinct = distinctCalls.get(call.index());
            if (distinct != null || call.function() == AggregateCall.Function.MIN
                    || call.function() == AggregateCall.Function.MAX) {
                outerCalls.add(new AggregateCall(call.index(), distinct != null ? distinct.function() : call.function(),
                        perValue("__pgt_v")));
                continue;
            }
            AggregateCall inner = new AggregateCall(innerCalls.size() + 1, call.function(), call.argument());
            innerCalls.add(inner);
            innerOutputs.add(new OutputColumn("__pgt_c" + inner.index(), inner.placeholder()));
            outerCalls.add(new AggregateCall(call.index(), AggregateCall.Function.SUM, perValue("__pgt_c" + inner.index())));
            counts.put(call.index(), "COALESCE(" + call.placeholder() + ", 0)::bigint");
        }
        Aggregate perValue = new Aggregate(groups.input(), innerKeys, innerCalls, innerOutputs, null);
        java.util.function.Function<Integer, String> outerCall = n -> counts.getOrDefault(n, AggregateCall.placeholderOf(n));
        List<OutputColumn> outputs = new ArrayList<>();
        for (OutputColumn output : groups.outputs()) {
            outputs.add(new OutputColumn(output.name(),
                    Placeholders.substitute(output.expression(), Aggregate::keyPlaceholder, outerCall)));
        }
        String having = groups.having() == null ? null
                : Placeholders.substitute(groups.having(), Aggregate::keyPlaceholder, outerCall);
        return new Aggregate(new Derived(perValue, PER_VALUE), outerKeys, outerCalls, outputs, having);
    }

    private static String perValue(String column) {
        return Sql.ident(PER_VALUE) + "." + Sql.ident(column);
    }

    /** Whether {@code groupBy} has GROUPING SETS, ROLLUP or CUBE. */
    static boolean hasGroupingSets(GroupByElement groupBy) {
        if (groupBy == null) {
            return false;
        }
        if (groupBy.getGroupingSets() != null && !groupBy.getGroupingSets().isEmpty()) {
            return true;
        }
        return groupBy.getGroupByExpressionList().stream().anyMatch(AggregateTranslator::isSetFunction);
    }

    private static boolean isSetFunction(Object key) {
        return key instanceof Function f && f.getMultipartName().size() == 1
                && (f.getName().equalsIgnoreCase("ROLLUP") || f.getName().equalsIgnoreCase("CUBE"));
    }

    /**
     * GROUP BY with GROUPING SETS, ROLLUP or CUBE: one grouping per set, as a UNION ALL; in each,
     * the keys outside the set are NULL (of the key's type) and GROUPING(…) is the constant it has there. The set
     * with the most keys comes first, so that UNION ALL takes the keys' types from it.
     */
    QueryPlan translateSets(FromPlan input, List<SelectList.Output> outputs, GroupByElement groupBy, Expression having)
            throws UnsupportedQueryException {
        List<List<Integer>> sets = new ArrayList<>(List.of(List.of()));
        for (Object element : groupBy.getGroupByExpressionList()) {
            sets = product(sets, setsOf((Expression) element));
        }
        if (groupBy.getGroupingSets() != null && !groupBy.getGroupingSets().isEmpty()) {
            List<List<Integer>> listed = new ArrayList<>();
            for (Object set : groupBy.getGroupingSets()) {
                List<Expression> elements = set instanceof ExpressionList<?> list ? new ArrayList<>(list)
                        : List.of((Expression) set);
                // A ROLLUP or CUBE listed among the sets stands for its own sets.
                if (elements.size() == 1 && isSetFunction(elements.get(0))) {
                    listed.addAll(setsOf(elements.get(0)));
                } else {
                    listed.add(indexes(elements));
                }
            }
            sets = product(sets, listed);
        }
        int grouped = keys.size();
        List<OutputColumn> columns = new ArrayList<>();
        for (SelectList.Output output : outputs) {
            columns.add(new OutputColumn(output.name(), rewrite(output.expression())));
        }
        String condition = having == null ? null : rewrite(having);
        if (keys.size() != grouped) {
            throw new UnsupportedQueryException(text.sql(groupBy), "a column outside the grouping sets is not supported");
        }
        sets.sort((a, b) -> b.size() - a.size());
        // A rolled-up key is a NULL of the key's type (and collation): a bare NULL in a branch of a
        // CTE would be text. An uncorrelated subquery over no rows gives one; it is never run.
        Fragment none = input.current(new DeltaContext(new ChangeBuffers())).and("false");
        List<QueryPlan> branches = new ArrayList<>();
        for (List<Integer> set : sets) {
            java.util.function.Function<Integer, String> key = k -> set.contains(k)
                    ? Aggregate.keyPlaceholder(set.indexOf(k) + 1) : none.select(List.of("(" + keys.get(k - 1) + ")"));
            java.util.function.Function<Integer, String> grouping = g -> Integer.toString(groupingValue(groupings.get(g - 1), set));
            List<OutputColumn> branchColumns = new ArrayList<>();
            for (OutputColumn column : columns) {
                branchColumns.add(new OutputColumn(column.name(),
                        Placeholders.substitute(column.expression(), key, AggregateCall::placeholderOf, grouping)));
            }
            String branchHaving = condition == null ? null
                    : Placeholders.substitute(condition, key, AggregateCall::placeholderOf, grouping);
            branches.add(new Aggregate(input, set.stream().map(k -> keys.get(k - 1)).toList(), List.copyOf(calls.values()),
                    branchColumns, branchHaving));
        }
        return branches.size() == 1 ? branches.get(0) : new UnionAll(branches);
    }

    /** An expression of a plain GROUP BY, where every GROUPING(…) is 0 (all its arguments are grouped). */
    private static String withoutGroupings(String expression) {
        return Placeholders.substitute(expression, Aggregate::keyPlaceholder, AggregateCall::placeholderOf, g -> "0");
    }

    /** GROUPING(k1, …) in a grouping of {@code set}: a bit per argument, set where it is not grouped. */
    private static int groupingValue(List<Integer> arguments, List<Integer> set) {
        int value = 0;
        for (int argument : arguments) {
            value = (value << 1) | (set.contains(argument) ? 0 : 1);
        }
        return value;
    }

    /** The grouping sets of one GROUP BY element: a key, ROLLUP(…) or CUBE(…). */
    private List<List<Integer>> setsOf(Expression element) throws UnsupportedQueryException {
        if (!isSetFunction(element)) {
            return List.of(indexes(List.of(element)));
        }
        Function f = (Function) element;
        List<List<Integer>> parts = new ArrayList<>();
        for (Expression part : f.getParameters()) {
            parts.add(indexes(part instanceof ParenthesedExpressionList<?> list ? new ArrayList<>(list) : List.of(part)));
        }
        List<List<Integer>> sets = new ArrayList<>();
        if (f.getName().equalsIgnoreCase("ROLLUP")) {
            for (int n = parts.size(); n >= 0; n--) {
                sets.add(union(parts.subList(0, n)));
            }
        } else {
            for (int mask = (1 << parts.size()) - 1; mask >= 0; mask--) {
                List<List<Integer>> chosen = new ArrayList<>();
                for (int i = 0; i < parts.size(); i++) {
                    if ((mask & (1 << (parts.size() - 1 - i))) != 0) {
                        chosen.add(parts.get(i));
                    }
                }
                sets.add(union(chosen));
            }
        }
        return sets;
    }

    private List<Integer> indexes(List<Expression> expressions) throws UnsupportedQueryException {
        List<Integer> indexes = new ArrayList<>();
        for (Expression e : expressions) {
            if (isSetFunction(e)) {
                throw new UnsupportedQueryException(text.sql(e), "ROLLUP or CUBE inside GROUPING SETS is not supported yet");
            }
            int index = key(e, this.expressions.scalar(e));
            if (!indexes.contains(index)) {
                indexes.add(index);
            }
        }
        return indexes;
    }

    private static List<Integer> union(List<List<Integer>> parts) {
        List<Integer> all = new ArrayList<>();
        for (List<Integer> part : parts) {
            for (int index : part) {
                if (!all.contains(index)) {
                    all.add(index);
                }
            }
        }
        return all;
    }

    /** Every combination of one set of {@code left} with one of {@code right}. */
    private static List<List<Integer>> product(List<List<Integer>> left, List<List<Integer>> right) {
        List<List<Integer>> result = new ArrayList<>();
        for (List<Integer> l : left) {
            for (List<Integer> r : right) {
                result.add(union(List.of(l, r)));
            }
        }
        return result;
    }

    private void groupKeys(GroupByElement groupBy) throws UnsupportedQueryException {
        if (groupBy.getGroupingSets() != null && !groupBy.getGroupingSets().isEmpty()) {
            throw groupingSets(groupBy);
        }
        for (Expression key : groupBy.getGroupByExpressionList()) {
            if (key instanceof Function f && f.getMultipartName().size() == 1
                    && (f.getName().equalsIgnoreCase("ROLLUP") || f.getName().equalsIgnoreCase("CUBE"))) {
                throw groupingSets(groupBy);
            }
            key(key, expressions.scalar(key));
        }
    }

    /** The index of a group key, adding it if new. */
    private int key(Expression key, String sql) {
        return keyIndexes.computeIfAbsent(expressions.comparable(key), k -> {
            keys.add(sql);
            return keys.size();
        });
    }

    private String rewrite(Expression e) throws UnsupportedQueryException {
        return expressions.sql(expressions.rewrite(e, this::placeholder));
    }

    /** The placeholder replacing {@code node}, or {@code null} to look inside it. */
    private Expression placeholder(Expression node) throws UnsupportedQueryException {
        Integer key = keyIndexes.get(expressions.comparable(node));
        if (key != null) {
            return new Column(Aggregate.keyPlaceholder(key));
        }
        if (node instanceof Function f && f.getMultipartName().size() == 1 && f.getName().equalsIgnoreCase("GROUPING")
                && f.getParameters() != null) {
            List<Integer> arguments = new ArrayList<>();
            for (Expression argument : f.getParameters()) {
                Integer index = keyIndexes.get(expressions.comparable(argument));
                if (index == null) {
                    throw new UnsupportedQueryException(text.sql(f), "GROUPING() of an expression that is not grouped");
                }
                arguments.add(index);
            }
            groupings.add(arguments);
            return new Column(Placeholders.grouping(groupings.size()));
        }
        AggregateFunctions.Call call = expressions.aggregate(node);
        if (call != null) {
            return new Column(call(call).placeholder());
        }
        if (node instanceof Column column) {
            if (column.getArrayConstructor() != null) {
                throw new UnsupportedQueryException(text.sql(column),
                        "subscripts of a column that is not grouped by are not supported yet");
            }
            // PostgreSQL accepted a column outside the GROUP BY, so it depends functionally on the
            // keys (they include a primary key); grouping by it too leaves the groups unchanged.
            return new Column(Aggregate.keyPlaceholder(key(column, text.sql(column))));
        }
        return null;
    }

    private AggregateCall call(AggregateFunctions.Call call) throws UnsupportedQueryException {
        boolean recomputed = !call.function().algebraic();
        String argument = recomputed || call.argument() == null ? null : expressions.scalar(call.argument());
        String whole = recomputed ? expressions.recomputedCall(call.node()) : null;
        String identity = call.function() + "(" + (recomputed ? whole : argument) + ")";
        AggregateCall existing = calls.get(identity);
        if (existing != null) {
            return existing;
        }
        AggregateCall created = new AggregateCall(calls.size() + 1, call.function(), argument, whole);
        calls.put(identity, created);
        if (call.distinctOf() != null) {
            distinctCalls.put(created.index(), new DistinctCall(call.distinctOf(), expressions.scalar(call.argument())));
        }
        return created;
    }

    private UnsupportedQueryException groupingSets(GroupByElement groupBy) {
        return new UnsupportedQueryException(text.sql(groupBy), "GROUPING SETS, ROLLUP and CUBE are not supported yet");
    }
}
