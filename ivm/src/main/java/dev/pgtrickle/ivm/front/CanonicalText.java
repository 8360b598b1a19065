package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Clock;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.QuotedText;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A canonical query text (as {@code pg_get_viewdef} prints it) rewritten token by token into a
 * form JSqlParser 5.4 parses faithfully, and the way back from JSqlParser's deparsed text.
 *
 * <ul>
 *   <li>String literals become placeholders {@code '__pgt_lit_<n>'} and are put back verbatim by
 *       {@link #sql}: JSqlParser misreads some of them (a literal containing {@code \'}).</li>
 *   <li>{@code ~~}, {@code !~~}, {@code ~~*}, {@code !~~*} (PostgreSQL's names for LIKE and ILIKE)
 *       become the keywords: JSqlParser reads {@code a ~~ b} as {@code a ~ (~b)}.</li>
 *   <li>{@code ->} stands in as {@code !=} (which PostgreSQL never prints) and is put back by
 *       {@link #sql}: JSqlParser reads {@code ((j -> 'a') -> 'b')} as a lambda expression.</li>
 *   <li>Any other operator outside a list JSqlParser is known to round-trip is refused: it might
 *       be misread the same way (for example {@code #-} is read as {@code # -}).</li>
 *   <li>Identifiers PostgreSQL prints unquoted but JSqlParser reserves (such as {@code minus})
 *       are quoted, which means the same to PostgreSQL.</li>
 *   <li>Quoted identifiers containing a dot become placeholders {@code "__pgt_id_<n>"}: JSqlParser
 *       splits a column reference at every dot, even inside quotes ({@code "a.b"} is read as
 *       column {@code b} of table {@code a}). {@link #sql} puts them back and {@link #name} gives
 *       the name they denote.</li>
 *   <li>Names starting with {@code __pgt_} are refused: the generated SQL uses that prefix for its
 *       own aliases, columns and placeholders (the storage table is {@code "__pgt_storage__"} until
 *       a refresh runs), and a user's name spelled like one of them would be taken for it.</li>
 * </ul>
 */
final class CanonicalText {

    /** Operators verified to round-trip through JSqlParser 5.4 unchanged. */
    private static final Set<String> OPERATORS = Set.of(
            "+", "-", "*", "/", "%", "^", "=", "<>", "<", ">", "<=", ">=", "||",
            "~", "~*", "!~", "!~*", "->>", "#>", "#>>", "@>", "<@", "&&", "?", "?|", "?&",
            "@@", "<->", "&", "|", "#", "<<", ">>", "=>");

    /** Operators JSqlParser misreads, and what replaces them. */
    private static final Map<String, String> SUBSTITUTES = Map.of(
            "~~", " LIKE ", "!~~", " NOT LIKE ", "~~*", " ILIKE ", "!~~*", " NOT ILIKE ", "->", "!=");
    private static final String ARROW_STAND_IN = "!=";

    /**
     * Words JSqlParser 5.4 cannot read as identifiers although PostgreSQL prints them unquoted
     * (found by parsing each JSqlParser keyword as a column, table, schema, alias and function name).
     */
    private static final Set<String> JSQLPARSER_RESERVED = Set.of(
            "absent", "approximate", "connect_by_root", "convert", "csv", "current", "distinctrow",
            "errors", "excludes", "extend", "fbv", "file", "final", "force", "import", "includes",
            "interpret", "match", "minus", "nocycle", "output", "pivot", "preferring", "prewhere",
            "prior", "qualify", "returns", "safe_cast", "safe_convert", "sample", "script", "semi",
            "set", "settings", "sql_cache", "sql_calc_found_rows", "sql_no_cache", "statement",
            "struct", "top", "try_cast", "try_convert", "unbounded", "unknown", "unpivot", "use",
            "verify", "xor", "enum");

    /**
     * Words PostgreSQL prints unquoted both as names and inside its own syntax ({@code EXTRACT(year
     * FROM ts)}, {@code interval day to second}, {@code double precision}, {@code character varying}),
     * which JSqlParser reads as that syntax wherever they stand: a column named {@code year} became an
     * interval expression. They are quoted where they are names, left alone where they are syntax.
     */
    private static final Set<String> JSQLPARSER_SYNTAX_WORDS = Set.of(
            "year", "month", "day", "hour", "minute", "second", "double", "varying");

    private static final String OPERATOR_CHARS = "+-*/<>=~!@#%^&|`?";
    private static final String PLACEHOLDER_PREFIX = "'__pgt_lit_";
    private static final Pattern PLACEHOLDER = Pattern.compile("'__pgt_lit_\\d+'");
    private static final String IDENTIFIER_PREFIX = "\"__pgt_id_";
    private static final String RESERVED_PREFIX = "__pgt_";
    private static final String STORAGE_PLACEHOLDER = "\"__pgt_storage__\"";
    private static final Pattern IDENTIFIER_PLACEHOLDER = Pattern.compile("\"__pgt_id_\\d+\"");
    private static final Pattern KEPT_PLACEHOLDER = Pattern.compile("\"__pgt_kept_[0-9]+__\"");

    private final String parseable;
    private final List<String> literals;
    /** Quoted identifiers replaced by placeholders, as spelled (with their quotes). */
    private final List<String> identifiers;

    private CanonicalText(String parseable, List<String> literals, List<String> identifiers) {
        this.parseable = parseable;
        this.literals = literals;
        this.identifiers = identifiers;
    }

    static CanonicalText of(String sql) throws UnsupportedQueryException {
        StringBuilder out = new StringBuilder(sql.length());
        List<String> literals = new ArrayList<>();
        List<String> identifiers = new ArrayList<>();
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            int end;
            if (c == '\'' || QuotedText.escapeStringAt(sql, i)) {
                end = quotedEnd(sql, c == '\'' ? i : i + 1);
                String literal = sql.substring(i, end);
                refuseStoragePlaceholder(literal);
                int index = literals.indexOf(literal);
                if (index < 0) {
                    index = literals.size();
                    literals.add(literal);
                }
                out.append("'__pgt_lit_").append(index).append('\'');
            } else if (c == '"') {
                end = quotedEnd(sql, i);
                String quoted = sql.substring(i, end);
                refuseReserved(Identifiers.unquote(quoted));
                refuseStoragePlaceholder(quoted);
                if (quoted.indexOf('.') >= 0) {
                    int index = identifiers.indexOf(quoted);
                    if (index < 0) {
                        index = identifiers.size();
                        identifiers.add(quoted);
                    }
                    out.append(IDENTIFIER_PREFIX).append(index).append('"');
                } else {
                    out.append(quoted);
                }
            } else if (Character.isLetter(c) || c == '_') {
                end = wordEnd(sql, i);
                String word = sql.substring(i, end);
                refuseReserved(word);
                Clocked clocked = clock(sql, i, end, word);
                if (clocked != null) {
                    out.append(clocked.sql());
                    i = clocked.end();
                    continue;
                }
                boolean quote = JSQLPARSER_RESERVED.contains(word)
                        || (JSQLPARSER_SYNTAX_WORDS.contains(word) && !isSyntax(sql, i, end, word));
                out.append(quote ? '"' + word + '"' : word);
            } else if (OPERATOR_CHARS.indexOf(c) >= 0) {
                end = operatorEnd(sql, i);
                out.append(operator(sql.substring(i, end)));
            } else {
                end = i + 1;
                out.append(c);
            }
            i = end;
        }
        return new CanonicalText(out.toString(), List.copyOf(literals), List.copyOf(identifiers));
    }

    /** A reading of the clock and where its text ends. */
    private record Clocked(String sql, int end) {
    }

    /**
     * The word at {@code start} as a reading of the clock written as {@link Clock#NOW}, which a
     * refresh maintains ({@link Clock}), or {@code null} when it is none. The readings that
     * {@link Clock} cannot maintain (the time of day, a rounded time) are refused.
     */
    private static Clocked clock(String sql, int start, int end, String word) throws UnsupportedQueryException {
        if (start > 0 && sql.charAt(start - 1) == '.') {
            return null;
        }
        boolean call = sql.startsWith("()", end);
        boolean precision = sql.startsWith("(", end) && !call;
        switch (word) {
            case "now", "transaction_timestamp" -> {
                return call ? new Clocked(Clock.NOW, end + 2) : null;
            }
            case "CURRENT_TIMESTAMP", "CURRENT_DATE", "LOCALTIMESTAMP" -> {
                if (precision) {
                    throw new UnsupportedQueryException(excerpt(sql, start), word + " with a precision is not maintained"
                            + " yet; write " + word + " without one");
                }
                String sqlOf = switch (word) {
                    case "CURRENT_DATE" -> "CAST(" + Clock.NOW + " AS date)";
                    case "LOCALTIMESTAMP" -> "CAST(" + Clock.NOW + " AS timestamp)";
                    default -> Clock.NOW;
                };
                return new Clocked(sqlOf, end);
            }
            case "CURRENT_TIME", "LOCALTIME" -> throw new UnsupportedQueryException(excerpt(sql, start),
                    "the time of day moves back at midnight: a query reading it cannot be maintained");
            default -> {
                return null;
            }
        }
    }

    private static void refuseReserved(String name) throws UnsupportedQueryException {
        if (name.startsWith(RESERVED_PREFIX)) {
            throw new UnsupportedQueryException(name,
                    "names starting with __pgt_ are reserved for the SQL pgtrickle generates");
        }
    }

    /** Refreshes put the storage and kept-state tables' names in place of these texts wherever they are. */
    private static void refuseStoragePlaceholder(String token) throws UnsupportedQueryException {
        if (token.contains(STORAGE_PLACEHOLDER)) {
            throw new UnsupportedQueryException(token, "the text " + STORAGE_PLACEHOLDER
                    + " is reserved for the SQL pgtrickle generates");
        }
        if (KEPT_PLACEHOLDER.matcher(token).find()) {
            throw new UnsupportedQueryException(token, "texts like \"__pgt_kept_1__\" are reserved for the SQL"
                    + " pgtrickle generates");
        }
    }

    /** The text to hand to JSqlParser. */
    String parseable() {
        return parseable;
    }

    /** JSqlParser's deparsed text of {@code node} with the original literals and operators put back. */
    String sql(Object node) {
        String deparsed = node.toString();
        StringBuilder out = new StringBuilder(deparsed.length());
        int i = 0;
        while (i < deparsed.length()) {
            char c = deparsed.charAt(i);
            int end;
            if (c == '\'') {
                end = closing(deparsed, '\'', i);
                String literal = deparsed.substring(i, end);
                out.append(PLACEHOLDER.matcher(literal).matches() ? literals.get(placeholderIndex(literal)) : literal);
            } else if (c == '"') {
                end = closing(deparsed, '"', i);
                out.append(original(deparsed.substring(i, end)));
            } else if (OPERATOR_CHARS.indexOf(c) >= 0) {
                end = operatorEnd(deparsed, i);
                String op = deparsed.substring(i, end);
                out.append(op.equals(ARROW_STAND_IN) ? "->" : op);
            } else {
                end = i + 1;
                out.append(c);
            }
            i = end;
        }
        return out.toString();
    }

    /**
     * The name an identifier spelled in the parseable text (as JSqlParser hands it out) denotes:
     * quotes removed, or folded to lower case like PostgreSQL does.
     */
    String name(String spelled) {
        return Identifiers.unquote(original(spelled));
    }

    /** An identifier as spelled in the canonical text: placeholders replaced by what they stand for. */
    private String original(String spelled) {
        if (IDENTIFIER_PLACEHOLDER.matcher(spelled).matches()) {
            return identifiers.get(Integer.parseInt(spelled.substring(IDENTIFIER_PREFIX.length(), spelled.length() - 1)));
        }
        return spelled;
    }

    private static int placeholderIndex(String placeholder) {
        return Integer.parseInt(placeholder.substring(PLACEHOLDER_PREFIX.length(), placeholder.length() - 1));
    }

    /** The end of the quoted token starting at {@code start}, or of the text if it is cut short. */
    private static int closing(String text, char quote, int start) {
        int close = text.indexOf(quote, start + 1);
        return close < 0 ? text.length() : close + 1;
    }

    /** End of the literal or quoted identifier whose opening quote is at {@code quote}. */
    private static int quotedEnd(String sql, int quote) throws UnsupportedQueryException {
        int end = QuotedText.end(sql, quote);
        if (end < 0) {
            throw new UnsupportedQueryException(excerpt(sql, quote),
                    sql.charAt(quote) == '"' ? "unterminated quoted identifier" : "unterminated string literal");
        }
        return end;
    }

    /**
     * Whether one of {@link #JSQLPARSER_SYNTAX_WORDS} is part of PostgreSQL's syntax here: a field
     * of EXTRACT or of an interval type, {@code double precision}, {@code character varying} or
     * {@code bit varying}. The words around it are keywords PostgreSQL would quote as names.
     */
    private static boolean isSyntax(String sql, int start, int end, String word) {
        int before = start;
        while (before > 0 && Character.isWhitespace(sql.charAt(before - 1))) {
            before--;
        }
        boolean afterParenthesis = before > 0 && sql.charAt(before - 1) == '(';
        if (afterParenthesis) {
            before--;
            while (before > 0 && Character.isWhitespace(sql.charAt(before - 1))) {
                before--;
            }
        }
        int wordStart = before;
        while (wordStart > 0 && QuotedText.isWordChar(sql.charAt(wordStart - 1))) {
            wordStart--;
        }
        String previous = sql.substring(wordStart, before).toLowerCase(java.util.Locale.ROOT);
        if (afterParenthesis) {
            return previous.equals("extract") && !word.equals("double") && !word.equals("varying");
        }
        int after = end;
        while (after < sql.length() && Character.isWhitespace(sql.charAt(after))) {
            after++;
        }
        String next = sql.substring(after, wordEnd(sql, after)).toLowerCase(java.util.Locale.ROOT);
        return switch (word) {
            case "double" -> next.equals("precision");
            case "varying" -> previous.equals("character") || previous.equals("bit");
            default -> previous.equals("interval") || previous.equals("to");
        };
    }

    private static int wordEnd(String sql, int start) {
        int i = start;
        while (i < sql.length() && QuotedText.isWordChar(sql.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int operatorEnd(String sql, int start) {
        int i = start;
        while (i < sql.length() && OPERATOR_CHARS.indexOf(sql.charAt(i)) >= 0) {
            i++;
        }
        return i;
    }

    private static String operator(String op) throws UnsupportedQueryException {
        String substitute = SUBSTITUTES.get(op);
        if (substitute != null) {
            return substitute;
        }
        if (!OPERATORS.contains(op)) {
            throw new UnsupportedQueryException("operator " + op,
                    "this operator is not supported by the differential compiler yet");
        }
        return op;
    }

    private static String excerpt(String sql, int from) {
        return sql.substring(from, Math.min(sql.length(), from + 40));
    }
}
