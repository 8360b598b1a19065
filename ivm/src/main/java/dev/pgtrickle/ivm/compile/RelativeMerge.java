package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.COUNT;
import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;

import java.util.List;

/**
 * The IMMEDIATE statement of an aggregate whose state adds up (no MIN or MAX): one MERGE that adds
 * each touched group's aggregated change to the stored state in its actions
 * ({@code count = stored count + change}), instead of a statement locking the groups and a MERGE
 * writing states computed before (docs/architecture.md, "IMMEDIATE mode"). At READ COMMITTED a
 * writer that finds a group row updated by a writer that committed after its snapshot applies the
 * actions again to the newest row version, so nothing is lost; at REPEATABLE READ it fails with
 * 40001, as any update of such a row does.
 *
 * <p>The groups' advisory locks are taken in the MERGE's source, in the order of their identities,
 * so that writers of several groups take them in one order and writers of one group queue on
 * them. Only a group missing from the snapshot needs more: {@code pgtrickle._immediate_new_group},
 * holding the lock, looks for the group again with a fresh snapshot; if a writer it waited for
 * created the group meanwhile, the trigger runs the statement again for those groups (their
 * identities in its variable {@value PlanContract#RETRY}), where the MERGE now finds them.
 */
final class RelativeMerge {

    private RelativeMerge() {
    }

    /**
     * @param ctes the CTEs computing the aggregated change, ending with {@code __pgt_dagg}
     * @param changes a query of the aggregated change per group with its identity {@value PlanContract#ROW_ID}
     * @param global whether the aggregate has no GROUP BY: its one row stays when its count is zero
     * @param sets the UPDATE's assignments, computed from the stored row ({@code __pgt_t}) and the change
     *     ({@code __pgt_s})
     * @param columns the columns the INSERT of a new group sets, with {@code values} from the change alone
     */
    static String build(List<String> ctes, String changes, boolean global, List<String> sets, List<String> columns,
                        List<String> values) {
        String count = "__pgt_t." + COUNT + " + __pgt_s.__pgt_dcount";
        return "WITH " + String.join(",\n", ctes) + ",\n__pgt_rel AS (" + changes + ")"
                + "\nMERGE INTO " + PlanContract.STORAGE + " AS __pgt_t"
                + "\nUSING (SELECT __pgt_o.*, pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended("
                + "pg_catalog.encode(__pgt_o." + ROW_ID + ", 'hex'), " + PlanContract.STREAM_TABLE_ID + ")) AS __pgt_locked"
                + " FROM (SELECT * FROM __pgt_rel WHERE " + PlanContract.RETRY + " IS NULL OR " + ROW_ID + " = ANY ("
                + PlanContract.RETRY + ") ORDER BY " + ROW_ID + ") AS __pgt_o) AS __pgt_s"
                + "\nON __pgt_t." + ROW_ID + " = __pgt_s." + ROW_ID
                + "\nWHEN MATCHED AND " + count + " < 0 THEN UPDATE SET " + COUNT
                + " = pgtrickle._negative_multiplicity('group row count', false)::bigint"
                + (global ? "" : "\nWHEN MATCHED AND " + count + " = 0 THEN DELETE")
                + "\nWHEN MATCHED THEN UPDATE SET " + String.join(", ", sets)
                + "\nWHEN NOT MATCHED AND pgtrickle._immediate_new_group(" + PlanContract.STREAM_TABLE_ID + ", __pgt_s."
                + ROW_ID + ", __pgt_s.__pgt_dcount) THEN INSERT (" + String.join(", ", columns) + ") VALUES ("
                + String.join(", ", values) + ")";
    }
}
