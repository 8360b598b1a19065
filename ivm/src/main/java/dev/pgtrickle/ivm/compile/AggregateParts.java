package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.plan.Aggregate;
import java.util.ArrayList;
import java.util.List;

/** SQL pieces shared by the aggregate strategies. */
final class AggregateParts {

    private AggregateParts() {
    }

    /** {@code K1 AS __pgt_k1, …}: the group keys of the input rows. */
    static List<String> keyItems(Aggregate aggregate) {
        List<String> items = new ArrayList<>();
        for (int i = 1; i <= aggregate.groupKeys().size(); i++) {
            items.add("(" + aggregate.groupKeys().get(i - 1) + ") AS " + TouchedGroups.key(i));
        }
        return items;
    }

    /** {@code alias.__pgt_k1, …}. */
    static List<String> keyColumns(Aggregate aggregate, String alias) {
        List<String> columns = new ArrayList<>();
        for (int i = 1; i <= aggregate.groupKeys().size(); i++) {
            columns.add(alias + "." + TouchedGroups.key(i));
        }
        return columns;
    }
}
