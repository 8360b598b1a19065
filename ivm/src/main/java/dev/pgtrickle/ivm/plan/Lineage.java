package dev.pgtrickle.ivm.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which source columns each output column of a query is computed from: the columns its
 * expression reads, followed through subqueries, views, joins, group keys and aggregate
 * arguments down to the tables (and stream tables) the query reads. Conditions (WHERE, ON,
 * HAVING) filter rows and are not lineage of any column.
 */
public final class Lineage {

    /** A column of a source: {@code schema.table.column}. */
    public record SourceColumn(String schema, String table, String column) {
    }

    private Lineage() {
    }

    /** For each output column of {@code plan}, in order, the source columns it reads. */
    public static Map<String, Set<SourceColumn>> of(QueryPlan plan) {
        List<Set<SourceColumn>> columns = query(plan);
        Map<String, Set<SourceColumn>> lineage = new LinkedHashMap<>();
        for (int i = 0; i < plan.columns().size(); i++) {
            lineage.put(plan.columns().get(i), columns.get(i));
        }
        return lineage;
    }

    /** The source columns of each output column, by position. */
    private static List<Set<SourceColumn>> query(QueryPlan plan) {
        List<Set<SourceColumn>> result = new ArrayList<>();
        if (plan instanceof Project project) {
            for (OutputColumn output : project.outputs()) {
                result.add(read(output.expression(), project.input()));
            }
        } else if (plan instanceof Aggregate aggregate) {
            for (OutputColumn output : aggregate.outputs()) {
                result.add(read(aggregateInputs(aggregate, output.expression()), aggregate.input()));
            }
        } else if (plan instanceof Window window) {
            for (OutputColumn output : window.outputs()) {
                result.add(read(output.expression(), window.input()));
            }
        } else if (plan instanceof DistinctOn distinctOn) {
            for (OutputColumn output : distinctOn.outputs()) {
                result.add(read(output.expression(), distinctOn.input()));
            }
        } else if (plan instanceof Distinct distinct) {
            result.addAll(query(distinct.input()));
        } else if (plan instanceof TopK topK) {
            result.addAll(query(topK.input()));
        } else if (plan instanceof UnionAll || plan instanceof SetOperation || plan instanceof Recursive) {
            for (Plan branch : plan.inputs()) {
                List<Set<SourceColumn>> columns = query((QueryPlan) branch);
                for (int i = 0; i < columns.size(); i++) {
                    if (result.size() <= i) {
                        result.add(new LinkedHashSet<>());
                    }
                    result.get(i).addAll(columns.get(i));
                }
            }
        }
        return result;
    }

    /** The output expression with its placeholders replaced by the group keys and arguments they stand for. */
    private static String aggregateInputs(Aggregate aggregate, String expression) {
        return Placeholders.substitute(expression,
                key -> "(" + aggregate.groupKeys().get(key - 1) + ")",
                call -> {
                    String argument = aggregate.calls().get(call - 1).argument();
                    return argument == null ? "NULL" : "(" + argument + ")";
                });
    }

    /** The source columns {@code expression} reads from the bindings of {@code input}. */
    private static Set<SourceColumn> read(String expression, FromPlan input) {
        Set<SourceColumn> columns = new LinkedHashSet<>();
        for (Binding binding : input.bindings()) {
            for (String column : binding.columns()) {
                if (ColumnText.mentions(expression, binding.alias(), column)) {
                    columns.addAll(resolve(input, binding.alias(), column));
                }
            }
        }
        return columns;
    }

    /** What {@code alias.column} of {@code plan} is, in source columns. */
    private static Set<SourceColumn> resolve(FromPlan plan, String alias, String column) {
        if (plan instanceof Scan scan) {
            return scan.alias().equals(alias) ? Set.of(new SourceColumn(scan.source().schema(), scan.source().name(), column))
                    : Set.of();
        }
        if (plan instanceof Derived derived) {
            if (!derived.alias().equals(alias)) {
                return Set.of();
            }
            int at = derived.columns().indexOf(column);
            return at < 0 ? Set.of() : query(derived.query()).get(at);
        }
        Set<SourceColumn> columns = new LinkedHashSet<>();
        for (Plan input : plan.inputs()) {
            if (input instanceof FromPlan from && from.aliases().contains(alias)) {
                columns.addAll(resolve(from, alias, column));
            }
        }
        return columns;
    }
}
