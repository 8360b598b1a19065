package dev.pgtrickle.ivm.plan;

/**
 * One aggregate call of an {@link Aggregate}. In the aggregate's output and HAVING expressions it
 * is referred to by the placeholder identifier {@link #placeholder()} ({@code __pgt_agg_<index>}).
 *
 * @param index 1-based position among the aggregate's calls
 * @param function the aggregate
 * @param argument the argument expression (SQL text) of count, sum, avg, min and max;
 *     {@code null} for {@code count(*)} and recomputed calls
 * @param call the whole call (SQL text) of a recomputed aggregate, as the query writes it
 *     ({@code DISTINCT}, {@code ORDER BY} and {@code FILTER} included); {@code null} otherwise
 */
public record AggregateCall(int index, Function function, String argument, String call) {

    /**
     * Aggregates with algebraic delta rules (docs/architecture.md, "Differential refresh"), and
     * the rest, which are recomputed over a group's rows.
     */
    public enum Function {
        COUNT_STAR, COUNT, SUM, AVG, MIN, MAX,
        /** Any other aggregate whose value depends only on the group's rows (bool_and, count(DISTINCT …)). */
        RECOMPUTED,
        /**
         * An aggregate whose value may also depend on the order the rows are read in
         * (string_agg, array_agg and the JSON aggregates without a total order, floating-point
         * statistics): recomputing it over the same rows may give another value.
         */
        RECOMPUTED_IN_ORDER;

        /** Whether a group's value follows from a running state (counts, sums, extremes). */
        public boolean algebraic() {
            return this != RECOMPUTED && this != RECOMPUTED_IN_ORDER;
        }
    }

    public AggregateCall {
        if ((function == Function.COUNT_STAR || !function.algebraic()) != (argument == null)) {
            throw new IllegalArgumentException("count(*) and recomputed calls have no argument; the others have one");
        }
        if (function.algebraic() != (call == null)) {
            throw new IllegalArgumentException("exactly the recomputed calls are given as a whole call");
        }
    }

    /** An algebraic call. */
    public AggregateCall(int index, Function function, String argument) {
        this(index, function, argument, null);
    }

    public String placeholder() {
        return placeholderOf(index);
    }

    /** The placeholder of the {@code index}-th call. */
    public static String placeholderOf(int index) {
        return "__pgt_agg_" + index;
    }

    /** The column keeping a group's count of non-NULL arguments. */
    public String nonNullColumn() {
        return placeholder() + "_n";
    }

    /** The column keeping the sum of a group's arguments (SUM and AVG). */
    public String sumColumn() {
        return placeholder() + "_s";
    }

    /**
     * The call's value from a group's kept state (SQL expressions): its row count, its count of
     * non-NULL arguments and their sum, as PostgreSQL's aggregate gives it (NULL over no values,
     * avg dividing as numerics).
     */
    public String fromState(String count, String nonNull, String sum) {
        return switch (function) {
            case COUNT_STAR -> count;
            case COUNT -> nonNull;
            case SUM -> "CASE WHEN " + nonNull + " = 0 THEN NULL ELSE " + sum + " END";
            case AVG -> "CASE WHEN " + nonNull + " = 0 THEN NULL ELSE " + sum + "::numeric / " + nonNull + " END";
            case MIN, MAX, RECOMPUTED, RECOMPUTED_IN_ORDER ->
                    throw new IllegalStateException(function + " has no count-and-sum state");
        };
    }

    /** As the plan describes it: {@code SUM(o.amount)}, or the recomputed call. */
    public String describe() {
        return function.algebraic() ? function + (argument == null ? "" : "(" + argument + ")") : call;
    }
}
