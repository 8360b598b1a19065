package dev.pgtrickle.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Durations of repeated measurements of one thing, in milliseconds. */
public final class Samples {

    private final List<Double> millis = new ArrayList<>();

    public void add(long nanos) {
        millis.add(nanos / 1_000_000.0);
    }

    public void addMillis(double value) {
        millis.add(value);
    }

    public int size() {
        return millis.size();
    }

    public List<Double> values() {
        return Collections.unmodifiableList(millis);
    }

    public double median() {
        return quantile(0.5);
    }

    public double min() {
        return sorted().get(0);
    }

    public double max() {
        List<Double> sorted = sorted();
        return sorted.get(sorted.size() - 1);
    }

    /** Linear interpolation between the closest ranks; {@code NaN} without samples. */
    public double quantile(double q) {
        if (millis.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = sorted();
        double rank = q * (sorted.size() - 1);
        int low = (int) Math.floor(rank);
        int high = (int) Math.ceil(rank);
        return sorted.get(low) + (sorted.get(high) - sorted.get(low)) * (rank - low);
    }

    private List<Double> sorted() {
        if (millis.isEmpty()) {
            throw new IllegalStateException("no samples");
        }
        List<Double> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        return sorted;
    }

    /** A unit of JDBC work (see {@link Db#inTransaction}). */
    @FunctionalInterface
    public interface SqlAction {
        void run() throws java.sql.SQLException;
    }
}
