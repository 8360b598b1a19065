package dev.pgtrickle.ivm.delta;

import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;

/**
 * A FROM clause and the conditions that go with it: the current state of a
 * {@link dev.pgtrickle.ivm.plan.FromPlan} with its aliases visible.
 *
 * @param from the FROM item, e.g. {@code "s"."t" AS "a"} or a join expression
 * @param joined whether {@code from} is a join expression, which needs parentheses when nested
 * @param where conditions that hold for every row, over the visible aliases
 */
public record Fragment(String from, boolean joined, List<String> where) {

    public Fragment {
        where = List.copyOf(where);
    }

    /** A single FROM item without conditions. */
    public static Fragment of(String from) {
        return new Fragment(from, false, List.of());
    }

    /** {@link #from} as an operand of a larger join expression. */
    public String nested() {
        return joined ? "(" + from + ")" : from;
    }

    /** The same fragment with one more condition. */
    public Fragment and(String condition) {
        List<String> more = new ArrayList<>(where);
        more.add(condition);
        return new Fragment(from, joined, more);
    }

    /** {@code SELECT items FROM from WHERE conditions}. */
    public String select(List<String> items) {
        return "SELECT " + String.join(", ", items) + " FROM " + from + " WHERE " + Sql.and(where);
    }
}
