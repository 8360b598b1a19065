package dev.pgtrickle.ivm.plan;

/**
 * How a kept group follows the display scale of a sum over unconstrained numerics, which shows
 * the largest scale among its values (a running sum cannot follow it when values leave): the
 * group keeps how many of its values have each scale, as the digits of one integer,
 * {@value #DIGITS} decimal digits per scale (a value of scale s adds 10^(20 s)). Plain sums and
 * additions maintain the counts — no array, no function call per group, no look-up of the
 * group's rows — and no count can reach the next one's digits. See docs/architecture.md
 * ("Kept state of aggregates", "Maintenance strategies").
 */
public final class ScaleCounts {

    private static final int DIGITS = 20;

    private ScaleCounts() {
    }

    /** The state column holding a call's counts per scale. */
    public static String column(AggregateCall call) {
        return call.placeholder() + "_dc";
    }

    /** What a value of {@code argument} adds to its group's counts (NULL adds nothing). */
    public static String weight(String argument) {
        return "pg_catalog.trunc(pg_catalog.power(10::numeric, " + DIGITS + " * pg_catalog.scale(" + argument + ")))";
    }

    /** The largest scale with a count in {@code counts}: its number of digits tells. */
    public static String largest(String counts) {
        return "(pg_catalog.length((" + counts + ")::text) - 1) / " + DIGITS;
    }
}
