package dev.pgtrickle.ivm.front;

import java.util.List;
import net.sf.jsqlparser.statement.select.Select;

/**
 * The common table expressions visible at some point of a query: a chain, innermost first.
 * {@code outer} is also the scope the CTE's own body sees (the CTEs defined before it), since
 * only non-recursive CTEs are supported.
 */
record CteScope(String name, Select body, List<String> columns, CteScope outer) {

    static final CteScope NONE = new CteScope(null, null, List.of(), null);

    /**
     * @param cteColumns the column list written after the CTE's name; empty for its query's own names
     */
    CteScope with(String cteName, Select cteBody, List<String> cteColumns) {
        return new CteScope(cteName, cteBody, List.copyOf(cteColumns), this);
    }

    /** The innermost CTE named {@code cteName}, or {@code null}. */
    CteScope find(String cteName) {
        for (CteScope scope = this; scope != NONE; scope = scope.outer) {
            if (scope.name.equals(cteName)) {
                return scope;
            }
        }
        return null;
    }
}
