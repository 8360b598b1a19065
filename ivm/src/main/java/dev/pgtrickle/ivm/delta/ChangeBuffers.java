package dev.pgtrickle.ivm.delta;

import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
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

    /**
     * {@inheritDoc}
     *
     * <p>An UPDATE was captured as 'D' of the old row and 'I' of the new one. Where the query
     * reads only some of the source's columns, an update of the others leaves both rows alike in
     * the columns read, and they cancel: rows whose copies alike in every column read (compared
     * by their text, so that {@code 1.0} and {@code 1.00} stay apart) weigh nothing in total are
     * dropped here, so such updates cost nothing further on.
     */
    @Override
    public String changes(Source source, List<String> columns, List<String> names) {
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            items.append(Sql.ident(columns.get(i))).append(" AS ").append(names.get(i)).append(", ");
        }
        String weight = "CASE __pgt_action WHEN 'I' THEN 1 ELSE -1 END::bigint";
        String rows = " FROM " + buffer(source) + " WHERE __pgt_action <> 'T' AND " + NOT_COVERED;
        if (columns.size() == source.columns().size()) {
            return "SELECT " + items + weight + " AS " + DeltaContext.WEIGHT + rows;
        }
        String image = "(ROW(" + columns.stream().map(Sql::ident).collect(Collectors.joining(", ")) + "))::text";
        List<String> outer = new ArrayList<>(names);
        outer.add(DeltaContext.WEIGHT);
        return "SELECT " + String.join(", ", outer) + " FROM (SELECT " + items + weight
                + " AS " + DeltaContext.WEIGHT + ", pg_catalog.sum(" + weight + ") OVER (PARTITION BY " + image
                + " COLLATE \"C\") AS __pgt_net" + rows + ") AS __pgt_b WHERE __pgt_b.__pgt_net <> 0";
    }

    @Override
    public String current(Source source) {
        return Sql.qualified(source.schema(), source.name());
    }

    @Override
    public String truncated(Collection<Source> sources) {
        if (sources.isEmpty()) {
            return "false";
        }
        return sources.stream()
                .map(source -> "EXISTS (SELECT 1 FROM " + buffer(source) + " WHERE __pgt_action = 'T' AND "
                        + NOT_COVERED + ")")
                .collect(Collectors.joining(" OR "));
    }

    private static String buffer(Source source) {
        return "pgtrickle_changes." + Sql.ident("changes_" + source.oid());
    }
}
