package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.DUP;
import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.plan.Window;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;

/**
 * Window functions at the top: a stored row carries its partition's identity
 * {@value #PARTITION} (the partition keys' hash, indexed). Where the outputs include a key of the
 * input rows ({@code plan.OutputKey}), a row's identity is that key's hash and its copy number
 * 1; otherwise it is the content of its outputs that follow from the row alone, with the
 * partition, copies numbered within it in the order of their window values. The partitions the
 * delta touches are computed again from their input rows (per key through an index where the
 * input has one) and compared with their stored rows: a row whose window values moved (a rank
 * after a changed row) — or, identified by its key, any of its values — is updated in place,
 * rows that came or went are inserted or deleted, the others stay. Work is proportional to the
 * rows of the touched partitions.
 *
 * @param key the key of the outputs, empty when they have none
 */
record PartitionRescanStrategy(Window window, List<String> key) implements MaintenanceStrategy {

    static final String PARTITION = "__pgt_part";

    @Override
    public Maintenance maintain(DeltaContext context) throws UnsupportedQueryException {
        List<String> columns = window.columns();
        String partition = RowIdentity.groupKey(window.partitionKeys().stream().map(k -> "(" + k + ")").toList())
                + " AS " + PARTITION;
        String populate = numbered(window.current(window.input().current(context), List.of(partition)));

        TouchedGroups touched = TouchedGroups.of(context, "__pgt_parts", window.partitionKeys(),
                context.expose(window.input()));
        List<String> keys = new ArrayList<>();
        for (int i = 1; i <= window.partitionKeys().size(); i++) {
            keys.add("__pgt_p." + TouchedGroups.key(i));
        }
        context.addCte("__pgt_part_ids", "SELECT DISTINCT " + RowIdentity.groupKey(keys) + " AS " + PARTITION
                + " FROM " + touched.cte() + " AS __pgt_p");
        List<String> fresh = new ArrayList<>();
        for (Fragment rows : touched.rows(context, window.input())) {
            fresh.add(window.current(rows, List.of(partition)));
        }
        context.addCte("__pgt_fresh", numbered(DeltaContext.union(fresh)));
        // Stored rows read per touched partition through the partition's index (OFFSET 0 keeps it
        // a probe: joined, the planner may read the whole table for few partitions).
        // Identified by content, a row's other values are part of its identity; by key, they may move too.
        List<String> compared = key.isEmpty() ? window.windowed() : Sql.concat(columns, List.of(PARTITION));
        String stored = "(SELECT __pgt_s.* FROM __pgt_part_ids AS __pgt_pi CROSS JOIN LATERAL (SELECT __pgt_k." + ROW_ID
                + ", __pgt_k." + DUP + ", " + Sql.columns("__pgt_k", compared) + ", __pgt_k.ctid AS "
                + MergeStatement.STORED_AT + " FROM " + PlanContract.STORAGE + " AS __pgt_k WHERE __pgt_k." + PARTITION
                + " = __pgt_pi." + PARTITION + " OFFSET 0) AS __pgt_s)";
        context.addCte(MergeStatement.SOURCE_CTE, ContentStrategy.difference("__pgt_fresh", stored,
                Sql.concat(columns, List.of(PARTITION)), compared, true));
        return new Maintenance(Strategy.PARTITION_RESCAN, populate, columns, List.of(ROW_ID, DUP, PARTITION),
                List.of(ROW_ID, DUP), compared, false, true, "one MERGE keyed on (__pgt_row_id, __pgt_dup)"
                        + (key.isEmpty() ? "" : " (the key " + String.join(", ", key) + ")") + ": the partitions the"
                        + " delta touches computed again; rows whose values moved updated, rows that came or went"
                        + " inserted or deleted");
    }

    /**
     * The rows of {@code query} (the columns and {@value #PARTITION}) with their identity — the
     * key, or the outputs that follow from the row alone with the partition — and copies
     * numbered within it.
     */
    private String numbered(String query) {
        if (!key.isEmpty()) {
            return "SELECT __pgt_q.*, " + RowIdentity.groupKey(ContentStrategy.qualified("__pgt_q", key)) + " AS "
                    + ROW_ID + ", 1 AS " + DUP + " FROM (" + query + ") AS __pgt_q";
        }
        List<String> identified = Sql.concat(ContentStrategy.qualified("__pgt_q", window.rowColumns()),
                List.of("__pgt_q." + PARTITION));
        return ContentStrategy.numbered(window.columns(), RowIdentity.content(identified), List.of(PARTITION),
                window.windowed(), query);
    }
}
