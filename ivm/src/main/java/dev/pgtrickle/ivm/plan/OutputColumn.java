package dev.pgtrickle.ivm.plan;

/** One column of a SELECT list: its output name and the SQL expression computing it. */
public record OutputColumn(String name, String expression) {
}
