package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.TransitionTables;
import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.FunctionScan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.LateralSubquery;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

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

        /** The condition joining the two ends: every equality, hashable or not. */
        String condition() {
            return Sql.and(keys.stream().map(k -> "(" + k.own().sql() + " = " + k.other().sql() + ")").toList());
        }

        /** The stamp a row of {@code end} reached by the traversal takes on this edge, or NULL. */
        String stamp(Scan end) {
            List<String> values = new ArrayList<>();
            for (Condition.Key key : keys) {
                String ownType = key.own().column() == null ? null : a.source().hashTypes().get(key.own().column());
                String otherType = key.other().column() == null ? null
                        : b.source().hashTypes().get(key.other().column());
                if (ownType != null && ownType.equals(otherType)) {
                    values.add("(" + (end == a ? key.own() : key.other()).sql() + ")::" + ownType);
                }
            }
            if (values.isEmpty()) {
                return "(pg_catalog.hash_record_extended(ROW(0), " + number + ") & " + (BUCKETS - 1) + ")";
            }
            return "CASE WHEN " + Sql.and(values.stream().map(v -> v + " IS NOT NULL").toList())
                    + " THEN (pg_catalog.hash_record_extended(ROW(" + String.join(", ", values) + "), " + number
                    + ") & " + (BUCKETS - 1) + ") END";
        }
    }

    private final Map<String, Scan> scans;
    private final List<Edge> edges;

    private ImmediateFootprint(Map<String, Scan> scans, List<Edge> edges) {
        this.scans = scans;
        this.edges = edges;
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
        String serialization = tree.collect(top);
        if (serialization != null) {
            return new Analysis(null, serialization);
        }
        // Without joins, no key is followed: a set operation's values are stamped by GroupStamps,
        // and its sides may read one table under one alias. A join on a set operation's column is
        // followed into each side (Derived.columnsOf).
        boolean joins = !tree.joins.isEmpty() || !tree.laterals.isEmpty();
        if (joins && !tree.twice.isEmpty()) {
            return new Analysis(null, "the alias " + tree.twice.get(0)
                    + " names two tables or subqueries, whose join keys cannot be told apart");
        }
        List<Edge> edges = new ArrayList<>();
        for (Join join : tree.joins) {
            List<Condition.Key> keys = join.condition().equalities(join.left().aliases(), join.right().aliases());
            if (!tree.addEdges(keys, edges)) {
                return new Analysis(null, join.condition().isTrue()
                        ? "a cross join (" + String.join(", ", new TreeSet<>(join.left().aliases())) + " with "
                                + String.join(", ", new TreeSet<>(join.right().aliases())) + ") has no join condition to lock"
                        : "the join " + join.condition().sql() + " has no equality between columns of two tables to lock");
            }
        }
        for (LateralSubquery lateral : tree.laterals) {
            // Correlated by equalities (innerKeys = outerKeys): a join of its inner rows on them.
            List<Condition.Key> keys = new ArrayList<>();
            for (int i = 0; i < lateral.innerKeys().size(); i++) {
                Optional<Condition.Operand> inner = column(lateral.innerKeys().get(i), lateral.inner());
                Optional<Condition.Operand> outer = column(lateral.outerKeys().get(i), lateral.left());
                if (inner.isPresent() && outer.isPresent()) {
                    keys.add(new Condition.Key(outer.get(), inner.get()));
                }
            }
            if (!tree.addEdges(keys, edges)) {
                return new Analysis(null, "the LATERAL subquery " + lateral.alias()
                        + " is correlated by no equality between columns of two tables to lock");
            }
        }
        return new Analysis(new ImmediateFootprint(tree.scans, edges), null);
    }

    /** {@code expression} as a column of a table that {@code within} reads directly, if it is one. */
    private static Optional<Condition.Operand> column(String expression, Plan within) {
        if (within instanceof Scan scan) {
            return scan.referencedColumn(expression).map(column -> Condition.Operand.column(
                    Sql.ident(scan.alias()) + "." + Sql.ident(column), scan.alias(), column));
        }
        if (within instanceof Derived) {
            return Optional.empty();  // another scope
        }
        if (within instanceof LateralSubquery earlier) {
            return column(expression, earlier.left());  // its own rows are no table's
        }
        for (Plan input : within.inputs()) {
            Optional<Condition.Operand> found = column(expression, input);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /** What a plan's footprint is built from, collected in one walk. */
    private static final class Tree {
        final Map<String, Scan> scans = new LinkedHashMap<>();
        final Map<String, Derived> subqueries = new LinkedHashMap<>();
        final List<Join> joins = new ArrayList<>();
        final List<LateralSubquery> laterals = new ArrayList<>();
        /** Aliases bound twice. */
        final List<String> twice = new ArrayList<>();

        /**
         * Collects what {@code plan} holds; where changes meet in what has no join keys, why. A
         * scalar subquery (Lookup) is the right input of a join on its correlation: an equality on
         * its grouping column is followed into the grouped table like a subquery's in FROM. A
         * set-returning function's rows follow from its input's row (LateralFunction): writers meet
         * where they meet in that row; a join on the function's columns alone has no pair of scans
         * to stamp, and every join needs one. A LATERAL subquery is a join on its correlation.
         */
        String collect(Plan plan) {
            if (plan instanceof FunctionScan) {
                return "changes meet in " + plan.describe() + ", which has no join keys to lock";
            }
            if ((plan instanceof Scan scan && (scans.put(scan.alias(), scan) != null || subqueries.containsKey(scan.alias())))
                    || (plan instanceof Derived derived && (subqueries.put(derived.alias(), derived) != null
                            || scans.containsKey(derived.alias())))) {
                twice.add(((FromPlan) plan).aliases().iterator().next());
            }
            if (plan instanceof Join join) {
                joins.add(join);
            }
            if (plan instanceof LateralSubquery lateral) {
                laterals.add(lateral);
            }
            for (Plan input : plan.inputs()) {
                String serialization = collect(input);
                if (serialization != null) {
                    return serialization;
                }
            }
            return null;
        }

        /** Adds an edge per pair of scans that {@code keys} connect; false when they connect none. */
        boolean addEdges(List<Condition.Key> keys, List<Edge> edges) {
            Map<List<Scan>, List<Condition.Key>> pairs = new LinkedHashMap<>();
            for (Condition.Key key : keys) {
                for (Condition.Operand own : throughSubqueries(key.own())) {
                    for (Condition.Operand other : throughSubqueries(key.other())) {
                        Scan ownScan = own.aliases().size() == 1 ? scans.get(own.aliases().iterator().next()) : null;
                        Scan otherScan = other.aliases().size() == 1 ? scans.get(other.aliases().iterator().next()) : null;
                        if (ownScan != null && otherScan != null) {
                            pairs.computeIfAbsent(List.of(ownScan, otherScan), p -> new ArrayList<>())
                                    .add(new Condition.Key(own, other));
                        }
                    }
                }
            }
            for (Map.Entry<List<Scan>, List<Condition.Key>> pair : pairs.entrySet()) {
                edges.add(new Edge(edges.size() + 1, pair.getKey().get(0), pair.getKey().get(1), pair.getValue()));
            }
            return !pairs.isEmpty();
        }

        /**
         * A column of a subquery in FROM (an {@code IN} or {@code EXISTS} subquery becomes one) as
         * the columns of the tables inside that it projects (one per side of a set operation);
         * any other operand as it is.
         */
        private List<Condition.Operand> throughSubqueries(Condition.Operand operand) {
            if (operand.column() == null || scans.containsKey(operand.alias()) || !subqueries.containsKey(operand.alias())) {
                return List.of(operand);
            }
            List<Derived.ColumnReference> inner = subqueries.get(operand.alias()).columnsOf(operand.column());
            if (inner.isEmpty()) {
                return List.of(operand);
            }
            List<Condition.Operand> columns = new ArrayList<>();
            for (Derived.ColumnReference reference : inner) {
                columns.addAll(throughSubqueries(Condition.Operand.column(
                        Sql.ident(reference.alias()) + "." + Sql.ident(reference.column()), reference.alias(), reference.column())));
            }
            return columns;
        }
    }

    /**
     * A query of the stamps (bigint) of the changes a statement of {@code event} made to the table
     * {@code changed}: one traversal from each scan of it that joins; {@code null} when none does
     * (a branch of a UNION ALL: writers meet only in rows of the result, whose locks they take).
     */
    String stamps(long changed, TransitionTables.Event event) {
        List<String> traversals = new ArrayList<>();
        for (Scan start : scans.values()) {
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
        StringBuilder from = new StringBuilder("(" + TransitionTables.rows(event) + ") AS " + Sql.ident(start.alias()));
        Set<Scan> reached = new LinkedHashSet<>(List.of(start));
        Deque<Scan> pending = new ArrayDeque<>(List.of(start));
        while (!pending.isEmpty()) {
            Scan at = pending.poll();
            for (Edge edge : edges) {
                if (edge.a() != at && edge.b() != at) {
                    continue;
                }
                Scan next = edge.other(at);
                if (reached.add(next)) {
                    pending.add(next);
                    from.append("\n  LEFT JOIN ").append(Sql.qualified(next.source().schema(), next.source().name()))
                            .append(" AS ").append(Sql.ident(next.alias())).append(" ON ").append(edge.condition());
                }
            }
        }
        List<String> stamps = new ArrayList<>();
        for (Scan scan : reached) {
            for (Edge edge : edges) {
                if (edge.a() == scan || edge.b() == scan) {
                    stamps.add("(" + edge.stamp(scan) + ")");
                }
            }
        }
        return "SELECT __pgt_k.stamp FROM " + from + "\n  CROSS JOIN LATERAL (VALUES " + String.join(", ", stamps)
                + ") AS __pgt_k(stamp) WHERE __pgt_k.stamp IS NOT NULL";
    }
}
