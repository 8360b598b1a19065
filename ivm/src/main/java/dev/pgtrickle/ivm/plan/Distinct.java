package dev.pgtrickle.ivm.plan;

import java.util.List;

/** SELECT DISTINCT: each distinct row of its input once. */
public record Distinct(Plan input) implements Plan {

    @Override
    public List<String> columns() {
        return input.columns();
    }

    @Override
    public List<Plan> inputs() {
        return List.of(input);
    }
}
