package dev.pgtrickle.ivm.compile;

/**
 * What the compiled plans and the catalog's SQL (migrations R__30_refresh, R__35_differential,
 * R__50_monitoring) rely on from each other, in one place. The fields of the plan's jsonb are the
 * components of {@link CompiledPlan} in snake_case ({@link PlanJson}); PlanContractTest checks
 * that the SQL reads every one of them and knows the names below.
 */
public final class PlanContract {

    /** Stands for the storage table in a plan's statements; replaced by its current name when they run. */
    public static final String STORAGE = "\"__pgt_storage__\"";

    /** Every hidden column's name starts with this; the catalog drops them by it when a plan changes. */
    public static final String HIDDEN_PREFIX = "__pgt_";

    /** Identity of a stored row: its content's hash, or its group key's. */
    public static final String ROW_ID = HIDDEN_PREFIX + "row_id";

    /** Copy number 1..n among stored rows with equal content. */
    public static final String DUP = HIDDEN_PREFIX + "dup";

    /** A group's row count. */
    public static final String COUNT = HIDDEN_PREFIX + "count";

    /**
     * Stands for the stream table's id in its IMMEDIATE statements; replaced when the catalog
     * generates the function running them (R__45_immediate).
     */
    public static final String STREAM_TABLE_ID = "\"__pgt_id__\"";

    /**
     * The variable of that function holding the identities of the groups a relative IMMEDIATE
     * statement ({@link RelativeMerge}) applies its changes to again; NULL on the first pass.
     */
    public static final String RETRY = "__pgt_retry";

    /**
     * Stands for the n-th table keeping an aggregate's groups (1-based); replaced by
     * {@code pgtrickle_changes."kept_<pgt_id>_<n>"} when the statements run.
     */
    public static String keptTable(int n) {
        return "\"__pgt_kept_" + n + "__\"";
    }

    private PlanContract() {
    }
}
