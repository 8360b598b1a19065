package dev.pgtrickle.ivm.plan;

import java.util.List;

/** Reads a source relation under an alias: {@code FROM schema.name AS alias}. */
public record Scan(Source source, String alias) implements Plan {

    @Override
    public List<String> columns() {
        return source.columns();
    }

    @Override
    public List<Plan> inputs() {
        return List.of();
    }
}
