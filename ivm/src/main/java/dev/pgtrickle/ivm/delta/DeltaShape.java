package dev.pgtrickle.ivm.delta;

import dev.pgtrickle.ivm.plan.Binding;
import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.Scan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a delta depends on, with the aliases numbered in the order they appear: two inputs of a
 * query with the same shape — scans of the same sources under the same filters and joins, e.g.
 * TPC-H Q11's {@code partsupp ⋈ supplier ⋈ nation} in the query and again in its HAVING
 * subquery — have the same delta, up to the columns each carries. Only scans, filters and joins
 * of those have a shape: other operators' deltas may depend on more than their inputs (a
 * lookup's restriction, a kept copy maintained by the delta).
 *
 * @param key equal for inputs whose deltas are equal
 * @param aliases the input's aliases, in the numbering's order
 */
record DeltaShape(String key, List<String> aliases) {

    /** The shape of {@code plan}, where it has one. */
    static Optional<DeltaShape> of(FromPlan plan) {
        Map<String, String> numbered = new LinkedHashMap<>();
        String key = key(plan, numbered);
        return key == null ? Optional.empty() : Optional.of(new DeltaShape(key, List.copyOf(numbered.keySet())));
    }

    private static String key(FromPlan plan, Map<String, String> numbered) {
        if (plan instanceof Scan scan) {
            numbered.put(scan.alias(), "a" + numbered.size());
            return "S" + scan.source().oid() + "/" + numbered.get(scan.alias());
        }
        if (plan instanceof Filter filter) {
            String input = key(filter.input(), numbered);
            String condition = condition(filter.condition(), numbered);
            return input == null || condition == null ? null : "F(" + input + ")[" + condition + "]";
        }
        if (plan instanceof Join join) {
            String left = key(join.left(), numbered);
            String right = left == null ? null : key(join.right(), numbered);
            String condition = right == null ? null : condition(join.condition(), numbered);
            return condition == null ? null : "J" + join.kind() + "(" + left + "," + right + ")[" + condition + "]";
        }
        return null;
    }

    /**
     * The condition's text with its aliases replaced by their numbers, outside string literals;
     * {@code null} where it reads an alias from outside the input.
     */
    private static String condition(Condition condition, Map<String, String> numbered) {
        if (!numbered.keySet().containsAll(condition.aliases())) {
            return null;
        }
        String sql = condition.sql();
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            int end;
            if (c == '\'') {
                end = closing(sql, i);
                if (end < 0) {
                    return null;
                }
                out.append(sql, i, end + 1);
            } else if (c == '"' || Character.isLetter(c) || c == '_') {
                end = c == '"' ? closing(sql, i) : identifierEnd(sql, i) - 1;
                if (end < 0) {
                    return null;
                }
                String word = sql.substring(i, end + 1);
                String alias = c == '"' ? word.substring(1, word.length() - 1).replace("\"\"", "\"") : word;
                boolean qualifier = end + 1 < sql.length() && sql.charAt(end + 1) == '.';
                out.append(qualifier && numbered.containsKey(alias) ? numbered.get(alias) : word);
            } else {
                end = i;
                out.append(c);
            }
            i = end + 1;
        }
        return out.toString();
    }

    /** Where the quoted text opening at {@code start} closes (a doubled quote inside is one); -1 if it does not. */
    private static int closing(String sql, int start) {
        char quote = sql.charAt(start);
        int end = sql.indexOf(quote, start + 1);
        while (end >= 0 && end + 1 < sql.length() && sql.charAt(end + 1) == quote) {
            end = sql.indexOf(quote, end + 2);
        }
        return end;
    }

    private static int identifierEnd(String sql, int start) {
        int i = start;
        while (i < sql.length() && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_'
                || sql.charAt(i) == '$')) {
            i++;
        }
        return i;
    }

    /**
     * The delta of {@code plan}, whose shape is this one's, as a query over the delta
     * {@code cte} of {@code earlier}: its columns picked by position; {@code null} where
     * {@code earlier} does not carry them all.
     */
    String projection(List<Binding> earlier, DeltaShape earlierShape, String cte, FromPlan plan) {
        List<String> items = new ArrayList<>();
        for (Binding binding : plan.bindings()) {
            String theirs = earlierShape.aliases().get(aliases.indexOf(binding.alias()));
            int offset = 0;
            List<String> columns = null;
            for (Binding e : earlier) {
                if (e.alias().equals(theirs)) {
                    columns = e.columns();
                    break;
                }
                offset += e.columns().size();
            }
            if (columns == null) {
                return null;
            }
            for (String column : binding.columns()) {
                int position = columns.indexOf(column);
                if (position < 0) {
                    return null;
                }
                items.add(DeltaContext.column(offset + position + 1) + " AS " + DeltaContext.column(items.size() + 1));
            }
        }
        items.add(DeltaContext.WEIGHT);
        return "SELECT " + String.join(", ", items) + " FROM " + cte;
    }
}
