package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

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
 * evaluation would. Exact as multisets, as UNION ALL is. A walk down a tree ({@link #tree})
 * takes a rule of its own that derives the affected nodes again ({@link #treeDelta}).
 *
 * @param name the query's name
 * @param columns its column names
 * @param base the non-recursive term
 * @param step the recursive term
 * @param old the result before the changes, as a FROM item under the column names; empty where
 *     the plan does not keep it, and then it has no delta
 * @param distinct UNION rather than UNION ALL: the result is a set, maintained by deleting and
 *     deriving again ({@link #setDelta})
 */
public record Recursive(String name, List<String> columns, QueryPlan base, Project step, Optional<String> old,
                        boolean distinct) implements QueryPlan {

    /** Steps after which changes still carried down the recursion stop the refresh (it then runs FULL). */
    public static final int MAX_STEPS = 10_000;
    private static final String STEPS = "__pgt_steps";
    /** The column of {@link #treeReplacement} telling whether the node has a row now. */
    public static final String PRESENT = "__pgt_present";

    public Recursive {
        columns = List.copyOf(columns);
    }

    /** The same query, whose result before the changes is {@code rows}. */
    public Recursive reading(String rows) {
        return new Recursive(name, columns, base, step, Optional.of(rows), distinct);
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
     * A recursive query as the whole defining query, reading its stored result ({@link #readingStored}).
     *
     * @param query the recursion
     * @param walked the recursion's column under each output column of the query, in order
     */
    public record Whole(Recursive query, List<String> walked) {
    }

    /** {@code top} as a stored recursion as a whole, where it is one (the plan {@link #readingStored} made). */
    public static Optional<Whole> whole(QueryPlan top) {
        if (!(top instanceof Project project) || !(project.input() instanceof Derived derived)
                || !(derived.query() instanceof Recursive recursive) || recursive.old().isEmpty()) {
            return Optional.empty();
        }
        // readingStored took only a SELECT of each column once: every output is a reference.
        List<String> walked = new ArrayList<>();
        for (OutputColumn output : project.outputs()) {
            String column = derived.referencedColumn(output.expression()).orElseThrow();
            walked.add(recursive.columns().get(derived.columns().indexOf(column)));
        }
        return Optional.of(new Whole(recursive, walked));
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

    /**
     * The step's FROM items over a few rows of the reference (the changes carried down): where the
     * step joins the reference with an input that its condition enters through an index, that
     * input is read per row of the reference (a LATERAL subquery). PostgreSQL cannot tell how few
     * rows a recursive CTE has and would rather hash the whole input at every level.
     */
    private Fragment probedStep(DeltaContext context) throws UnsupportedQueryException {
        return probedStep(context, null);
    }

    /** As {@link #probedStep(DeltaContext)}, each probe also held to {@code probe} where there is one (its index may serve it). */
    private Fragment probedStep(DeltaContext context, String probe) throws UnsupportedQueryException {
        List<String> above = new ArrayList<>();
        FromPlan input = step.input();
        while (input instanceof Filter filter) {
            above.add(filter.condition().sql());
            input = filter.input();
        }
        RecursiveRef ref = self();
        if (input instanceof Join join && join.kind() == JoinKind.INNER) {
            boolean refLeft = withoutFilters(join.left()) == ref;
            FromPlan refSide = refLeft ? join.left() : join.right();
            FromPlan other = refLeft ? join.right() : join.left();
            if (withoutFilters(refSide) == ref && other.probedBy(Set.of(ref.alias()), List.of(join.condition()))) {
                Fragment rows = refSide.current(context);
                String probedBy = probe == null ? join.condition().sql() : join.condition().sql() + " AND " + probe;
                Fragment probed = new Fragment(rows.from() + ", " + context.exposePerRow(other, probedBy).from(),
                        false, rows.where());
                for (String condition : above) {
                    probed = probed.and(condition);
                }
                return probed;
            }
        }
        Fragment joined = step.input().current(context);
        return probe == null ? joined : joined.and(probe);
    }

    /**
     * A walk down a tree: the rows of the table {@code child} scans whose {@code parent} column is
     * NULL, then, step by step, the rows whose {@code parent} equals the {@code key} of a row
     * found; {@code column} is the query's column holding that key.
     */
    public record Tree(Scan child, String parent, String key, String column) {

        public Source table() {
            return child.source();
        }

        /**
         * The recursive CTE {@code name (k)}: the keys {@code start} selects and the key of every
         * row below them in {@code table}, the tree's table as the caller reads it; {@code UNION}
         * ends it on cycles. Probed per row where the parent column is indexed, as the changes
         * carried down are ({@link #probedStep}): the planner cannot tell how few rows a recursive
         * CTE has and would read all of the table instead.
         */
        public String walk(String name, String start, String table) {
            String keyColumn = Sql.ident(key);
            String parentColumn = Sql.ident(parent);
            String children = table().indexed().contains(parent)
                    ? ", LATERAL (SELECT " + keyColumn + " FROM " + table + " AS __pgt_t WHERE __pgt_t." + parentColumn
                            + " = __pgt_w.k OFFSET 0) AS __pgt_n"
                    : " JOIN " + table + " AS __pgt_n ON __pgt_n." + parentColumn + " = __pgt_w.k";
            return name + " (k) AS (" + start + "\nUNION\nSELECT __pgt_n." + keyColumn + " FROM " + name + " AS __pgt_w"
                    + children + ")";
        }
    }

    /** The columns of the tree's table that the query reads, the base's and the step's. */
    private List<String> treeColumns(Tree tree) {
        FromPlan input = ((Project) base).input();
        while (input instanceof Filter filter) {
            input = filter.input();
        }
        List<String> read = new ArrayList<>(tree.child().columns());
        ((Scan) input).columns().stream().filter(c -> !read.contains(c)).forEach(read::add);
        return read;
    }

    /**
     * The column that identifies the rows of a walk down a tree, where there is one: the base
     * takes the rows of a table whose reference to their parent is NULL, the step joins the same
     * table on that reference being equal to the column, and both output the table's one-column
     * key there. A row has one parent, which by induction is reached at most once, and rows
     * without one are the base's only: every row of the table is reached at most once, so the
     * column is unique and never NULL (the department tree of the reference documentation).
     */
    public Optional<String> treeKey() {
        return tree().map(Tree::column);
    }

    /** The walk down a tree this query is, where it is one ({@link #treeKey}). */
    public Optional<Tree> tree() {
        RecursiveRef ref = self();
        if (!(withoutFilters(step.input()) instanceof Join join) || join.kind() != JoinKind.INNER
                || !(base instanceof Project start)) {
            return Optional.empty();
        }
        // Filters on either side only leave rows out.
        FromPlan left = withoutFilters(join.left());
        FromPlan right = withoutFilters(join.right());
        FromPlan other = left == ref ? right : left;
        if (!(other instanceof Scan child) || (left != ref && right != ref)) {
            return Optional.empty();
        }
        for (Condition.Key key : join.condition().equalities(Set.of(child.alias()), Set.of(ref.alias()))) {
            String parent = key.own().column();
            int position = key.other().column() == null ? -1 : ref.columns().indexOf(key.other().column());
            if (parent == null || position < 0 || !child.alias().equals(key.own().alias())) {
                continue;
            }
            for (List<String> unique : child.source().keys()) {
                if (unique.size() == 1
                        && ColumnText.isReference(step.outputs().get(position).expression(), child.alias(), unique.get(0))
                        && roots(start, child.source(), parent, unique.get(0), position)) {
                    return Optional.of(new Tree(child, parent, unique.get(0), columns.get(position)));
                }
            }
        }
        return Optional.empty();
    }

    /** Whether {@code start} outputs {@code key} of the rows of {@code table} whose {@code parent} is NULL, at {@code position}. */
    private static boolean roots(Project start, Source table, String parent, String key, int position) {
        List<Condition> conditions = new ArrayList<>();
        FromPlan input = start.input();
        while (input instanceof Filter filter) {
            conditions.add(filter.condition());
            input = filter.input();
        }
        if (!(input instanceof Scan scan) || scan.source().oid() != table.oid()
                || !ColumnText.isReference(start.outputs().get(position).expression(), scan.alias(), key)) {
            return false;
        }
        for (Condition condition : conditions) {
            for (Condition.Conjunct conjunct : condition.conjuncts()) {
                String sql = conjunct.sql().strip();
                while (sql.startsWith("(") && sql.endsWith(")")) {
                    sql = sql.substring(1, sql.length() - 1).strip();
                }
                if (sql.endsWith(" IS NULL") && ColumnText.isReference(sql.substring(0, sql.length() - 8).strip(),
                        scan.alias(), parent)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static FromPlan withoutFilters(FromPlan plan) {
        return plan instanceof Filter filter ? withoutFilters(filter.input()) : plan;
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
        return "WITH RECURSIVE " + Sql.ident(name) + " (" + names + ") AS (" + base.current(context)
                + (distinct ? "\nUNION\n" : "\nUNION ALL\n") + step.current(context) + ") SELECT " + names + " FROM "
                + Sql.ident(name);
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        String before = old.isPresent() ? old.get() : keptBefore(context);
        Optional<Tree> tree = tree();
        if (tree.isPresent()) {
            return treeDelta(context, tree.get(), before);
        }
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
        if (distinct) {
            return setDelta(context, before, baseChanges, direct);
        }
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
                () -> probedStep(context).and(alias + "." + STEPS + " < " + MAX_STEPS).select(items));
        // Nested: PostgreSQL has no WITH RECURSIVE on a MERGE; a subquery may have one.
        String names = Sql.columns("", columns);
        return "WITH RECURSIVE " + changes + " (" + names + ", " + DeltaContext.WEIGHT + ", " + STEPS + ") AS ("
                + "SELECT *, 0 FROM " + baseChanges + "\nUNION ALL\nSELECT *, 0 FROM " + direct + "\nUNION ALL\n"
                + carried + ") SELECT " + names + ", CASE WHEN " + STEPS + " >= " + MAX_STEPS
                + " THEN pgtrickle._recursion_unsettled(" + MAX_STEPS + ") ELSE " + DeltaContext.WEIGHT + " END AS "
                + DeltaContext.WEIGHT + " FROM " + changes;
    }

    /**
     * The delta of a walk down a tree: the nodes the changes affect — the changed rows, old and
     * new, and every row below them in the table as it is now — lose their old rows (the changed
     * ones' stored rows, and what the step derives from those through the unchanged nodes, whose
     * parents are as they were), and get the rows the walk gives them now: the roots among them,
     * the changed ones hanging from a node outside them (from that node's stored row, which
     * stays), and what the walk derives from those down the table.
     * Every node below a changed one is affected, and a node outside has its old row, so this is
     * the query's result (docs/architecture.md, "Recursive queries"). Unlike carrying the changes
     * down as weighted rows, nothing is derived from a node's old row that a change removes, so a
     * change that makes a cycle none of the roots reaches derives nothing around it: each part
     * ends, the walk of the affected nodes by {@code UNION}, the rest as the query's own walk does.
     */
    private String treeDelta(DeltaContext context, Tree tree, String before) throws UnsupportedQueryException {
        TreeRows walk = treeRows(context, tree, before);
        String gone = context.freshName("__pgt_tree_gone");
        String names = Sql.columns("", columns);
        String key = Sql.ident(tree.key());
        List<String> items = Project.items(step.outputs());
        // The old rows of the affected nodes: the changed ones' stored rows, and down from those
        // through the unchanged nodes, whose parents are as they were (derived like the stored
        // rows were, a probe of the table rather than of the stored result per row; a changed
        // node below is left to its own stored row). IN, not EXISTS: a hashed subplan built once,
        // where an anti join would scan the changed keys again for every node probed.
        String goneBelow = context.withRecursiveRows(name, new DeltaContext.RecursiveRows(gone, null),
                () -> probedStep(context).and("NOT COALESCE(" + Sql.ident(tree.child().alias()) + "." + key
                        + " IN (SELECT k FROM " + walk.changedKeys() + " WHERE k IS NOT NULL), false)").select(items));
        return "WITH RECURSIVE " + walk.ctes() + ",\n" + gone + " (" + names + ") AS (SELECT __pgt_o.* FROM "
                + walk.changedKeys() + " AS __pgt_c, " + storedRow(before, Sql.ident(tree.column()), "__pgt_c.k")
                + " AS __pgt_o\nUNION ALL\n" + goneBelow + ")\nSELECT " + Sql.columns("__pgt_g", columns) + ", -1::bigint AS "
                + DeltaContext.WEIGHT + " FROM " + gone + " AS __pgt_g\nUNION ALL\nSELECT " + Sql.columns("__pgt_r", columns)
                + ", 1::bigint FROM " + walk.rows() + " AS __pgt_r";
    }

    /**
     * Where the query is a walk down a tree whose result is stored as a whole: one row per node
     * the changes affect, with its row now — the query's columns and {@value #PRESENT} true —, or
     * its key alone and {@value #PRESENT} false where it has none any more. Those nodes' stored
     * rows are the ones that change, so the caller replaces them with these (reading each once,
     * as it applies the change) instead of netting their old rows, derived again, against the new
     * ones ({@link #treeDelta}).
     */
    public Optional<String> treeReplacement(DeltaContext context) throws UnsupportedQueryException {
        Optional<Tree> tree = tree();
        if (tree.isEmpty() || old.isEmpty()) {
            return Optional.empty();
        }
        TreeRows walk = treeRows(context, tree.get(), old.get());
        String walked = Sql.ident(tree.get().column());
        List<String> items = new ArrayList<>();
        for (String column : columns) {
            items.add((column.equals(tree.get().column()) ? "__pgt_a.k" : "__pgt_r." + Sql.ident(column)) + " AS "
                    + Sql.ident(column));
        }
        return Optional.of("WITH RECURSIVE " + walk.ctes() + "\nSELECT " + String.join(", ", items) + ", __pgt_r."
                + walked + " IS NOT NULL AS " + PRESENT + " FROM " + walk.affected() + " AS __pgt_a LEFT JOIN "
                + walk.rows() + " AS __pgt_r ON __pgt_r." + walked + " = __pgt_a.k");
    }

    /**
     * The CTEs both rules of a walk down a tree start with: the changed keys ({@code changedKeys},
     * column {@code k}), the nodes the changes affect — the changed rows, old and new, and every
     * row below them in the table as it is now — ({@code affected}, column {@code k}) and the rows
     * the walk gives those nodes now ({@code rows}): the roots among them, the changed ones hanging
     * from a node outside them (from that node's stored row, which stays), and what the walk
     * derives from those down the table.
     */
    private record TreeRows(String changedKeys, String affected, String rows, String ctes) {
    }

    private TreeRows treeRows(DeltaContext context, Tree tree, String before) throws UnsupportedQueryException {
        // The changes of every column the query reads: merged identical changes cancel only where none changed.
        List<String> read = treeColumns(tree);
        String changedKeys = context.freshName("__pgt_tree_changed");
        String affected = context.freshName("__pgt_tree_affected");
        String seeds = context.freshName("__pgt_tree_seeds");
        String rows = context.freshName("__pgt_tree_rows");
        String names = Sql.columns("", columns);
        String walked = Sql.ident(tree.column());
        String key = Sql.ident(tree.key());
        String parent = Sql.ident(tree.parent());
        String table = context.current(tree.table());
        String changed = changedKeys + " (k) AS (SELECT DISTINCT __pgt_x." + DeltaContext.column(read.indexOf(tree.key()) + 1)
                + " FROM (" + context.changes(tree.table(), read) + ") AS __pgt_x)";
        String walk = tree.walk(affected, "SELECT k FROM " + changedKeys, table);
        // A node below a changed one has its parent among the affected nodes: only changed nodes
        // may hang from a node outside them, whose stored row stays. Those parents' rows, with
        // the child each is read for.
        String stored = seeds + " (" + names + ", __pgt_child) AS (SELECT __pgt_p.*, __pgt_q.c FROM " + changedKeys
                + " AS __pgt_c, LATERAL (SELECT __pgt_t." + parent + " AS k, __pgt_t." + key + " AS c FROM " + table
                + " AS __pgt_t WHERE __pgt_t." + key + " = __pgt_c.k OFFSET 0) AS __pgt_q, "
                + storedRow(before, walked, "__pgt_q.k") + " AS __pgt_p"
                + " WHERE NOT EXISTS (SELECT FROM " + affected + " AS __pgt_a WHERE __pgt_a.k = __pgt_q.k))";
        List<String> items = Project.items(step.outputs());
        String fromParents = context.withRecursiveRows(name, new DeltaContext.RecursiveRows(seeds, null),
                () -> probedStep(context, Sql.ident(tree.child().alias()) + "." + key + " = "
                        + Sql.ident(self().alias()) + ".__pgt_child").select(items));
        String below = context.withRecursiveRows(name, new DeltaContext.RecursiveRows(rows, null),
                () -> probedStep(context).select(items));
        String newRows = rows + " (" + names + ") AS (SELECT __pgt_b.* FROM (" + base.current(context) + ") AS __pgt_b ("
                + names + ") WHERE __pgt_b." + walked + " IN (SELECT k FROM " + affected + ")\nUNION ALL\n" + fromParents
                + "\nUNION ALL\n" + below + ")";
        return new TreeRows(changedKeys, affected, rows, changed + ",\n" + walk + ",\n" + stored + ",\n" + newRows);
    }

    /** The stored row whose {@code walked} column is {@code value}, probed per row (the planner would read all of them). */
    private static String storedRow(String before, String walked, String value) {
        return "LATERAL (SELECT * FROM " + before + " AS __pgt_s WHERE __pgt_s." + walked + " = " + value + " OFFSET 0)";
    }

    /**
     * Where the query is part of a larger one, the plan keeps its result in a table
     * ({@link KeptRows}, indexed on the first column the step joins it on), which the delta reads
     * as the result before the changes and maintains with the delta.
     */
    private KeptRows keptCopy(String table) {
        List<List<Integer>> probed = probed();
        return new KeptRows(new Derived(this, "__pgt_recursive", columns), table,
                probed.isEmpty() ? 1 : probed.get(0).get(0) + 1);
    }

    /** The query filling the table that keeps the result. */
    public String keptFill(DeltaContext context) throws UnsupportedQueryException {
        return keptCopy("").fill(context);
    }

    /** The columns of the kept result to index besides its identity. */
    public List<String> keptIndexed() {
        return keptCopy("").indexed();
    }

    /** Registers the maintenance of the kept result: its delta added to it. */
    public void maintainKept(DeltaContext context) throws UnsupportedQueryException {
        keptCopy(keptTable(context)).maintain(context);
    }

    private String keptBefore(DeltaContext context) throws UnsupportedQueryException {
        return keptCopy(keptTable(context)).expanded();
    }

    private String keptTable(DeltaContext context) throws UnsupportedQueryException {
        DeltaContext.KeptTable table = context.keptTable(this);
        if (table == null) {
            throw new UnsupportedQueryException("WITH RECURSIVE " + name, "this recursive query's result before the"
                    + " changes is not kept");
        }
        return table.table();
    }

    /**
     * The delta of a recursive UNION: delete and derive again (docs/architecture.md, "Recursive
     * queries"). The rows of the old result that lost a derivation — those the base's or the
     * step's changes take away, and what the step derives from them within the old result — are
     * deleted for the time being; those still derivable from the rest (the base, or the step over
     * the rest and over the rows derived again) come back; then the rows the changes add that are
     * derivable from what remains, and what the step derives from them, are inserted. Rows are
     * compared by their binary content (as the stored rows are identified). Each part is a
     * recursive CTE whose UNION ends the recursion as the query's own does.
     */
    private String setDelta(DeltaContext context, String before, String baseChanges, String direct)
            throws UnsupportedQueryException {
        String names = Sql.columns("", columns);
        String old = context.freshName("__pgt_set_old");
        String oldHashes = context.freshName("__pgt_set_old_h");
        String changed = context.freshName("__pgt_set_changed");
        String deleted = context.freshName("__pgt_set_deleted");
        String deletedHashes = context.freshName("__pgt_set_deleted_h");
        String rest = context.freshName("__pgt_set_rest");
        String derived = context.freshName("__pgt_set_derived");
        String kept = context.freshName("__pgt_set_kept");
        String keptHashes = context.freshName("__pgt_set_kept_h");
        String inserted = context.freshName("__pgt_set_inserted");
        String deletedAlone = "SELECT DISTINCT " + Sql.columns("__pgt_c", columns) + " FROM " + changed + " AS __pgt_c WHERE __pgt_c."
                + DeltaContext.WEIGHT + " < 0 AND " + hash("__pgt_c") + " IN (SELECT h FROM " + oldHashes + ")";
        String insertedAlone = "SELECT DISTINCT " + Sql.columns("__pgt_c", columns) + " FROM " + changed + " AS __pgt_c WHERE __pgt_c."
                + DeltaContext.WEIGHT + " > 0 AND " + hash("__pgt_c") + " NOT IN (SELECT h FROM " + keptHashes + ") AND "
                + hash("__pgt_c") + " IN " + derivable(context, kept);
        List<String> ctes = List.of(
                old + " (" + names + ") AS MATERIALIZED (SELECT * FROM " + before + " AS __pgt_o)",
                oldHashes + " AS MATERIALIZED (SELECT " + hash("__pgt_o") + " AS h FROM " + old + " AS __pgt_o)",
                changed + " (" + names + ", " + DeltaContext.WEIGHT + ") AS (SELECT * FROM " + baseChanges
                        + " UNION ALL SELECT * FROM " + direct + ")",
                // Rows that lost a derivation, and what the step derives from them within the old result.
                deleted + " (" + names + ") AS (" + deletedAlone + "\nUNION\n"
                        + stepOver(context, deleted, stepHash() + " IN (SELECT h FROM " + oldHashes + ")") + ")",
                deletedHashes + " AS MATERIALIZED (SELECT " + hash("__pgt_d") + " AS h FROM " + deleted + " AS __pgt_d)",
                rest + " (" + names + ") AS (SELECT __pgt_o.* FROM " + old + " AS __pgt_o WHERE " + hash("__pgt_o")
                        + " NOT IN (SELECT h FROM " + deletedHashes + "))",
                // Of those, the ones derivable from the rest, and what the step derives from them.
                derived + " (" + names + ") AS (SELECT __pgt_d.* FROM " + deleted + " AS __pgt_d WHERE " + hash("__pgt_d")
                        + " IN " + derivable(context, rest) + "\nUNION\n"
                        + stepOver(context, derived, stepHash() + " IN (SELECT h FROM " + deletedHashes + ")") + ")",
                kept + " (" + names + ") AS (SELECT * FROM " + rest + " UNION ALL SELECT * FROM " + derived + ")",
                keptHashes + " AS MATERIALIZED (SELECT " + hash("__pgt_k") + " AS h FROM " + kept + " AS __pgt_k)",
                // Rows the changes add, derivable from what is kept, and what the step derives from them.
                inserted + " (" + names + ") AS (" + insertedAlone + "\nUNION\n"
                        + stepOver(context, inserted, stepHash() + " NOT IN (SELECT h FROM " + keptHashes + ")") + ")");
        return "WITH RECURSIVE " + String.join(",\n", ctes) + "\nSELECT __pgt_d.*, -1::bigint AS " + DeltaContext.WEIGHT
                + " FROM " + deleted + " AS __pgt_d WHERE " + hash("__pgt_d") + " NOT IN (SELECT " + hash("__pgt_r")
                + " FROM " + derived + " AS __pgt_r)\nUNION ALL SELECT __pgt_i.*, 1::bigint FROM " + inserted + " AS __pgt_i";
    }

    /** The content identities of the rows the base gives and the step gives over {@code rows} (a CTE). */
    private String derivable(DeltaContext context, String rows) throws UnsupportedQueryException {
        return "(SELECT " + hash("__pgt_b") + " FROM (" + base.current(context) + ") AS __pgt_b (" + Sql.columns("", columns)
                + ") UNION ALL SELECT " + stepHash() + " FROM " + stepFrom(context, rows) + ")";
    }

    /** The content identity of a row of the query under {@code alias}. */
    private String hash(String alias) {
        return RowIdentity.content(columns.stream().map(c -> alias + "." + Sql.ident(c)).toList());
    }

    /** The content identity of a row the step computes, over the step's FROM items. */
    private String stepHash() {
        return RowIdentity.content(step.outputs().stream().map(OutputColumn::expression).toList());
    }

    /**
     * The step over the rows of {@code rows} (a CTE), as one SELECT whose FROM has the reference
     * itself (PostgreSQL allows a recursive reference in no subquery), its rows passing
     * {@code condition} (over the step's FROM items).
     */
    private String stepOver(DeltaContext context, String rows, String condition) throws UnsupportedQueryException {
        return context.withRecursiveRows(name, new DeltaContext.RecursiveRows(rows, null),
                () -> step.input().current(context).and(condition).select(Project.items(step.outputs())));
    }

    /** The step's FROM items and conditions over the rows of {@code rows} (a CTE), for a SELECT of its own. */
    private String stepFrom(DeltaContext context, String rows) throws UnsupportedQueryException {
        return context.withRecursiveRows(name, new DeltaContext.RecursiveRows(rows, null), () -> {
            Fragment from = step.input().current(context);
            return from.from() + " WHERE " + Sql.and(from.where());
        });
    }

    @Override
    public String describe() {
        return "Recursive " + name + " (" + String.join(", ", columns) + ")";
    }

    @Override
    public String deltaRule() {
        if (tree().isPresent()) {
            return "a walk down a tree: the changed nodes and every node below them removed and walked down again"
                    + " from their parents' stored rows";
        }
        return "the base's changes, the step's changes over the old result, and every change carried down the"
                + " recursion over the inputs as they are now";
    }
}
