package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.plan.DistinctOn;
import dev.pgtrickle.ivm.plan.Partitioned;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;

/**
 * Queries whose rows are decided per key ({@link Partitioned}) and cannot be maintained from a
 * running state — GROUP BY with HAVING (a group's state is needed while it is hidden), SUM/AVG
 * over inexact types (subtracting floats drifts) or recomputed aggregates; DISTINCT ON:
 * the keys of the groups the delta touches are collected, and exactly those groups are
 * recomputed from the sources and merged (for DISTINCT ON only the keys whose row a change may
 * have moved, {@link DistinctOnWinners}). Work is proportional to the size of the touched groups
 * where the input can be entered through its keys.
 */
record GroupRescanStrategy(Partitioned aggregate) implements MaintenanceStrategy {

    @Override
    public Maintenance maintain(DeltaContext context) throws UnsupportedQueryException {
        boolean global = aggregate.groupKeys().isEmpty();
        List<String> identity = List.of(RowIdentity.groupKey(aggregate.groupKeys().stream()
                .map(k -> "(" + k + ")").toList()) + " AS " + ROW_ID);
        String populate = aggregate.current(context, identity);

        TouchedGroups touched = aggregate instanceof DistinctOn distinctOn && distinctOn.winnerOrder().isPresent()
                ? DistinctOnWinners.undecided(context, distinctOn, distinctOn.winnerOrder().get())
                : TouchedGroups.of(context, "__pgt_affected", aggregate.groupKeys(), context.expose(aggregate.input()));
        List<String> affectedKeys = new ArrayList<>();
        for (int i = 1; i <= aggregate.groupKeys().size(); i++) {
            affectedKeys.add("__pgt_a." + TouchedGroups.key(i));
        }
        context.addCte("__pgt_ids", global
                ? "SELECT " + RowIdentity.CONSTANT + " AS " + ROW_ID + " FROM " + touched.cte()
                : "SELECT DISTINCT " + RowIdentity.groupKey(affectedKeys) + " AS " + ROW_ID + " FROM " + touched.cte()
                        + " AS __pgt_a");
        // The touched groups' rows, read per touched key through an index on the keys where the
        // input has one (TouchedGroups.rows), else picked out by their keys.
        List<String> fresh = new ArrayList<>();
        for (Fragment rows : touched.rows(context, aggregate.input())) {
            fresh.add(aggregate.current(rows, identity));
        }
        context.addCte("__pgt_fresh", DeltaContext.union(fresh));
        List<String> columns = aggregate.columns();
        // With GROUP BY every recomputed group is a touched one, so a FULL JOIN is a LEFT JOIN
        // from the touched ids; written FULL, it can only be hashed or merged. As a LEFT JOIN it
        // was planned as a nested loop from the estimates of two CTEs, which can be off by orders
        // of magnitude: all touched groups times all recomputed ones (TPC-H Q11: 83 million
        // pairs). A global aggregate has its one row even when nothing touched it: LEFT JOIN.
        String join = global ? " LEFT JOIN " : " FULL JOIN ";
        String id = global ? "__pgt_i." + ROW_ID : "COALESCE(__pgt_i." + ROW_ID + ", __pgt_f." + ROW_ID + ")";
        context.addCte(MergeStatement.SOURCE_CTE, "SELECT CASE"
                + " WHEN __pgt_f." + ROW_ID + " IS NULL THEN CASE WHEN __pgt_t." + ROW_ID + " IS NOT NULL THEN 'D' END"
                + " WHEN __pgt_t." + ROW_ID + " IS NOT NULL THEN 'U' ELSE 'I' END AS __pgt_op,"
                + " " + id + " AS " + ROW_ID + ", " + Sql.columns("__pgt_f", columns)
                + ", __pgt_t.ctid AS " + MergeStatement.STORED_AT + " FROM __pgt_ids AS __pgt_i"
                + join + "__pgt_fresh AS __pgt_f ON __pgt_f." + ROW_ID + " = __pgt_i." + ROW_ID
                + " LEFT JOIN " + PlanContract.STORAGE + " AS __pgt_t ON __pgt_t." + ROW_ID + " = " + id);
        return new Maintenance(Strategy.GROUP_RESCAN, populate, columns, List.of(ROW_ID), List.of(ROW_ID), columns,
                false, true, "one MERGE keyed on __pgt_row_id (the group key): the groups the delta touches are"
                        + " recomputed from the sources and replaced", "SELECT " + ROW_ID + " FROM __pgt_ids", null);
    }
}
