package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.DeltaBuilder;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Queries without aggregation (projections, filters, joins, UNION ALL): a stored row is
 * identified by its content, {@code __pgt_row_id}, and the copies of equal rows are numbered
 * {@code __pgt_dup} = 1..n. The delta is consolidated per content; a net +k inserts copies
 * n+1..n+k, a net -k deletes copies n-k+1..n, so the numbering stays 1..n.
 */
final class ContentStrategy {

    static final String ROW_ID = "__pgt_row_id";
    static final String DUP = "__pgt_dup";

    private ContentStrategy() {
    }

    static CompiledPlan compile(Plan top, String normalizedQuery, List<ExplainLine> operators)
            throws UnsupportedQueryException {
        List<String> columns = top.columns();
        DeltaBuilder builder = new DeltaBuilder();

        String populate = "SELECT " + Sql.columns("", columns) + ", " + ROW_ID
                + ", (pg_catalog.row_number() OVER (PARTITION BY " + ROW_ID + "))::integer AS " + DUP
                + " FROM (SELECT __pgt_q.*, " + RowIdentity.content(qualified("__pgt_q", columns)) + " AS " + ROW_ID
                + " FROM (" + builder.currentRelation(top) + ") AS __pgt_q) AS __pgt_r";

        builder.addCte("__pgt_delta", builder.deltaRelation(top));
        builder.addCte("__pgt_keyed", "SELECT __pgt_k.*, " + RowIdentity.content(qualified("__pgt_k", columns))
                + " AS " + ROW_ID + " FROM __pgt_delta AS __pgt_k");
        builder.addCte("__pgt_net", "SELECT " + ROW_ID + ", pg_catalog.sum(" + DeltaBuilder.WEIGHT + ") AS __pgt_w"
                + " FROM __pgt_keyed GROUP BY " + ROW_ID + " HAVING pg_catalog.sum(" + DeltaBuilder.WEIGHT + ") <> 0");
        builder.addCte("__pgt_have", "SELECT __pgt_n." + ROW_ID + ", __pgt_n.__pgt_w,"
                + " (SELECT pg_catalog.count(*) FROM " + MergeStatement.STORAGE + " AS __pgt_t"
                + " WHERE __pgt_t." + ROW_ID + " = __pgt_n." + ROW_ID + ") AS __pgt_n FROM __pgt_net AS __pgt_n");
        String inserts = "SELECT 'I'::text AS __pgt_op, __pgt_h." + ROW_ID + ", __pgt_g." + DUP + ", "
                + Sql.columns("__pgt_c", columns)
                + " FROM __pgt_have AS __pgt_h"
                + " CROSS JOIN LATERAL (SELECT " + Sql.columns("__pgt_k", columns) + " FROM __pgt_keyed AS __pgt_k"
                + " WHERE __pgt_k." + ROW_ID + " = __pgt_h." + ROW_ID + " LIMIT 1) AS __pgt_c"
                + " CROSS JOIN LATERAL pg_catalog.generate_series(__pgt_h.__pgt_n + 1, __pgt_h.__pgt_n + __pgt_h.__pgt_w)"
                + " AS __pgt_g(" + DUP + ") WHERE __pgt_h.__pgt_w > 0";
        String deletes = "SELECT CASE WHEN __pgt_h.__pgt_n + __pgt_h.__pgt_w < 0"
                + " THEN pgtrickle._negative_multiplicity('more copies of a row deleted than stored', "
                + builder.truncatedSinceFrontier() + ") ELSE 'D' END,"
                + " __pgt_h." + ROW_ID + ", __pgt_g." + DUP + ", " + String.join(", ", Collections.nCopies(columns.size(), "NULL"))
                + " FROM __pgt_have AS __pgt_h"
                + " CROSS JOIN LATERAL pg_catalog.generate_series(__pgt_h.__pgt_n + __pgt_h.__pgt_w + 1, __pgt_h.__pgt_n)"
                + " AS __pgt_g(" + DUP + ") WHERE __pgt_h.__pgt_w < 0";
        builder.addCte(MergeStatement.SOURCE_CTE, inserts + "\nUNION ALL\n" + deletes);

        List<String> storageColumns = new ArrayList<>(columns);
        storageColumns.add(ROW_ID);
        storageColumns.add(DUP);
        String refresh = MergeStatement.build(builder.ctes(), builder.truncatedSinceFrontier(),
                List.of(ROW_ID, DUP), storageColumns, List.of());
        String insertOnly = MergeStatement.buildInsertOnly(builder.ctes(), builder.truncatedSinceFrontier(),
                storageColumns);
        List<ExplainLine> explain = new ArrayList<>(operators);
        explain.add(0, new ExplainLine(0, "Apply", "one MERGE keyed on (__pgt_row_id, __pgt_dup): rows identified by"
                + " content, copies of equal rows numbered 1..n"));
        return new CompiledPlan(CompiledPlan.FORMAT, normalizedQuery, Strategy.CONTENT, storageColumns,
                List.of(ROW_ID, DUP), List.of(ROW_ID, DUP), populate, refresh, insertOnly,
                builder.sources().stream().map(s -> s.oid()).toList(), explain);
    }

    private static List<String> qualified(String alias, List<String> columns) {
        return columns.stream().map(c -> alias + "." + Sql.ident(c)).toList();
    }
}
