package dev.pgtrickle.ivm.plan;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A predicate (SQL text) and the aliases it refers to, which decide where it may be evaluated:
 * the rewrite of inner joins places each condition at the lowest join that sees all its aliases.
 *
 * @param equalities the conjuncts that equate a column with an expression over other aliases,
 *     which a join can probe an index with
 */
public record Condition(String sql, Set<String> aliases, List<Equality> equalities) {

    public static final Condition TRUE = new Condition("true", Set.of());

    /** A conjunct {@code alias.column = expression}, the expression naming only {@code others}. */
    public record Equality(String alias, String column, Set<String> others) {

        public Equality {
            others = Set.copyOf(others);
        }
    }

    public Condition {
        aliases = Set.copyOf(aliases);
        equalities = List.copyOf(equalities);
    }

    /** A condition without equalities a join could probe with. */
    public Condition(String sql, Set<String> aliases) {
        this(sql, aliases, List.of());
    }

    /** Equal when the predicate and its aliases are: the equalities are read off the same text. */
    @Override
    public boolean equals(Object other) {
        return other instanceof Condition c && c.sql.equals(sql) && c.aliases.equals(aliases);
    }

    @Override
    public int hashCode() {
        return sql.hashCode() * 31 + aliases.hashCode();
    }

    /** The columns of {@code alias} that this condition equates with expressions over {@code others} only. */
    public Set<String> columnsEquated(String alias, Set<String> others) {
        return equalities.stream().filter(e -> e.alias().equals(alias) && others.containsAll(e.others()))
                .map(Equality::column).collect(Collectors.toSet());
    }

    public boolean isTrue() {
        return sql.equals("true");
    }

    /** Conditions joined with AND, each parenthesized; {@code true} when there are none. */
    public static Condition all(List<Condition> conditions) {
        List<Condition> real = conditions.stream().filter(c -> !c.isTrue()).toList();
        if (real.isEmpty()) {
            return TRUE;
        }
        if (real.size() == 1) {
            return real.get(0);
        }
        return new Condition(real.stream().map(c -> "(" + c.sql() + ")").collect(Collectors.joining(" AND ")),
                real.stream().flatMap(c -> c.aliases().stream()).collect(Collectors.toSet()),
                real.stream().flatMap(c -> c.equalities().stream()).toList());
    }
}
