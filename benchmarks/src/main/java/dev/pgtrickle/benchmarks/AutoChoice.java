package dev.pgtrickle.benchmarks;

/**
 * What an AUTO stream table did with one batch of changes, beside the DIFFERENTIAL stream table
 * and the FULL twin refreshed on the same batch.
 *
 * @param action DIFFERENTIAL or FULL, from its refresh history
 */
public record AutoChoice(String action, long autoNanos, long differentialNanos, long fullNanos) {

    /** Whether it chose the way that was faster for this batch. */
    public boolean right() {
        return action.equals(differentialNanos <= fullNanos ? "DIFFERENTIAL" : "FULL");
    }
}
