package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

/**
 * A binary join. The condition is the ON clause (or, for SEMI and ANTI, the correlation of the
 * subquery); WHERE conditions stay in {@link Filter}s above, except where the rewrite of inner
 * join chains moves them into inner joins.
 *
 * <p>Delta rules, over current states only (an old state would have to be rebuilt by reading a
 * whole input), with L, R the current states and ΔL, ΔR the deltas:
 * <ul>
 *   <li>matches: Δ(L⋈R) = ΔL⋈R + L⋈ΔR − ΔL⋈ΔR. Each term reads one small delta and probes the
 *       other input, whose indexes serve the join condition.</li>
 *   <li>rows without a match (the NULL-padded rows of outer joins, ANTI), and rows with one
 *       (SEMI): a changed row of the preserved side is judged against the other side as it is
 *       now; a preserved row matched by some change of the other side may have flipped, so it
 *       contributes (its weight) × (status now − status before), where its matches before are
 *       its matches now minus the net weight of the changes matching it. Counting matches now
 *       stops one past that net weight, so a row with many matches costs little. Where the
 *       condition is equalities between the inputs and conditions on either alone, this is
 *       decided per changed key instead of per row ({@link FlippedKeys}).</li>
 * </ul>
 */
public record Join(JoinKind kind, FromPlan left, FromPlan right, Condition condition) implements FromPlan {

    @Override
    public List<Binding> bindings() {
        List<Binding> bindings = new ArrayList<>(left.bindings());
        if (kind.outputsRight()) {
            bindings.addAll(right.bindings());
        }
        return bindings;
    }

    @Override
    public List<Plan> inputs() {
        return List.of(left, right);
    }

    @Override
    public Fragment current(DeltaContext context) throws UnsupportedQueryException {
        Fragment l = left.current(context);
        Fragment r = right.current(context);
        return switch (kind) {
            case INNER -> joined(l, "JOIN", r, Sql.concat(List.of(condition.sql()), l.where(), r.where()), List.of());
            case LEFT -> joined(l, "LEFT JOIN", r, Sql.concat(List.of(condition.sql()), r.where()), l.where());
            case RIGHT -> joined(l, "RIGHT JOIN", r, Sql.concat(List.of(condition.sql()), l.where()), r.where());
            case FULL -> {
                if (!l.where().isEmpty() || !r.where().isEmpty()) {
                    throw new UnsupportedQueryException(describe(), "a FULL JOIN of filtered inputs is not supported");
                }
                yield joined(l, "FULL JOIN", r, List.of(condition.sql()), List.of());
            }
            case SEMI -> l.and(matches(r));
            case ANTI -> l.and("NOT " + matches(r));
        };
    }

    /**
     * A semi join's rows exist exactly where its inputs have a matching pair: joined as an inner
     * join, with the right input listed first. PostgreSQL reads an existence test probed by key
     * from whichever input is listed first when both are one-row index probes to it, and the
     * right input is the subquery, which usually has a restriction of its own: TPC-H Q20 probes
     * the 1 % of its parts named 'forest%' first, and partsupp only for those (a third less).
     * A Lookup reads the left input's aliases, so it stays after it.
     */
    @Override
    public Fragment existing(DeltaContext context) throws UnsupportedQueryException {
        if (kind != JoinKind.SEMI || right instanceof Lookup) {
            return current(context);
        }
        Fragment r = right.existing(context);
        Fragment l = left.existing(context);
        return joined(r, "JOIN", l, Sql.concat(List.of(condition.sql()), r.where(), l.where()), List.of());
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        if (Clock.reads(condition.sql())) {
            throw Clock.notMaintained(condition.sql());
        }
        if (right instanceof Lookup lookup) {
            lookup.restrictDelta(context, left);
        }
        if (kind == JoinKind.SEMI && oneRow(right)) {
            return DeltaContext.union(testedTerms(context));
        }
        List<String> terms = new ArrayList<>();
        List<Binding> output = bindings();
        if (kind.outputsRight()) {
            terms.addAll(matchedTerms(context));
            if (kind.padsLeft()) {
                terms.addAll(unmatchedTerms(context, left, right, true,
                        DeltaContext.positionalItems(output, right.bindings())));
            }
            if (kind.padsRight()) {
                terms.addAll(unmatchedTerms(context, right, left, true,
                        DeltaContext.positionalItems(output, left.bindings())));
            }
        } else {
            terms.addAll(unmatchedTerms(context, left, right, kind == JoinKind.ANTI,
                    DeltaContext.positionalItems(output, List.of())));
        }
        return DeltaContext.union(terms);
    }

    @Override
    public boolean probedBy(Set<String> known, List<Condition> conditions) {
        List<Condition> here = Sql.concat(conditions, List.of(condition));
        return switch (kind) {
            case INNER -> enters(left, right, known, here, here) || enters(right, left, known, here, here);
            case LEFT, SEMI, ANTI -> enters(left, right, known, conditions, List.of(condition));
            case RIGHT -> enters(right, left, known, conditions, List.of(condition));
            case FULL -> false;
        };
    }

    /** Entered through {@code first}, then {@code second} probed with what {@code first} made known. */
    private static boolean enters(FromPlan first, FromPlan second, Set<String> known, List<Condition> firstConditions,
                                  List<Condition> secondConditions) {
        if (!first.probedBy(known, firstConditions)) {
            return false;
        }
        Set<String> more = new HashSet<>(known);
        more.addAll(first.aliases());
        return second.probedBy(more, secondConditions);
    }

    @Override
    public String describe() {
        return kind.title() + (condition.isTrue() ? "" : " ON " + condition.sql());
    }

    @Override
    public String deltaRule() {
        String matches = "ΔL⋈R + L⋈ΔR − ΔL⋈ΔR over current states, each term probing the other input"
                + " (per changed row where its indexes serve the condition)";
        return switch (kind) {
            case INNER -> "delta: " + matches;
            case LEFT, RIGHT, FULL -> "delta: " + matches + "; NULL-padded rows follow the changes of each side"
                    + " and the rows whose matches those changes flip";
            case SEMI, ANTI -> oneRow(right) && kind == JoinKind.SEMI
                    ? "delta: as the inner join with the one-row right input, without its columns; left rows"
                            + " whose test its change leaves as it was cancel before going further"
                    : "delta: changed left rows tested against the right input, and left rows whose"
                            + " match the right input's changes flip (matches now vs. before)";
        };
    }

    private static Fragment joined(Fragment l, String join, Fragment r, List<String> on, List<String> where) {
        return new Fragment(l.nested() + " " + join + " " + r.nested() + " ON " + Sql.and(on), true, where);
    }

    /** {@code EXISTS (a matching row of the right input as it is now)}. */
    private String matches(Fragment r) {
        return "EXISTS (" + r.and(condition.sql()).select(List.of("1")) + ")";
    }

    /**
     * Always exactly one row: an aggregate without GROUP BY or HAVING (an uncorrelated scalar
     * subquery). Its delta, when it changed, is its old row (−1) and its new one (+1).
     */
    private static boolean oneRow(FromPlan plan) {
        return plan instanceof Derived derived && derived.query() instanceof Aggregate aggregate
                && aggregate.groupKeys().isEmpty() && aggregate.having() == null;
    }

    /**
     * Δ of the left rows that pass the test against a one-row right input: with one row, L⋉R is
     * L⋈R without R's columns, so its delta is the inner join's, projected. The term of the
     * right input's change, L⋈ΔR, pairs every left row passing the test before (its old row,
     * −1) and every one passing it now (its new row, +1); a row that passes with both is left
     * out, since the two would cancel: only the rows whose test the change flips go further (a
     * threshold that moved a little flips a few rows). The other row of ΔR is read under the
     * right input's alias inside the NOT EXISTS, where it shadows the outer one.
     */
    private List<String> testedTerms(DeltaContext context) throws UnsupportedQueryException {
        List<String> items = DeltaContext.positionalItems(bindings(), List.of());
        DeltaContext.Exposure dl = context.expose(left);
        DeltaContext.Exposure dr = context.expose(right);
        DeltaContext.Exposure otherRow = context.expose(right);
        String flipped = "NOT EXISTS (SELECT 1 FROM " + otherRow.from() + " WHERE " + otherRow.weight() + " = -"
                + dr.weight() + " AND " + condition.sql() + ")";
        Optional<Band> band = band(context);
        KeptRows kept = keptRows(context);
        if (kept != null && band.isPresent()) {
            // L⋈ΔR − ΔL⋈ΔR over the rows now is L⋈ΔR over the rows before, which the kept copy
            // holds; split on whether ΔR is a pair, so that both bounds of the band are index bounds.
            kept.maintain(context);
            String weight = dr.weight() + " * " + kept.copies();
            List<String> from = List.of(dr.from(), kept.before());
            Band b = band.get();
            return List.of(
                    changedJoined(context, items, dl, left, right),
                    DeltaContext.term(items, weight, from, List.of(b.pair(), b.near(), b.far(), flipped, condition.sql())),
                    DeltaContext.term(items, weight, from, List.of("NOT " + b.pair(), b.near(), flipped, condition.sql())));
        }
        List<String> terms = new ArrayList<>(List.of(changedJoined(context, items, dl, left, right)));
        if (band.isPresent() && bandIndexed(context)) {
            // Split on whether ΔR is a pair, as above: the index serves both bounds.
            Band b = band.get();
            terms.add(joinedAsItIs(context, items, dr, left, List.of(b.pair(), b.near(), b.far(), flipped)));
            terms.add(joinedAsItIs(context, items, dr, left, List.of("NOT " + b.pair(), b.near(), flipped)));
        } else {
            terms.add(joinedAsItIs(context, items, dr, left,
                    Sql.concat(band.map(Band::either).orElse(List.of()), List.of(flipped))));
        }
        terms.add(DeltaContext.term(items, "-" + dl.weight() + " * " + dr.weight(), List.of(dl.from(), dr.from()),
                List.of(condition.sql())));
        return terms;
    }

    /**
     * Whether an index serves bounds on the tested expression of the left input: the table's
     * own, led by the tested column, or one of the kept groups of an aggregate subquery
     * ({@link #testedGroups}).
     */
    private boolean bandIndexed(DeltaContext context) {
        Optional<TestedGroups> groups = testedGroups();
        if (groups.isPresent()) {
            return context.keptTable(groups.get().aggregate()) != null;
        }
        Optional<String> column = testedColumn();
        return column.isPresent() && left.table().isPresent() && left.bindings().size() == 1
                && left.table().get().indexed().contains(column.get());
    }

    /**
     * Where the test of a one-row right input compares an output of an aggregate subquery (TPC-H
     * Q11: each part's value against a share of the total): the aggregate, and the index of its
     * kept groups that serves the bounds of a moved threshold ({@link Aggregate#keptIndexOf}).
     */
    public Optional<TestedGroups> testedGroups() {
        Optional<String> column = testedColumn();
        if (column.isEmpty() || !(left instanceof Derived derived) || !(derived.query() instanceof Aggregate aggregate)) {
            return Optional.empty();
        }
        int position = derived.columns().indexOf(column.get());
        return position < 0 ? Optional.empty()
                : aggregate.keptIndexOf(aggregate.columns().get(position)).map(index -> new TestedGroups(aggregate, index));
    }

    /** An aggregate subquery tested by a one-row threshold, and the index of its kept groups that serves the test. */
    public record TestedGroups(Aggregate aggregate, KeptIndex index) {
    }

    /**
     * The column of the left input that the test of a one-row right input compares with it
     * ({@code <}, {@code <=}, {@code >}, {@code >=}), where the tested expression is a plain column.
     */
    private Optional<String> testedColumn() {
        if (kind != JoinKind.SEMI || !oneRow(right)) {
            return Optional.empty();
        }
        Optional<Condition.Conjunct> test = condition.comparison(left.aliases(), right.aliases());
        return test.isEmpty() || test.get().isEquality() ? Optional.empty()
                : Optional.ofNullable(test.get().left().column());
    }

    /**
     * Bounds on the tested expression A of the left input within which a row's test flips:
     * {@code near} always holds, {@code far} where ΔR is a {@code pair} of values.
     */
    private record Band(String near, String far, String pair) {

        /** The bounds as conditions, whether ΔR is a pair or not. */
        List<String> either() {
            return List.of(near, "(NOT " + pair + " OR " + far + ")");
        }
    }

    /**
     * The kept copy of the left input a one-row test reads ({@link KeptRows}), where the plan
     * lists one for this join ({@link #keptTestedColumn}).
     */
    private KeptRows keptRows(DeltaContext context) {
        DeltaContext.KeptTable table = context.keptTable(this);
        return table == null ? null : keptCopy(table.table());
    }

    private KeptRows keptCopy(String table) {
        return new KeptRows(left, table, keptTestedColumn().orElseThrow());
    }

    /**
     * Where the test of a one-row right input compares a column of the left input, one table
     * with no index led by that column: the column's position (1-based) among the left input's.
     * A move of the threshold then reads the rows it passes over from a kept copy of the left
     * input indexed on the column ({@link KeptRows}) instead of the whole table.
     */
    public OptionalInt keptTestedColumn() {
        Optional<String> column = testedColumn();
        if (column.isEmpty() || left.table().isEmpty() || left.bindings().size() != 1
                || left.table().get().indexed().contains(column.get())) {
            return OptionalInt.empty();
        }
        int position = left.bindings().get(0).columns().indexOf(column.get());
        return position < 0 ? OptionalInt.empty() : OptionalInt.of(position + 1);
    }

    /** The query filling the kept copy of the left input ({@link #keptTestedColumn}). */
    public String keptFill(DeltaContext context) throws UnsupportedQueryException {
        return keptCopy("").fill(context);
    }

    /** The columns of the kept copy of the left input to index besides its identity. */
    public List<String> keptIndexed() {
        return keptCopy("").indexed();
    }

    /**
     * Where the test compares an expression A over the left input with one over the right
     * (A > B, A <= B, …): bounds on A that every row of the term of the right input's change
     * satisfies, as conditions over the left input alone, so that the rows outside them are
     * dropped as the left input is read, before being paired with ΔR. Such a row passes the
     * test with one row of ΔR and fails it with the other (if both have a value), so it lies
     * between the two values: for A > B above the smaller one and, where ΔR is a pair of values,
     * at or below the larger one (TPC-H Q11: the groups between the old and the new threshold).
     */
    private Optional<Band> band(DeltaContext context) throws UnsupportedQueryException {
        Optional<Condition.Conjunct> test = condition.comparison(left.aliases(), right.aliases());
        if (test.isEmpty() || test.get().isEquality()) {
            return Optional.empty();
        }
        String operator = test.get().operator();
        String tested = test.get().left().sql();
        String value = test.get().right().sql();
        DeltaContext.Exposure changes = context.expose(right);
        boolean above = operator.startsWith(">");
        // Ordered rather than min()/max(): any type with a sort order has them.
        Function<String, String> first = order -> "(SELECT " + value + " FROM " + changes.from()
                + " WHERE " + value + " IS NOT NULL ORDER BY " + value + " " + order + " LIMIT 1)";
        String nearer = first.apply(above ? "ASC" : "DESC");
        String farther = first.apply(above ? "DESC" : "ASC");
        String pair = "(SELECT pg_catalog.count(" + value + ") = 2 AND pg_catalog.sum(" + changes.weight() + ") = 0 FROM "
                + changes.from() + ")";
        return Optional.of(new Band("(" + tested + ") " + operator + " " + nearer,
                "(" + tested + ") " + (above ? "<=" : ">=") + " " + farther, pair));
    }

    /** Δ of the matching pairs: ΔL⋈R + L⋈ΔR − ΔL⋈ΔR. */
    private List<String> matchedTerms(DeltaContext context) throws UnsupportedQueryException {
        List<String> items = DeltaContext.positionalItems(bindings(), List.of());
        DeltaContext.Exposure dl = context.expose(left);
        DeltaContext.Exposure dr = context.expose(right);
        return List.of(
                changedJoined(context, items, dl, left, right),
                changedJoined(context, items, dr, right, left),
                DeltaContext.term(items, "-" + dl.weight() + " * " + dr.weight(), List.of(dl.from(), dr.from()),
                        List.of(condition.sql())));
    }

    /**
     * The changes of {@code changed} joined with {@code other} as it is now. Where {@code other}
     * can be read per changed row through indexes ({@link FromPlan#probedBy}), it is
     * ({@link DeltaContext#exposePerRow}): the plan starts from the changes and probes,
     * whatever the planner estimates for the whole of {@code other} — an estimate
     * that can be off by orders of magnitude for a join of several tables, and then leads it to
     * scan or hash all of it. Otherwise the planner chooses ({@link #probedOrPlanned}).
     */
    private String changedJoined(DeltaContext context, List<String> items, DeltaContext.Exposure changes,
                                 FromPlan changed, FromPlan other) throws UnsupportedQueryException {
        return DeltaContext.union(probedOrPlanned(context, changed, other,
                gate -> DeltaContext.term(items, changes.weight(),
                        List.of(changes.from(), context.exposePerRow(other, condition.sql()).from()), gate),
                gate -> joinedAsItIs(context, items, changes, other, gate)));
    }

    /** A delta term under the gate conditions {@code gate}. */
    @FunctionalInterface
    private interface GatedTerm {
        String term(List<String> gate) throws UnsupportedQueryException;
    }

    /**
     * The terms reading {@code other} for the changes of {@code changed}: {@code probed} (per
     * changed row) where {@code other}'s indexes serve the condition ({@link FromPlan#probedBy}),
     * else {@code planned} (the planner's choice). Where {@code other} is one table, both, gated
     * by the number of changes ({@link DeltaContext#fewChanges}): probing it for each of many
     * changes costs more than reading it once.
     */
    private List<String> probedOrPlanned(DeltaContext context, FromPlan changed, FromPlan other, GatedTerm probed,
                                         GatedTerm planned) throws UnsupportedQueryException {
        if (!other.probedBy(changed.aliases(), List.of(condition))) {
            return List.of(planned.term(List.of()));
        }
        Optional<Source> table = other.table();
        if (table.isEmpty()) {
            return List.of(probed.term(List.of()));
        }
        String few = context.fewChanges(changed, table.get());
        return List.of(probed.term(List.of(few)), planned.term(List.of("NOT " + few)));
    }

    /** The changes joined with {@code other} as it is now, in the plan the planner chooses. */
    private String joinedAsItIs(DeltaContext context, List<String> items, DeltaContext.Exposure changes,
                                FromPlan other, List<String> gate) throws UnsupportedQueryException {
        Fragment now = other.current(context);
        return DeltaContext.term(items, changes.weight(), List.of(changes.from(), now.nested()),
                Sql.concat(gate, now.where(), List.of(condition.sql())));
    }

    /**
     * Δ of the rows of {@code preserved} without a match in {@code other} ({@code anti}), or with
     * one, each output as {@code items}.
     */
    private List<String> unmatchedTerms(DeltaContext context, FromPlan preserved, FromPlan other, boolean anti,
                                        List<String> items) throws UnsupportedQueryException {
        List<String> terms = new ArrayList<>(changedTested(context, preserved, other, anti, items));

        // A Lookup's current state names the preserved side's aliases, so it cannot be read per key.
        Optional<Condition.Split> split = other instanceof Lookup ? Optional.empty()
                : condition.split(preserved.aliases(), other.aliases());
        if (split.isPresent()) {
            FlippedKeys flipped = FlippedKeys.of(context, other, split.get());
            int sign = anti ? 1 : -1;
            terms.add(flipped.current(context, preserved, items, sign));
            terms.add(flipped.changed(context, preserved, items, sign));
        } else {
            terms.addAll(flippedPerRow(context, preserved, other, anti, items));
        }
        return terms;
    }

    /**
     * The changed rows of {@code preserved} that have a match in {@code other} now (or none, for
     * {@code anti}). Where {@code other} can be read per changed row through indexes, the test is
     * kept a per-row subquery ({@code OFFSET 0} keeps PostgreSQL from turning it into a join): on
     * a CTE's estimate of thousands of changed rows it hashed all of {@code other} instead (TPC-H
     * Q21: 3.8 million lineitems for 573 changed rows, 2 s). Otherwise the planner chooses
     * ({@link #probedOrPlanned}).
     */
    private List<String> changedTested(DeltaContext context, FromPlan preserved, FromPlan other, boolean anti,
                                       List<String> items) throws UnsupportedQueryException {
        String not = anti ? "NOT " : "";
        String matches = other.current(context).and(condition.sql()).select(List.of("1"));
        DeltaContext.Exposure dp = context.expose(preserved);
        return probedOrPlanned(context, preserved, other,
                gate -> DeltaContext.term(items, dp.weight(), List.of(dp.from()),
                        Sql.concat(gate, List.of(not + "EXISTS (" + matches + " OFFSET 0)"))),
                gate -> DeltaContext.term(items, dp.weight(), List.of(dp.from()),
                        Sql.concat(gate, List.of(not + "EXISTS (" + matches + ")"))));
    }

    /**
     * The flip terms when the condition mixes the inputs other than by equalities, judged row by
     * row: each preserved row some change matches contributes (its weight) × (status now −
     * status before).
     */
    private List<String> flippedPerRow(DeltaContext context, FromPlan preserved, FromPlan other, boolean anti,
                                       List<String> items) throws UnsupportedQueryException {
        // Status now minus status before: [no match now] − [no match before] for anti, the opposite otherwise.
        String flip = "(CASE WHEN __pgt_m2.n = 0 THEN 1 ELSE 0 END - CASE WHEN __pgt_m2.n = __pgt_m1.s THEN 1 ELSE 0 END)";
        String change = anti ? flip : "-" + flip;
        String flipped = "(__pgt_m2.n = 0) <> (__pgt_m2.n = __pgt_m1.s)";

        List<String> terms = new ArrayList<>();
        for (Fragment p : mayBeMatched(context, preserved, other)) {
            List<String> fromNow = new ArrayList<>(List.of(p.nested()));
            fromNow.addAll(matchCounts(context, other));
            terms.add(DeltaContext.term(items, change, fromNow,
                    Sql.concat(p.where(), List.of(changedMatch(context, other), flipped))));
        }
        DeltaContext.Exposure changed = context.expose(preserved);
        List<String> fromChanged = new ArrayList<>(List.of(changed.from()));
        fromChanged.addAll(matchCounts(context, other));
        terms.add(DeltaContext.term(items, "-" + changed.weight() + " * " + change, fromChanged,
                List.of(changedMatch(context, other), flipped)));
        return terms;
    }

    /**
     * The current rows of {@code preserved} that a change of {@code other} may match. Where the
     * condition equates the two inputs (besides its other conjuncts: TPC-H Q21's
     * {@code l3.l_orderkey = l1.l_orderkey AND l3.l_suppkey <> l1.l_suppkey}), only rows whose keys
     * the changes have can be — read per changed key through an index where the input has one
     * ({@link TouchedGroups#rows}): the planner, left to find them, joined the changed keys with
     * every row of the input (1.7 s for 130 rows of Q21). Otherwise every row, the changes'
     * matches tested per row.
     */
    private List<Fragment> mayBeMatched(DeltaContext context, FromPlan preserved, FromPlan other)
            throws UnsupportedQueryException {
        List<Condition.Key> keys = condition.equalities(preserved.aliases(), other.aliases());
        if (keys.isEmpty()) {
            return List.of(preserved.current(context));
        }
        TouchedGroups changedKeys = TouchedGroups.of(context, "__pgt_match_keys",
                keys.stream().map(k -> k.other().sql()).toList(), context.expose(other));
        return new TouchedGroups(changedKeys.cte(), keys.stream().map(k -> k.own().sql()).toList())
                .rows(context, preserved);
    }

    /** Some change of {@code other} matches the row. */
    private String changedMatch(DeltaContext context, FromPlan other) throws UnsupportedQueryException {
        return "EXISTS (SELECT 1 FROM " + context.expose(other).from() + " WHERE " + condition.sql() + ")";
    }

    /**
     * For the row at hand: {@code __pgt_m1.s}, the net weight of the other input's changes that
     * match it, and {@code __pgt_m2.n}, its matches now, counted up to s + 1. It had no match before
     * exactly when n = s.
     */
    private List<String> matchCounts(DeltaContext context, FromPlan other) throws UnsupportedQueryException {
        DeltaContext.Exposure changes = context.expose(other);
        return List.of(
                "LATERAL (SELECT COALESCE(pg_catalog.sum(" + changes.weight() + "), 0)::bigint AS s FROM "
                        + changes.from() + " WHERE " + condition.sql() + ") AS __pgt_m1",
                "LATERAL (SELECT pg_catalog.count(*) AS n FROM ("
                        + other.current(context).and(condition.sql()).select(List.of("1"))
                        + " LIMIT GREATEST(__pgt_m1.s, 0) + 1) AS __pgt_l) AS __pgt_m2");
    }


}
