package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.List;
import java.util.Optional;

/**
 * {@code SELECT DISTINCT ON (k1, …) … ORDER BY …}: per value of the keys, the first input row in
 * the order. At the top of a defining query the keys a change touches are decided again from
 * their input rows ({@code GroupRescanStrategy}); without an order beyond the keys PostgreSQL
 * picks any row of a key, and so may a refresh.
 *
 * @param input the rows
 * @param groupKeys the DISTINCT ON expressions over the input (SQL)
 * @param outputs the SELECT list over the input
 * @param order the ORDER BY items over the input (SQL with direction and NULLS placement)
 * @param winnerOrder the ORDER BY items beyond the keys as output columns, by which a key's stored
 *     row compares with a changed row; empty where one of them is not an output
 */
public record DistinctOn(FromPlan input, List<String> groupKeys, List<OutputColumn> outputs, List<String> order,
                         Optional<List<TopK.SortKey>> winnerOrder) implements Partitioned {

    public DistinctOn {
        groupKeys = List.copyOf(groupKeys);
        outputs = List.copyOf(outputs);
        order = List.copyOf(order);
        winnerOrder = winnerOrder.map(List::copyOf);
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
    public String current(DeltaContext context, List<String> extra) throws UnsupportedQueryException {
        return current(input.current(context), extra);
    }

    @Override
    public String current(Fragment rows, List<String> extra) {
        List<String> items = Sql.concat(Project.items(outputs), extra);
        String select = rows.select(items);
        // A query of its own: its ORDER BY must not end a UNION of several of them.
        return "SELECT * FROM (SELECT DISTINCT ON (" + String.join(", ", groupKeys.stream().map(k -> "(" + k + ")").toList())
                + ") " + select.substring("SELECT ".length())
                + (order.isEmpty() ? "" : " ORDER BY " + String.join(", ", order)) + ") AS __pgt_distinct_on";
    }

    @Override
    public String current(DeltaContext context) throws UnsupportedQueryException {
        return current(context, List.of());
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        throw new UnsupportedQueryException("DISTINCT ON (" + String.join(", ", groupKeys) + ")",
                "DISTINCT ON inside a query is not supported yet");
    }

    @Override
    public String describe() {
        return "Distinct on (" + String.join(", ", groupKeys) + ")"
                + (order.isEmpty() ? "" : " order by " + String.join(", ", order));
    }

    @Override
    public String deltaRule() {
        return "per key: the keys the delta touches are decided again from their input rows";
    }
}
