package dev.pgtrickle.ivm.compile;

import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces the {@code __pgt_key_<n>} and {@code __pgt_agg_<n>} placeholders of aggregate
 * outputs. The {@code __pgt_} prefix is reserved (user columns may not use it), so a whole-word
 * match cannot hit user text outside string literals, where the parser never puts placeholders.
 */
final class Placeholders {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\b__pgt_(key|agg)_(\\d+)\\b");

    private Placeholders() {
    }

    /**
     * @param keys SQL for key placeholder n (1-based)
     * @param aggregates SQL for aggregate placeholder n (1-based)
     */
    static String substitute(String expression, Function<Integer, String> keys, Function<Integer, String> aggregates) {
        Matcher matcher = PLACEHOLDER.matcher(expression);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            int index = Integer.parseInt(matcher.group(2));
            String replacement = matcher.group(1).equals("key") ? keys.apply(index) : aggregates.apply(index);
            matcher.appendReplacement(out, Matcher.quoteReplacement("(" + replacement + ")"));
        }
        matcher.appendTail(out);
        return out.toString();
    }
}
