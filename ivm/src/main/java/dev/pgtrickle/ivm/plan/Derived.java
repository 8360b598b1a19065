package dev.pgtrickle.ivm.plan;

import java.util.List;

/** A subquery in FROM (or an expanded view) under an alias: {@code FROM (query) AS alias}. */
public record Derived(Plan query, String alias) implements Plan {

    @Override
    public List<String> columns() {
        return query.columns();
    }

    @Override
    public List<Plan> inputs() {
        return List.of(query);
    }
}
