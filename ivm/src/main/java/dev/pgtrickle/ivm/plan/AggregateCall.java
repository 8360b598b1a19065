package dev.pgtrickle.ivm.plan;

/**
 * One aggregate call of an {@link Aggregate}. In the aggregate's output and HAVING expressions it
 * is referred to by the placeholder identifier {@link #placeholder()} ({@code __pgt_agg_<index>}).
 *
 * @param index 1-based position among the aggregate's calls
 * @param function the aggregate
 * @param argument the argument expression (SQL text); {@code null} for {@code count(*)}
 */
public record AggregateCall(int index, Function function, String argument) {

    /** Aggregates with algebraic delta rules (docs/architecture.md, "Differential refresh"). */
    public enum Function { COUNT_STAR, COUNT, SUM, AVG }

    public AggregateCall {
        if ((function == Function.COUNT_STAR) != (argument == null)) {
            throw new IllegalArgumentException("count(*) has no argument; the other aggregates have one");
        }
    }

    public String placeholder() {
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
        };
    }
}
