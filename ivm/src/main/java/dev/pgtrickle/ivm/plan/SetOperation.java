package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;

/**
 * UNION, INTERSECT and EXCEPT (with or without ALL; UNION ALL is {@link UnionAll}) of two
 * queries. A row's multiplicity in the result is a function of its counts on the two sides
 * ({@link Kind#multiplicity}); the delta, per row value either side's delta touches, is that
 * function of the counts now minus the function of the counts before (now minus the side's net
 * change). Values are compared as the set operation compares them, with their types' equality
 * (NULLs equal): numeric 1.0 and 1.00 are one value, shown as one of their spellings.
 *
 * @param kind the operation
 * @param all whether duplicates count (INTERSECT ALL, EXCEPT ALL)
 */
public record SetOperation(Kind kind, boolean all, QueryPlan left, QueryPlan right) implements QueryPlan {

    /** The operation, and a row's multiplicity from its counts on each side. */
    public enum Kind {
        UNION, INTERSECT, EXCEPT;

        /** The multiplicity of a row counted {@code l} times on the left and {@code r} on the right (SQL). */
        String multiplicity(boolean all, String l, String r) {
            return switch (this) {
                case UNION -> "(" + l + " + " + r + " > 0)::int";
                case INTERSECT -> all ? "LEAST(" + l + ", " + r + ")" : "(" + l + " > 0 AND " + r + " > 0)::int";
                case EXCEPT -> all ? "GREATEST(" + l + " - " + r + ", 0)" : "(" + l + " > 0 AND " + r + " = 0)::int";
            };
        }
    }

    public SetOperation {
        if (kind == Kind.UNION && all) {
            throw new IllegalArgumentException("UNION ALL is a UnionAll");
        }
        if (left.columns().size() != right.columns().size()) {
            throw new IllegalArgumentException("both sides of a set operation have as many columns");
        }
    }

    @Override
    public List<String> columns() {
        return left.columns();
    }

    /** The sides of the chain this ends ({@code a UNION b EXCEPT c}: a, b, c), which compare the same values. */
    public List<QueryPlan> sides() {
        List<QueryPlan> sides = new ArrayList<>();
        for (QueryPlan side : List.of(left, right)) {
            if (side instanceof SetOperation nested) {
                sides.addAll(nested.sides());
            } else {
                sides.add(side);
            }
        }
        return sides;
    }

    @Override
    public List<QueryPlan> inputs() {
        return List.of(left, right);
    }

    @Override
    public String current(DeltaContext context) throws UnsupportedQueryException {
        return "(" + left.current(context) + ") " + kind + (all ? " ALL" : "") + " (" + right.current(context) + ")";
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        List<String> columns = columns();
        int n = columns.size();
        // Per touched value: each side's net change.
        List<String> keys = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            keys.add(TouchedGroups.key(i));
        }
        String touched = context.freshName("__pgt_setvals");
        context.addCte(touched, "SELECT " + Sql.list(keys, RowIdentity.groupKey(keys) + " AS __pgt_id",
                "COALESCE(pg_catalog.sum(" + DeltaContext.WEIGHT + ") FILTER (WHERE __pgt_side = 1), 0) AS __pgt_d1",
                "COALESCE(pg_catalog.sum(" + DeltaContext.WEIGHT + ") FILTER (WHERE __pgt_side = 2), 0) AS __pgt_d2")
                + " FROM (" + sideDelta(context, left, 1) + " UNION ALL " + sideDelta(context, right, 2) + ") AS __pgt_c"
                + " GROUP BY " + String.join(", ", keys));
        String now1 = counts(context, left, touched, "__pgt_sl");
        String now2 = counts(context, right, touched, "__pgt_sr");
        String l = "COALESCE(__pgt_l.__pgt_n, 0)";
        String r = "COALESCE(__pgt_r.__pgt_n, 0)";
        String weight = kind.multiplicity(all, l, r) + " - "
                + kind.multiplicity(all, "(" + l + " - __pgt_t.__pgt_d1)", "(" + r + " - __pgt_t.__pgt_d2)");
        List<String> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            items.add("__pgt_t." + keys.get(i) + " AS " + Sql.ident(columns.get(i)));
        }
        items.add("(" + weight + ")::bigint AS " + DeltaContext.WEIGHT);
        return "SELECT * FROM (SELECT " + String.join(", ", items) + " FROM " + touched + " AS __pgt_t"
                + " LEFT JOIN " + now1 + " AS __pgt_l ON __pgt_l.__pgt_id = __pgt_t.__pgt_id"
                + " LEFT JOIN " + now2 + " AS __pgt_r ON __pgt_r.__pgt_id = __pgt_t.__pgt_id) AS __pgt_s"
                + " WHERE __pgt_s." + DeltaContext.WEIGHT + " <> 0";
    }

    /** A side's delta, its columns by position as {@code __pgt_k<i>}, tagged with the side. */
    private static String sideDelta(DeltaContext context, QueryPlan side, int tag) throws UnsupportedQueryException {
        List<String> items = new ArrayList<>();
        for (int i = 0; i < side.columns().size(); i++) {
            items.add("__pgt_q." + Sql.ident(side.columns().get(i)) + " AS " + TouchedGroups.key(i + 1));
        }
        return "SELECT " + Sql.list(items, "__pgt_q." + DeltaContext.WEIGHT, tag + " AS __pgt_side")
                + " FROM " + context.delta(side) + " AS __pgt_q";
    }

    /**
     * A side's current count of each touched value, with the value's identity {@code __pgt_id}.
     * The side's rows are read as the set operation's types (an empty branch of the touched
     * values makes UNION ALL resolve them), so that equal values hash alike on both sides.
     */
    private static String counts(DeltaContext context, QueryPlan side, String touched, String alias)
            throws UnsupportedQueryException {
        Derived rows = new Derived(side, alias);
        List<String> values = side.columns().stream().map(c -> Sql.ident(alias) + "." + Sql.ident(c)).toList();
        List<String> keys = new ArrayList<>();
        List<String> named = new ArrayList<>();
        for (int i = 1; i <= values.size(); i++) {
            keys.add("__pgt_v." + TouchedGroups.key(i));
            named.add(values.get(i - 1) + " AS " + TouchedGroups.key(i));
        }
        List<String> terms = new ArrayList<>();
        for (Fragment fragment : new TouchedGroups(touched, values).rows(context, rows)) {
            terms.add(fragment.select(named));
        }
        terms.add("SELECT " + String.join(", ", keys).replace("__pgt_v.", "") + " FROM " + touched + " WHERE false");
        return "(SELECT " + RowIdentity.groupKey(keys) + " AS __pgt_id, pg_catalog.count(*) AS __pgt_n FROM ("
                + DeltaContext.union(terms) + ") AS __pgt_v GROUP BY " + String.join(", ", keys) + ")";
    }

    @Override
    public String describe() {
        return kind + (all ? " ALL" : "");
    }

    @Override
    public String deltaRule() {
        return "per row value either side's delta touches: its multiplicity from the two sides' counts now,"
                + " minus the same from the counts before the change";
    }
}
