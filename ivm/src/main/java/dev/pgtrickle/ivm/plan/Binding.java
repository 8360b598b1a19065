package dev.pgtrickle.ivm.plan;

import java.util.List;

/** An alias visible in a FROM clause and the columns it has. */
public record Binding(String alias, List<String> columns) {

    public Binding {
        columns = List.copyOf(columns);
    }
}
