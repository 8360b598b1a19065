package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.sql.QuotedText;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which columns of each FROM item a canonical query text may reference, so that the delta rules
 * carry only those through every join level instead of every column of every table (see
 * docs/architecture.md, "Column pruning").
 *
 * <p>Read from the tokens of the text, not from the syntax tree, so no clause can be missed: a
 * column counts as used if it is named {@code alias.column}, or named bare anywhere (PostgreSQL
 * prints a block with one FROM item without qualifiers), or if the whole row is
 * ({@code alias.*}, which is how PostgreSQL prints a whole-row reference), or if a {@code *}
 * select item remains. Any other word that happens to equal a column name keeps that column too:
 * the answer may hold more columns than needed, never fewer.
 */
final class ColumnUse {

    private enum Kind { WORD, DOT, STAR, OTHER }

    /** A token; {@code keyword} for an unquoted word, which may be an SQL keyword. */
    private record Token(Kind kind, String text, boolean keyword) {

        Token(Kind kind, String text) {
            this(kind, text, false);
        }

        boolean is(String word) {
            return keyword && text.equals(word);
        }

        boolean isAny(Set<String> words) {
            return keyword && words.contains(text);
        }
    }

    /**
     * Words after which an EXISTS body's select list stays counted: the list may matter there
     * (DISTINCT, grouping, set operations), or the body is not one plain block.
     */
    private static final Set<String> NOT_PLAIN = Set.of("distinct", "group", "having", "union", "intersect", "except",
            "limit", "offset", "fetch", "window");

    private final Map<String, Set<String>> qualified = new HashMap<>();
    private final Set<String> wholeRows = new HashSet<>();
    private final Set<String> bare = new HashSet<>();
    private boolean everything;

    private ColumnUse() {
    }

    static ColumnUse of(String sql) {
        ColumnUse use = new ColumnUse();
        List<Token> tokens = withoutExistsSelectLists(tokens(sql));
        for (int i = 0; i < tokens.size(); i++) {
            Token token = tokens.get(i);
            Kind before = i > 0 ? tokens.get(i - 1).kind() : Kind.OTHER;
            Kind after = i + 1 < tokens.size() ? tokens.get(i + 1).kind() : Kind.OTHER;
            if (token.kind() == Kind.WORD && after == Kind.DOT && i + 2 < tokens.size()) {
                Token next = tokens.get(i + 2);
                if (next.kind() == Kind.WORD) {
                    use.qualified.computeIfAbsent(token.text(), k -> new HashSet<>()).add(next.text());
                } else if (next.kind() == Kind.STAR) {
                    use.wholeRows.add(token.text());
                }
            }
            if (token.kind() == Kind.WORD && before != Kind.DOT && after != Kind.DOT) {
                use.bare.add(token.text());
            }
            if (token.kind() == Kind.STAR && before != Kind.DOT && startsSelectItem(tokens, i)) {
                use.everything = true;
            }
        }
        return use;
    }

    /** The columns of {@code columns} (a FROM item's, in order) the text may reference under {@code alias}. */
    List<String> used(String alias, List<String> columns) {
        if (everything || wholeRows.contains(alias)) {
            return columns;
        }
        Set<String> named = qualified.getOrDefault(alias, Set.of());
        List<String> used = new ArrayList<>();
        for (String column : columns) {
            if (named.contains(column) || bare.contains(column)) {
                used.add(column);
            }
        }
        return used;
    }

    /** Whether the text names {@code column} unqualified somewhere. */
    boolean namesBare(String column) {
        return bare.contains(column);
    }

    /**
     * The tokens without the select lists of plain {@code EXISTS} subqueries, which PostgreSQL
     * prints with {@code SELECT *} expanded to every column of every table: an EXISTS tests
     * whether rows exist, so its select list reads nothing (TPC-H Q4's and Q22's would otherwise
     * carry all 16 columns of {@code lineitem} and 9 of {@code orders}). Only lists of columns and
     * literals, in a body without DISTINCT, grouping, set operations or LIMIT: any call, cast or
     * subquery in the list, or any such clause, keeps the list counted.
     */
    private static List<Token> withoutExistsSelectLists(List<Token> tokens) {
        List<Token> kept = new ArrayList<>();
        int i = 0;
        while (i < tokens.size()) {
            kept.add(tokens.get(i));
            if (tokens.get(i).is("exists") && i + 2 < tokens.size() && tokens.get(i + 1).text().equals("(")
                    && tokens.get(i + 2).is("select")) {
                int from = plainSelectListEnd(tokens, i + 3);
                if (from > 0) {
                    kept.add(tokens.get(i + 1));
                    kept.add(tokens.get(i + 2));
                    i = from;
                    continue;
                }
            }
            i++;
        }
        return kept;
    }

    /**
     * The index of the FROM ending a select list of columns and literals that starts at
     * {@code start}, in a body that passes {@link #NOT_PLAIN}; -1 otherwise.
     */
    private static int plainSelectListEnd(List<Token> tokens, int start) {
        int from = start;
        while (from < tokens.size() && !tokens.get(from).is("from")) {
            Token token = tokens.get(from);
            boolean item = token.kind() == Kind.WORD && !token.isAny(NOT_PLAIN) || token.kind() == Kind.DOT
                    || token.kind() == Kind.STAR || token.text().equals(",") || token.text().equals("'");
            if (!item) {
                return -1;
            }
            from++;
        }
        int depth = 0;
        for (int i = from; i < tokens.size() && depth >= 0; i++) {
            Token token = tokens.get(i);
            if (token.text().equals("(")) {
                depth++;
            } else if (token.text().equals(")")) {
                depth--;
            } else if (depth == 0 && token.isAny(NOT_PLAIN)) {
                return -1;
            }
        }
        return from < tokens.size() ? from : -1;
    }

    /** A {@code *} right after SELECT, DISTINCT, ALL or a comma is a select item, not a product. */
    private static boolean startsSelectItem(List<Token> tokens, int star) {
        if (star == 0) {
            return true;
        }
        Token before = tokens.get(star - 1);
        return before.text().equals(",") || before.kind() == Kind.WORD
                && Set.of("select", "distinct", "all").contains(before.text());
    }

    private static List<Token> tokens(String sql) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            int end;
            if (c == '\'' || QuotedText.escapeStringAt(sql, i)) {
                end = QuotedText.end(sql, c == '\'' ? i : i + 1);
                tokens.add(new Token(Kind.OTHER, "'"));
            } else if (c == '"') {
                end = QuotedText.end(sql, i);
                tokens.add(new Token(Kind.WORD, Identifiers.unquote(sql.substring(i, end < 0 ? sql.length() : end))));
            } else if (QuotedText.isWordChar(c)) {
                end = i;
                while (end < sql.length() && QuotedText.isWordChar(sql.charAt(end))) {
                    end++;
                }
                tokens.add(new Token(Kind.WORD, Identifiers.unquote(sql.substring(i, end)), true));
            } else if (Character.isWhitespace(c)) {
                end = i + 1;
            } else {
                end = i + 1;
                Kind kind = c == '.' ? Kind.DOT : c == '*' ? Kind.STAR : Kind.OTHER;
                tokens.add(new Token(kind, String.valueOf(c)));
            }
            i = end < 0 ? sql.length() : end;
        }
        return tokens;
    }
}
