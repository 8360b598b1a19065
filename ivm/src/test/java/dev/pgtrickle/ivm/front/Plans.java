package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.OutputColumn;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Shorthands for the expected plans of the front-end tests. */
final class Plans {

    private Plans() {
    }

    /** A condition and the aliases it refers to. */
    static Condition on(String sql, String... aliases) {
        return new Condition(sql, Set.of(aliases));
    }

    /** Conditions ANDed as the front end does it (each parenthesized). */
    static Condition and(Condition... conditions) {
        return Condition.all(List.of(conditions));
    }

    /** Output columns from name, expression pairs. */
    static List<OutputColumn> outputs(String... nameExpressionPairs) {
        List<OutputColumn> outputs = new ArrayList<>();
        for (int i = 0; i < nameExpressionPairs.length; i += 2) {
            outputs.add(new OutputColumn(nameExpressionPairs[i], nameExpressionPairs[i + 1]));
        }
        return outputs;
    }
}
