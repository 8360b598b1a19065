package dev.pgtrickle.ivm.front;

import java.util.List;
import net.sf.jsqlparser.statement.select.Select;

/**
 * The common table expressions visible at some point of a query: a chain, innermost first.
 * {@code outer} is also the scope the CTE's own body sees (the CTEs defined before it); a
 * recursive query's recursive term sees the query itself too, as an entry without a body.
 *
 * @param recursive whether the CTE was written under WITH RECURSIVE (it may still not refer to itself)
 */
record CteScope(String name, Select body, List<String> columns, boolean recursive, CteScope outer) {

    static final CteScope NONE = new CteScope(null, null, List.of(), false, null);

    /**
     * @param cteColumns the column list written after the CTE's name; empty for its query's own names
     */
    CteScope with(String cteName, Select cteBody, List<String> cteColumns, boolean cteRecursive) {
        return new CteScope(cteName, cteBody, List.copyOf(cteColumns), cteRecursive, this);
    }

    /** The scope of a recursive query's recursive term: this one and the query itself, with its columns. */
    CteScope withSelf(String cteName, List<String> cteColumns) {
        return new CteScope(cteName, null, List.copyOf(cteColumns), true, this);
    }

    /** Whether this entry is a recursive query's reference to itself. */
    boolean self() {
        return body == null;
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
