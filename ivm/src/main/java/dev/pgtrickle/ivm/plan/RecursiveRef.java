package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.List;
import java.util.Set;

/**
 * The recursive term's reference to its own WITH RECURSIVE query ({@link Recursive}). What it
 * reads depends on which part of the recursion is being computed, so it asks the context
 * ({@link DeltaContext#recursiveRows}): the rows of the recursion so far when the query is
 * evaluated (the CTE's own name), the result as it was before the changes while their direct
 * effect is computed (without a delta of its own), and the changes of the result found so far
 * while they are carried down the recursion.
 *
 * @param cte the WITH RECURSIVE query's name
 * @param columns its columns, as this reference names them
 */
public record RecursiveRef(String cte, String alias, List<String> columns) implements FromPlan {

    public RecursiveRef {
        columns = List.copyOf(columns);
    }

    @Override
    public List<Binding> bindings() {
        return List.of(new Binding(alias, columns));
    }

    @Override
    public List<Plan> inputs() {
        return List.of();
    }

    @Override
    public Fragment current(DeltaContext context) {
        String rows = context.recursiveRows(cte).map(DeltaContext.RecursiveRows::current).orElse(Sql.ident(cte));
        return Fragment.of(rows + " AS " + Sql.ident(alias) + " (" + Sql.columns("", columns) + ")");
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        DeltaContext.RecursiveRows rows = context.recursiveRows(cte).orElseThrow(() -> new UnsupportedQueryException(
                cte, "a recursive reference outside its WITH RECURSIVE query"));
        return rows.delta();
    }

    @Override
    public boolean probedBy(Set<String> known, List<Condition> conditions) {
        return false;
    }

    @Override
    public String describe() {
        return "Recursive reference " + cte + " AS " + alias;
    }

    @Override
    public String deltaRule() {
        return "the result before the changes, or the result's changes found so far";
    }
}
