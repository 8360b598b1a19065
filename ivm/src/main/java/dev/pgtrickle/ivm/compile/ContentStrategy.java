package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.DUP;
import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.SetOperation;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.Collections;
import java.util.List;

/**
 * Queries without aggregation (projections, filters, joins, UNION ALL): a stored row is
 * identified by its content, {@code __pgt_row_id}, and the copies of equal rows are numbered
 * {@code __pgt_dup} = 1..n. The delta is consolidated per content; a net +k inserts copies
 * n+1..n+k, a net -k deletes copies n-k+1..n, so the numbering stays 1..n.
 */
record ContentStrategy(QueryPlan top) implements MaintenanceStrategy {

    /**
     * The identity of a row by its content: its binary form, except below a set operation,
     * which outputs one of several equal values spelled apart (numeric 1.0 and 1.00) — a
     * change may spell it otherwise than the stored row, so equal values must be one identity.
     */
    static String identity(QueryPlan top, List<String> columns) {
        return containsSetOperation(top) ? RowIdentity.groupKey(columns) : RowIdentity.content(columns);
    }

    private static boolean containsSetOperation(Plan plan) {
        return plan instanceof SetOperation || plan.inputs().stream().anyMatch(ContentStrategy::containsSetOperation);
    }

    @Override
    public Maintenance maintain(DeltaContext context) throws UnsupportedQueryException {
        List<String> columns = top.columns();
        String populate = numbered(top, columns, top.current(context));

        context.addCte(MergeStatement.SOURCE_CTE, copies(context, top, columns, context.delta(top)));
        return new Maintenance(Strategy.CONTENT, populate, columns, List.of(ROW_ID, DUP), List.of(ROW_ID, DUP),
                List.of(), true, false, "one MERGE keyed on (__pgt_row_id, __pgt_dup): rows identified by content,"
                        + " copies of equal rows numbered 1..n");
    }

    /**
     * The storage rows to insert and delete for {@code delta} (rows of {@code top}'s columns
     * with weights): its net weight per content, as copies inserted after or deleted from the
     * end of each row's numbering.
     */
    static String copies(DeltaContext context, QueryPlan top, List<String> columns, String delta) {
        context.addCte("__pgt_keyed", "SELECT __pgt_k.*, " + identity(top, qualified("__pgt_k", columns))
                + " AS " + ROW_ID + " FROM " + delta + " AS __pgt_k");
        // Net weight per content, carrying one copy of the columns along (no lookup back into the
        // delta per row). Weights are summed as numeric by sum(bigint): cast back for the index.
        context.addCte("__pgt_net", RowIdentity.perIdentity(ROW_ID, withRowId(columns),
                "pg_catalog.sum(" + DeltaContext.WEIGHT + ")", DeltaContext.WEIGHT, "__pgt_keyed"));
        context.addCte("__pgt_have", "SELECT __pgt_n.*,"
                + " (SELECT pg_catalog.count(*) FROM " + PlanContract.STORAGE + " AS __pgt_t"
                + " WHERE __pgt_t." + ROW_ID + " = __pgt_n." + ROW_ID + ") AS __pgt_n"
                + " FROM __pgt_net AS __pgt_n WHERE __pgt_n.__pgt_w <> 0");
        // Copies n+1..n+w are inserted, copies n+w+1..n deleted. Nearly always |w| = 1: that case
        // needs no set-returning function, whose default estimate (1,000 rows) would make the
        // planner hash the whole storage table instead of probing its identity index.
        String inserts = "SELECT 'I'::text AS __pgt_op, __pgt_h." + ROW_ID + ", __pgt_g." + DUP + ", "
                + Sql.columns("__pgt_h", columns)
                + " FROM __pgt_have AS __pgt_h CROSS JOIN LATERAL ("
                + "SELECT (__pgt_h.__pgt_n + 1)::integer WHERE __pgt_h.__pgt_w = 1"
                + " UNION ALL SELECT pgtrickle._copies(__pgt_h.__pgt_n + 1, __pgt_h.__pgt_n + __pgt_h.__pgt_w)"
                + " WHERE __pgt_h.__pgt_w > 1) AS __pgt_g(" + DUP + ") WHERE __pgt_h.__pgt_w > 0";
        String deletes = "SELECT CASE WHEN __pgt_h.__pgt_n + __pgt_h.__pgt_w < 0"
                + " THEN pgtrickle._negative_multiplicity('more copies of a row deleted than stored', "
                + context.truncatedSinceFrontier() + ") ELSE 'D' END,"
                + " __pgt_h." + ROW_ID + ", __pgt_g." + DUP + ", "
                + String.join(", ", Collections.nCopies(columns.size(), "NULL"))
                + " FROM __pgt_have AS __pgt_h CROSS JOIN LATERAL ("
                + "SELECT __pgt_h.__pgt_n::integer WHERE __pgt_h.__pgt_w = -1"
                + " UNION ALL SELECT pgtrickle._copies(__pgt_h.__pgt_n + __pgt_h.__pgt_w + 1, __pgt_h.__pgt_n)"
                + " WHERE __pgt_h.__pgt_w < -1) AS __pgt_g(" + DUP + ") WHERE __pgt_h.__pgt_w < 0";
        return inserts + "\nUNION ALL\n" + deletes;
    }

    /** The rows of {@code query} (the query of {@code top}) with their identity and copies numbered 1..n. */
    static String numbered(QueryPlan top, List<String> columns, String query) {
        return numbered(columns, identity(top, qualified("__pgt_q", columns)), List.of(), List.of(), query);
    }

    /**
     * The rows of {@code query} (its {@code columns} and {@code carried} ones) with the identity
     * {@code identity} (over {@code __pgt_q}) and copies numbered 1..n within it, in the order of
     * the columns {@code order} (any order where it is empty).
     */
    static String numbered(List<String> columns, String identity, List<String> carried, List<String> order,
                           String query) {
        return "SELECT " + Sql.columns("", Sql.concat(columns, carried)) + ", " + ROW_ID
                + ", (pg_catalog.row_number() OVER (PARTITION BY " + ROW_ID
                + (order.isEmpty() ? "" : " ORDER BY " + Sql.columns("", order)) + "))::integer AS " + DUP
                + " FROM (SELECT __pgt_q.*, " + identity + " AS " + ROW_ID
                + " FROM (" + query + ") AS __pgt_q) AS __pgt_r";
    }

    /**
     * The storage rows to insert and delete so that the stored rows {@code stored} (a FROM item of
     * their identities and copy numbers) become the numbered rows of CTE {@code fresh}: rows on
     * both sides stay, the others are inserted or deleted; {@code columns} are the fresh rows'
     * columns written with an insert. A row on both sides whose {@code compared} columns (also
     * read from {@code stored}) differ is updated: compared by their bytes, so values equal but
     * spelled apart (numeric 1.0 and 1.00) show as computed. With {@code carried}, {@code stored}
     * also has each row's ctid as {@value MergeStatement#STORED_AT}, handed on to the MERGE.
     */
    static String difference(String fresh, String stored, List<String> columns, List<String> compared,
                             boolean carried) {
        String changed = compared.isEmpty() ? "" : " OR NOT (ROW(" + Sql.columns("__pgt_f", compared)
                + ")::record OPERATOR(pg_catalog.*=) ROW(" + Sql.columns("__pgt_t", compared) + ")::record)";
        return "SELECT CASE WHEN __pgt_f." + ROW_ID + " IS NULL THEN 'D'"
                + (compared.isEmpty() ? " ELSE 'I'" : " WHEN __pgt_t." + ROW_ID + " IS NULL THEN 'I' ELSE 'U'")
                + " END AS __pgt_op,"
                + " COALESCE(__pgt_f." + ROW_ID + ", __pgt_t." + ROW_ID + ") AS " + ROW_ID
                + ", COALESCE(__pgt_f." + DUP + ", __pgt_t." + DUP + ") AS " + DUP + ", "
                + Sql.columns("__pgt_f", columns)
                + (carried ? ", __pgt_t." + MergeStatement.STORED_AT : "")
                + " FROM " + fresh + " AS __pgt_f FULL JOIN " + stored + " AS __pgt_t ON __pgt_t." + ROW_ID
                + " = __pgt_f." + ROW_ID + " AND __pgt_t." + DUP + " = __pgt_f." + DUP
                + " WHERE __pgt_f." + ROW_ID + " IS NULL OR __pgt_t." + ROW_ID + " IS NULL" + changed;
    }

    /** {@code __pgt_row_id} and the quoted {@code columns}: a row of the delta as netted. */
    static List<String> withRowId(List<String> columns) {
        return Sql.concat(List.of(ROW_ID), columns.stream().map(Sql::ident).toList());
    }

    static List<String> qualified(String alias, List<String> columns) {
        return columns.stream().map(c -> alias + "." + Sql.ident(c)).toList();
    }
}
