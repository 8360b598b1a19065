package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import java.util.ArrayList;
import java.util.List;

/**
 * SELECT DISTINCT: each distinct row of its input once. It is a GROUP BY of every output without
 * aggregates ({@link #asGrouping()}), maintained as such.
 */
public record Distinct(QueryPlan input) implements QueryPlan {

    @Override
    public List<String> columns() {
        return input.columns();
    }

    @Override
    public List<Plan> inputs() {
        return List.of(input);
    }

    @Override
    public String current(DeltaContext context) throws UnsupportedQueryException {
        return asGrouping().current(context);
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        return asGrouping().delta(context);
    }

    @Override
    public String describe() {
        return "Distinct";
    }

    @Override
    public String deltaRule() {
        return "as a GROUP BY of every column: a multiplicity per distinct row";
    }

    /** The GROUP BY of every output of the SELECT list below; DISTINCT over anything else is not supported. */
    public Aggregate asGrouping() throws UnsupportedQueryException {
        if (!(input instanceof Project project)) {
            throw new UnsupportedQueryException("SELECT DISTINCT over GROUP BY",
                    "DISTINCT is supported over plain SELECT lists only");
        }
        List<String> keys = project.outputs().stream().map(OutputColumn::expression).toList();
        List<OutputColumn> outputs = new ArrayList<>();
        for (int i = 0; i < project.outputs().size(); i++) {
            outputs.add(new OutputColumn(project.outputs().get(i).name(), Aggregate.keyPlaceholder(i + 1)));
        }
        return new Aggregate(project.input(), keys, List.of(), outputs, null);
    }
}
