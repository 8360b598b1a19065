package dev.pgtrickle.ivm.delta;

import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Changes read from the change buffers {@code pgtrickle_changes.changes_<oid>}: the rows the old
 * frontier does not cover. The refresh statement binds the old frontier as {@code $1} (its
 * snapshot) and {@code $2}, {@code $3} (its cut inside the transaction that took it); rows the
 * statement cannot see are not returned at all, so no upper bound is needed.
 */
public final class ChangeBuffers implements DeltaSource {

    private static final String NOT_COVERED = "NOT pgtrickle._covered(__pgt_xid, __pgt_seq, $1, $2, $3)";

    @Override
    public String changes(Source source, List<String> columns, List<String> names) {
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            items.append(Sql.ident(columns.get(i))).append(" AS ").append(names.get(i)).append(", ");
        }
        // An UPDATE was captured as 'D' of the old row and 'I' of the new one.
        return "SELECT " + items + "CASE __pgt_action WHEN 'I' THEN 1 ELSE -1 END::bigint AS " + DeltaContext.WEIGHT
                + " FROM " + buffer(source) + " WHERE __pgt_action <> 'T' AND " + NOT_COVERED;
    }

    @Override
    public String current(Source source) {
        return Sql.qualified(source.schema(), source.name());
    }

    @Override
    public String consumed(Collection<Source> sources) {
        String actions = sources.isEmpty()
                ? "SELECT NULL::\"char\" AS __pgt_action, NULL::xid8 AS __pgt_xid WHERE false"
                : sources.stream()
                        .map(source -> "SELECT __pgt_action, __pgt_xid FROM " + buffer(source) + " WHERE "
                                + NOT_COVERED)
                        .collect(Collectors.joining(" UNION ALL "));
        return "SELECT pg_catalog.count(*) FILTER (WHERE __pgt_action <> 'T') AS " + DeltaContext.CONSUMED
                + ", coalesce(pg_catalog.bool_or(__pgt_action = 'T'), false) AS " + DeltaContext.TRUNCATED
                + ", pg_catalog.min(__pgt_xid) AS " + DeltaContext.OLDEST
                + " FROM (" + actions + ") AS __pgt_actions";
    }

    private static String buffer(Source source) {
        return "pgtrickle_changes." + Sql.ident("changes_" + source.oid());
    }
}
