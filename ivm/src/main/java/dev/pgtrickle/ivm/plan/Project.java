package dev.pgtrickle.ivm.plan;

import java.util.List;

/** Computes the SELECT list over its input. */
public record Project(Plan input, List<OutputColumn> outputs) implements Plan {

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
}
