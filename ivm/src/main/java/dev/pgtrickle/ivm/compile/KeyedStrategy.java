package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Recursive;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Queries without aggregation whose result has a key ({@code plan.OutputKey}): a stored row is
 * identified by its key, {@code __pgt_row_id} = the key's 128-bit hash as for groups. The delta is
 * consolidated per content; what is left for a key is at most the row it loses and the row it
 * gains, so a key that loses one row and gains another is one UPDATE in place — no copies to
 * count or number, and a source update of a column outside the key reaches the storage table
 * (and subscribers of its publication) as one UPDATE instead of a DELETE and an INSERT. A walk
 * down a tree as the whole query knows which stored rows change (its affected nodes'), and
 * replaces them without netting ({@link #replacedTreeNodes}).
 */
record KeyedStrategy(QueryPlan top, List<String> key) implements MaintenanceStrategy {

    @Override
    public Maintenance maintain(DeltaContext context) throws UnsupportedQueryException {
        List<String> columns = top.columns();
        String populate = "SELECT __pgt_q.*, " + identity("__pgt_q") + " AS " + ROW_ID
                + " FROM (" + top.current(context) + ") AS __pgt_q";
        Optional<String> replaced = replacedTreeNodes(context);
        if (replaced.isPresent()) {
            context.addCte(MergeStatement.SOURCE_CTE, replaced.get());
            return new Maintenance(Strategy.KEYED, populate, columns, List.of(ROW_ID), List.of(ROW_ID), columns, true, true,
                    "one MERGE keyed on __pgt_row_id (the key " + String.join(", ", key) + "): the stored rows of the"
                            + " nodes the changes affect replaced by their rows now, where they differ");
        }
        context.addCte("__pgt_keyed", "SELECT __pgt_k.*, " + identity("__pgt_k") + " AS " + ROW_ID + ", "
                + RowIdentity.sentForm(columns.stream().map(c -> "__pgt_k." + Sql.ident(c)).toList())
                + " AS __pgt_content FROM " + context.delta(top) + " AS __pgt_k");
        // Net weight per content: changes that cancel (a row updated back and forth) drop out.
        context.addCte("__pgt_net", RowIdentity.perIdentity("__pgt_content", ContentStrategy.withRowId(columns),
                "pg_catalog.sum(" + DeltaContext.WEIGHT + ")", DeltaContext.WEIGHT, "__pgt_keyed"));
        // A key with more than one row to gain or lose means the key is not one: the stored
        // contents and the changes disagree, which must never happen.
        String tooMany = "pgtrickle._negative_multiplicity('more than one row with one key', "
                + context.truncatedSinceFrontier() + ")";
        context.addCte(MergeStatement.SOURCE_CTE, "SELECT CASE"
                + " WHEN pg_catalog.abs(COALESCE(__pgt_p.__pgt_w, 0)) > 1 OR pg_catalog.abs(COALESCE(__pgt_m.__pgt_w, 0)) > 1"
                + " THEN " + tooMany
                + " WHEN __pgt_p." + ROW_ID + " IS NULL THEN 'D' WHEN __pgt_m." + ROW_ID + " IS NULL THEN 'I' ELSE 'U' END"
                + " AS __pgt_op, COALESCE(__pgt_p." + ROW_ID + ", __pgt_m." + ROW_ID + ") AS " + ROW_ID + ", "
                + Sql.columns("__pgt_p", columns)
                + " FROM (SELECT * FROM __pgt_net WHERE __pgt_w > 0) AS __pgt_p"
                + " FULL JOIN (SELECT " + ROW_ID + ", __pgt_w FROM __pgt_net WHERE __pgt_w < 0) AS __pgt_m"
                + " ON __pgt_m." + ROW_ID + " = __pgt_p." + ROW_ID);
        return new Maintenance(Strategy.KEYED, populate, columns, List.of(ROW_ID), List.of(ROW_ID), columns, true, false,
                "one MERGE keyed on __pgt_row_id (the key " + String.join(", ", key) + "): a key that loses a row"
                        + " and gains another is updated in place");
    }

    /**
     * Where the query is a walk down a tree as a whole whose output names each column of the walk
     * (the key among them): the rows of {@code __pgt_src} straight from the affected nodes' rows
     * now ({@link Recursive#treeReplacement}), each against its stored row — read once, here, its
     * ctid handed to the MERGE —, leaving out those equal to it (compared as sent, byte for byte).
     * The old rows need not be derived again and netted against the new ones by content.
     */
    private Optional<String> replacedTreeNodes(DeltaContext context) throws UnsupportedQueryException {
        Optional<Recursive.Whole> whole = Recursive.whole(top);
        if (whole.isEmpty()) {
            return Optional.empty();
        }
        Recursive recursive = whole.get().query();
        List<String> walked = whole.get().walked();
        List<String> columns = top.columns();
        if (key.size() != 1 || !recursive.treeKey().equals(Optional.of(walked.get(columns.indexOf(key.get(0)))))) {
            return Optional.empty();
        }
        Optional<String> nodes = recursive.treeReplacement(context);
        if (nodes.isEmpty()) {
            return Optional.empty();
        }
        context.addCte("__pgt_tree", nodes.get());
        List<String> now = walked.stream().map(c -> "__pgt_n." + Sql.ident(c)).toList();
        // Computed once per node (OFFSET 0 keeps the subquery, and the hash, from being copied into the probe).
        String identity = RowIdentity.groupKey(List.of("__pgt_t." + Sql.ident(walked.get(columns.indexOf(key.get(0))))));
        List<String> items = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            items.add(now.get(i) + " AS " + Sql.ident(columns.get(i)));
        }
        String present = "__pgt_n." + Recursive.PRESENT;
        return Optional.of("SELECT CASE WHEN NOT " + present + " THEN 'D' WHEN __pgt_o.ctid IS NULL THEN 'I' ELSE 'U' END"
                + " AS __pgt_op, __pgt_n." + ROW_ID + ", " + String.join(", ", items) + ", __pgt_o.ctid AS "
                + MergeStatement.STORED_AT + " FROM (SELECT __pgt_t.*, " + identity + " AS " + ROW_ID + " FROM __pgt_tree"
                + " AS __pgt_t OFFSET 0) AS __pgt_n LEFT JOIN LATERAL (SELECT __pgt_k.ctid, "
                + RowIdentity.sentForm(ContentStrategy.qualified("__pgt_k", columns)) + " AS __pgt_sent FROM "
                + PlanContract.STORAGE + " AS __pgt_k WHERE __pgt_k." + ROW_ID + " = __pgt_n." + ROW_ID
                + " OFFSET 0) AS __pgt_o ON true WHERE CASE WHEN " + present + " THEN __pgt_o.__pgt_sent IS DISTINCT FROM "
                + RowIdentity.sentForm(now) + " ELSE __pgt_o.ctid IS NOT NULL END");
    }

    private String identity(String alias) {
        return RowIdentity.groupKey(key.stream().map(c -> alias + "." + Sql.ident(c)).toList());
    }
}
