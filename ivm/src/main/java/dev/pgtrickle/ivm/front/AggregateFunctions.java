package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import net.sf.jsqlparser.expression.AnalyticExpression;
import net.sf.jsqlparser.expression.AnalyticType;
import net.sf.jsqlparser.expression.CaseExpression;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.LongValue;
import net.sf.jsqlparser.expression.WhenClause;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.AllTableColumns;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Tells aggregate calls from other function calls, and supported aggregates from the rest. */
final class AggregateFunctions {

    /**
     * A supported aggregate call: an algebraic one with its single argument ({@code null} for
     * {@code count(*)}; a FILTER folded into it), or a recomputed one, given as the whole
     * {@code node}.
     *
     * @param zeroOverNoRows whether the call gives 0, not NULL, over no rows (the counts)
     * @param distinctOf for {@code count}, {@code sum} or {@code avg} of DISTINCT values: which of
     *     the three, its argument (a FILTER folded into it) being {@code argument}; else {@code null}
     */
    record Call(AggregateCall.Function function, Expression argument, Expression node, boolean zeroOverNoRows,
                AggregateCall.Function distinctOf) {

        Call(AggregateCall.Function function, Expression argument, Expression node, boolean zeroOverNoRows) {
            this(function, argument, node, zeroOverNoRows, null);
        }
    }

    /** The aggregates with algebraic delta rules, by name. */
    private static final Map<String, AggregateCall.Function> ALGEBRAIC = Map.of(
            "count", AggregateCall.Function.COUNT, "sum", AggregateCall.Function.SUM,
            "avg", AggregateCall.Function.AVG, "min", AggregateCall.Function.MIN, "max", AggregateCall.Function.MAX);

    /** Built-in aggregates whose value depends only on the multiset of a group's rows. */
    private static final Set<String> ORDER_FREE = Set.of(
            "bool_and", "bool_or", "every", "bit_and", "bit_or", "bit_xor", "range_agg", "range_intersect_agg",
            "regr_count");

    /**
     * PostgreSQL's other built-in aggregates, recomputed over a group's rows. Unqualified
     * function names in canonical text are pg_catalog's, so a name alone identifies a built-in
     * aggregate.
     */
    private static final Set<String> RECOMPUTED = Set.of(
            "string_agg", "array_agg", "json_agg", "jsonb_agg", "json_agg_strict",
            "jsonb_agg_strict", "json_object_agg", "jsonb_object_agg", "json_object_agg_strict",
            "jsonb_object_agg_strict", "json_object_agg_unique", "jsonb_object_agg_unique",
            "json_object_agg_unique_strict", "jsonb_object_agg_unique_strict", "bool_and", "bool_or",
            "every", "bit_and", "bit_or", "bit_xor", "stddev", "stddev_pop", "stddev_samp", "variance",
            "var_pop", "var_samp", "corr", "covar_pop", "covar_samp", "regr_avgx", "regr_avgy",
            "regr_count", "regr_intercept", "regr_r2", "regr_slope", "regr_sxx", "regr_sxy", "regr_syy",
            "xmlagg", "range_agg", "range_intersect_agg", "any_value");

    /** Built-in aggregates not supported yet. */
    private static final Set<String> UNSUPPORTED = Set.of(
            "percentile_cont", "percentile_disc", "mode", "rank", "dense_rank", "percent_rank", "cume_dist");

    private final CanonicalText text;
    private final RelationCatalog catalog;

    AggregateFunctions(CanonicalText text, RelationCatalog catalog) {
        this.text = text;
        this.catalog = catalog;
    }

    /**
     * The supported aggregate call {@code node} is, or {@code null} if it is no aggregate call.
     *
     * @throws UnsupportedQueryException if it is an aggregate or window call that cannot be
     *     maintained differentially
     */
    Call classify(Expression node) throws UnsupportedQueryException {
        if (node instanceof AnalyticExpression a) {
            if (a.getType() != AnalyticType.FILTER_ONLY) {
                throw unsupportedAnalytic(a, text.sql(a));
            }
            String name = builtinName(List.of(a.getName().split("\\.")), a);
            if (name == null) {
                return null;
            }
            List<Expression> arguments = new ArrayList<>();
            for (Expression argument : new Expression[] {a.getExpression(), a.getOffset(), a.getDefaultValue()}) {
                if (argument != null && !(argument instanceof AllColumns)) {
                    arguments.add(argument);
                }
            }
            return call(node, name, arguments, a.isAllColumns() || a.getExpression() instanceof AllColumns,
                    a.isDistinct(), a.getFuncOrderBy() != null, a.getFilterExpression());
        }
        if (!(node instanceof Function f)) {
            return null;
        }
        String name = builtinName(f.getMultipartName(), f);
        if (name == null) {
            return null;
        }
        if (f.getNamedParameters() != null) {
            if (ALGEBRAIC.containsKey(name) || RECOMPUTED.contains(name) || UNSUPPORTED.contains(name)) {
                throw new UnsupportedQueryException(text.sql(f), "this form of " + name + " is not supported yet");
            }
            return null;
        }
        List<Expression> arguments = f.getParameters() == null ? List.of() : new ArrayList<>(f.getParameters());
        return call(node, name, isStar(f) ? List.of() : arguments, isStar(f), f.isDistinct(),
                f.getOrderByElements() != null, null);
    }

    /** The call of aggregate {@code name}, or {@code null} if it is no aggregate. */
    private Call call(Expression node, String name, List<Expression> arguments, boolean star, boolean distinct,
                      boolean ordered, Expression filter) throws UnsupportedQueryException {
        boolean count = name.equals("count") || name.equals("regr_count");
        AggregateCall.Function algebraic = ALGEBRAIC.get(name);
        if (algebraic != null) {
            if (star) {
                return filter == null ? new Call(AggregateCall.Function.COUNT_STAR, null, null, true)
                        : new Call(AggregateCall.Function.COUNT, onlyWhere(filter, new LongValue(1)), null, true);
            }
            if (arguments.size() != 1) {
                throw new UnsupportedQueryException(text.sql(node), "this form of " + name + " is not supported yet");
            }
            // min and max do not depend on duplicates or order, count not on order; a distinct
            // count or sum is recomputed, as is a sum in an order (of floats, it may matter).
            boolean extremum = algebraic == AggregateCall.Function.MIN || algebraic == AggregateCall.Function.MAX;
            if (distinct && !extremum) {
                Expression argument = filter == null ? arguments.get(0) : onlyWhere(filter, arguments.get(0));
                return new Call(AggregateCall.Function.RECOMPUTED, argument, node, count, ordered ? null : algebraic);
            }
            if (ordered && !extremum && !count) {
                return new Call(AggregateCall.Function.RECOMPUTED_IN_ORDER, null, node, false);
            }
            Expression argument = arguments.get(0);
            return new Call(algebraic, filter == null ? argument : onlyWhere(filter, argument), null, count);
        }
        if (RECOMPUTED.contains(name)) {
            return new Call(ORDER_FREE.contains(name) ? AggregateCall.Function.RECOMPUTED
                    : AggregateCall.Function.RECOMPUTED_IN_ORDER, null, node, count);
        }
        if (UNSUPPORTED.contains(name)) {
            throw new UnsupportedQueryException(text.sql(node), "the aggregate " + name + " is not supported yet");
        }
        return null;
    }

    /** {@code CASE WHEN filter THEN value END}: the value where the FILTER lets the row in, else NULL, which the aggregate skips. */
    private static Expression onlyWhere(Expression filter, Expression value) {
        return new CaseExpression(new WhenClause(filter, value));
    }

    static UnsupportedQueryException unsupportedAnalytic(AnalyticExpression a, String sql) {
        AnalyticType type = a.getType();
        String reason = type == AnalyticType.WITHIN_GROUP
                ? "ordered-set and hypothetical-set aggregates (WITHIN GROUP) are not supported yet"
                : "window functions (OVER) are not supported yet";
        return new UnsupportedQueryException(sql, reason);
    }

    /**
     * The lower-case name of a pg_catalog function named by {@code parts}, or {@code null} for a
     * function in another schema. A user-defined aggregate there is refused, as nothing else
     * could tell it apart.
     */
    private String builtinName(List<String> parts, Expression node) throws UnsupportedQueryException {
        String name = text.name(parts.get(parts.size() - 1));
        if (parts.size() == 1) {
            return name;
        }
        String schema = text.name(parts.get(parts.size() - 2));
        if (schema.equals("pg_catalog")) {
            return name;
        }
        if (catalog.isAggregate(schema, name)) {
            throw new UnsupportedQueryException(text.sql(node), "user-defined aggregates are not supported yet");
        }
        return null;
    }

    private static boolean isStar(Function f) {
        return f.getParameters() != null && f.getParameters().size() == 1
                && f.getParameters().get(0) instanceof AllColumns star && !(star instanceof AllTableColumns);
    }
}
