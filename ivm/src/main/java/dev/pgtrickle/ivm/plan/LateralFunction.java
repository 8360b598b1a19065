package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code FROM input CROSS JOIN LATERAL f(…) [WITH ORDINALITY] AS alias (columns)}: a
 * set-returning function in FROM ({@code jsonb_array_elements}, {@code unnest},
 * {@code generate_series}, …), called for each row of its input with arguments over that row.
 * Its rows follow from the input row alone (the function is not volatile, which the defining
 * query's validation ensures), so the operator is linear: its delta is the function applied to
 * the input's changed rows, each result row carrying its input row's weight.
 *
 * @param call the function call, canonical SQL over the input's aliases
 * @param ordinality whether a row number is added as the last column
 * @param columns the function's columns under the alias (the ordinality's last)
 */
public record LateralFunction(FromPlan input, String call, boolean ordinality, String alias, List<String> columns)
        implements FromPlan {

    public LateralFunction {
        columns = List.copyOf(columns);
    }

    private String item() {
        return call + (ordinality ? " WITH ORDINALITY" : "") + " AS " + Sql.ident(alias) + " ("
                + Sql.columns("", columns) + ")";
    }

    @Override
    public List<Binding> bindings() {
        List<Binding> bindings = new ArrayList<>(input.bindings());
        bindings.add(new Binding(alias, columns));
        return bindings;
    }

    @Override
    public List<Plan> inputs() {
        return List.of(input);
    }

    @Override
    public Fragment current(DeltaContext context) throws UnsupportedQueryException {
        Fragment rows = input.current(context);
        return new Fragment(rows.nested() + " CROSS JOIN LATERAL " + item(), true, rows.where());
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        if (Clock.reads(call)) {
            throw Clock.notMaintained(call);
        }
        DeltaContext.Exposure changes = context.expose(input);
        List<String> items = new ArrayList<>(DeltaContext.positionalItems(bindings(), List.of()));
        items.add(changes.weight() + " AS " + DeltaContext.WEIGHT);
        return "SELECT " + String.join(", ", items) + " FROM " + changes.from() + ", LATERAL " + item();
    }

    @Override
    public boolean probedBy(Set<String> known, List<Condition> conditions) {
        return false;
    }

    @Override
    public String describe() {
        return "Lateral function " + call + (ordinality ? " WITH ORDINALITY" : "") + " AS " + alias + " ("
                + String.join(", ", columns) + ")";
    }

    @Override
    public String deltaRule() {
        return "linear: the function applied to the input's changed rows";
    }
}
