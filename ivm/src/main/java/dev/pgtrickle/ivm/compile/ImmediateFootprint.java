package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.TransitionTables;
import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.LateralSubquery;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The join keys a statement's changes reach in a query that joins tables, maintained in
 * IMMEDIATE mode: what the trigger locks (as stamps, numbers of {@value #BUCKETS} buckets per
 * stream table) before it computes the changes' effect, so that a concurrent writer whose changes
 * meet these ones in the join waits for this transaction, and at READ COMMITTED then sees them.
 *
 * <p>Each equality between columns of two tables in a join condition is an edge between them. From
 * the changed rows, the query follows the edges through the other tables as they are now (LEFT
 * JOINs, so that a key looked for and not found counts too), and every row it reaches stamps the
 * keys of all its edges. Two writers whose changes meet in a row of the result both reach the key
 * of the edge at which the first row the other changed joins: so they share a stamp (see
 * docs/architecture.md, "IMMEDIATE mode"). Filters are not applied: reaching more rows only stamps
 * more. A NULL key equals nothing and stamps nothing; an equality of values that cannot be hashed
 * alike stamps one bucket per edge, which serializes the writers of that edge.
 */
final class ImmediateFootprint {

    /** Stamps per stream table: equal keys always share one, different ones rarely. */
    static final int BUCKETS = 65536;

    /** Equalities between columns of two scans, as the join conditions write them. */
    private record Edge(int number, Scan a, Scan b, List<Condition.Key> keys) {

        Scan other(Scan end) {
            return end == a ? b : a;
        }
    }

    /** A join key's operand with the scan whose columns it reads. */
    private record End(Scan scan, Condition.Operand operand) {
    }

    /**
     * The name each scan is bound to in the traversals: its alias, unless another scan has it too
     * (sibling subqueries may use one alias: {@code EXISTS (SELECT … FROM o x …) AND NOT EXISTS
     * (SELECT … FROM o x …)}), then a name of its own.
     */
    private final Map<Scan, String> names = new IdentityHashMap<>();
    private final List<Scan> scans;
    private final List<Edge> edges;

    private ImmediateFootprint(List<Scan> scans, List<Edge> edges) {
        this.scans = scans;
        this.edges = edges;
        Map<String, Long> uses = scans.stream().collect(Collectors.groupingBy(Scan::alias, Collectors.counting()));
        for (int i = 0; i < scans.size(); i++) {
            Scan scan = scans.get(i);
            names.put(scan, uses.get(scan.alias()) == 1 ? scan.alias() : "__pgt_scan" + (i + 1));
        }
    }

    private boolean renamed(Scan scan) {
        return !names.get(scan).equals(scan.alias());
    }

    /** An operand of {@code scan} as the traversal names it (a column of a renamed scan under its name). */
    private String sql(Condition.Operand operand, Scan scan) {
        return renamed(scan) ? Sql.ident(names.get(scan)) + "." + Sql.ident(operand.column()) : operand.sql();
    }

    /** The condition joining an edge's two ends: every equality, hashable or not. */
    private String condition(Edge edge) {
        return Sql.and(edge.keys().stream().map(k -> "(" + sql(k.own(), edge.a()) + " = " + sql(k.other(), edge.b()) + ")")
                .toList());
    }

    /** The stamp a row of {@code end} reached by the traversal takes on {@code edge}, or NULL. */
    private String stamp(Edge edge, Scan end) {
        List<String> values = new ArrayList<>();
        for (Condition.Key key : edge.keys()) {
            String ownType = key.own().column() == null ? null : edge.a().source().hashTypes().get(key.own().column());
            String otherType = key.other().column() == null ? null
                    : edge.b().source().hashTypes().get(key.other().column());
            if (ownType != null && ownType.equals(otherType)) {
                values.add("(" + (end == edge.a() ? sql(key.own(), edge.a()) : sql(key.other(), edge.b())) + ")::" + ownType);
            }
        }
        if (values.isEmpty()) {
            return "(pg_catalog.hash_record_extended(ROW(0), " + edge.number() + ") & " + (BUCKETS - 1) + ")";
        }
        return "CASE WHEN " + Sql.and(values.stream().map(v -> v + " IS NOT NULL").toList())
                + " THEN (pg_catalog.hash_record_extended(ROW(" + String.join(", ", values) + "), " + edge.number()
                + ") & " + (BUCKETS - 1) + ") END";
    }

    /**
     * The footprint of a query joining tables, or why no join key locks where its writers' changes
     * meet (then they all wait for one another: {@link #WHOLE}).
     */
    record Analysis(ImmediateFootprint footprint, String serialization) {
    }

    /**
     * The one stamp every writer of a stream table takes when its changes cannot be told apart by
     * keys (a bucket no hash gives, nor the epoch's -1): the writers of its sources then take
     * turns, each seeing what the previous ones committed, as a single writer would. The
     * catalog's recomputation takes it too (R__45_immediate.sql).
     */
    static final long WHOLE_STAMP = -2;

    /** The query of {@link #WHOLE_STAMP}. */
    static final String WHOLE = "SELECT (" + WHOLE_STAMP + ")::bigint AS stamp";

    static Analysis of(Plan top) {
        Tree tree = new Tree();
        tree.collect(top);
        // Without joins, no key is followed: a set operation's values are stamped by GroupStamps.
        // A join on a set operation's column is followed into each side (Derived.columnsOf).
        List<Edge> edges = new ArrayList<>();
        for (Join join : tree.joins) {
            if (!readsTable(join.left()) || !readsTable(join.right())) {
                continue;  // a side of constant rows (a table function's): no writer changes it
            }
            List<Condition.Key> keys = join.condition().equalities(join.left().aliases(), join.right().aliases());
            List<List<End>> ends = new ArrayList<>();
            for (Condition.Key key : keys) {
                ends.add(ends(key.own(), join.left()));
                ends.add(ends(key.other(), join.right()));
            }
            if (!addEdges(ends, edges)) {
                return new Analysis(null, join.condition().isTrue()
                        ? "a cross join (" + String.join(", ", new TreeSet<>(join.left().aliases())) + " with "
                                + String.join(", ", new TreeSet<>(join.right().aliases())) + ") has no join condition to lock"
                        : "the join " + join.condition().sql() + " has no equality between columns of two tables to lock");
            }
        }
        for (LateralSubquery lateral : tree.laterals) {
            // Correlated by equalities (innerKeys = outerKeys): a join of its inner rows on them.
            List<List<End>> ends = new ArrayList<>();
            for (int i = 0; i < lateral.innerKeys().size(); i++) {
                ends.add(column(lateral.outerKeys().get(i), lateral.left()).stream().toList());
                ends.add(column(lateral.innerKeys().get(i), lateral.inner()).stream().toList());
            }
            if (!addEdges(ends, edges)) {
                return new Analysis(null, "the LATERAL subquery " + lateral.alias()
                        + " is correlated by no equality between columns of two tables to lock");
            }
        }
        ImmediateFootprint footprint = new ImmediateFootprint(tree.scans, edges);
        for (Edge edge : edges) {
            for (Condition.Key key : edge.keys()) {
                Scan unnamed = key.own().column() == null && footprint.renamed(edge.a()) ? edge.a()
                        : key.other().column() == null && footprint.renamed(edge.b()) ? edge.b() : null;
                if (unnamed != null) {
                    return new Analysis(null, "the alias " + unnamed.alias() + " names two tables, and an expression"
                            + " over one of them is a join key");
                }
            }
        }
        return new Analysis(footprint, null);
    }

    /**
     * Adds an edge per pair of scans that the keys' ends connect ({@code ends} holds each key's own
     * ends, then its other ones); false when they connect none.
     */
    private static boolean addEdges(List<List<End>> ends, List<Edge> edges) {
        // Scans by identity: two scans of one table under one alias are equal records.
        List<Edge> pairs = new ArrayList<>();
        for (int i = 0; i < ends.size(); i += 2) {
            for (End own : ends.get(i)) {
                for (End other : ends.get(i + 1)) {
                    Edge pair = pairs.stream().filter(e -> e.a() == own.scan() && e.b() == other.scan()).findFirst()
                            .orElseGet(() -> {
                                Edge added = new Edge(edges.size() + pairs.size() + 1, own.scan(), other.scan(),
                                        new ArrayList<>());
                                pairs.add(added);
                                return added;
                            });
                    pair.keys().add(new Condition.Key(own.operand(), other.operand()));
                }
            }
        }
        edges.addAll(pairs);
        return !pairs.isEmpty();
    }

    /**
     * What a join key's operand over one alias reads, as columns of tables: the scan {@code side}
     * binds to the alias, or, for a subquery in FROM (an {@code IN} or {@code EXISTS} subquery
     * becomes one), the columns of the tables inside that its column projects (one per side of a
     * set operation). Empty for anything else (an expression over a subquery, a function's rows).
     */
    private static List<End> ends(Condition.Operand operand, FromPlan side) {
        if (operand.aliases().size() != 1) {
            return List.of();
        }
        Optional<FromPlan> bound = binding(side, operand.aliases().iterator().next());
        if (bound.isPresent() && bound.get() instanceof Scan scan) {
            return List.of(new End(scan, operand));
        }
        if (bound.isEmpty() || !(bound.get() instanceof Derived derived) || operand.column() == null) {
            return List.of();
        }
        List<End> ends = new ArrayList<>();
        for (Derived.ColumnReference reference : derived.columnsOf(operand.column())) {
            ends.addAll(ends(Condition.Operand.column(Sql.ident(reference.alias()) + "." + Sql.ident(reference.column()),
                    reference.alias(), reference.column()), reference.within()));
        }
        return ends;
    }

    /**
     * The table or subquery that {@code within} binds to {@code alias}: found through the inputs
     * whose aliases include it, so that a scan of a sibling subquery under the same alias is not.
     */
    private static Optional<FromPlan> binding(FromPlan within, String alias) {
        if (within instanceof Scan || within instanceof Derived) {
            return within.aliases().contains(alias) ? Optional.of(within) : Optional.empty();
        }
        for (Plan input : within.inputs()) {
            if (input instanceof FromPlan from && from.aliases().contains(alias)) {
                return binding(from, alias);
            }
        }
        return Optional.empty();
    }

    private static boolean readsTable(Plan plan) {
        return plan instanceof Scan || plan.inputs().stream().anyMatch(ImmediateFootprint::readsTable);
    }

    /** {@code expression} as a column of a table that {@code within} reads directly, if it is one. */
    private static Optional<End> column(String expression, Plan within) {
        if (within instanceof Scan scan) {
            return scan.referencedColumn(expression).map(column -> new End(scan, Condition.Operand.column(
                    Sql.ident(scan.alias()) + "." + Sql.ident(column), scan.alias(), column)));
        }
        if (within instanceof Derived) {
            return Optional.empty();  // another scope
        }
        if (within instanceof LateralSubquery earlier) {
            return column(expression, earlier.left());  // its own rows are no table's
        }
        for (Plan input : within.inputs()) {
            Optional<End> found = column(expression, input);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /** What a plan's footprint is built from, collected in one walk. */
    private static final class Tree {
        final List<Scan> scans = new ArrayList<>();
        final List<Join> joins = new ArrayList<>();
        final List<LateralSubquery> laterals = new ArrayList<>();

        /**
         * Collects the scans, joins and LATERAL subqueries {@code plan} holds. A table function in
         * FROM (FunctionScan) gives the same rows to every writer: a join with it alone needs no
         * key, a join through its columns has no pair of scans. A scalar subquery (Lookup) is the
         * right input of a join on its correlation: an equality on its grouping column is followed
         * into the grouped table like a subquery's in FROM. A set-returning function's rows follow
         * from its input's row (LateralFunction): writers meet where they meet in that row; a join
         * on the function's columns alone has no pair of scans to stamp, and every join needs one.
         * A LATERAL subquery is a join on its correlation.
         */
        void collect(Plan plan) {
            if (plan instanceof Scan scan) {
                scans.add(scan);
            }
            if (plan instanceof Join join) {
                joins.add(join);
            }
            if (plan instanceof LateralSubquery lateral) {
                laterals.add(lateral);
            }
            for (Plan input : plan.inputs()) {
                collect(input);
            }
        }
    }

    /**
     * A query of the stamps (bigint) of the changes a statement of {@code event} made to the table
     * {@code changed}: one traversal from each scan of it that joins; {@code null} when none does
     * (a branch of a UNION ALL: writers meet only in rows of the result, whose locks they take).
     */
    String stamps(long changed, TransitionTables.Event event) {
        List<String> traversals = new ArrayList<>();
        for (Scan start : scans) {
            if (start.source().oid() == changed && edges.stream().anyMatch(e -> e.a() == start || e.b() == start)) {
                traversals.add(traversal(start, event));
            }
        }
        return traversals.isEmpty() ? null : String.join("\nUNION\n", traversals);
    }

    /** Stamps of the storage rows {@code identities} (a query of {@code __pgt_row_id}s) names. */
    static String identityStamps(String identities) {
        return "SELECT (pg_catalog.hashtextextended(pg_catalog.encode(__pgt_i.k, 'hex'), 0) & " + (BUCKETS - 1)
                + ") AS stamp FROM (" + identities + ") AS __pgt_i(k)";
    }

    private String traversal(Scan start, TransitionTables.Event event) {
        StringBuilder from = new StringBuilder("(" + TransitionTables.rows(event) + ") AS " + Sql.ident(names.get(start)));
        Set<Scan> reached = Collections.newSetFromMap(new IdentityHashMap<>());  // equal records are two scans
        List<Scan> order = new ArrayList<>(List.of(start));
        reached.add(start);
        Deque<Scan> pending = new ArrayDeque<>(List.of(start));
        while (!pending.isEmpty()) {
            Scan at = pending.poll();
            for (Edge edge : edges) {
                if (edge.a() != at && edge.b() != at) {
                    continue;
                }
                Scan next = edge.other(at);
                if (reached.add(next)) {
                    order.add(next);
                    pending.add(next);
                    from.append("\n  LEFT JOIN ").append(Sql.qualified(next.source().schema(), next.source().name()))
                            .append(" AS ").append(Sql.ident(names.get(next))).append(" ON ").append(condition(edge));
                }
            }
        }
        List<String> stamps = new ArrayList<>();
        for (Scan scan : order) {
            for (Edge edge : edges) {
                if (edge.a() == scan || edge.b() == scan) {
                    stamps.add("(" + stamp(edge, scan) + ")");
                }
            }
        }
        return "SELECT __pgt_k.stamp FROM " + from + "\n  CROSS JOIN LATERAL (VALUES " + String.join(", ", stamps)
                + ") AS __pgt_k(stamp) WHERE __pgt_k.stamp IS NOT NULL";
    }
}
