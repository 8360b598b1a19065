package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;

/** A subquery in FROM (or an expanded view, or a CTE) under an alias: {@code FROM (query) AS alias}. */
public record Derived(QueryPlan query, String alias) implements FromPlan {

    @Override
    public List<Binding> bindings() {
        return List.of(new Binding(alias, query.columns()));
    }

    @Override
    public List<Plan> inputs() {
        return List.of(query);
    }

    @Override
    public Fragment current(DeltaContext context) throws UnsupportedQueryException {
        return Fragment.of("(" + query.current(context) + ") AS " + Sql.ident(alias));
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        String cte = context.delta(query);
        List<String> items = new ArrayList<>();
        List<String> columns = query.columns();
        for (int i = 0; i < columns.size(); i++) {
            items.add("__pgt_q." + Sql.ident(columns.get(i)) + " AS " + DeltaContext.column(i + 1));
        }
        items.add("__pgt_q." + DeltaContext.WEIGHT);
        return "SELECT " + String.join(", ", items) + " FROM " + cte + " AS __pgt_q";
    }

    @Override
    public String describe() {
        return "Subquery AS " + alias;
    }

    @Override
    public String deltaRule() {
        return "delta: the subquery's delta";
    }
}
