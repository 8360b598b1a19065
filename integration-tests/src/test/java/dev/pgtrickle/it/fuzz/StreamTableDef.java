package dev.pgtrickle.it.fuzz;

import java.util.Map;
import java.util.Set;

/**
 * One stream table of a query shape.
 *
 * @param name schema-qualified name
 * @param query the defining query (also the oracle's query)
 * @param tables indexes of the base tables it reads, views expanded (a committed TRUNCATE of
 *     one of them makes its next refresh REINITIALIZE)
 * @param grouped whether the query has a GROUP BY (then every stored group has a positive
 *     {@code __pgt_count}); false for plain queries and aggregates without GROUP BY
 * @param strategy the strategy its plan must use, or {@code null} for "any"
 * @param compared how the oracle compares some columns (column name to an SQL expression over
 *     the columns, evaluated on both sides); the other columns are compared as they are
 */
record StreamTableDef(String name, String query, Set<Integer> tables, boolean grouped, String strategy,
                      Map<String, String> compared) {

    StreamTableDef {
        tables = Set.copyOf(tables);
        compared = Map.copyOf(compared);
    }

    static StreamTableDef plain(String name, String query, Integer... tables) {
        return new StreamTableDef(name, query, Set.of(tables), false, null, Map.of());
    }

    static StreamTableDef grouped(String name, String query, Integer... tables) {
        return new StreamTableDef(name, query, Set.of(tables), true, null, Map.of());
    }

    StreamTableDef withStrategy(String expected) {
        return new StreamTableDef(name, query, tables, grouped, expected, compared);
    }

    StreamTableDef comparing(String column, String expression) {
        Map<String, String> more = new java.util.HashMap<>(compared);
        more.put(column, expression);
        return new StreamTableDef(name, query, tables, grouped, strategy, more);
    }
}
