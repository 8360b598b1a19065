package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.List;

/**
 * How changes are applied to the storage table, chosen by the top of the operator tree. A
 * strategy decides the row identity and hidden state and computes, as the last CTE
 * {@value MergeStatement#SOURCE_CTE}, the storage rows to insert, update or delete; the rest (the
 * MERGE, the plan record, explain) is shared ({@link PlanAssembler}).
 */
interface MaintenanceStrategy {

    /**
     * The layout of the storage table and how it is maintained.
     *
     * @param kind the strategy, as recorded in the plan
     * @param populate query computing the full contents, hidden columns included
     * @param visibleColumns the stream table's columns
     * @param hiddenColumns the {@code __pgt_} columns after them
     * @param identityColumns the columns identifying a stored row
     * @param updatedColumns the columns a MERGE UPDATE sets; empty when rows are only inserted and deleted
     * @param insertOnlyPath whether changes without deletions can be applied with a plain INSERT
     * @param carriesStoredRows whether {@value MergeStatement#SOURCE_CTE} carries, as
     *     {@value MergeStatement#STORED_AT}, the ctid of the stored row each update or deletion
     *     is for (the strategy read those rows already), so the MERGE need not look them up again
     * @param apply how the MERGE applies changes, for explain
     * @param touchedIdentities a query of the {@code __pgt_row_id} of the storage rows the changes
     *     may touch that reads no stored row (IMMEDIATE mode locks them before the MERGE reads
     *     any); by default those of {@value MergeStatement#SOURCE_CTE}
     * @param relativeApply an IMMEDIATE statement that adds the changes to the stored rows in its
     *     actions and needs no locks taken before it ({@link RelativeMerge}), or {@code null}
     */
    record Maintenance(Strategy kind, String populate, List<String> visibleColumns, List<String> hiddenColumns,
                       List<String> identityColumns, List<String> updatedColumns, boolean insertOnlyPath,
                       boolean carriesStoredRows, String apply, String touchedIdentities, String relativeApply) {

        static final String TOUCHED_BY_DEFAULT = "SELECT " + PlanContract.ROW_ID + " FROM " + MergeStatement.SOURCE_CTE
                + " WHERE __pgt_op IS NOT NULL";

        Maintenance(Strategy kind, String populate, List<String> visibleColumns, List<String> hiddenColumns,
                    List<String> identityColumns, List<String> updatedColumns, boolean insertOnlyPath,
                    boolean carriesStoredRows, String apply) {
            this(kind, populate, visibleColumns, hiddenColumns, identityColumns, updatedColumns, insertOnlyPath,
                    carriesStoredRows, apply, TOUCHED_BY_DEFAULT, null);
        }
    }

    /** Registers the CTEs ending in {@value MergeStatement#SOURCE_CTE} in {@code context}. */
    Maintenance maintain(DeltaContext context) throws UnsupportedQueryException;
}
