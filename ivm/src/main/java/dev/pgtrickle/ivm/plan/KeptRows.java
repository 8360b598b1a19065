package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;

/**
 * A kept copy of the rows of a table (filtered or not) that a one-row threshold tests
 * (docs/architecture.md, "Kept rows of a tested input"): a table with one row per distinct row
 * content — its identity {@code __pgt_row_id} (the content's hash, so that 1.0 and 1.00 stay
 * apart), its columns {@code __pgt_k<n>} and how many copies it has — indexed on the tested
 * column. When the threshold moves, the rows it passes over are read through that index instead
 * of by reading the whole source table, which has no index on the column (TPC-H Q22: the
 * customers whose balance lies between the old and the new average).
 *
 * <p>Reads within the refresh statement see the copy as it was before the refresh, since the
 * writes are data-modifying CTEs under the statement's snapshot: what the join's delta needs,
 * which pairs the old rows with the threshold's change and the changed rows with its new value.
 *
 * @param input the rows kept, of one alias
 * @param table the table's placeholder in the plan's statements, replaced when they run
 * @param tested the position (1-based) of the tested column among the input's columns
 */
record KeptRows(FromPlan input, String table, int tested) {

    private static final String ROW_ID = KeptGroups.ROW_ID;
    private static final String COUNT = KeptGroups.COUNT;

    /** The column of the n-th (1-based) input column in the table. */
    static String column(int n) {
        return "__pgt_k" + n;
    }

    /** The table's indexed columns besides the identity: the tested one. */
    List<String> indexed() {
        return List.of(column(tested));
    }

    /** The query that fills the table from the input as it is. */
    String fill(DeltaContext context) throws UnsupportedQueryException {
        return RowIdentity.perIdentity(ROW_ID, columns(), "pg_catalog.count(*)", COUNT,
                "(" + input.current(context).select(rowItems()) + ") AS __pgt_r");
    }

    /**
     * Registers the CTEs that add the input's delta to the table: per changed content, the net
     * number of copies it gains, added to the kept count, which is updated, deleted at zero or
     * inserted. A count below zero means the copy was broken: the refresh fails (a FULL refresh
     * rebuilds it).
     */
    void maintain(DeltaContext context) throws UnsupportedQueryException {
        DeltaContext.Exposure changes = context.expose(input);
        List<String> items = rowItems();
        items.add(changes.weight() + " AS " + DeltaContext.WEIGHT);
        String net = RowIdentity.perIdentity(ROW_ID, columns(), "pg_catalog.sum(" + DeltaContext.WEIGHT + ")",
                "__pgt_n", "(SELECT " + String.join(", ", items) + " FROM " + changes.from() + ") AS __pgt_r");
        String count = "COALESCE(__pgt_t." + COUNT + ", 0) + __pgt_d.__pgt_n";
        String rows = context.freshName("__pgt_kept_rows");
        context.addCte(rows, "SELECT __pgt_d.*, CASE WHEN " + count + " < 0 THEN (pgtrickle._negative_multiplicity("
                + "'kept row count', false))::bigint ELSE " + count + " END AS " + COUNT + ", __pgt_t." + ROW_ID
                + " IS NOT NULL AS __pgt_existed, __pgt_t.__pgt_at FROM (" + net + ") AS __pgt_d"
                + RowIdentity.leftJoinByIdentity(table, ROW_ID, "__pgt_d." + ROW_ID, List.of("__pgt_k.ctid AS __pgt_at"))
                + " WHERE __pgt_d.__pgt_n <> 0");
        context.addWritingCte(context.freshName("__pgt_kept_update"), "UPDATE " + table + " AS __pgt_t SET " + COUNT
                + " = __pgt_g." + COUNT + " FROM " + rows + " AS __pgt_g" + KeptGroups.written(rows, " > 0"));
        context.addWritingCte(context.freshName("__pgt_kept_delete"), "DELETE FROM " + table + " AS __pgt_t USING " + rows
                + " AS __pgt_g" + KeptGroups.written(rows, " = 0"));
        context.addWritingCte(context.freshName("__pgt_kept_insert"), "INSERT INTO " + table + " (" + Sql.list(columns(), COUNT)
                + ") SELECT " + Sql.list(columns(), COUNT) + " FROM " + rows
                + " WHERE NOT __pgt_existed AND " + COUNT + " > 0");
    }

    /**
     * The input's rows as kept before this refresh, under its alias and column names, with their
     * number of copies in {@code alias.__pgt_count}.
     */
    String before() {
        Binding binding = input.bindings().get(0);
        List<String> items = new ArrayList<>();
        for (int i = 1; i <= binding.columns().size(); i++) {
            items.add(column(i) + " AS " + Sql.ident(binding.columns().get(i - 1)));
        }
        items.add(COUNT);
        return "(SELECT " + String.join(", ", items) + " FROM " + table + ") AS " + Sql.ident(binding.alias());
    }

    /**
     * The input's rows as kept before this refresh, one row per copy, under its column names: a
     * FROM item without alias.
     */
    String expanded() {
        Binding binding = input.bindings().get(0);
        List<String> items = new ArrayList<>();
        for (int i = 1; i <= binding.columns().size(); i++) {
            items.add(column(i) + " AS " + Sql.ident(binding.columns().get(i - 1)));
        }
        return "(SELECT " + String.join(", ", items) + " FROM " + table + " CROSS JOIN LATERAL pg_catalog.generate_series(1, "
                + COUNT + ") AS __pgt_copy)";
    }

    /** The copies of a row of {@link #before()}. */
    String copies() {
        return Sql.ident(input.bindings().get(0).alias()) + "." + COUNT;
    }

    /** An input row as the table's columns: its identity and its columns ({@code alias.column}). */
    private List<String> rowItems() {
        Binding binding = input.bindings().get(0);
        List<String> values = binding.columns().stream().map(c -> Sql.ident(binding.alias()) + "." + Sql.ident(c)).toList();
        List<String> items = new ArrayList<>();
        items.add(RowIdentity.content(values) + " AS " + ROW_ID);
        for (int i = 1; i <= values.size(); i++) {
            items.add(values.get(i - 1) + " AS " + column(i));
        }
        return items;
    }

    /** The table's columns: the identity and the input's columns. */
    private List<String> columns() {
        List<String> columns = new ArrayList<>(List.of(ROW_ID));
        for (int i = 1; i <= input.bindings().get(0).columns().size(); i++) {
            columns.add(column(i));
        }
        return columns;
    }
}
