package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;

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
 *       stops one past that net weight, so a row with many matches costs little.</li>
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

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        if (right instanceof Lookup lookup) {
            lookup.restrictDelta(context, left);
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
    public String describe() {
        return kind.title() + (condition.isTrue() ? "" : " ON " + condition.sql());
    }

    @Override
    public String deltaRule() {
        String matches = "ΔL⋈R + L⋈ΔR − ΔL⋈ΔR over current states, each term probing the other input";
        return switch (kind) {
            case INNER -> "delta: " + matches;
            case LEFT, RIGHT, FULL -> "delta: " + matches + "; NULL-padded rows follow the changes of each side"
                    + " and the rows whose matches those changes flip";
            case SEMI, ANTI -> "delta: changed left rows tested against the right input, and left rows whose"
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

    /** Δ of the matching pairs: ΔL⋈R + L⋈ΔR − ΔL⋈ΔR. */
    private List<String> matchedTerms(DeltaContext context) throws UnsupportedQueryException {
        List<String> items = DeltaContext.positionalItems(bindings(), List.of());
        Fragment l = left.current(context);
        Fragment r = right.current(context);
        DeltaContext.Exposure dl = context.expose(left);
        DeltaContext.Exposure dr = context.expose(right);
        return List.of(
                DeltaContext.term(items, dl.weight(), List.of(dl.from(), r.nested()),
                        Sql.concat(r.where(), List.of(condition.sql()))),
                DeltaContext.term(items, dr.weight(), List.of(l.nested(), dr.from()),
                        Sql.concat(l.where(), List.of(condition.sql()))),
                DeltaContext.term(items, "-" + dl.weight() + " * " + dr.weight(), List.of(dl.from(), dr.from()),
                        List.of(condition.sql())));
    }

    /**
     * Δ of the rows of {@code preserved} without a match in {@code other} ({@code anti}), or with
     * one, each output as {@code items}.
     */
    private List<String> unmatchedTerms(DeltaContext context, FromPlan preserved, FromPlan other, boolean anti,
                                        List<String> items) throws UnsupportedQueryException {
        Fragment p = preserved.current(context);
        Fragment o = other.current(context);
        String matchesNow = "EXISTS (" + o.and(condition.sql()).select(List.of("1")) + ")";
        // Status now minus status before: [no match now] − [no match before] for anti, the opposite otherwise.
        String flip = "(CASE WHEN __pgt_m2.n = 0 THEN 1 ELSE 0 END - CASE WHEN __pgt_m2.n = __pgt_m1.s THEN 1 ELSE 0 END)";
        String change = anti ? flip : "-" + flip;
        String flipped = "(__pgt_m2.n = 0) <> (__pgt_m2.n = __pgt_m1.s)";

        List<String> terms = new ArrayList<>();
        DeltaContext.Exposure dp = context.expose(preserved);
        terms.add(DeltaContext.term(items, dp.weight(), List.of(dp.from()),
                List.of(anti ? "NOT " + matchesNow : matchesNow)));

        List<String> fromNow = new ArrayList<>(List.of(p.nested()));
        fromNow.addAll(matchCounts(context, other));
        terms.add(DeltaContext.term(items, change, fromNow,
                Sql.concat(p.where(), List.of(changedMatch(context, other), flipped))));

        DeltaContext.Exposure changed = context.expose(preserved);
        List<String> fromChanged = new ArrayList<>(List.of(changed.from()));
        fromChanged.addAll(matchCounts(context, other));
        terms.add(DeltaContext.term(items, "-" + changed.weight() + " * " + change, fromChanged,
                List.of(changedMatch(context, other), flipped)));
        return terms;
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
