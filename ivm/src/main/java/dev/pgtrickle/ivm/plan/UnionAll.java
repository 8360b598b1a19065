package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** UNION ALL of two or more branches with the same number of columns; names come from the first. */
public record UnionAll(List<QueryPlan> branches) implements QueryPlan {

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
    public List<QueryPlan> inputs() {
        return branches;
    }

    @Override
    public String current(DeltaContext context) throws UnsupportedQueryException {
        List<String> queries = new ArrayList<>();
        for (QueryPlan branch : branches) {
            queries.add(branch.current(context));
        }
        return union(queries);
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        List<String> queries = new ArrayList<>();
        // Through the context: a branch's delta is registered once (a kept grouping's maintenance
        // with it), however many terms read it.
        for (QueryPlan branch : branches) {
            queries.add("SELECT * FROM " + context.delta(branch));
        }
        return union(queries);
    }

    @Override
    public String describe() {
        return "Union all of " + branches.size() + " branches";
    }

    @Override
    public String deltaRule() {
        return "linear: the delta is the union of the branches' deltas";
    }

    private static String union(List<String> queries) {
        return queries.stream().map(q -> "(" + q + ")").collect(Collectors.joining(" UNION ALL "));
    }
}
