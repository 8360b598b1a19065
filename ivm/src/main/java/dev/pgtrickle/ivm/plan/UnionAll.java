package dev.pgtrickle.ivm.plan;

import java.util.List;

/** UNION ALL of two or more branches with the same number of columns; names come from the first. */
public record UnionAll(List<Plan> branches) implements Plan {

    public UnionAll {
        branches = List.copyOf(branches);
        if (branches.size() < 2) {
            throw new IllegalArgumentException("UNION ALL needs two or more branches");
        }
    }

    @Override
    public List<String> columns() {
        return branches.get(0).columns();
    }

    @Override
    public List<Plan> inputs() {
        return branches;
    }
}
