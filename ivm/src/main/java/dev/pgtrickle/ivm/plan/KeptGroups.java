package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The kept state of an aggregate inside a query (docs/architecture.md, "Kept state of aggregates
 * inside a query"): a table with one row per group — its identity {@code __pgt_row_id}, its keys
 * {@code __pgt_k<n>}, its row count and, per call, the count of non-NULL arguments and their sum,
 * as AGGREGATE keeps a stream table's own groups. A refresh aggregates the input's delta per
 * group, reads the touched groups' old state by identity, and writes the new state back in the
 * same statement: data-modifying CTEs, which run under the statement's snapshot, so every read of
 * the table within the statement sees the old state. The old and the new outputs are the
 * aggregate's delta; its current rows are the untouched groups as kept and the touched ones as
 * they are now. No row of the input is read again.
 *
 * <p>A sum over unconstrained numerics shows the largest scale among its values, which a running
 * sum cannot follow when values leave: for those calls the group also keeps how many of its
 * values have each scale ({@link ScaleCounts}), and the sum is written rounded to the largest
 * scale still counted, so that it reads as is.
 *
 * @param table the table's placeholder in the plan's statements, replaced when they run
 * @param scaledCalls the indexes of the calls whose display scales are kept
 */
record KeptGroups(Aggregate aggregate, String table, Set<Integer> scaledCalls) {

    static final String ROW_ID = "__pgt_row_id";
    static final String COUNT = "__pgt_count";

    /** The query that fills the table from the aggregate's input, as PostgreSQL groups it. */
    String fill(DeltaContext context) throws UnsupportedQueryException {
        List<String> keys = aggregate.groupKeys().stream().map(k -> "(" + k + ")").toList();
        List<String> items = new ArrayList<>();
        items.add(RowIdentity.groupKey(keys) + " AS " + ROW_ID);
        for (int i = 1; i <= keys.size(); i++) {
            items.add(keys.get(i - 1) + " AS " + TouchedGroups.key(i));
        }
        items.add("pg_catalog.count(*) AS " + COUNT);
        for (AggregateCall call : aggregate.calls()) {
            if (call.function() != AggregateCall.Function.COUNT_STAR) {
                items.add("pg_catalog.count(" + call.argument() + ") AS " + call.nonNullColumn());
            }
            if (summed(call)) {
                items.add("pg_catalog.sum(" + call.argument() + ") AS " + call.sumColumn());
            }
            if (scaledCalls.contains(call.index())) {
                items.add("pg_catalog.sum(" + ScaleCounts.weight(call.argument()) + ") AS " + ScaleCounts.column(call));
            }
        }
        return aggregate.input().current(context).select(items) + aggregate.groupBy();
    }

    /**
     * Registers the CTEs that compute the touched groups' new state and write it; returns the
     * aggregate's delta: old outputs (weight −1) and new ones (+1) of the groups that exist and
     * pass HAVING at each time.
     */
    String delta(DeltaContext context) throws UnsupportedQueryException {
        boolean global = aggregate.groupKeys().isEmpty();
        DeltaContext.Exposure changes = context.expose(aggregate.input());
        List<String> rows = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 1; i <= aggregate.groupKeys().size(); i++) {
            rows.add("(" + aggregate.groupKeys().get(i - 1) + ") AS " + TouchedGroups.key(i));
            keys.add(TouchedGroups.key(i));
        }
        List<String> summed = new ArrayList<>(keys);
        summed.add("pg_catalog.sum(" + DeltaContext.WEIGHT + ")::bigint AS " + COUNT);
        List<String> state = new ArrayList<>(List.of(COUNT));
        for (AggregateCall call : aggregate.calls()) {
            if (call.function() == AggregateCall.Function.COUNT_STAR) {
                continue;
            }
            String argument = "__pgt_a" + call.index();
            rows.add("(" + call.argument() + ") AS " + argument);
            summed.add("COALESCE(pg_catalog.sum(" + DeltaContext.WEIGHT + ") FILTER (WHERE " + argument
                    + " IS NOT NULL), 0)::bigint AS " + call.nonNullColumn());
            state.add(call.nonNullColumn());
            if (summed(call)) {
                // An int4 factor keeps the sum's type PostgreSQL's own sum has (bigint over int2 and int4).
                summed.add("COALESCE(" + Sql.finiteSum("pg_catalog.sum(" + argument + " * (" + DeltaContext.WEIGHT
                        + ")::int4)") + ", 0) AS " + call.sumColumn());
                state.add(call.sumColumn());
            }
            if (scaledCalls.contains(call.index())) {
                String scale = "__pgt_sc" + call.index();
                rows.add(ScaleCounts.weight(call.argument()) + " AS " + scale);
                summed.add("COALESCE(pg_catalog.sum(" + scale + " * " + DeltaContext.WEIGHT + "), 0) AS "
                        + ScaleCounts.column(call));
                state.add(ScaleCounts.column(call));
            }
        }
        rows.add(changes.weight() + " AS " + DeltaContext.WEIGHT);
        String changed = context.freshName("__pgt_kept_changes");
        context.addCte(changed, "SELECT " + String.join(", ", rows) + " FROM " + changes.from());

        // Per touched group: the summed changes, the old state (NULL where the group was not
        // kept) and the new one.
        List<String> now = new ArrayList<>();
        for (String column : state) {
            now.add("__pgt_t." + column + " AS " + old(column));
            now.add(newState(column) + " AS " + column);
        }
        // A kept group shows the key it was kept with: a change may spell an equal key
        // differently (numeric 1.0 and 1.00), and the old output must be the one output before.
        List<String> identity = keys.stream().map(k -> "CASE WHEN __pgt_t." + ROW_ID + " IS NULL THEN __pgt_d." + k
                + " ELSE __pgt_t." + k + " END AS " + k).toList();
        // Each touched group's kept row is probed by identity (TPC-H Q11: joined otherwise, its
        // 27,000 kept groups were read and sorted for 24 touched).
        String groups = context.freshName("__pgt_kept");
        context.addCte(groups, "SELECT " + String.join(", ", Sql.concat(identity, now))
                + ", __pgt_d." + ROW_ID + ", __pgt_t." + ROW_ID + " IS NOT NULL AS __pgt_existed, __pgt_t.__pgt_at"
                + " FROM (SELECT __pgt_s.*, " + RowIdentity.groupKey(keys.stream().map(k -> "__pgt_s." + k).toList())
                + " AS " + ROW_ID + " FROM (SELECT " + String.join(", ", summed) + " FROM " + changed
                + (global ? " HAVING pg_catalog.count(*) > 0" : " GROUP BY " + String.join(", ", keys))
                + ") AS __pgt_s) AS __pgt_d"
                + RowIdentity.leftJoinByIdentity(table, ROW_ID, "__pgt_d." + ROW_ID,
                        List.of("__pgt_k.ctid AS __pgt_at")));

        // The writes. A global aggregate keeps its one row, at count zero too. The rows written
        // are fetched by the TIDs read above: the planner cannot know how few the groups are and
        // would otherwise scan the whole table to join them (TPC-H Q13: 150,000 kept counts read
        // to update 4,500).
        List<String> set = state.stream().map(c -> c + " = __pgt_g." + c).toList();
        context.addWritingCte(context.freshName("__pgt_kept_update"), "UPDATE " + table + " AS __pgt_t SET "
                + String.join(", ", set) + " FROM " + groups + " AS __pgt_g"
                + written(groups, global ? "" : " > 0"));
        if (!global) {
            context.addWritingCte(context.freshName("__pgt_kept_delete"), "DELETE FROM " + table + " AS __pgt_t USING "
                    + groups + " AS __pgt_g" + written(groups, " = 0"));
        }
        List<String> columns = new ArrayList<>(List.of(ROW_ID));
        columns.addAll(keys);
        columns.addAll(state);
        context.addWritingCte(context.freshName("__pgt_kept_insert"), "INSERT INTO " + table + " ("
                + String.join(", ", columns) + ") SELECT " + String.join(", ", columns) + " FROM " + groups
                + " WHERE NOT __pgt_existed AND " + COUNT + " > 0");

        // A truncation captures no deletions, so it cannot drive a kept count below zero: only a
        // broken state can (the refresh then fails; a FULL refresh rebuilds the state).
        String checked = "CASE WHEN __pgt_g." + COUNT + " < 0 THEN pgtrickle._negative_multiplicity("
                + "'kept group row count', false) IS NULL ELSE true END";
        context.keptGroups(aggregate, groups);
        List<String> before = outputs("__pgt_g", true);
        before.add("-1::bigint AS " + DeltaContext.WEIGHT);
        List<String> after = outputs("__pgt_g", false);
        after.add("1::bigint AS " + DeltaContext.WEIGHT);
        return DeltaContext.union(List.of(
                "SELECT " + String.join(", ", before) + " FROM " + groups + " AS __pgt_g WHERE __pgt_g.__pgt_existed"
                        + (global ? "" : " AND __pgt_g." + old(COUNT) + " > 0") + having("__pgt_g", true),
                "SELECT " + String.join(", ", after) + " FROM " + groups + " AS __pgt_g WHERE " + checked
                        + (global ? "" : " AND __pgt_g." + COUNT + " > 0") + having("__pgt_g", false)));
    }

    /**
     * {@code WHERE} of a write of the kept rows of the touched groups whose new count passes
     * {@code count} (e.g. {@code " > 0"}; empty: any): fetched by TID, matched to their group
     * ({@code __pgt_g}) by identity.
     */
    static String written(String groups, String count) {
        String counted = count.isEmpty() ? "" : " AND __pgt_w." + COUNT + count;
        return " WHERE __pgt_t.ctid = ANY (ARRAY(SELECT __pgt_w.__pgt_at FROM " + groups + " AS __pgt_w"
                + " WHERE __pgt_w.__pgt_existed" + counted + "))"
                + " AND __pgt_t." + ROW_ID + " = __pgt_g." + ROW_ID + " AND __pgt_g.__pgt_existed"
                + counted.replace("__pgt_w.", "__pgt_g.");
    }

    /**
     * The aggregate's rows now, inside the refresh statement whose delta registered
     * {@code groups} (the touched groups' states): the kept groups nobody touched, and the
     * touched ones that exist now.
     */
    String current(String groups) {
        boolean global = aggregate.groupKeys().isEmpty();
        return "SELECT " + String.join(", ", outputs("__pgt_t", false)) + " FROM " + table + " AS __pgt_t WHERE "
                + (global ? "" : "__pgt_t." + COUNT + " > 0 AND ") + "NOT EXISTS (SELECT 1 FROM " + groups
                + " AS __pgt_g WHERE __pgt_g." + ROW_ID + " = __pgt_t." + ROW_ID + ")" + having("__pgt_t", false)
                + "\nUNION ALL\nSELECT " + String.join(", ", outputs("__pgt_g", false)) + " FROM " + groups
                + " AS __pgt_g WHERE " + (global ? "true" : "__pgt_g." + COUNT + " > 0") + having("__pgt_g", false);
    }

    /** The outputs ({@code expression AS "name"}) from the state in row {@code alias}: its old one when {@code before}. */
    private List<String> outputs(String alias, boolean before) {
        List<String> items = new ArrayList<>();
        for (OutputColumn output : aggregate.outputs()) {
            items.add(fromState(output.expression(), alias, before) + " AS " + Sql.ident(output.name()));
        }
        return items;
    }

    private String having(String alias, boolean before) {
        return aggregate.having() == null ? "" : " AND (" + fromState(aggregate.having(), alias, before) + ")";
    }

    private String fromState(String expression, String alias, boolean before) {
        return Placeholders.substitute(expression,
                key -> alias + "." + TouchedGroups.key(key),
                agg -> {
                    AggregateCall call = aggregate.calls().get(agg - 1);
                    return call.fromState(column(alias, COUNT, before), column(alias, call.nonNullColumn(), before),
                            column(alias, call.sumColumn(), before));
                });
    }

    private static String column(String alias, String column, boolean before) {
        return alias + "." + (before ? old(column) : column);
    }

    private static String old(String column) {
        return "__pgt_old" + column.substring("__pgt".length());
    }

    /**
     * A state column's new value: the old one plus the touched group's summed changes; a sum whose
     * display scale is kept rounded to the largest scale left (exact: no value has more digits).
     */
    private String newState(String column) {
        for (AggregateCall call : aggregate.calls()) {
            if (scaledCalls.contains(call.index()) && column.equals(call.sumColumn())) {
                return "pg_catalog.round(" + added(column) + ", "
                        + ScaleCounts.largest(added(ScaleCounts.column(call))) + ")";
            }
        }
        return added(column);
    }

    /** A state column's old value plus the touched group's summed changes. */
    private static String added(String column) {
        return "COALESCE(__pgt_t." + column + ", 0) + __pgt_d." + column;
    }

    private static boolean summed(AggregateCall call) {
        return call.function() == AggregateCall.Function.SUM || call.function() == AggregateCall.Function.AVG;
    }

}
