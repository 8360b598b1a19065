package dev.pgtrickle.ivm.plan;

import java.util.List;
import java.util.regex.Pattern;

/**
 * References to {@code alias.column} in canonical SQL text: each name quoted, or bare where a
 * bare name denotes it. Accepting both spellings cannot confuse two columns, since a bare name is
 * only accepted where it denotes exactly that name.
 */
final class ColumnText {

    private static final Pattern PLAIN = Pattern.compile("[a-z_][a-z0-9_]*");

    private ColumnText() {
    }

    /** Whether {@code expression} is nothing but the reference {@code alias.column}. */
    static boolean isReference(String expression, String alias, String column) {
        for (String reference : references(alias, column)) {
            if (expression.equals(reference)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code expression} contains the reference {@code alias.column}, not as part of a longer name. */
    static boolean mentions(String expression, String alias, String column) {
        for (String reference : references(alias, column)) {
            for (int at = expression.indexOf(reference); at >= 0; at = expression.indexOf(reference, at + 1)) {
                int end = at + reference.length();
                if ((at == 0 || !nameChar(expression.charAt(at - 1)))
                        && (end == expression.length() || !nameChar(expression.charAt(end)))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether {@code expression} contains the whole-row reference {@code alias.*}. */
    static boolean mentionsRow(String expression, String alias) {
        return spellings(alias).stream().anyMatch(a -> {
            String row = a + ".*";
            for (int at = expression.indexOf(row); at >= 0; at = expression.indexOf(row, at + 1)) {
                if (at == 0 || !nameChar(expression.charAt(at - 1))) {
                    return true;
                }
            }
            return false;
        });
    }

    private static List<String> references(String alias, String column) {
        return spellings(alias).stream().flatMap(a -> spellings(column).stream().map(c -> a + "." + c)).toList();
    }

    private static List<String> spellings(String name) {
        String quoted = '"' + name.replace("\"", "\"\"") + '"';
        return PLAIN.matcher(name).matches() ? List.of(quoted, name) : List.of(quoted);
    }

    private static boolean nameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$' || c == '"' || c == '.';
    }
}
