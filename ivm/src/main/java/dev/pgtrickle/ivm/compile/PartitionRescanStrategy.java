package dev.pgtrickle.ivm.compile;

import static dev.pgtrickle.ivm.compile.PlanContract.DUP;
import static dev.pgtrickle.ivm.compile.PlanContract.ROW_ID;
import static dev.pgtrickle.ivm.compile.PlanContract.STORAGE;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.delta.RowIdentity;
import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.plan.Window;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Window functions at the top: a stored row carries its partition's identity
 * {@value #PARTITION} (the partition keys' hash, indexed). Where the outputs include a key of the
 * input rows ({@code plan.OutputKey}), a row's identity is that key's hash and its copy number
 * 1; otherwise it is the content of its outputs that follow from the row alone, with the
 * partition, copies numbered within it in the order of their window values. The partitions the
 * delta touches are computed again and compared with their stored rows: a row whose window
 * values moved (a rank after a changed row) — or, identified by its key, any of its values — is
 * updated in place, rows that came or went are inserted or deleted, the others stay. Work is
 * proportional to the rows of the touched partitions.
 *
 * <p>A touched partition's rows are its stored rows with the changed ones replaced, where the
 * stored rows identify their input rows (a key) and hold every input column the outputs read:
 * then the sources are not read at all, and each stored row carries its old window values for
 * the comparison. Otherwise the partitions are read again from the input (per key through an
 * index where the input has one).
 *
 * @param key the key of the outputs, empty when they have none
 */
record PartitionRescanStrategy(Window window, List<String> key) implements MaintenanceStrategy {

    static final String PARTITION = "__pgt_part";
    /** A query of the identities of the partitions the delta touches, over the strategy's CTEs. */
    static final String TOUCHED_PARTITIONS = "SELECT " + PARTITION + " FROM __pgt_part_ids";
    /** The alias of a stored row of a touched partition. */
    private static final String STORED = "__pgt_s";
    /** The changed input rows, netted, with their identity and partition. */
    private static final String CHANGED = "__pgt_changed";

    @Override
    public Maintenance maintain(DeltaContext context) throws UnsupportedQueryException {
        List<String> columns = window.columns();
        String populate = numbered(window.current(window.input().current(context),
                List.of(partition() + " AS " + PARTITION)));
        Optional<List<String>> rebuilt = key.isEmpty() ? Optional.empty() : window.inputFromOutputs(STORED);
        String from;
        if (rebuilt.isPresent()) {
            fromStoredRows(context, rebuilt.get());
            from = "their stored rows with the changed rows replaced";
        } else {
            fromInputRows(context);
            from = "their input rows";
        }
        return new Maintenance(Strategy.PARTITION_RESCAN, populate, columns, List.of(ROW_ID, DUP, PARTITION),
                List.of(ROW_ID, DUP), updated(), false, true, "one MERGE keyed on (__pgt_row_id, __pgt_dup)"
                        + (key.isEmpty() ? "" : " (the key " + String.join(", ", key) + ")") + ": the partitions the"
                        + " delta touches computed again from " + from + "; rows whose values moved updated, rows"
                        + " that came or went inserted or deleted");
    }

    /** The partition's identity over the input. */
    private String partition() {
        return RowIdentity.groupKey(window.partitionKeys().stream().map(k -> "(" + k + ")").toList());
    }

    /** Identified by content, a row's other values are part of its identity; by key, they may move too. */
    private List<String> updated() {
        return key.isEmpty() ? window.windowed() : Sql.concat(window.columns(), List.of(PARTITION));
    }

    /**
     * The partitions of the changes exposed as {@code changes}, and CTE {@code __pgt_part_ids} of
     * their identities.
     */
    private TouchedGroups touchedPartitions(DeltaContext context, DeltaContext.Exposure changes) throws UnsupportedQueryException {
        TouchedGroups touched = TouchedGroups.of(context, "__pgt_parts", window.partitionKeys(), changes);
        List<String> keys = new ArrayList<>();
        for (int i = 1; i <= window.partitionKeys().size(); i++) {
            keys.add("__pgt_p." + TouchedGroups.key(i));
        }
        context.addCte("__pgt_part_ids", "SELECT DISTINCT " + RowIdentity.groupKey(keys) + " AS " + PARTITION
                + " FROM " + touched.cte() + " AS __pgt_p");
        return touched;
    }

    /**
     * The stored rows of the touched partitions, read per partition through the partition's
     * index (OFFSET 0 keeps it a probe: joined, the planner may read the whole table for few
     * partitions), with {@code columns} and their ctids.
     */
    private static String storedRows(List<String> columns) {
        return "SELECT __pgt_r.* FROM __pgt_part_ids AS __pgt_pi CROSS JOIN LATERAL (SELECT __pgt_k." + ROW_ID
                + ", __pgt_k." + DUP + ", " + Sql.columns("__pgt_k", columns) + ", __pgt_k.ctid AS "
                + MergeStatement.STORED_AT + " FROM " + STORAGE + " AS __pgt_k WHERE __pgt_k." + PARTITION
                + " = __pgt_pi." + PARTITION + " OFFSET 0) AS __pgt_r";
    }

    /** The touched partitions computed from their input rows and compared with their stored rows. */
    private void fromInputRows(DeltaContext context) throws UnsupportedQueryException {
        TouchedGroups touched = touchedPartitions(context, context.expose(window.input()));
        List<String> fresh = new ArrayList<>();
        for (Fragment rows : touched.rows(context, window.input())) {
            fresh.add(window.current(rows, List.of(partition() + " AS " + PARTITION)));
        }
        context.addCte("__pgt_fresh", numbered(DeltaContext.union(fresh)));
        List<String> compared = updated();
        context.addCte(MergeStatement.SOURCE_CTE, ContentStrategy.difference("__pgt_fresh",
                "(" + storedRows(compared) + ")", Sql.concat(window.columns(), List.of(PARTITION)), compared, true));
    }

    /**
     * The touched partitions computed from their stored rows, those of changed input rows
     * replaced by the rows' current versions: the changes netted per content (an update that
     * leaves the read columns as they were cancels), identified by the key. A kept row carries
     * its old window values ({@code __pgt_was<i>}) and ctid, so it is updated only where they
     * moved; a changed row's current version updates its stored row (found by identity among the
     * touched partitions' rows: its old version's partition was touched) or is inserted; a
     * stored row whose key has no current version is deleted.
     *
     * @param input the input's columns over a stored row {@value #STORED}
     */
    private void fromStoredRows(DeltaContext context, List<String> input) throws UnsupportedQueryException {
        List<String> positional = new ArrayList<>();
        for (int i = 1; i <= input.size(); i++) {
            positional.add(DeltaContext.column(i));
        }
        String weight = DeltaContext.WEIGHT;
        context.addCte("__pgt_wnet", RowIdentity.perIdentity("__pgt_h", positional, "pg_catalog.sum(" + weight + ")",
                weight, "(SELECT __pgt_d.*, " + RowIdentity.sentForm(ContentStrategy.qualified("__pgt_d", positional))
                        + " AS __pgt_h FROM " + context.deltaRows(window.input()) + " AS __pgt_d) AS __pgt_n"));
        touchedPartitions(context, context.exposeRows("(SELECT * FROM __pgt_wnet WHERE " + weight + " <> 0)",
                window.input().bindings()));
        DeltaContext.Exposure net = context.exposeRows("__pgt_wnet", window.input().bindings());
        context.addCte(CHANGED, "SELECT " + net.reference() + ".*, " + RowIdentity.groupKey(keyOverInput()) + " AS "
                + ROW_ID + ", " + partition() + " AS " + PARTITION + " FROM " + net.from() + " WHERE " + net.weight()
                + " <> 0");
        List<String> columns = window.columns();
        context.addCte("__pgt_stored", storedRows(Sql.concat(columns, List.of(PARTITION))));

        List<String> was = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (int i = 1; i <= input.size(); i++) {
            kept.add(input.get(i - 1) + " AS " + DeltaContext.column(i));
        }
        kept.addAll(List.of(STORED + "." + PARTITION, STORED + "." + ROW_ID, STORED + "." + MergeStatement.STORED_AT));
        for (int i = 1; i <= window.windowed().size(); i++) {
            was.add("__pgt_was" + i);
            kept.add(STORED + "." + Sql.ident(window.windowed().get(i - 1)) + " AS __pgt_was" + i);
        }
        List<String> added = Sql.concat(positional, List.of(PARTITION, ROW_ID), Collections.nCopies(1 + was.size(), "NULL"));
        String rows = "(SELECT " + String.join(", ", kept) + " FROM __pgt_stored AS " + STORED
                + " WHERE NOT EXISTS (SELECT 1 FROM " + CHANGED + " AS __pgt_c WHERE __pgt_c." + ROW_ID + " = " + STORED
                + "." + ROW_ID + ")\nUNION ALL\nSELECT " + String.join(", ", added) + " FROM " + CHANGED + " WHERE "
                + weight + " > 0)";
        DeltaContext.Exposure current = context.exposeRows(rows, window.input().bindings());
        List<String> carried = new ArrayList<>();
        for (String column : Sql.concat(List.of(PARTITION, ROW_ID, MergeStatement.STORED_AT), was)) {
            carried.add(current.reference() + "." + column);
        }
        context.addCte("__pgt_fresh", window.current(Fragment.of(current.from()), carried));

        String values = Sql.columns("__pgt_f", Sql.concat(columns, List.of(PARTITION)));
        String at = "__pgt_f." + MergeStatement.STORED_AT;
        context.addCte(MergeStatement.SOURCE_CTE, "SELECT 'U'::text AS __pgt_op, __pgt_f." + ROW_ID + ", 1 AS " + DUP
                + ", " + values + ", " + at + " FROM __pgt_fresh AS __pgt_f WHERE " + at + " IS NOT NULL AND NOT (ROW("
                + Sql.columns("__pgt_f", window.windowed()) + ")::record OPERATOR(pg_catalog.*=) ROW("
                + Sql.columns("__pgt_f", was) + ")::record)"
                + "\nUNION ALL\nSELECT CASE WHEN " + STORED + "." + MergeStatement.STORED_AT + " IS NULL THEN 'I' ELSE 'U'"
                + " END, __pgt_f." + ROW_ID + ", 1, " + values + ", " + STORED + "." + MergeStatement.STORED_AT
                + " FROM __pgt_fresh AS __pgt_f LEFT JOIN __pgt_stored AS " + STORED + " ON " + STORED + "." + ROW_ID
                + " = __pgt_f." + ROW_ID + " WHERE " + at + " IS NULL"
                + "\nUNION ALL\nSELECT 'D', " + STORED + "." + ROW_ID + ", 1, "
                + String.join(", ", Collections.nCopies(columns.size() + 1, "NULL")) + ", " + STORED + "."
                + MergeStatement.STORED_AT + " FROM __pgt_stored AS " + STORED + " WHERE EXISTS (SELECT 1 FROM "
                + CHANGED + " AS __pgt_c WHERE __pgt_c." + ROW_ID + " = " + STORED + "." + ROW_ID + ") AND NOT EXISTS"
                + " (SELECT 1 FROM " + CHANGED + " AS __pgt_c WHERE __pgt_c." + weight + " > 0 AND __pgt_c." + ROW_ID
                + " = " + STORED + "." + ROW_ID + ")");
    }

    /** The key's expressions over the input (the outputs that are the key's columns). */
    private List<String> keyOverInput() {
        return key.stream().map(name -> "(" + window.outputs().stream().filter(o -> o.name().equals(name))
                .map(OutputColumn::expression).findFirst().orElseThrow() + ")").toList();
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
