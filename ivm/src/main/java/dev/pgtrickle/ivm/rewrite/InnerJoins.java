package dev.pgtrickle.ivm.rewrite;

import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.JoinKind;
import dev.pgtrickle.ivm.plan.LateralFunction;
import dev.pgtrickle.ivm.plan.LateralSubquery;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Places the conditions of a FROM clause. A chain of inner joins (JOIN ... ON, commas, CROSS
 * JOIN) is flattened into its inputs and conditions — ON and WHERE alike, since for inner joins
 * they mean the same — and rebuilt left-deep: each next input is one that some condition
 * connects with the inputs before it, each condition sits at the lowest join that sees all its
 * aliases, and a condition on one input filters that input. So no join of the rebuilt chain is a
 * cross product that a condition further up would have cut down, and each join's delta terms
 * probe the other input with the condition that connects them. The inputs of outer joins are
 * rebuilt on their own; outer joins keep their conditions where they are.
 */
public final class InnerJoins {

    private InnerJoins() {
    }

    /**
     * @param from a FROM clause as written, joins binary
     * @param where the WHERE conjuncts that hold over it
     */
    public static FromPlan place(FromPlan from, List<Condition> where) {
        List<FromPlan> inputs = new ArrayList<>();
        List<Condition> conditions = new ArrayList<>(where);
        flatten(from, inputs, conditions);
        return rebuild(inputs, conditions);
    }

    private static void flatten(FromPlan plan, List<FromPlan> inputs, List<Condition> conditions) {
        if (plan instanceof Join join && join.kind() == JoinKind.INNER) {
            flatten(join.left(), inputs, conditions);
            flatten(join.right(), inputs, conditions);
            conditions.add(join.condition());
        } else if (plan instanceof Filter filter) {
            flatten(filter.input(), inputs, conditions);
            conditions.add(filter.condition());
        } else if (plan instanceof Join join) {
            inputs.add(new Join(join.kind(), place(join.left(), List.of()), place(join.right(), List.of()),
                    join.condition()));
        } else if (plan instanceof LateralFunction lateral) {
            // The joins before a set-returning function or a LATERAL subquery are a chain of their own.
            inputs.add(new LateralFunction(place(lateral.input(), List.of()), lateral.function(), lateral.on()));
        } else if (plan instanceof LateralSubquery lateral) {
            inputs.add(lateral.withLeft(place(lateral.left(), List.of())));
        } else {
            inputs.add(plan);
        }
    }

    private static FromPlan rebuild(List<FromPlan> inputs, List<Condition> conditions) {
        List<Condition> open = new ArrayList<>(conditions.stream().filter(c -> !c.isTrue()).toList());
        List<FromPlan> remaining = new ArrayList<>();
        for (FromPlan input : inputs) {
            List<Condition> own = open.stream()
                    .filter(c -> !c.aliases().isEmpty() && input.aliases().containsAll(c.aliases())).toList();
            open.removeAll(own);
            remaining.add(own.isEmpty() ? input : new Filter(input, Condition.all(own)));
        }
        FromPlan tree = remaining.remove(0);
        while (!remaining.isEmpty()) {
            FromPlan next = remaining.remove(connected(tree, remaining, open));
            Set<String> seen = new HashSet<>(tree.aliases());
            seen.addAll(next.aliases());
            List<Condition> here = open.stream().filter(c -> seen.containsAll(c.aliases())).toList();
            open.removeAll(here);
            tree = new Join(JoinKind.INNER, tree, next, Condition.all(here));
        }
        return open.isEmpty() ? tree : new Filter(tree, Condition.all(open));
    }

    /** The first of {@code candidates} that a condition connects with {@code tree}, else the first. */
    private static int connected(FromPlan tree, List<FromPlan> candidates, List<Condition> conditions) {
        for (int i = 0; i < candidates.size(); i++) {
            Set<String> seen = new HashSet<>(tree.aliases());
            Set<String> added = candidates.get(i).aliases();
            seen.addAll(added);
            for (Condition condition : conditions) {
                if (seen.containsAll(condition.aliases()) && condition.aliases().stream().anyMatch(added::contains)
                        && condition.aliases().stream().anyMatch(tree.aliases()::contains)) {
                    return i;
                }
            }
        }
        return 0;
    }
}
