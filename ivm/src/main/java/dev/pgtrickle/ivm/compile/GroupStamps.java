package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.TransitionTables;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.DistinctOn;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.Window;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The groups inside a query over one table that a statement's changes touch, as stamps (IMMEDIATE
 * mode): two writers of one group (of an aggregate, {@code DISTINCT}, {@code DISTINCT ON} or a
 * window partition inside the query) each compute its old and new outputs without the other's
 * rows, so they must not run side by side; writers of different groups may. Each changed row, old
 * or new, stamps the group its key values name, per grouping, so writers of one group wait for
 * each other and, at READ COMMITTED, the later one sees what the earlier committed (at REPEATABLE
 * READ the stamp is the trace that makes it 40001). Rows a filter below the grouping drops stamp
 * too: more stamps only make more writers wait.
 *
 * <p>Only where every grouping below the top reads the table directly (through filters, and for
 * {@code DISTINCT} a projection) and its keys are columns whose values hash as they compare (the
 * source's {@code hashTypes}); otherwise the writers take turns ({@link ImmediateFootprint#WHOLE}).
 */
final class GroupStamps {

    /** One grouping's keys, as the transition rows spell them under the scan's alias. */
    private record Grouping(int number, List<String> keys) {

        String stamp() {
            String row = keys.isEmpty() ? "0" : String.join(", ", keys);
            return "(pg_catalog.hash_record_extended(ROW(" + row + "), " + number + ") & "
                    + (ImmediateFootprint.BUCKETS - 1) + ")";
        }
    }

    private final Scan scan;
    private final List<Grouping> groupings;

    private GroupStamps(Scan scan, List<Grouping> groupings) {
        this.scan = scan;
        this.groupings = groupings;
    }

    /** The stamps of the groupings below {@code top}, if all of them can be told apart by key. */
    static Optional<GroupStamps> of(QueryPlan top) {
        List<Plan> groupings = new ArrayList<>();
        List<Scan> scans = new ArrayList<>();
        for (Plan input : top.inputs()) {
            if (!collect(input, groupings, scans)) {
                return Optional.empty();
            }
        }
        if (scans.size() != 1 || groupings.isEmpty()) {
            return Optional.empty();
        }
        Scan scan = scans.get(0);
        List<Grouping> keyed = new ArrayList<>();
        for (Plan grouping : groupings) {
            Optional<List<String>> keys = keys(grouping, scan);
            if (keys.isEmpty()) {
                return Optional.empty();
            }
            keyed.add(new Grouping(keyed.size() + 1, keys.get()));
        }
        return Optional.of(new GroupStamps(scan, keyed));
    }

    /** The query of the stamps a statement's changes take. */
    String stamps(TransitionTables.Event event) {
        List<String> stamps = groupings.stream().map(Grouping::stamp).toList();
        return "SELECT __pgt_g.stamp FROM (" + TransitionTables.rows(event) + ") AS " + Sql.ident(scan.alias())
                + " CROSS JOIN LATERAL (VALUES " + String.join(", ", stamps.stream().map(s -> "(" + s + ")").toList())
                + ") AS __pgt_g(stamp)";
    }

    /**
     * Collects the groupings and scans of {@code plan}; false where it holds anything else (a join,
     * a function, a set operation, a subquery read per row, TopK, recursion), which the writers'
     * turns cover.
     */
    private static boolean collect(Plan plan, List<Plan> groupings, List<Scan> scans) {
        if (plan instanceof Scan scan) {
            scans.add(scan);
        } else if (plan instanceof Aggregate || plan instanceof DistinctOn || plan instanceof Window
                || plan instanceof Distinct) {
            groupings.add(plan);
        } else if (!(plan instanceof Filter || plan instanceof Project || plan instanceof Derived)) {
            return false;
        }
        for (Plan input : plan.inputs()) {
            if (!collect(input, groupings, scans)) {
                return false;
            }
        }
        return true;
    }

    /** A grouping's keys as typed columns of {@code scan}, where it reads the scan directly. */
    private static Optional<List<String>> keys(Plan grouping, Scan scan) {
        Plan below;
        List<String> expressions;
        if (grouping instanceof Aggregate aggregate) {
            below = aggregate.input();
            expressions = aggregate.groupKeys();
        } else if (grouping instanceof DistinctOn distinctOn) {
            below = distinctOn.input();
            expressions = distinctOn.groupKeys();
        } else if (grouping instanceof Window window) {
            below = window.input();
            expressions = window.partitionKeys();
        } else if (grouping instanceof Distinct distinct && distinct.input() instanceof Project project) {
            below = project.input();
            expressions = project.outputs().stream().map(OutputColumn::expression).toList();
        } else {
            return Optional.empty();
        }
        while (below instanceof Filter filter) {
            below = filter.input();
        }
        if (below != scan) {
            return Optional.empty();
        }
        List<String> keys = new ArrayList<>();
        for (String expression : expressions) {
            Optional<String> column = scan.referencedColumn(expression);
            String type = column.map(c -> scan.source().hashTypes().get(c)).orElse(null);
            if (type == null) {
                return Optional.empty();
            }
            keys.add("(" + Sql.ident(scan.alias()) + "." + Sql.ident(column.get()) + ")::" + type);
        }
        return Optional.of(keys);
    }
}
