package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.Function;
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
            columns.add(new OutputColumn(output.name(), rewrite(output.expression())));
        }
        String condition = having == null ? null : rewrite(having);
        return new Aggregate(input, keys, List.copyOf(calls.values()), columns, condition);
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
        String argument = call.argument() == null ? null : expressions.scalar(call.argument());
        String whole = recomputed ? expressions.recomputedCall(call.node()) : null;
        String identity = call.function() + "(" + (recomputed ? whole : argument) + ")";
        AggregateCall existing = calls.get(identity);
        if (existing != null) {
            return existing;
        }
        AggregateCall created = new AggregateCall(calls.size() + 1, call.function(), argument, whole);
        calls.put(identity, created);
        return created;
    }

    private UnsupportedQueryException groupingSets(GroupByElement groupBy) {
        return new UnsupportedQueryException(text.sql(groupBy), "GROUPING SETS, ROLLUP and CUBE are not supported yet");
    }
}
