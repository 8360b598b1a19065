package dev.pgtrickle.ivm.front;

import net.sf.jsqlparser.statement.select.Select;

/**
 * The common table expressions visible at some point of a query: a chain, innermost first.
 * {@code outer} is also the scope the CTE's own body sees (the CTEs defined before it), since
 * only non-recursive CTEs are supported.
 */
record CteScope(String name, Select body, CteScope outer) {

    static final CteScope NONE = new CteScope(null, null, null);

    CteScope with(String cteName, Select cteBody) {
        return new CteScope(cteName, cteBody, this);
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
