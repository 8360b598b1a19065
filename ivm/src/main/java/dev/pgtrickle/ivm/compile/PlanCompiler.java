package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.ChangeBuffers;
import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Chooses the maintenance strategy for an operator tree and compiles it into a {@link CompiledPlan}. */
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

    public CompiledPlan compile(QueryPlan top, String normalizedQuery) throws UnsupportedQueryException, SQLException {
        return PlanAssembler.assemble(top, normalizedQuery, strategy(top));
    }

    private MaintenanceStrategy strategy(QueryPlan top) throws UnsupportedQueryException, SQLException {
        if (top instanceof Distinct distinct) {
            if (!(distinct.input() instanceof Project project)) {
                throw new UnsupportedQueryException("SELECT DISTINCT over GROUP BY",
                        "DISTINCT is supported over plain SELECT lists only");
            }
            return new AggregateStrategy(asGrouping(project));
        }
        if (top instanceof Aggregate aggregate) {
            if (aggregate.having() != null || !exactSums(aggregate)) {
                return new GroupRescanStrategy(aggregate);
            }
            return new AggregateStrategy(aggregate);
        }
        return new ContentStrategy(top);
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
        String probe = aggregate.input().current(new DeltaContext(new ChangeBuffers())).select(arguments) + " LIMIT 0";
        return types.columnTypes(probe).stream()
                .allMatch(type -> EXACT_SUM_TYPES.contains(type) || type.startsWith("numeric("));
    }
}
