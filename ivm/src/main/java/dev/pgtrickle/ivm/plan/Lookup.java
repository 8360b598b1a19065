package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.List;

/**
 * A subquery that is evaluated for each row of the input it is joined to, the way PostgreSQL
 * evaluates a correlated subquery: {@code LATERAL (SELECT * FROM (query) AS alias WHERE
 * correlation OFFSET 0)}. A decorrelated scalar subquery is a GROUP BY of the correlation keys; joined as a
 * plain subquery, its current state would be grouped over the whole input by every delta term
 * that reads it, because PostgreSQL does not push a join condition into a grouped subquery. Read
 * per row, the correlation — equalities on grouping columns — is pushed down to the grouped input,
 * so each row costs an index probe.
 *
 * <p>It may only be the right input of a join whose left input provides the correlation's other
 * aliases; the join's condition is the correlation too, which the delta terms that join the
 * lookup's delta still need.
 *
 * @param subquery the subquery, its columns named as the correlation names them
 * @param correlation equalities between grouping columns of the subquery and the left input's expressions
 */
public record Lookup(Derived subquery, Condition correlation) implements FromPlan {

    @Override
    public List<Binding> bindings() {
        return subquery.bindings();
    }

    @Override
    public List<Plan> inputs() {
        return List.of(subquery);
    }

    @Override
    public Fragment current(DeltaContext context) throws UnsupportedQueryException {
        // OFFSET 0 keeps PostgreSQL from pulling the LATERAL subquery up into a plain join, which
        // would make the correlation a join condition again instead of a pushed-down restriction.
        return Fragment.of("LATERAL (" + subquery.current(context).and(correlation.sql()).select(List.of("*"))
                + " OFFSET 0) AS " + Sql.ident(subquery.alias()));
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        return subquery.delta(context);
    }

    @Override
    public String describe() {
        return "Lookup per row WHERE " + correlation.sql();
    }

    @Override
    public String deltaRule() {
        return "delta: the subquery's delta; its current state is read per row of the left input";
    }
}
