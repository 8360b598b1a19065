package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Computes the SELECT list over its input. */
public record Project(FromPlan input, List<OutputColumn> outputs) implements QueryPlan {

    public Project {
        outputs = List.copyOf(outputs);
    }

    @Override
    public List<String> columns() {
        return outputs.stream().map(OutputColumn::name).toList();
    }

    @Override
    public List<Plan> inputs() {
        return List.of(input);
    }

    @Override
    public String current(DeltaContext context) throws UnsupportedQueryException {
        return input.current(context).select(items(outputs));
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        DeltaContext.Exposure changes = context.expose(input);
        List<String> items = new ArrayList<>(items(outputs));
        items.add(changes.weight() + " AS " + DeltaContext.WEIGHT);
        return "SELECT " + String.join(", ", items) + " FROM " + changes.from();
    }

    @Override
    public String describe() {
        return "Project " + outputs.stream().map(o -> o.expression() + " AS " + o.name())
                .collect(Collectors.joining(", "));
    }

    @Override
    public String deltaRule() {
        return "linear: applied to the delta";
    }

    /** {@code expression AS "name"} for each output. */
    public static List<String> items(List<OutputColumn> outputs) {
        return outputs.stream().map(o -> o.expression() + " AS " + Sql.ident(o.name())).toList();
    }
}
