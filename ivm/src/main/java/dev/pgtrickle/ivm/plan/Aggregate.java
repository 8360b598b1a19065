package dev.pgtrickle.ivm.plan;

import java.util.List;

/**
 * GROUP BY with aggregates, optionally HAVING; it also computes its SELECT list.
 *
 * <p>Output and HAVING expressions refer to aggregate calls through their placeholders
 * ({@code __pgt_agg_<n>}) and to grouping expressions through {@code __pgt_key_<n>}
 * (1-based index into {@link #groupKeys()}); every other column reference has been replaced by
 * one of those, so an output can be computed from a group's keys and aggregate values alone.
 *
 * @param input the rows being grouped
 * @param groupKeys GROUP BY expressions over the input (SQL text); empty for a global aggregate
 * @param calls the distinct aggregate calls
 * @param outputs the SELECT list, in terms of placeholders
 * @param having the HAVING predicate in terms of placeholders, or {@code null}
 */
public record Aggregate(Plan input, List<String> groupKeys, List<AggregateCall> calls,
                        List<OutputColumn> outputs, String having) implements Plan {

    public Aggregate {
        groupKeys = List.copyOf(groupKeys);
        calls = List.copyOf(calls);
        outputs = List.copyOf(outputs);
    }

    public static String keyPlaceholder(int index) {
        return "__pgt_key_" + index;
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
