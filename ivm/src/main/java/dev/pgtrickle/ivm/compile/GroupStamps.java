package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.TransitionTables;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.LateralSubquery;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Partitioned;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Recursive;
import dev.pgtrickle.ivm.plan.RecursiveRef;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.SetOperation;
import dev.pgtrickle.ivm.plan.TopK;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.plan.Window;
import dev.pgtrickle.ivm.sql.Sql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The groups inside a query that a statement's changes touch, as stamps (IMMEDIATE mode): two
 * writers of one group (of an aggregate, {@code DISTINCT}, {@code DISTINCT ON} or a window
 * partition inside the query, a value of {@code UNION}, {@code INTERSECT} or {@code EXCEPT},
 * which counts the value on both sides, or the key a LATERAL subquery is correlated on, whose
 * first rows per key it picks) each compute its old and new outputs without the other's rows, so
 * they must not run side by side; writers of different groups may. Each changed row, old or new,
 * stamps the group its key values name, per grouping over the changed table, so writers of one
 * group wait for each other and, at READ COMMITTED, the later one sees what the earlier committed
 * (at REPEATABLE READ the stamp is the trace that makes it 40001). Rows a filter below the grouping
 * drops stamp too: more stamps only make more writers wait. Where the query joins tables, the join
 * keys ({@link ImmediateFootprint}, which follows a join on a group key into the grouped table)
 * tell where changes meet outside the groups.
 *
 * <p>Only where every grouping below the top reads a table directly (through filters, and for
 * {@code DISTINCT} and each side of a set operation a projection), or a subquery whose columns its
 * keys name are columns of such a table (a grouping of a grouping), and its keys are columns whose
 * values hash as they compare (the source's {@code hashTypes}) or expressions over its columns of
 * such a type ({@link #HASHED_AS_COMPARED}, as the server infers it); for a set operation, the
 * same types on every side. Otherwise the writers take turns ({@link ImmediateFootprint#WHOLE}).
 * A set operation is stamped at the top too: its delta counts the touched values on its sides anew.
 */
final class GroupStamps {

    /** The types of expressions over a plan's rows, as PostgreSQL infers them. */
    @FunctionalInterface
    interface ExpressionTypes {
        List<String> over(FromPlan rows, List<String> expressions) throws UnsupportedQueryException, SQLException;
    }

    /**
     * The types of computed keys (as {@link TypeProbe} names them; arrays of them too) whose hash
     * function hashes equal values alike: numeric's 1.0 as 1.00, a float's -0 as 0, a string under
     * its own collation (a case-insensitive one hashes 'a' as 'A'). A computed key is hashed as the
     * type it has, the same for every writer, so it needs no cast, and a cast to text would lose
     * the collation.
     */
    private static final Set<String> HASHED_AS_COMPARED = Set.of("int2", "int4", "int8", "float4", "float8",
            "numeric", "bool", "date", "time", "timestamp", "timestamptz", "interval", "uuid", "bytea", "text",
            "varchar", "bpchar", "name", "oid", "jsonb");

    /**
     * One grouping's keys, as the transition rows of its table spell them under the scan's alias.
     * The sides of a set operation are groupings of one number: a value stamps alike on each.
     */
    private record Grouping(int number, Scan scan, List<String> keys, List<String> types) {

        String stamps(TransitionTables.Event event) {
            String row = keys.isEmpty() ? "0" : String.join(", ", keys);
            return "SELECT (pg_catalog.hash_record_extended(ROW(" + row + "), " + number + ") & "
                    + (ImmediateFootprint.BUCKETS - 1) + ") AS stamp FROM (" + TransitionTables.rows(event) + ") AS "
                    + Sql.ident(scan.alias());
        }
    }

    private final List<Grouping> groupings;
    /** The grouping operators, by identity. */
    private final Set<Plan> stamped;

    private GroupStamps(List<Grouping> groupings, List<Plan> stamped) {
        this.groupings = groupings;
        this.stamped = Collections.newSetFromMap(new IdentityHashMap<>());
        this.stamped.addAll(stamped);
    }

    /**
     * Whether each of {@code plans} is a grouping these stamps tell apart: a table of its groups
     * kept by the statements is then written by one writer per group at a time.
     */
    boolean stampsEach(Set<Plan> plans) {
        return stamped.containsAll(plans);
    }

    /**
     * The stamps of the groupings below {@code top}, if all of them can be told apart by key;
     * {@code types} tells the types of keys that are expressions.
     */
    static Optional<GroupStamps> of(QueryPlan top, ExpressionTypes types) throws UnsupportedQueryException, SQLException {
        List<Plan> groupings = new ArrayList<>();
        for (Plan input : top instanceof SetOperation ? List.<Plan>of(top) : top.inputs()) {
            if (!collect(input, groupings)) {
                return Optional.empty();
            }
        }
        if (groupings.isEmpty()) {
            return Optional.empty();
        }
        List<Grouping> keyed = new ArrayList<>();
        for (int number = 1; number <= groupings.size(); number++) {
            Optional<List<Grouping>> stamped = grouping(groupings.get(number - 1), number, types);
            if (stamped.isEmpty()) {
                return Optional.empty();
            }
            keyed.addAll(stamped.get());
        }
        return Optional.of(new GroupStamps(keyed, groupings));
    }

    /** The query of the stamps a statement's changes to the table {@code changed} take; {@code null} for none. */
    String stamps(long changed, TransitionTables.Event event) {
        List<String> stamps = groupings.stream().filter(g -> g.scan().source().oid() == changed)
                .map(g -> g.stamps(event)).toList();
        return stamps.isEmpty() ? null : String.join("\nUNION ALL\n", stamps);
    }

    /**
     * Collects the groupings of {@code plan}, those below a grouping too; false where the plan holds
     * TopK or recursion, which the writers' turns cover. (What each groups is checked by
     * {@link #grouping}; joins are left to {@link ImmediateFootprint}.)
     */
    private static boolean collect(Plan plan, List<Plan> groupings) {
        if (plan instanceof LateralSubquery lateral) {
            // Its rows per key of the row before it: a grouping of its inner rows by the key.
            groupings.add(plan);
            return collect(lateral.left(), groupings);
        }
        if (plan instanceof SetOperation) {
            groupings.add(plan);
            return true;  // its sides are checked to be a table's columns (grouping)
        }
        if (plan instanceof Partitioned || plan instanceof Window || plan instanceof Distinct) {
            groupings.add(plan);
        }
        if (plan instanceof TopK || plan instanceof Recursive || plan instanceof RecursiveRef) {
            return false;
        }
        for (Plan input : plan.inputs()) {
            if (!collect(input, groupings)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A grouping's keys as typed columns of the table it reads directly, numbered {@code number}:
     * one per side of a set operation, whose sides must hash their values as the same types.
     */
    private static Optional<List<Grouping>> grouping(Plan grouping, int number, ExpressionTypes types)
            throws UnsupportedQueryException, SQLException {
        if (grouping instanceof SetOperation operation) {
            List<Grouping> sides = new ArrayList<>();
            for (Plan side : operation.sides()) {
                Optional<Grouping> stamped = side instanceof Project project
                        ? keyed(project.input(), project.outputs().stream().map(OutputColumn::expression).toList(), number, types)
                        : Optional.empty();
                if (stamped.isEmpty() || !(sides.isEmpty() || sides.get(0).types().equals(stamped.get().types()))) {
                    return Optional.empty();
                }
                sides.add(stamped.get());
            }
            return Optional.of(sides);
        }
        Optional<Grouping> keyed;
        if (grouping instanceof Partitioned partitioned) {
            keyed = keyed(partitioned.input(), partitioned.groupKeys(), number, types);
        } else if (grouping instanceof Window window) {
            keyed = keyed(window.input(), window.partitionKeys(), number, types);
        } else if (grouping instanceof LateralSubquery lateral) {
            keyed = keyed(lateral.inner(), lateral.innerKeys(), number, types);
        } else if (grouping instanceof Distinct distinct && distinct.input() instanceof Project project) {
            keyed = keyed(project.input(), project.outputs().stream().map(OutputColumn::expression).toList(), number,
                    types);
        } else {
            keyed = Optional.empty();
        }
        return keyed.map(List::of);
    }

    /**
     * The grouping of {@code below}'s rows by {@code expressions}, if they read a table under
     * filters and each is one of its hashable columns or computed from its columns as a type
     * {@link #HASHED_AS_COMPARED}.
     */
    private static Optional<Grouping> keyed(Plan below, List<String> expressions, int number, ExpressionTypes types)
            throws UnsupportedQueryException, SQLException {
        Plan at = below;
        while (at instanceof Filter filter) {
            at = filter.input();
        }
        if (at instanceof Derived derived) {
            return throughSubquery(derived, expressions, number, types);
        }
        if (!(at instanceof Scan scan)) {
            return Optional.empty();
        }
        List<String> computed = expressions.stream().filter(e -> scan.referencedColumn(e).isEmpty()).toList();
        // A subquery in a key would read other tables, which other writers change.
        if (computed.stream().anyMatch(e -> e.toUpperCase(Locale.ROOT).contains("SELECT"))) {
            return Optional.empty();
        }
        List<String> computedTypes = computed.isEmpty() ? List.of() : types.over(scan, computed);
        if (computedTypes.size() < computed.size()) {
            return Optional.empty();
        }
        List<String> keys = new ArrayList<>();
        List<String> keyTypes = new ArrayList<>();
        for (String expression : expressions) {
            Optional<String> column = scan.referencedColumn(expression);
            String type = column.isPresent() ? scan.source().hashTypes().get(column.get())
                    : hashable(computedTypes.get(computed.indexOf(expression)));
            if (type == null) {
                return Optional.empty();
            }
            keys.add(column.isPresent() ? "(" + Sql.ident(scan.alias()) + "." + Sql.ident(column.get()) + ")::" + type
                    : "(" + expression + ")");
            keyTypes.add(type);
        }
        return Optional.of(new Grouping(number, scan, keys, keyTypes));
    }

    /**
     * The grouping of a subquery's rows (a grouping of a grouping, stamped besides the inner one)
     * by keys that are its columns, each nothing but a column of one input inside (a group key or
     * a projected column): keyed by those, as an input row that changes an inner row changes it
     * under the same values.
     */
    private static Optional<Grouping> throughSubquery(Derived derived, List<String> expressions, int number,
                                                      ExpressionTypes types) throws UnsupportedQueryException, SQLException {
        List<String> inner = new ArrayList<>();
        FromPlan within = null;
        for (String expression : expressions) {
            List<Derived.ColumnReference> references = derived.referencedColumn(expression).map(derived::columnsOf)
                    .orElse(List.of());
            if (references.size() != 1 || (within != null && references.get(0).within() != within)) {
                return Optional.empty();
            }
            within = references.get(0).within();
            inner.add(Sql.ident(references.get(0).alias()) + "." + Sql.ident(references.get(0).column()));
        }
        return within == null ? Optional.empty() : keyed(within, inner, number, types);
    }

    /** {@code type} if a computed key of that type hashes as it compares, otherwise {@code null}. */
    private static String hashable(String type) {
        String element = type.startsWith("_") ? type.substring(1) : type;
        return HASHED_AS_COMPARED.contains(element) || element.startsWith("numeric(") ? type : null;
    }
}
