package dev.pgtrickle.ivm.plan;

import java.util.List;

/** Keeps the rows of its input for which {@code predicate} (SQL text) is true: WHERE. */
public record Filter(Plan input, String predicate) implements Plan {

    @Override
    public List<String> columns() {
        return input.columns();
    }

    @Override
    public List<Plan> inputs() {
        return List.of(input);
    }
}
