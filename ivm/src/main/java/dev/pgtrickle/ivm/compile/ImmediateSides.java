package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.LateralFunction;
import dev.pgtrickle.ivm.plan.LateralSubquery;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.UnionAll;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * For a query whose writers would otherwise take turns on one stamp because no key tells where
 * their changes meet (a join on no equality, a scalar subquery over another table, groups over
 * another table that cannot be told apart): one table whose writers go on side by side, while the
 * writers of every other source take turns with all of them (IMMEDIATE mode; docs/architecture.md,
 * "Sides").
 *
 * <p>The table is the largest (on disk, when the plan is compiled; the first in the query among
 * equals) that the query reads once and whose rows reach the result linearly: through
 * projections, filters, inner joins, the preserved side of an outer join, the outer side of
 * {@code EXISTS}, {@code IN} and their negations, a set-returning function's input, the outer side
 * of a {@code LATERAL} subquery and a branch of {@code UNION ALL}, with at most a grouping at the
 * top. Then a change of it affects the result by its own rows
 * joined with the other sources, independently of its other rows: while those sources stand
 * still, its writers are writers of a query over one table, whose changes meet only in the stored
 * rows they touch (the row-identity locks, and the rescans' stamps, order those). The writers of
 * the other sources wait for them and for one another; they in turn wait for such a writer — a
 * read-write lock, the one the first rows of TopK use, with its traces for REPEATABLE READ.
 */
final class ImmediateSides {

    /** The lock a statement on a source takes before its changes are computed. */
    enum Turn {
        /** Writers of the table that goes on side by side. */
        SHARED,
        /** Writers of every other source: one at a time, and none beside a shared one. */
        EXCLUSIVE;

        String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Scan shared;

    private ImmediateSides(Scan shared) {
        this.shared = shared;
    }

    /** The table of {@code top} whose writers can go on side by side, if one qualifies. */
    static Optional<ImmediateSides> of(QueryPlan top) {
        if (!(top instanceof Project || top instanceof Aggregate || top instanceof Distinct || top instanceof UnionAll)) {
            return Optional.empty();  // first rows, set operations, windows, DISTINCT ON, recursion
        }
        List<Scan> scans = new ArrayList<>();
        collect(top, scans);
        // The largest table is likely the one written most; among equals, the first.
        return scans.stream()
                .filter(scan -> scans.stream().filter(s -> s.source().oid() == scan.source().oid()).count() == 1)
                .filter(scan -> top.inputs().stream().anyMatch(input -> linear(input, scan)))
                .max(Comparator.comparingLong((Scan scan) -> scan.source().bytes())
                        .thenComparing(Comparator.comparingInt(scans::indexOf).reversed()))
                .map(ImmediateSides::new);
    }

    /** The lock of a statement changing the table {@code source}. */
    Turn turn(long source) {
        return source == shared.source().oid() ? Turn.SHARED : Turn.EXCLUSIVE;
    }

    /** Whether {@code plan} reads the table whose writers go on side by side. */
    boolean readBy(Plan plan) {
        return contains(plan, shared);
    }

    private static void collect(Plan plan, List<Scan> scans) {
        if (plan instanceof Scan scan) {
            scans.add(scan);
        }
        for (Plan input : plan.inputs()) {
            collect(input, scans);
        }
    }

    private static boolean contains(Plan plan, Scan scan) {
        return plan == scan || plan.inputs().stream().anyMatch(input -> contains(input, scan));
    }

    /** Whether {@code scan} is in {@code plan} and its rows reach {@code plan}'s rows linearly. */
    private static boolean linear(Plan plan, Scan scan) {
        if (plan == scan) {
            return true;
        }
        if (plan instanceof Join join) {
            boolean left = contains(join.left(), scan);
            return switch (join.kind()) {
                case INNER -> linear(left ? join.left() : join.right(), scan);
                case LEFT, SEMI, ANTI -> left && linear(join.left(), scan);
                case RIGHT -> !left && linear(join.right(), scan);
                case FULL -> false;  // both sides padded: a change removes or adds the other side's padding
            };
        }
        if (plan instanceof LateralSubquery lateral) {
            return linear(lateral.left(), scan);  // the subquery's own rows are picked per outer row
        }
        if (plan instanceof Project || plan instanceof Filter || plan instanceof Derived || plan instanceof UnionAll
                || plan instanceof LateralFunction) {
            return plan.inputs().stream().anyMatch(input -> linear(input, scan));
        }
        return false;  // a grouping, a scalar subquery's value, recursion: its rows depend on each other
    }
}
