package dev.pgtrickle.ivm.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Quoting and small building blocks for generated SQL. */
public final class Sql {

    private Sql() {
    }

    /** An identifier, always double-quoted: safe for any name, reserved word or not. */
    public static String ident(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    public static String qualified(String schema, String name) {
        return ident(schema) + '.' + ident(name);
    }

    /** A string literal. Standard-conforming strings are on in every supported PostgreSQL. */
    public static String literal(String value) {
        return '\'' + value.replace("'", "''") + '\'';
    }

    /** {@code prefix."c1", prefix."c2"}; no prefix when {@code prefix} is empty. */
    public static String columns(String prefix, List<String> names) {
        String dot = prefix.isEmpty() ? "" : prefix + '.';
        return names.stream().map(name -> dot + ident(name)).collect(Collectors.joining(", "));
    }

    /**
     * A select (or column) list: {@code items}, then {@code more}, comma-separated. Empty pieces
     * are left out, so an input read for no column (only a count of its rows) leaves no stray
     * comma behind.
     */
    public static String list(List<String> items, String... more) {
        List<String> all = new ArrayList<>(items);
        all.addAll(List.of(more));
        return all.stream().filter(item -> !item.isEmpty()).collect(Collectors.joining(", "));
    }

    /**
     * {@code sum}, a sum that is added to or subtracted from a kept one, checked to be finite:
     * NaN and the infinities do not cancel ({@code NaN - NaN} is NaN), so one that a change
     * brings in stops the refresh with SQLSTATE 22003, and the refresh falls back to FULL with
     * that reason. Told apart by their text, whatever the type (numeric and floats print
     * {@code Infinity}, intervals {@code infinity}).
     */
    public static String finiteSum(String sum) {
        return "CASE WHEN (" + sum + ")::text IN ('NaN', 'Infinity', '-Infinity', 'infinity', '-infinity')"
                + " THEN pgtrickle._not_finite(" + sum + ") ELSE " + sum + " END";
    }

    /** Predicates joined with AND, each parenthesized; {@code true} when there are none. */
    public static String and(List<String> predicates) {
        return joined(predicates, " AND ", "true");
    }

    /** The disjunction of {@code predicates}, each parenthesized ({@code false} for none). */
    public static String or(List<String> predicates) {
        return joined(predicates, " OR ", "false");
    }

    private static String joined(List<String> predicates, String operator, String none) {
        return predicates.isEmpty() ? none
                : predicates.stream().map(p -> "(" + p + ")").collect(Collectors.joining(operator));
    }

    /** The pieces of SQL (or conditions) of several lists, in order. */
    @SafeVarargs
    public static <T> List<T> concat(List<? extends T>... lists) {
        List<T> all = new ArrayList<>();
        for (List<? extends T> list : lists) {
            all.addAll(list);
        }
        return all;
    }
}
