package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A subquery that is evaluated for each row of the input it is joined to, the way PostgreSQL
 * evaluates a correlated subquery: {@code LATERAL (SELECT * FROM (query) AS alias WHERE
 * correlation OFFSET 0)}. A decorrelated scalar subquery is a GROUP BY of the correlation keys;
 * joined as a plain subquery, its current state would be grouped over the whole input by every
 * delta term that reads it, because PostgreSQL does not push a join condition into a grouped
 * subquery. Read per row, the correlation — equalities on grouping columns — is pushed down to
 * the grouped input, so each row costs an index probe.
 *
 * <p>It may only be the right input of a join whose left input provides the correlation's other
 * aliases; the join's condition is the correlation too, which the delta terms that join the
 * lookup's delta still need.
 *
 * @param subquery the subquery, its columns named as the correlation names them
 * @param correlation equalities between grouping columns of the subquery and the left input's expressions
 * @param indexed whether indexes of the subquery's input serve the correlation, so that a row's
 *     lookup probes them instead of reading the input whole
 */
public record Lookup(Derived subquery, Condition correlation, boolean indexed) implements FromPlan {

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
        if (Clock.reads(correlation.sql())) {
            throw Clock.notMaintained(correlation.sql());
        }
        return subquery.delta(context);
    }

    /**
     * Limits the subquery's delta to the groups that rows of {@code left} correlate with — as
     * they are now, or as its delta has them (which covers the rows it had before): no other
     * group's change reaches the join. Without it, a change to a group no outer row asks for
     * would still be recomputed, e.g. every part whose lineitems changed, when the outer query
     * wants one brand.
     */
    void restrictDelta(DeltaContext context, FromPlan left) {
        if (!(subquery.query() instanceof Aggregate aggregate)) {
            return;
        }
        context.restrictGroups(aggregate, touched -> {
            List<String> items = new ArrayList<>();
            for (int i = 0; i < aggregate.outputs().size(); i++) {
                String expression = aggregate.outputs().get(i).expression();
                for (int k = 1; k <= touched.size(); k++) {
                    if (expression.equals(Aggregate.keyPlaceholder(k))) {
                        items.add(touched.get(k - 1) + " AS " + Sql.ident(subquery.columns().get(i)));
                    }
                }
            }
            String keys = "LATERAL (SELECT " + String.join(", ", items) + ") AS " + Sql.ident(subquery.alias());
            Fragment now = left.existing(context);
            DeltaContext.Exposure changed = context.expose(left);
            // OFFSET 0 keeps the EXISTS a subplan run per touched key, probing the left input's
            // indexes, instead of a semi join the planner may answer by hashing all of it.
            String perKey = left.probedBy(Set.of(subquery.alias()), List.of(correlation)) ? " OFFSET 0" : "";
            return "(EXISTS (SELECT 1 FROM " + now.from() + ", " + keys + " WHERE "
                    + Sql.and(Sql.concat(now.where(), List.of(correlation.sql()))) + perKey + ") OR EXISTS (SELECT 1 FROM "
                    + changed.from() + ", " + keys + " WHERE " + correlation.sql() + "))";
        });
    }

    /** Per row of the left input once that row is known, where the subquery's input is indexed for it. */
    @Override
    public boolean probedBy(Set<String> known, List<Condition> conditions) {
        Set<String> outer = new HashSet<>(correlation.aliases());
        outer.remove(subquery.alias());
        return indexed && known.containsAll(outer);
    }

    @Override
    public String describe() {
        return "Lookup per row WHERE " + correlation.sql() + (indexed ? " (through an index)" : "");
    }

    @Override
    public String deltaRule() {
        return "delta: the subquery's delta; its current state is read per row of the left input";
    }
}
