package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.Block;
import dev.pgtrickle.ivm.delta.DeltaBuilder;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.plan.UnionAll;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Chooses the strategy for an operator tree and compiles it into a {@link CompiledPlan}. */
public final class PlanCompiler {

    /**
     * Argument types whose running sums equal what PostgreSQL computes from scratch. Floats
     * drift; an unconstrained numeric's sum carries the largest scale of the rows summed, which a
     * running sum cannot follow when rows go away (and AVG's result scale depends on it). A
     * numeric with a declared scale gives every value that scale, so it stays exact.
     */
    private static final Set<String> EXACT_SUM_TYPES = Set.of("int2", "int4", "int8");

    private final TypeProbe types;

    public PlanCompiler(TypeProbe types) {
        this.types = types;
    }

    public CompiledPlan compile(Plan top, String normalizedQuery) throws UnsupportedQueryException, SQLException {
        if (top instanceof Distinct distinct) {
            if (!(distinct.input() instanceof Project project)) {
                throw new UnsupportedQueryException("SELECT DISTINCT over GROUP BY",
                        "DISTINCT is supported over plain SELECT lists only");
            }
            return AggregateStrategy.compile(asGrouping(project), normalizedQuery, explain(top));
        }
        if (top instanceof Aggregate aggregate) {
            if (aggregate.having() != null || !exactSums(aggregate)) {
                return GroupRescanStrategy.compile(aggregate, normalizedQuery, explain(top));
            }
            return AggregateStrategy.compile(aggregate, normalizedQuery, explain(top));
        }
        return ContentStrategy.compile(top, normalizedQuery, explain(top));
    }

    /** DISTINCT is a GROUP BY of every output without aggregates: a multiplicity per row. */
    private static Aggregate asGrouping(Project project) {
        List<String> keys = project.outputs().stream().map(OutputColumn::expression).toList();
        List<OutputColumn> outputs = new ArrayList<>();
        for (int i = 0; i < project.outputs().size(); i++) {
            outputs.add(new OutputColumn(project.outputs().get(i).name(), Aggregate.keyPlaceholder(i + 1)));
        }
        return new Aggregate(project.input(), keys, List.of(), outputs, null);
    }

    private boolean exactSums(Aggregate aggregate) throws UnsupportedQueryException, SQLException {
        List<String> arguments = aggregate.calls().stream()
                .filter(c -> c.function() == AggregateCall.Function.SUM || c.function() == AggregateCall.Function.AVG)
                .map(c -> "(" + c.argument() + ")")
                .toList();
        if (arguments.isEmpty()) {
            return true;
        }
        String probe = new DeltaBuilder().current(Block.of(aggregate.input()), arguments) + " LIMIT 0";
        return types.columnTypes(probe).stream()
                .allMatch(type -> EXACT_SUM_TYPES.contains(type) || type.startsWith("numeric("));
    }

    /** The operator tree, each operator with how its delta is computed. */
    static List<ExplainLine> explain(Plan top) {
        List<ExplainLine> lines = new ArrayList<>();
        explain(top, 1, lines);
        return lines;
    }

    private static void explain(Plan plan, int depth, List<ExplainLine> lines) {
        lines.add(describe(plan, depth));
        for (Plan input : plan.inputs()) {
            explain(input, depth + 1, lines);
        }
    }

    private static ExplainLine describe(Plan plan, int depth) {
        if (plan instanceof Scan scan) {
            Source source = scan.source();
            String what = source.kind() == Source.Kind.STREAM_TABLE ? "stream table" : "table";
            return new ExplainLine(depth, "Scan " + what + " " + source.schema() + "." + source.name() + " AS " + scan.alias(),
                    "delta: rows of change buffer pgtrickle_changes.changes_" + source.oid()
                            + " committed after the frontier; current state: the " + what + " itself");
        }
        if (plan instanceof Derived derived) {
            return new ExplainLine(depth, "Subquery AS " + derived.alias(), "delta: the subquery's delta");
        }
        if (plan instanceof Join join) {
            int n = join.inputs().size();
            String strategy = n <= 4
                    ? "delta: " + ((1 << n) - 1) + " terms (inclusion–exclusion), each joining input deltas with the"
                            + " other inputs' current state"
                    : "delta: " + n + " terms (telescoping), old input states rebuilt from current state and delta";
            return new ExplainLine(depth, "Inner join of " + n + " inputs"
                    + (join.conditions().isEmpty() ? "" : " ON " + String.join(" AND ", join.conditions())), strategy);
        }
        if (plan instanceof Filter filter) {
            return new ExplainLine(depth, "Filter " + filter.predicate(), "linear: applied to the delta");
        }
        if (plan instanceof Project project) {
            return new ExplainLine(depth, "Project " + project.outputs().stream()
                    .map(o -> o.expression() + " AS " + o.name()).collect(Collectors.joining(", ")),
                    "linear: applied to the delta");
        }
        if (plan instanceof Aggregate aggregate) {
            String calls = aggregate.calls().stream()
                    .map(c -> c.function() + (c.argument() == null ? "" : "(" + c.argument() + ")"))
                    .collect(Collectors.joining(", "));
            String strategy = aggregate.having() != null
                    ? "group rescan: groups touched by the delta are recomputed (HAVING needs hidden groups' state)"
                    : "algebraic: per-group count, non-NULL counts and sums in hidden columns, updated by the"
                            + " delta (group rescan instead when a SUM/AVG argument is not of an exact type)";
            return new ExplainLine(depth, "Aggregate GROUP BY " + (aggregate.groupKeys().isEmpty() ? "()"
                    : String.join(", ", aggregate.groupKeys())) + (calls.isEmpty() ? "" : ": " + calls)
                    + (aggregate.having() == null ? "" : " HAVING " + aggregate.having()), strategy);
        }
        if (plan instanceof Distinct) {
            return new ExplainLine(depth, "Distinct", "algebraic: multiplicity of each distinct row in __pgt_count");
        }
        if (plan instanceof UnionAll union) {
            return new ExplainLine(depth, "Union all of " + union.branches().size() + " branches",
                    "linear: the delta is the union of the branches' deltas");
        }
        throw new IllegalStateException("unknown operator " + plan);
    }
}
