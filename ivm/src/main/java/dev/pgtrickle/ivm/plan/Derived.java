package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A subquery in FROM (or an expanded view, or a CTE) under an alias:
 * {@code FROM (query) AS alias (columns)}.
 *
 * @param columns the names its columns are known by: the query's own, or a column alias list
 */
public record Derived(QueryPlan query, String alias, List<String> columns) implements FromPlan {

    public Derived {
        columns = List.copyOf(columns);
        if (columns.size() != query.columns().size()) {
            throw new IllegalArgumentException("a subquery with " + query.columns().size() + " columns named "
                    + columns);
        }
    }

    /** The column of this subquery that {@code expression} is nothing but a reference to, if any. */
    public Optional<String> referencedColumn(String expression) {
        return columns.stream().filter(c -> ColumnText.isReference(expression, alias, c)).findFirst();
    }

    /** A column of what {@code within} binds to an alias (inside the subquery: its FROM). */
    public record ColumnReference(FromPlan within, String alias, String column) {
    }

    /**
     * The columns of inputs of the subquery that its column {@code column} is, when it is nothing
     * but a reference to one (through a projection and DISTINCT, or a group key of an
     * aggregate) — on every side of a set operation, one per side; empty otherwise (an
     * expression, an aggregate's value, a side where it is either). What IMMEDIATE mode's join
     * stamps follow into it.
     */
    public List<ColumnReference> columnsOf(String column) {
        int at = columns.indexOf(column);
        if (at < 0) {
            return List.of();
        }
        List<ColumnReference> references = new ArrayList<>();
        for (QueryPlan side : query instanceof SetOperation operation ? operation.sides() : List.of(query)) {
            Optional<ColumnReference> reference = columnAt(side, at);
            if (reference.isEmpty()) {
                return List.of();
            }
            references.add(reference.get());
        }
        return references;
    }

    private static Optional<ColumnReference> columnAt(QueryPlan query, int at) {
        QueryPlan plan = query instanceof Distinct distinct ? distinct.input() : query;
        if (plan instanceof Project project) {
            return referenceTo(project.outputs().get(at).expression(), project.input());
        }
        if (plan instanceof Aggregate aggregate) {
            String expression = aggregate.outputs().get(at).expression();
            for (int key = 1; key <= aggregate.groupKeys().size(); key++) {
                if (expression.equals(Aggregate.keyPlaceholder(key))) {
                    return referenceTo(aggregate.groupKeys().get(key - 1), aggregate.input());
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<ColumnReference> referenceTo(String expression, FromPlan within) {
        for (Binding binding : within.bindings()) {
            for (String name : binding.columns()) {
                if (ColumnText.isReference(expression, binding.alias(), name)) {
                    return Optional.of(new ColumnReference(within, binding.alias(), name));
                }
            }
        }
        return Optional.empty();
    }

    /** Under the query's own column names. */
    public Derived(QueryPlan query, String alias) {
        this(query, alias, query.columns());
    }

    @Override
    public List<Binding> bindings() {
        return List.of(new Binding(alias, columns));
    }

    @Override
    public List<Plan> inputs() {
        return List.of(query);
    }

    @Override
    public Fragment current(DeltaContext context) throws UnsupportedQueryException {
        String names = columns.equals(query.columns()) ? ""
                : columns.stream().map(Sql::ident).collect(Collectors.joining(", ", " (", ")"));
        return Fragment.of("(" + query.current(context) + ") AS " + Sql.ident(alias) + names);
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        String cte = context.delta(query);
        List<String> items = new ArrayList<>();
        List<String> own = query.columns();
        for (int i = 0; i < own.size(); i++) {
            items.add("__pgt_q." + Sql.ident(own.get(i)) + " AS " + DeltaContext.column(i + 1));
        }
        items.add("__pgt_q." + DeltaContext.WEIGHT);
        return "SELECT " + String.join(", ", items) + " FROM " + cte + " AS __pgt_q";
    }

    @Override
    public boolean probedBy(Set<String> known, List<Condition> conditions) {
        return false;
    }

    @Override
    public String describe() {
        return "Subquery AS " + alias;
    }

    @Override
    public String deltaRule() {
        return "delta: the subquery's delta";
    }
}
