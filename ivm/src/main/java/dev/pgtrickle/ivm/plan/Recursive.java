package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code WITH RECURSIVE name (columns) AS (base UNION ALL step)}: the base's rows, and the step
 * applied to the rows found so far until it finds none. The step reads the query's rows through
 * one {@link RecursiveRef} (PostgreSQL allows no more) and is linear in them: each of its rows
 * comes from one row of the reference, joined with other inputs and filtered. So the result's
 * changes follow from the counting rule (docs/architecture.md, "Recursive queries"): with R the
 * result before the changes and T the other inputs,
 * <pre>ΔR = Δbase + (step(R, T after) − step(R, T before)) + step(ΔR, T after)</pre>
 * — the changes the base makes, the changes the other inputs make to the step over the old
 * result, and every change of the result carried down the recursion over the inputs as they are
 * now, weights and all (a deleted row removes the rows derived from it, an inserted one adds
 * them). The last term makes ΔR a recursive query of its own, which ends where the query's own
 * evaluation would. Exact as multisets, as UNION ALL is.
 *
 * @param name the query's name
 * @param columns its column names
 * @param base the non-recursive term
 * @param step the recursive term
 * @param old the result before the changes, as a FROM item under the column names; empty where
 *     the plan does not keep it, and then it has no delta
 */
public record Recursive(String name, List<String> columns, QueryPlan base, Project step, Optional<String> old)
        implements QueryPlan {

    /** Steps after which changes still carried down the recursion stop the refresh (it then runs FULL). */
    public static final int MAX_STEPS = 10_000;
    private static final String STEPS = "__pgt_steps";

    public Recursive {
        columns = List.copyOf(columns);
    }

    /** The same query, whose result before the changes is {@code rows}. */
    public Recursive reading(String rows) {
        return new Recursive(name, columns, base, step, Optional.of(rows));
    }

    /**
     * A recursive query as the whole defining query, reading its old result from the storage
     * table.
     *
     * @param plan the defining query's plan, its recursion reading the stored rows
     * @param indexes the storage columns to index, one list per index: those the step joins the
     *     old result on, which its delta probes per changed row
     */
    public record Stored(QueryPlan plan, List<List<String>> indexes) {

        public Stored {
            indexes = indexes.stream().map(List::copyOf).toList();
        }
    }

    /**
     * {@code top} reading its old result from the storage table {@code storage}, where it is a
     * recursive query as a whole — {@code SELECT} of each of its columns once, unchanged — so
     * that the stored rows are that result; empty otherwise.
     */
    public static Optional<Stored> readingStored(QueryPlan top, String storage) {
        if (!(top instanceof Project project) || !(project.input() instanceof Derived derived)
                || !(derived.query() instanceof Recursive recursive)
                || project.outputs().size() != derived.columns().size()) {
            return Optional.empty();
        }
        List<String> stored = new ArrayList<>();
        for (String column : derived.columns()) {
            List<OutputColumn> holders = project.outputs().stream()
                    .filter(o -> ColumnText.isReference(o.expression(), derived.alias(), column)).toList();
            if (holders.size() != 1) {
                return Optional.empty();
            }
            stored.add(holders.get(0).name());
        }
        List<String> items = new ArrayList<>();
        for (int k = 0; k < stored.size(); k++) {
            items.add(Sql.ident(stored.get(k)) + " AS " + Sql.ident(recursive.columns().get(k)));
        }
        String rows = "(SELECT " + String.join(", ", items) + " FROM " + storage + ")";
        List<List<String>> indexes = new ArrayList<>();
        for (List<Integer> probed : recursive.probed()) {
            indexes.add(probed.stream().map(stored::get).toList());
        }
        return Optional.of(new Stored(new Project(new Derived(recursive.reading(rows), derived.alias(),
                derived.columns()), project.outputs()), indexes));
    }

    /**
     * Per join or filter condition of the step that equates columns of the query with another
     * input's, those columns' positions: the step's delta over the old result reads it by them.
     */
    private List<List<Integer>> probed() {
        RecursiveRef ref = self();
        List<Condition> conditions = new ArrayList<>();
        conditions(step.input(), conditions);
        List<List<Integer>> probed = new ArrayList<>();
        for (Condition condition : conditions) {
            List<Integer> positions = condition.equalities().stream()
                    .filter(e -> e.alias().equals(ref.alias()) && !e.others().isEmpty())
                    .map(e -> ref.columns().indexOf(e.column())).distinct().sorted().toList();
            if (!positions.isEmpty() && !probed.contains(positions)) {
                probed.add(positions);
            }
        }
        return probed;
    }

    private static void conditions(Plan plan, List<Condition> conditions) {
        if (plan instanceof Join join) {
            conditions.add(join.condition());
        } else if (plan instanceof Filter filter) {
            conditions.add(filter.condition());
        }
        for (Plan input : plan.inputs()) {
            conditions(input, conditions);
        }
    }

    /** Whether {@code step} (a recursive term) reads its query. */
    public static boolean refersToItself(Plan step) {
        return self(step).isPresent();
    }

    /** The step's reference to the query. */
    public RecursiveRef self() {
        return self(step.input()).orElseThrow();
    }

    private static Optional<RecursiveRef> self(Plan plan) {
        if (plan instanceof RecursiveRef ref) {
            return Optional.of(ref);
        }
        for (Plan input : plan.inputs()) {
            Optional<RecursiveRef> found = self(input);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    @Override
    public List<String> columns() {
        return columns;
    }

    @Override
    public List<Plan> inputs() {
        return List.of(base, step);
    }

    @Override
    public String current(DeltaContext context) throws UnsupportedQueryException {
        String names = Sql.columns("", columns);
        return "WITH RECURSIVE " + Sql.ident(name) + " (" + names + ") AS (" + base.current(context) + "\nUNION ALL\n"
                + step.current(context) + ") SELECT " + names + " FROM " + Sql.ident(name);
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        String before = old.orElseThrow(() -> new UnsupportedQueryException("WITH RECURSIVE " + name,
                "a recursive query is maintained only as the whole defining query yet: SELECT its columns FROM it"));
        String baseChanges = context.delta(base);
        // The changes of the other inputs, the reference reading the old result, which has none.
        List<String> none = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            none.add("__pgt_o." + Sql.ident(columns.get(i)) + " AS " + DeltaContext.column(i + 1));
        }
        none.add("0::bigint AS " + DeltaContext.WEIGHT);
        String direct = context.withRecursiveRows(name, new DeltaContext.RecursiveRows(before,
                "SELECT " + String.join(", ", none) + " FROM " + before + " AS __pgt_o WHERE false"),
                () -> context.delta(step));
        // The changes carried down: the step over the changes found so far, with their weights,
        // counting the steps. Changes that have not settled after MAX_STEPS steps (a change made a
        // cycle that the query's rows do not reach, around which a removed row and its re-added
        // copy would chase each other forever) stop the refresh, which then runs FULL.
        String changes = context.freshName("__pgt_rec");
        String alias = Sql.ident(self().alias());
        List<String> items = new ArrayList<>(Project.items(step.outputs()));
        items.add(alias + "." + DeltaContext.WEIGHT);
        items.add(alias + "." + STEPS + " + 1");
        String carried = context.withRecursiveRows(name, new DeltaContext.RecursiveRows(changes, null),
                () -> step.input().current(context).and(alias + "." + STEPS + " < " + MAX_STEPS).select(items));
        // Nested: PostgreSQL has no WITH RECURSIVE on a MERGE; a subquery may have one.
        String names = Sql.columns("", columns);
        return "WITH RECURSIVE " + changes + " (" + names + ", " + DeltaContext.WEIGHT + ", " + STEPS + ") AS ("
                + "SELECT *, 0 FROM " + baseChanges + "\nUNION ALL\nSELECT *, 0 FROM " + direct + "\nUNION ALL\n"
                + carried + ") SELECT " + names + ", CASE WHEN " + STEPS + " >= " + MAX_STEPS
                + " THEN pgtrickle._recursion_unsettled(" + MAX_STEPS + ") ELSE " + DeltaContext.WEIGHT + " END AS "
                + DeltaContext.WEIGHT + " FROM " + changes;
    }

    @Override
    public String describe() {
        return "Recursive " + name + " (" + String.join(", ", columns) + ")";
    }

    @Override
    public String deltaRule() {
        return "the base's changes, the step's changes over the old result, and every change carried down the"
                + " recursion over the inputs as they are now";
    }
}
