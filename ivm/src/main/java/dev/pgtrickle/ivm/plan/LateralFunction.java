package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code FROM input CROSS JOIN LATERAL f(…) AS alias (columns)}, or {@code input LEFT JOIN
 * LATERAL f(…) AS alias (columns) ON condition}: a set-returning function in FROM
 * ({@code jsonb_array_elements}, {@code unnest}, {@code generate_series}, …), called for each row
 * of its input with arguments over that row; with LEFT JOIN a row whose call returns no rows
 * passing the condition is kept once, the function's columns NULL. Its rows follow from the
 * input row alone (the function is not volatile, which the defining query's validation ensures),
 * so the operator is linear: its delta is the function applied to the input's changed rows, each
 * result row carrying its input row's weight.
 *
 * @param on the LEFT JOIN's condition, canonical SQL over the input's aliases and the
 *     function's; {@code null} for CROSS JOIN
 */
public record LateralFunction(FromPlan input, FunctionCall function, String on) implements FromPlan {

    @Override
    public List<Binding> bindings() {
        List<Binding> bindings = new ArrayList<>(input.bindings());
        bindings.add(function.binding());
        return bindings;
    }

    @Override
    public List<Plan> inputs() {
        return List.of(input);
    }

    private String lateralItem() {
        return lateral(function.item(), function.alias(), function.columns(), on);
    }

    /**
     * A FROM item with the rows of {@code item} (under {@code alias}, its columns
     * {@code columns}) for the row before it, which may follow any list of FROM items: LATERAL,
     * and with a LEFT JOIN's condition {@code on} (non-null), a row without results padded with
     * NULLs, inside a subquery of its own (a LATERAL join inside a FROM list sees only its own left
     * side, which a delta's exposed changes are not).
     */
    static String lateral(String item, String alias, List<String> columns, String on) {
        if (on == null) {
            return "LATERAL " + item;
        }
        String quoted = Sql.ident(alias);
        return "LATERAL (SELECT " + Sql.columns(quoted, columns) + " FROM (SELECT) AS __pgt_one"
                + " LEFT JOIN LATERAL " + item + " ON " + on + ") AS " + quoted;
    }

    @Override
    public Fragment current(DeltaContext context) throws UnsupportedQueryException {
        Fragment rows = input.current(context);
        return new Fragment(rows.nested() + " CROSS JOIN " + lateralItem(), true, rows.where());
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        function.refuseClock();
        if (on != null && Clock.reads(on)) {
            throw Clock.notMaintained(on);
        }
        DeltaContext.Exposure changes = context.expose(input);
        List<String> items = new ArrayList<>(DeltaContext.positionalItems(bindings(), List.of()));
        items.add(changes.weight() + " AS " + DeltaContext.WEIGHT);
        return "SELECT " + String.join(", ", items) + " FROM " + changes.from() + ", " + lateralItem();
    }

    @Override
    public boolean probedBy(Set<String> known, List<Condition> conditions) {
        return false;
    }

    @Override
    public String describe() {
        return (on == null ? "Lateral function " : "Left join lateral function ") + function
                + (on == null ? "" : " ON " + on);
    }

    @Override
    public String deltaRule() {
        return "linear: the function applied to the input's changed rows";
    }
}
