package dev.pgtrickle.ivm.plan;

import java.util.List;

/**
 * Inner join of two or more aliased inputs ({@link Scan} or {@link Derived}). Join conditions
 * (from ON clauses) are kept separately from any WHERE {@link Filter} above; both are predicates
 * over the inputs' aliases. Output: the concatenation of the inputs' columns.
 *
 * @param inputs the aliased inputs, in FROM order
 * @param conditions ON predicates, SQL text; empty for a cross join
 */
public record Join(List<Plan> inputs, List<String> conditions) implements Plan {

    public Join {
        inputs = List.copyOf(inputs);
        conditions = List.copyOf(conditions);
        for (Plan input : inputs) {
            if (!(input instanceof Scan) && !(input instanceof Derived)) {
                throw new IllegalArgumentException("join inputs must be aliased scans or subqueries: " + input);
            }
        }
        if (inputs.size() < 2) {
            throw new IllegalArgumentException("a join needs two or more inputs");
        }
    }

    @Override
    public List<String> columns() {
        return inputs.stream().flatMap(input -> input.columns().stream()).toList();
    }
}
