package dev.pgtrickle.ivm.sql;

/**
 * Where the string literals and quoted identifiers of PostgreSQL's SQL text end, for code that
 * must treat what is inside them as the user's text, not as SQL.
 */
public final class QuotedText {

    private QuotedText() {
    }

    /** Whether an escape string {@code E'…'} starts at {@code i} (the E not ending a longer word). */
    public static boolean escapeStringAt(String sql, int i) {
        return (sql.charAt(i) == 'E' || sql.charAt(i) == 'e')
                && i + 1 < sql.length() && sql.charAt(i + 1) == '\''
                && (i == 0 || !isWordChar(sql.charAt(i - 1)));
    }

    /**
     * The end (exclusive) of the literal ({@code '}) or quoted identifier ({@code "}) whose opening
     * quote is at {@code quote}: a doubled quote stays inside, and a literal of an escape string
     * also has backslash escapes. {@code -1} when it is not terminated.
     */
    public static int end(String sql, int quote) {
        char q = sql.charAt(quote);
        boolean backslashEscapes = q == '\'' && quote > 0 && escapeStringAt(sql, quote - 1);
        int i = quote + 1;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
            } else if (c == q) {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == q) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return -1;
    }

    /** Whether {@code text} occurs in {@code sql} outside its literals and quoted identifiers. */
    public static boolean containsOutside(String sql, String text) {
        return indexOutside(sql, text, 0) >= 0;
    }

    /**
     * {@code sql} with every occurrence of {@code text} outside its literals and quoted
     * identifiers replaced: what a user wrote inside quotes is data, not SQL.
     */
    public static String replaceOutside(String sql, String text, String replacement) {
        StringBuilder out = new StringBuilder(sql.length());
        int done = 0;
        for (int at = indexOutside(sql, text, 0); at >= 0; at = indexOutside(sql, text, done)) {
            out.append(sql, done, at).append(replacement);
            done = at + text.length();
        }
        return out.append(sql, done, sql.length()).toString();
    }

    /** Where {@code text} next occurs in {@code sql} from {@code from} outside quotes; -1 when it does not. */
    private static int indexOutside(String sql, String text, int from) {
        int i = from;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (c == '\'' || c == '"') {
                int end = end(sql, i);
                if (end < 0) {
                    return -1;
                }
                i = end;
            } else if (sql.startsWith(text, i)) {
                return i;
            } else {
                i++;
            }
        }
        return -1;
    }

    /** A character of a word: letters, digits, {@code _} and {@code $}. */
    public static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }
}
