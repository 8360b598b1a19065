package dev.pgtrickle.ivm.compile;

/** How a compiled plan applies changes to the storage table. */
public enum Strategy {
    /** Rows identified by their content; duplicates numbered 1..n ({@code __pgt_dup}). */
    CONTENT,
    /** Rows identified by the result's key ({@code plan.OutputKey}); a changed row is updated in place. */
    KEYED,
    /** Groups identified by their key; COUNT/SUM/AVG/MIN/MAX state in hidden columns, updated by the delta. */
    AGGREGATE,
    /** Groups identified by their key; each group the delta touches is recomputed from the sources. */
    GROUP_RESCAN,
    /** The first rows in an order (ORDER BY … LIMIT), as CONTENT rows; recomputed when a change reaches them. */
    TOP_K,
    /** Rows of window functions, by content within their partition; touched partitions recomputed. */
    PARTITION_RESCAN
}
