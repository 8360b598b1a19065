package dev.pgtrickle.benchmarks;

/** The performance targets of issue 3 §8 (and of WAL capture: {@link #WAL_DECODE_FRACTION}). */
public final class Targets {

    /** DIFFERENTIAL at least this many times faster than REFRESH MATERIALIZED VIEW at 0.1 % changes. */
    public static final double SPEEDUP_AT_0_1_PERCENT = 20;
    /** … and at 1 % changes. */
    public static final double SPEEDUP_AT_1_PERCENT = 5;
    /** A refresh without pending changes, in milliseconds. */
    public static final double NO_CHANGE_MILLIS = 5;
    /** Bulk DML on a captured table at most this many times slower than without capture. */
    public static final double CAPTURE_BULK_RATIO = 1.5;
    /** Propagation latency through a three-deep chain: p99 below this many milliseconds … */
    public static final double LATENCY_P99_MILLIS = 2000;
    /** … at this sustained write rate to the source (rows per second) and above. */
    public static final int LATENCY_RATE = 5000;
    /** AUTO refreshes the way that is faster in this batch (DIFFERENTIAL or FULL, as measured) at least this often (issue 15). */
    public static final double AUTO_RIGHT_SHARE = 0.9;
    /** The decoder's throughput on a backlog at least this fraction of merely streaming the slot. */
    public static final double WAL_DECODE_FRACTION = 0.8;

    private Targets() {
    }

    public static double speedupTarget(double fraction) {
        return fraction <= 0.001 ? SPEEDUP_AT_0_1_PERCENT : SPEEDUP_AT_1_PERCENT;
    }
}
