package dev.pgtrickle.ivm.delta;

import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of an input as they were at the old frontier, restricted by a condition: its current
 * rows plus the rows its delta deleted minus the ones it inserted. Used where an operator has to
 * recompute a part of its old output (the groups a change touched); with the restriction served
 * by an index, the cost is that of the part.
 *
 * <p>Rows are consolidated by their binary content (the bytes an insertion carried are the bytes
 * its deletion carries), not by equality: numeric 1.0 and 1.00 are equal but print, and sum,
 * differently, and the old rows must reproduce exactly what was computed from them before.
 */
public final class OldState {

    /** Column of {@link #weighted}'s rows: true for a current row, false for a row of the delta. */
    public static final String IS_NOW = "__pgt_now";

    private OldState() {
    }

    /**
     * FROM items under which the aliases of {@code input} show its old rows satisfying
     * {@code condition}, given its current rows {@code now} that do.
     */
    public static String rows(DeltaContext context, FromPlan input, Fragment now, String condition)
            throws UnsupportedQueryException {
        List<String> columns = new ArrayList<>();
        for (int i = 1; i <= input.bindings().stream().mapToInt(b -> b.columns().size()).sum(); i++) {
            columns.add(DeltaContext.column(i));
        }
        String consolidated = RowIdentity.perIdentity("__pgt_h", columns,
                "pg_catalog.sum(" + DeltaContext.WEIGHT + ")", "__pgt_n", "(SELECT __pgt_u.*, "
                        + RowIdentity.sentForm(columns.stream().map(c -> "__pgt_u." + c).toList()) + " AS __pgt_h FROM ("
                        + union(context, input, now, condition) + ") AS __pgt_u) AS __pgt_r");
        String expanded = "(SELECT __pgt_o.* FROM (" + consolidated + ") AS __pgt_o"
                + " CROSS JOIN pg_catalog.generate_series(1, __pgt_o.__pgt_n) AS __pgt_copy)";
        return context.exposeRows(expanded, input.bindings()).from();
    }

    /**
     * The same rows unconsolidated, each with a weight: the current ones +1, the delta's negated.
     * A row inserted since the old frontier appears twice, with weights that cancel; aggregates
     * that weigh their rows (count as a sum of weights, sum as a sum of weighted values) get the
     * old values from them without the cost of matching rows up, where adding values is exact.
     * The current rows are marked by {@value #IS_NOW}, so that one pass over them can compute
     * the new values too.
     */
    public static DeltaContext.Exposure weighted(DeltaContext context, FromPlan input, Fragment now, String condition)
            throws UnsupportedQueryException {
        return context.exposeRows("(" + union(context, input, now, condition) + ")", input.bindings());
    }

    private static String union(DeltaContext context, FromPlan input, Fragment now, String condition)
            throws UnsupportedQueryException {
        List<String> items = DeltaContext.positionalItems(input.bindings(), List.of());
        DeltaContext.Exposure changes = context.expose(input);
        return "SELECT " + Sql.list(items, "1::bigint AS " + DeltaContext.WEIGHT, "true AS " + IS_NOW)
                + " FROM " + now.from() + " WHERE " + Sql.and(now.where())
                + " UNION ALL SELECT " + Sql.list(items, "-" + changes.weight() + " AS " + DeltaContext.WEIGHT, "false")
                + " FROM " + changes.from() + " WHERE " + condition;
    }
}
