package dev.pgtrickle.benchmarks;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A snapshot of the daemon's own timing of its refreshes (meter {@code pgtrickle.refresh.duration}
 * of {@code DaemonService.registry()}), per stream table: from the refresh worker's start to its
 * commit. Unlike {@code end_time − start_time} in the refresh history, it includes what the
 * worker's transaction does before the refresh function starts — with WAL capture, locking,
 * waiting for the decoder to pass the refresh's sync message and loading the journal into the
 * change buffer. The meter keeps running totals, so two snapshots give the mean in between.
 */
final class WorkerTimes {

    /** Per stream table (display name, e.g. {@code public.lat_events}): refreshes and their total ms. */
    private final Map<String, double[]> totals;

    private WorkerTimes(Map<String, double[]> totals) {
        this.totals = totals;
    }

    /**
     * Completed refreshes that applied something; refreshes skipped as unchanged ({@code NO_DATA})
     * leave no history row, so they are left out here too.
     */
    static WorkerTimes of(MeterRegistry registry) {
        Map<String, double[]> totals = new HashMap<>();
        for (Timer timer : registry.find("pgtrickle.refresh.duration").timers()) {
            if (!"completed".equals(timer.getId().getTag("status")) || "NO_DATA".equals(timer.getId().getTag("action"))) {
                continue;
            }
            double[] total = totals.computeIfAbsent(timer.getId().getTag("stream_table"), name -> new double[2]);
            total[0] += timer.count();
            total[1] += timer.totalTime(TimeUnit.MILLISECONDS);
        }
        return new WorkerTimes(totals);
    }

    /** Mean ms of the refreshes of {@code streamTable} recorded after {@code earlier}; NaN without any. */
    double meanSince(WorkerTimes earlier, String streamTable) {
        double[] now = totals.getOrDefault(streamTable, new double[2]);
        double[] before = earlier.totals.getOrDefault(streamTable, new double[2]);
        double count = now[0] - before[0];
        return count == 0 ? Double.NaN : (now[1] - before[1]) / count;
    }
}
