package dev.pgtrickle.ivm.compile;

/** How a compiled plan applies changes to the storage table. */
public enum Strategy {
    /** Rows identified by their content; duplicates numbered 1..n ({@code __pgt_dup}). */
    CONTENT,
    /** Groups identified by their key; COUNT/SUM/AVG state in hidden columns, updated by the delta. */
    AGGREGATE,
    /** Groups identified by their key; each group the delta touches is recomputed from the sources. */
    GROUP_RESCAN
}
