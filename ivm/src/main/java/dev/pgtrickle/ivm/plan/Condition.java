package dev.pgtrickle.ivm.plan;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A predicate (SQL text) and the aliases it refers to, which decide where it may be evaluated:
 * the rewrite of inner joins places each condition at the lowest join that sees all its aliases.
 */
public record Condition(String sql, Set<String> aliases) {

    public static final Condition TRUE = new Condition("true", Set.of());

    public Condition {
        aliases = Set.copyOf(aliases);
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
                real.stream().flatMap(c -> c.aliases().stream()).collect(Collectors.toSet()));
    }
}
