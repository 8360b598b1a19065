package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.plan.DistinctOn;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.TopK;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;

/**
 * The keys of a DISTINCT ON whose row a change may have moved: a changed row (inserted or
 * deleted) that sorts after the key's stored row was not that row and does not beat it, so the
 * key keeps its row. Only keys with a change at or before their stored row (ties count: a tied
 * row may be the one PostgreSQL picks), and keys without one, are decided again — for a key of
 * ten rows whose largest is kept, about one change in five.
 */
final class DistinctOnWinners {

    private DistinctOnWinners() {
    }

    /**
     * Registers the CTE of the undecided keys ({@code __pgt_k1, …}, as {@link TouchedGroups}
     * has them): per touched key the changed row that sorts first (DISTINCT ON over the
     * changes), compared with the key's stored row, read by its identity.
     */
    static TouchedGroups undecided(DeltaContext context, DistinctOn distinctOn, List<TopK.SortKey> order)
            throws UnsupportedQueryException {
        List<String> keys = distinctOn.groupKeys();
        List<String> items = new ArrayList<>();
        List<String> keyColumns = new ArrayList<>();
        for (int i = 1; i <= keys.size(); i++) {
            items.add("(" + keys.get(i - 1) + ") AS " + TouchedGroups.key(i));
            keyColumns.add("__pgt_b." + TouchedGroups.key(i));
        }
        for (int i = 0; i < order.size(); i++) {
            items.add("(" + expressionOf(distinctOn, order.get(i).column()) + ") AS " + sortColumn(i));
        }
        List<String> grouped = keys.stream().map(k -> "(" + k + ")").toList();
        String first = context.freshName("__pgt_first_change");
        context.addCte(first, "SELECT DISTINCT ON (" + String.join(", ", grouped) + ") " + String.join(", ", items)
                + " FROM " + context.expose(distinctOn.input()).from()
                + " ORDER BY " + String.join(", ", Sql.concat(grouped, distinctOn.order())));
        List<String> stored = new ArrayList<>(List.of("__pgt_s." + ROW_ID));
        order.forEach(key -> stored.add("__pgt_s." + Sql.ident(key.column())));
        String name = context.freshName("__pgt_undecided");
        context.addCte(name, "SELECT " + String.join(", ", keyColumns) + " FROM " + first + " AS __pgt_b"
                + " LEFT JOIN LATERAL (SELECT " + String.join(", ", stored) + " FROM " + PlanContract.STORAGE
                + " AS __pgt_s WHERE __pgt_s." + ROW_ID + " = " + RowIdentity.groupKey(keyColumns) + " OFFSET 0) AS __pgt_w"
                + " ON true WHERE __pgt_w." + ROW_ID + " IS NULL OR "
                + TopK.sortsBefore(order, k -> "__pgt_b." + sortColumn(order.indexOf(k)),
                        k -> "__pgt_w." + Sql.ident(k.column()), true));
        return new TouchedGroups(name, keys);
    }

    private static String sortColumn(int index) {
        return "__pgt_o" + (index + 1);
    }

    private static String expressionOf(DistinctOn distinctOn, String column) {
        return distinctOn.outputs().stream().filter(o -> o.name().equals(column)).map(OutputColumn::expression)
                .findFirst().orElseThrow();
    }
}
