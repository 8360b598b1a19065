package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;

/** SQL pieces shared by the aggregate strategies. */
final class AggregateParts {

    private AggregateParts() {
    }

    /** Column name of the delta's n-th group key. */
    static String key(int index) {
        return "__pgt_k" + index;
    }

    /** {@code K1 AS __pgt_k1, …}: the group keys of the input rows. */
    static List<String> keyItems(Aggregate aggregate) {
        List<String> items = new ArrayList<>();
        for (int i = 1; i <= aggregate.groupKeys().size(); i++) {
            items.add("(" + aggregate.groupKeys().get(i - 1) + ") AS " + key(i));
        }
        return items;
    }

    /** {@code alias.__pgt_k1, …}. */
    static List<String> keyColumns(Aggregate aggregate, String alias) {
        List<String> columns = new ArrayList<>();
        for (int i = 1; i <= aggregate.groupKeys().size(); i++) {
            columns.add(alias + "." + key(i));
        }
        return columns;
    }

    /** The aggregate call in plain SQL, as PostgreSQL evaluates it over a group. */
    static String plainCall(AggregateCall call) {
        return switch (call.function()) {
            case COUNT_STAR -> "pg_catalog.count(*)";
            case COUNT -> "pg_catalog.count(" + call.argument() + ")";
            case SUM -> "pg_catalog.sum(" + call.argument() + ")";
            case AVG -> "pg_catalog.avg(" + call.argument() + ")";
        };
    }

    /** The outputs over the input rows of a GROUP BY query (placeholders → keys and aggregates). */
    static List<String> plainOutputs(Aggregate aggregate) {
        List<String> items = new ArrayList<>();
        for (OutputColumn output : aggregate.outputs()) {
            items.add(plain(aggregate, output.expression()) + " AS " + Sql.ident(output.name()));
        }
        return items;
    }

    /** An output or HAVING expression over the input rows of a GROUP BY query. */
    static String plain(Aggregate aggregate, String expression) {
        return Placeholders.substitute(expression,
                key -> aggregate.groupKeys().get(key - 1),
                agg -> plainCall(aggregate.calls().get(agg - 1)));
    }

    /** {@code GROUP BY K1, …}, or nothing for a global aggregate. */
    static String groupBy(Aggregate aggregate) {
        if (aggregate.groupKeys().isEmpty()) {
            return "";
        }
        return " GROUP BY " + aggregate.groupKeys().stream().map(k -> "(" + k + ")")
                .reduce((a, b) -> a + ", " + b).orElseThrow();
    }

    static String having(Aggregate aggregate) {
        return aggregate.having() == null ? "" : " HAVING " + plain(aggregate, aggregate.having());
    }
}
