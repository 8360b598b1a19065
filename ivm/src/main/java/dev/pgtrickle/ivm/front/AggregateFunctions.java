package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import net.sf.jsqlparser.expression.AnalyticExpression;
import net.sf.jsqlparser.expression.AnalyticType;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.AllTableColumns;

import java.util.List;
import java.util.Set;

/** Tells aggregate calls from other function calls, and supported aggregates from the rest. */
final class AggregateFunctions {

    /** A supported aggregate call; {@code argument} is {@code null} for {@code count(*)}. */
    record Call(AggregateCall.Function function, Expression argument) {
    }

    /**
     * PostgreSQL's built-in aggregates other than count, sum and avg. Unqualified function names
     * in canonical text are pg_catalog's, so a name alone identifies a built-in aggregate.
     */
    private static final Set<String> OTHER_AGGREGATES = Set.of(
            "min", "max", "string_agg", "array_agg", "json_agg", "jsonb_agg", "json_agg_strict",
            "jsonb_agg_strict", "json_object_agg", "jsonb_object_agg", "json_object_agg_strict",
            "jsonb_object_agg_strict", "json_object_agg_unique", "jsonb_object_agg_unique",
            "json_object_agg_unique_strict", "jsonb_object_agg_unique_strict", "bool_and", "bool_or",
            "every", "bit_and", "bit_or", "bit_xor", "stddev", "stddev_pop", "stddev_samp", "variance",
            "var_pop", "var_samp", "corr", "covar_pop", "covar_samp", "regr_avgx", "regr_avgy",
            "regr_count", "regr_intercept", "regr_r2", "regr_slope", "regr_sxx", "regr_sxy", "regr_syy",
            "percentile_cont", "percentile_disc", "mode", "rank", "dense_rank", "percent_rank",
            "cume_dist", "xmlagg", "range_agg", "range_intersect_agg", "any_value", "grouping");

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
            throw unsupportedAnalytic(a, text.sql(a));
        }
        if (!(node instanceof Function f)) {
            return null;
        }
        String name = builtinName(f);
        if (name == null) {
            return null;
        }
        AggregateCall.Function function = switch (name) {
            case "count" -> isStar(f) ? AggregateCall.Function.COUNT_STAR : AggregateCall.Function.COUNT;
            case "sum" -> AggregateCall.Function.SUM;
            case "avg" -> AggregateCall.Function.AVG;
            default -> null;
        };
        String sql = text.sql(f);
        if (function == null) {
            if (!OTHER_AGGREGATES.contains(name)) {
                return null;
            }
            throw new UnsupportedQueryException(sql, name.equals("min") || name.equals("max")
                    ? "MIN/MAX are not supported yet"
                    : "the aggregate " + name
                            + " is not supported yet; only count, sum and avg are maintained differentially");
        }
        if (f.isDistinct()) {
            throw new UnsupportedQueryException(sql, "DISTINCT inside an aggregate is not supported yet");
        }
        if (f.getOrderByElements() != null) {
            throw new UnsupportedQueryException(sql, "ORDER BY inside an aggregate is not supported yet");
        }
        if (f.getNamedParameters() != null || f.getParameters() == null || f.getParameters().size() != 1) {
            throw new UnsupportedQueryException(sql, "this form of " + name + " is not supported yet");
        }
        return new Call(function, function == AggregateCall.Function.COUNT_STAR ? null : f.getParameters().get(0));
    }

    static UnsupportedQueryException unsupportedAnalytic(AnalyticExpression a, String sql) {
        AnalyticType type = a.getType();
        String reason = type == AnalyticType.FILTER_ONLY
                ? "FILTER (WHERE ...) on aggregates is not supported yet"
                : type == AnalyticType.WITHIN_GROUP
                ? "ordered-set and hypothetical-set aggregates (WITHIN GROUP) are not supported yet"
                : "window functions (OVER) are not supported yet";
        return new UnsupportedQueryException(sql, reason);
    }

    /**
     * The lower-case name of a pg_catalog function, or {@code null} for a function in another
     * schema. A user-defined aggregate there is refused, as nothing else could tell it apart.
     */
    private String builtinName(Function f) throws UnsupportedQueryException {
        List<String> parts = f.getMultipartName();
        String name = text.name(parts.get(parts.size() - 1));
        if (parts.size() == 1) {
            return name;
        }
        String schema = text.name(parts.get(parts.size() - 2));
        if (schema.equals("pg_catalog")) {
            return name;
        }
        if (catalog.isAggregate(schema, name)) {
            throw new UnsupportedQueryException(text.sql(f), "user-defined aggregates are not supported yet");
        }
        return null;
    }

    private static boolean isStar(Function f) {
        return f.getParameters() != null && f.getParameters().size() == 1
                && f.getParameters().get(0) instanceof AllColumns star && !(star instanceof AllTableColumns);
    }
}
