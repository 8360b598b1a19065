package dev.pgtrickle.ivm.plan;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A predicate (SQL text) and the aliases it refers to, which decide where it may be evaluated:
 * the rewrite of inner joins places each condition at the lowest join that sees all its aliases.
 *
 * @param conjuncts the predicate as a conjunction, as far as it is known to be one; the
 *     equalities among them are what a join can probe an index or hash with
 */
public record Condition(String sql, Set<String> aliases, List<Conjunct> conjuncts) {

    public static final Condition TRUE = new Condition("true", Set.of(), List.of());

    /**
     * An operand of an equality: its SQL and aliases, and, when it is a qualified column, the
     * alias and the column's name ({@code null} otherwise).
     */
    public record Operand(String sql, Set<String> aliases, String alias, String column) {

        public Operand {
            aliases = Set.copyOf(aliases);
        }

        /** An expression that is not (known to be) a plain column. */
        public static Operand expression(String sql, Set<String> aliases) {
            return new Operand(sql, aliases, null, null);
        }

        /** The column {@code alias.column}, written as {@code sql}. */
        public static Operand column(String sql, String alias, String column) {
            return new Operand(sql, Set.of(alias), alias, column);
        }
    }

    /**
     * One conjunct; {@code left} and {@code right} are its operands when it is a comparison
     * ({@code operator} one of {@code = < <= > >=}), else {@code null}.
     */
    public record Conjunct(String sql, Set<String> aliases, String operator, Operand left, Operand right) {

        public Conjunct {
            aliases = Set.copyOf(aliases);
        }

        /** Not a comparison the condition knows the operands of. */
        public static Conjunct opaque(String sql, Set<String> aliases) {
            return new Conjunct(sql, aliases, null, null, null);
        }

        public boolean isEquality() {
            return "=".equals(operator);
        }
    }

    /** A conjunct {@code alias.column = expression}, the expression naming only {@code others}. */
    public record Equality(String alias, String column, Set<String> others) {
    }

    /**
     * An equality between an expression over one side of a join and one over the other.
     *
     * @param own the operand over the side the split was asked for first
     */
    public record Key(Operand own, Operand other) {
    }

    /**
     * The condition as equalities between two sides and conditions on either side alone.
     *
     * @param own conjuncts over the first side only (or no side)
     * @param other conjuncts over the second side only
     */
    public record Split(List<Key> keys, List<String> own, List<String> other) {
    }

    public Condition {
        aliases = Set.copyOf(aliases);
        conjuncts = List.copyOf(conjuncts);
    }

    /** A condition of one conjunct that is not an equality a join could use. */
    public Condition(String sql, Set<String> aliases) {
        this(sql, aliases, List.of(Conjunct.opaque(sql, aliases)));
    }

    /** {@code (left = right)}. */
    public static Condition equal(Operand left, Operand right) {
        String sql = "(" + left.sql() + " = " + right.sql() + ")";
        Set<String> aliases = new HashSet<>(left.aliases());
        aliases.addAll(right.aliases());
        return new Condition(sql, aliases, List.of(new Conjunct(sql, aliases, "=", left, right)));
    }

    /** Equal when the predicate and its aliases are: the conjuncts are read off the same text. */
    @Override
    public boolean equals(Object other) {
        return other instanceof Condition c && c.sql.equals(sql) && c.aliases.equals(aliases);
    }

    @Override
    public int hashCode() {
        return sql.hashCode() * 31 + aliases.hashCode();
    }

    /** Each equality conjunct read as {@code column = expression}, both ways where both operands are columns. */
    public List<Equality> equalities() {
        List<Equality> equalities = new ArrayList<>();
        for (Conjunct conjunct : conjuncts) {
            if (conjunct.isEquality()) {
                equality(conjunct.left(), conjunct.right(), equalities);
                equality(conjunct.right(), conjunct.left(), equalities);
            }
        }
        return equalities;
    }

    private static void equality(Operand column, Operand other, List<Equality> equalities) {
        if (column.column() != null && !other.aliases().contains(column.alias())) {
            equalities.add(new Equality(column.alias(), column.column(), other.aliases()));
        }
    }

    /** The columns of {@code alias} that this condition equates with expressions over {@code others} only. */
    public Set<String> columnsEquated(String alias, Set<String> others) {
        return equalities().stream().filter(e -> e.alias().equals(alias) && others.containsAll(e.others()))
                .map(Equality::column).collect(Collectors.toSet());
    }

    /**
     * The condition split between the aliases {@code own} and {@code other}: equalities between an
     * expression over each, and conjuncts over one side only. Empty when a conjunct mixes the
     * sides otherwise.
     */
    public Optional<Split> split(Set<String> own, Set<String> other) {
        List<Key> keys = new ArrayList<>();
        List<String> ownOnly = new ArrayList<>();
        List<String> otherOnly = new ArrayList<>();
        for (Conjunct conjunct : conjuncts) {
            if (own.containsAll(conjunct.aliases())) {
                ownOnly.add(conjunct.sql());
            } else if (other.containsAll(conjunct.aliases())) {
                otherOnly.add(conjunct.sql());
            } else if (conjunct.isEquality() && sides(conjunct.left(), conjunct.right(), own, other)) {
                keys.add(new Key(conjunct.left(), conjunct.right()));
            } else if (conjunct.isEquality() && sides(conjunct.right(), conjunct.left(), own, other)) {
                keys.add(new Key(conjunct.right(), conjunct.left()));
            } else {
                return Optional.empty();
            }
        }
        return Optional.of(new Split(keys, ownOnly, otherOnly));
    }

    /**
     * The conjuncts that equate an expression over {@code own} with one over {@code other}, as
     * keys; the other conjuncts, whatever they are, are left out.
     */
    public List<Key> equalities(Set<String> own, Set<String> other) {
        List<Key> keys = new ArrayList<>();
        for (Conjunct conjunct : conjuncts) {
            if (conjunct.isEquality() && sides(conjunct.left(), conjunct.right(), own, other)) {
                keys.add(new Key(conjunct.left(), conjunct.right()));
            } else if (conjunct.isEquality() && sides(conjunct.right(), conjunct.left(), own, other)) {
                keys.add(new Key(conjunct.right(), conjunct.left()));
            }
        }
        return keys;
    }

    /**
     * The condition as one comparison {@code own op other} (the operator turned around where the
     * operands come the other way), {@code own} over the aliases {@code own} only and
     * {@code other} over {@code other} only; empty when it is no such comparison.
     */
    public Optional<Conjunct> comparison(Set<String> own, Set<String> other) {
        if (conjuncts.size() != 1 || conjuncts.get(0).operator() == null) {
            return Optional.empty();
        }
        Conjunct c = conjuncts.get(0);
        if (sides(c.left(), c.right(), own, other)) {
            return Optional.of(c);
        }
        if (sides(c.right(), c.left(), own, other)) {
            String turned = switch (c.operator()) {
                case "<" -> ">";
                case "<=" -> ">=";
                case ">" -> "<";
                case ">=" -> "<=";
                default -> c.operator();
            };
            return Optional.of(new Conjunct(c.sql(), c.aliases(), turned, c.right(), c.left()));
        }
        return Optional.empty();
    }

    private static boolean sides(Operand first, Operand second, Set<String> own, Set<String> other) {
        return !first.aliases().isEmpty() && own.containsAll(first.aliases())
                && !second.aliases().isEmpty() && other.containsAll(second.aliases());
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
                real.stream().flatMap(c -> c.conjuncts().stream()).toList());
    }
}
