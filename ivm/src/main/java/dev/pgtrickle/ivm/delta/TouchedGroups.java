package dev.pgtrickle.ivm.delta;

import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The groups a delta touches, as a CTE of their keys ({@code __pgt_k1, …}), and the conditions
 * that pick their rows out of the grouped input. Keys are matched with {@code =}, which
 * PostgreSQL hashes or probes an index with; groups with a NULL key (never equal to anything)
 * are matched null-safely by a second condition, over the few touched keys that have a NULL.
 * The two sets of groups are disjoint, so the rows of both are the union of what each condition
 * picks.
 *
 * @param cte the name of the CTE holding the touched keys
 * @param keys the group keys over the input (SQL); empty for a global aggregate
 */
public record TouchedGroups(String cte, List<String> keys) {

    /** The alias of a touched key's row. */
    private static final String ROW = "__pgt_t";
    /** A group key that is a plain column reference, as canonical text spells one without quotes. */
    private static final Pattern PLAIN_COLUMN = Pattern.compile("([a-z_][a-z0-9_]*)\\.([a-z_][a-z0-9_]*)");

    public TouchedGroups {
        keys = List.copyOf(keys);
    }

    /**
     * Registers the CTE of the keys the changes (exposed as {@code changes}) touch.
     *
     * @param prefix the CTE's name, made unique in the statement
     */
    public static TouchedGroups of(DeltaContext context, String prefix, List<String> keys, DeltaContext.Exposure changes)
            throws UnsupportedQueryException {
        return of(context, prefix, keys, changes, null);
    }

    /** As {@link #of(DeltaContext, String, List, DeltaContext.Exposure)}, keeping the keys that pass {@code filter}. */
    public static TouchedGroups of(DeltaContext context, String prefix, List<String> keys, DeltaContext.Exposure changes,
                                   DeltaContext.GroupFilter filter) throws UnsupportedQueryException {
        String name = context.freshName(prefix);
        if (keys.isEmpty()) {
            context.addCte(name, "SELECT 1 FROM " + changes.from() + " LIMIT 1");
            return new TouchedGroups(name, keys);
        }
        List<String> items = new ArrayList<>();
        List<String> touched = new ArrayList<>();
        for (int i = 1; i <= keys.size(); i++) {
            items.add("(" + keys.get(i - 1) + ") AS " + key(i));
            touched.add("__pgt_c." + key(i));
        }
        String distinct = "SELECT DISTINCT " + String.join(", ", items) + " FROM " + changes.from();
        context.addCte(name, filter == null ? distinct
                : "SELECT __pgt_c.* FROM (" + distinct + ") AS __pgt_c WHERE " + filter.condition(touched));
        return new TouchedGroups(name, keys);
    }

    /** Column of the n-th (1-based) key in the CTE. */
    public static String key(int index) {
        return "__pgt_k" + index;
    }

    /**
     * The current rows of {@code input} in the touched groups, one fragment per condition of
     * {@link #conditions()}. Where the input can be entered through an index on the group keys
     * ({@link FromPlan#probedBy}), the groups matched by {@code =} are read per touched key — a
     * LATERAL subquery, which PostgreSQL can only run from the keys — rather than left to the
     * planner, which cannot know how few keys the CTE holds and may read the whole input.
     */
    public List<Fragment> rows(DeltaContext context, FromPlan input) throws UnsupportedQueryException {
        List<String> conditions = conditions();
        List<Fragment> rows = new ArrayList<>();
        Condition byKey = byKey();
        for (int i = 0; i < conditions.size(); i++) {
            if (i == 0 && byKey != null && input.probedBy(Set.of(ROW), List.of(byKey))) {
                DeltaContext.Exposure probed = context.exposePerRow(input, byKey.sql());
                rows.add(Fragment.of(cte + " AS " + ROW + ", " + probed.from()));
            } else {
                rows.add(input.current(context).and(conditions.get(i)));
            }
        }
        return rows;
    }

    /**
     * {@code __pgt_t.__pgt_k<i> = key<i>} for every key, with the equalities of the keys that are
     * plain columns ({@code alias.column} without quotes); {@code null} for a global aggregate.
     */
    private Condition byKey() {
        if (keys.isEmpty()) {
            return null;
        }
        List<Condition> equal = new ArrayList<>();
        for (int i = 1; i <= keys.size(); i++) {
            String key = keys.get(i - 1);
            Matcher column = PLAIN_COLUMN.matcher(key);
            Condition.Operand input = column.matches()
                    ? Condition.Operand.column("(" + key + ")", column.group(1), column.group(2))
                    : Condition.Operand.expression("(" + key + ")", Set.of());
            equal.add(Condition.equal(Condition.Operand.expression(ROW + "." + key(i), Set.of(ROW)), input));
        }
        return Condition.all(equal);
    }

    /** Conditions over the input whose rows, together, are those of the touched groups; pairwise disjoint. */
    public List<String> conditions() {
        if (keys.isEmpty()) {
            return List.of("EXISTS (SELECT 1 FROM " + cte + ")");
        }
        List<String> nullSafe = new ArrayList<>();
        List<String> someNull = new ArrayList<>();
        for (int i = 1; i <= keys.size(); i++) {
            String touched = ROW + "." + key(i);
            nullSafe.add(touched + " IS NOT DISTINCT FROM (" + keys.get(i - 1) + ")");
            someNull.add(touched + " IS NULL");
        }
        String anyNull = "(" + String.join(" OR ", someNull) + ")";
        // The first EXISTS is uncorrelated: PostgreSQL evaluates it once and skips the input
        // altogether when no touched key has a NULL, which is the usual case.
        return List.of(
                "EXISTS (SELECT 1 FROM " + cte + " AS " + ROW + " WHERE " + byKey().sql() + ")",
                "EXISTS (SELECT 1 FROM " + cte + " AS " + ROW + " WHERE " + anyNull + ") AND EXISTS (SELECT 1 FROM " + cte
                        + " AS " + ROW + " WHERE " + anyNull + " AND " + String.join(" AND ", nullSafe) + ")");
    }
}
