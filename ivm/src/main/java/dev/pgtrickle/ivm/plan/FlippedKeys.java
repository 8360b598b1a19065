package dev.pgtrickle.ivm.plan;

import static dev.pgtrickle.ivm.delta.TouchedGroups.key;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The rows of a join's preserved input whose status — having a match in the other input or not
 * — the other input's changes flip, found per join key. It applies when the join condition is
 * equalities between the two inputs and conditions on either alone: a row's matches then depend
 * on its key only, so the net weight s of the changes that match it and its matches now n are
 * computed once per changed key (two CTEs: the changes summed per key, then the keys that
 * flipped, n counted up to s + 1), and the preserved rows are joined to the few keys that
 * flipped. Computed per preserved row instead, every candidate row would scan all of the
 * other input's changes: quadratic in the size of the change.
 */
final class FlippedKeys {

    private static final String SUMS = "__pgt_g";
    private static final String FLIPPED = "__pgt_f";

    private final String cte;
    private final Condition.Split split;

    private FlippedKeys(String cte, Condition.Split split) {
        this.cte = cte;
        this.split = split;
    }

    /**
     * Registers the CTEs of the keys of {@code preserved} rows that the changes of {@code other}
     * flip under {@code split}, the join condition split between the two.
     */
    static FlippedKeys of(DeltaContext context, FromPlan other, Condition.Split split)
            throws UnsupportedQueryException {
        List<String> notNull = new ArrayList<>();
        List<String> positions = new ArrayList<>();
        for (int i = 1; i <= split.keys().size(); i++) {
            notNull.add(split.keys().get(i - 1).other().sql() + " IS NOT NULL");
            positions.add(String.valueOf(i));
        }
        DeltaContext.Exposure changes = context.expose(other);
        List<String> items = otherKeys(split);
        String sum = "pg_catalog.sum(" + changes.weight() + ")";
        items.add(sum + "::bigint AS __pgt_s");
        // A NULL key matches nothing, and a key whose changes cancel out flips nothing.
        String sums = "SELECT " + String.join(", ", items) + " FROM " + changes.from() + " WHERE "
                + Sql.and(Sql.concat(split.other(), notNull))
                + (positions.isEmpty() ? "" : " GROUP BY " + String.join(", ", positions)) + " HAVING " + sum + " <> 0";
        String sumsName = context.freshName("__pgt_sums");
        context.addCte(sumsName, sums);

        String flippedName = context.freshName("__pgt_flipped");
        context.addCte(flippedName, "SELECT " + SUMS + ".*, CASE WHEN __pgt_m.n = 0 THEN 1 ELSE -1 END AS __pgt_flip"
                + " FROM " + matchesNow(context, other, split, sumsName)
                + " WHERE (__pgt_m.n = 0) <> (__pgt_m.n = " + SUMS + ".__pgt_s)");
        return new FlippedKeys(flippedName, split);
    }

    /**
     * The per-key sums under {@value #SUMS}, each with {@code __pgt_m.n}: its matches in
     * {@code other} now, counted up to s + 1 — per key where the other input's indexes serve the
     * keys (or there is no key, one row), else counted in full in one pass over the keys' rows.
     */
    private static String matchesNow(DeltaContext context, FromPlan other, Condition.Split split, String sums)
            throws UnsupportedQueryException {
        Fragment now = other.current(context);
        for (String condition : split.other()) {
            now = now.and(condition);
        }
        Condition byKey = byKey(split, SUMS, false);
        if (split.keys().isEmpty() || other.probedBy(Set.of(SUMS), List.of(byKey))) {
            return sums + " AS " + SUMS + ", LATERAL (SELECT pg_catalog.count(*) AS n FROM ("
                    + now.and(byKey.sql()).select(List.of("1")) + " LIMIT GREATEST(" + SUMS + ".__pgt_s, 0) + 1)"
                    + " AS __pgt_l) AS __pgt_m";
        }
        List<String> columns = new ArrayList<>();
        List<String> equal = new ArrayList<>();
        for (int i = 1; i <= split.keys().size(); i++) {
            columns.add(key(i));
            equal.add("__pgt_n." + key(i) + " = " + SUMS + "." + key(i));
        }
        List<String> items = otherKeys(split);
        items.add("pg_catalog.count(*) AS n");
        String counts = now.and("(" + String.join(", ", split.keys().stream().map(k -> k.other().sql()).toList())
                + ") IN (SELECT " + String.join(", ", columns) + " FROM " + sums + ")").select(items)
                + " GROUP BY " + String.join(", ", columns);
        return sums + " AS " + SUMS + " LEFT JOIN (" + counts + ") AS __pgt_n ON " + String.join(" AND ", equal)
                + ", LATERAL (SELECT COALESCE(__pgt_n.n, 0) AS n) AS __pgt_m";
    }

    /**
     * The delta term of the current rows of {@code preserved} whose status flipped, each with
     * {@code sign} × (+1 if it lost its last match, −1 if it gained its first).
     */
    String current(DeltaContext context, FromPlan preserved, List<String> items, int sign)
            throws UnsupportedQueryException {
        Condition byKey = byKey(split, FLIPPED, true);
        List<String> from = new ArrayList<>(List.of(cte + " AS " + FLIPPED));
        List<String> where = new ArrayList<>(split.own());
        if (!split.keys().isEmpty() && preserved.probedBy(Set.of(FLIPPED), List.of(byKey))) {
            from.add(context.exposePerRow(preserved, byKey.sql()).from());
        } else {
            Fragment now = preserved.current(context);
            from.add(now.nested());
            where.addAll(now.where());
            where.add(byKey.sql());
        }
        return DeltaContext.term(items, sign + " * " + FLIPPED + ".__pgt_flip", from, where);
    }

    /** The delta term of the changed rows of {@code preserved} whose status flipped, weighted as in {@link #current}. */
    String changed(DeltaContext context, FromPlan preserved, List<String> items, int sign)
            throws UnsupportedQueryException {
        DeltaContext.Exposure changed = context.expose(preserved);
        return DeltaContext.term(items, (-sign) + " * " + changed.weight() + " * " + FLIPPED + ".__pgt_flip",
                List.of(changed.from(), cte + " AS " + FLIPPED),
                Sql.concat(split.own(), List.of(byKey(split, FLIPPED, true).sql())));
    }

    /** Key i of {@code keys} equals that side's key expression, for the preserved side ({@code own}) or the other. */
    private static Condition byKey(Condition.Split split, String keys, boolean own) {
        List<Condition> equal = new ArrayList<>();
        for (int i = 1; i <= split.keys().size(); i++) {
            Condition.Key key = split.keys().get(i - 1);
            equal.add(Condition.equal(own ? key.own() : key.other(),
                    Condition.Operand.expression(keys + "." + key(i), Set.of(keys))));
        }
        return Condition.all(equal);
    }

    /** The other side's key expressions, {@code AS __pgt_k<i>}. */
    private static List<String> otherKeys(Condition.Split split) {
        List<String> keys = new ArrayList<>();
        for (int i = 1; i <= split.keys().size(); i++) {
            keys.add(split.keys().get(i - 1).other().sql() + " AS " + key(i));
        }
        return keys;
    }
}
