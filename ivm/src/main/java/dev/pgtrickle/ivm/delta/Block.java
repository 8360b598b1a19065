package dev.pgtrickle.ivm.delta;

import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.ArrayList;
import java.util.List;

/**
 * The FROM and WHERE of one query block: aliased inputs ({@link Scan} or {@link Derived}) and
 * the predicates over them (ON conditions and WHERE alike: all joins are inner joins).
 */
public record Block(List<Plan> leaves, List<String> predicates) {

    public Block {
        leaves = List.copyOf(leaves);
        predicates = List.copyOf(predicates);
    }

    public static Block of(Plan plan) throws UnsupportedQueryException {
        if (plan instanceof Scan || plan instanceof Derived) {
            return new Block(List.of(plan), List.of());
        }
        if (plan instanceof Join join) {
            return new Block(join.inputs(), join.conditions());
        }
        if (plan instanceof Filter filter) {
            Block inner = of(filter.input());
            List<String> predicates = new ArrayList<>(inner.predicates());
            predicates.add(filter.predicate());
            return new Block(inner.leaves(), predicates);
        }
        throw new UnsupportedQueryException(plan.getClass().getSimpleName(),
                "this operator cannot be the input of a query block here");
    }

    /** The same block with one more predicate. */
    public Block and(String predicate) {
        List<String> more = new ArrayList<>(predicates);
        more.add(predicate);
        return new Block(leaves, more);
    }

    public static String aliasOf(Plan leaf) {
        if (leaf instanceof Scan scan) {
            return scan.alias();
        }
        return ((Derived) leaf).alias();
    }
}
