package dev.pgtrickle.ivm.plan;

/**
 * An index of a kept state's table besides its identity's, serving the bounds that a moved
 * one-row threshold puts on the kept rows (docs/architecture.md, "Kept rows of a tested input"):
 * on a column, or on a kept sum's value as the refresh statement reads it, {@code CASE WHEN
 * <count of non-NULL arguments> = 0 THEN NULL ELSE <sum> END} ({@link AggregateCall#fromState}),
 * which PostgreSQL matches with the bounds on that value.
 *
 * @param column the indexed column, or the sum column of the call whose value is indexed
 * @param sumValue whether the index is on the call's value rather than on the column
 */
public record KeptIndex(String column, boolean sumValue) {

    static KeptIndex on(String column) {
        return new KeptIndex(column, false);
    }

    static KeptIndex valueOf(AggregateCall sum) {
        return new KeptIndex(sum.sumColumn(), true);
    }
}
