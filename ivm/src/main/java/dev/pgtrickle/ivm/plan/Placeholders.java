package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.sql.QuotedText;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces the {@code __pgt_key_<n>} and {@code __pgt_agg_<n>} placeholders of aggregate
 * outputs. Names starting with {@code __pgt_} are refused in user queries, so a whole-word match
 * cannot hit a user's name; string literals and quoted identifiers are skipped, since a user's
 * literal may hold any text ({@code 'x __pgt_key_1'} stays what it is).
 */
public final class Placeholders {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\b__pgt_(key|agg|grouping)_(\\d+)\\b");

    private Placeholders() {
    }

    /**
     * @param keys SQL for key placeholder n (1-based)
     * @param aggregates SQL for aggregate placeholder n (1-based)
     */
    public static String substitute(String expression, Function<Integer, String> keys, Function<Integer, String> aggregates) {
        return substitute(expression, keys, aggregates, Placeholders::grouping);
    }

    /** The placeholder of the n-th (1-based) GROUPING(…) call of a query with grouping sets. */
    public static String grouping(int index) {
        return "__pgt_grouping_" + index;
    }

    /**
     * As {@link #substitute(String, Function, Function)}, also replacing the placeholders of
     * GROUPING(…) calls (by {@code groupings}).
     */
    public static String substitute(String expression, Function<Integer, String> keys, Function<Integer, String> aggregates,
                                    Function<Integer, String> groupings) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < expression.length()) {
            int quote = nextQuote(expression, i);
            substituteIn(expression.substring(i, quote), keys, aggregates, groupings, out);
            if (quote == expression.length()) {
                break;
            }
            int end = QuotedText.end(expression, quote);
            end = end < 0 ? expression.length() : end;
            out.append(expression, quote, end);
            i = end;
        }
        return out.toString();
    }

    private static void substituteIn(String sql, Function<Integer, String> keys, Function<Integer, String> aggregates,
                                     Function<Integer, String> groupings, StringBuilder out) {
        Matcher matcher = PLACEHOLDER.matcher(sql);
        while (matcher.find()) {
            int index = Integer.parseInt(matcher.group(2));
            String replacement = switch (matcher.group(1)) {
                case "key" -> keys.apply(index);
                case "agg" -> aggregates.apply(index);
                default -> groupings.apply(index);
            };
            // A placeholder left as it is stays bare, so that it can be replaced again.
            matcher.appendReplacement(out, Matcher.quoteReplacement(
                    replacement.equals(matcher.group()) ? replacement : "(" + replacement + ")"));
        }
        matcher.appendTail(out);
    }

    private static int nextQuote(String sql, int from) {
        for (int i = from; i < sql.length(); i++) {
            if (sql.charAt(i) == '\'' || sql.charAt(i) == '"') {
                return i;
            }
        }
        return sql.length();
    }
}
