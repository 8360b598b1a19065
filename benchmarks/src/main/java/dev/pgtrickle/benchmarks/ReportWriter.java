package dev.pgtrickle.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The Markdown report of one run: setup, result tables with medians and ratios, targets. */
public final class ReportWriter {

    private final StringBuilder md = new StringBuilder();
    private final List<String> targetLines = new ArrayList<>();
    private int missed;

    private ReportWriter() {
    }

    public static String write(MacroBenchmark.Result result, String commandLine) {
        return new ReportWriter().render(result, commandLine);
    }

    private String render(MacroBenchmark.Result r, String commandLine) {
        BenchmarkOptions o = r.options();
        line("# pgtrickle macro benchmark");
        line("");
        line("- command: `" + commandLine + "`");
        line("- started: " + r.started() + "; load average (1/5/15 min) before: " + r.loadAverageBefore()
                + ", after: " + r.loadAverageAfter());
        line("- machine: " + r.environment().cores() + " cores (" + r.environment().cpu() + "), "
                + r.environment().memory() + " RAM");
        line("- server: " + r.server() + ", " + r.environment().postgresVersion());
        StringBuilder settings = new StringBuilder();
        r.environment().settings().forEach((k, v) -> settings.append(settings.length() == 0 ? "" : ", ")
                .append(k).append('=').append(v));
        line("- settings: " + settings);
        line(String.format(Locale.ROOT, "- data: %,d orders, %,d customers (scale %s), loaded in %.1f s",
                o.orders(), o.customers(), o.scale(), r.loadSeconds()));
        line("- method: per batch size " + o.warmupBatches() + " warm-up + " + o.batchesPerSize()
                + " measured batches; each batch is committed, "
                + (o.analyzeBuffers() ? "the change buffers are ANALYZEd, " : "")
                + "then each differential stream table is refreshed once (consuming exactly that batch), then"
                + " each FULL-mode twin and each materialized view; tables are VACUUM ANALYZEd between batches"
                + " (untimed). Times are wall-clock from the client, one autocommit statement each (commit included).");
        line("");

        RefreshBenchmark.Result refresh = r.refresh();
        line("## Stream tables");
        line("");
        line("| # | stream table | query | strategy | create + compile |");
        line("|---|---|---|---|---|");
        int index = 1;
        for (Scenario s : Scenario.ALL) {
            line(String.format(Locale.ROOT, "| %d | `%s` | `%s` | %s | %.1f s |", index++, s.differentialTable(),
                    s.query(), refresh.strategies().get(s), refresh.setupMillis().get(s) / 1000));
        }
        line("");

        for (RefreshBenchmark.SizeResult size : refresh.sizes()) {
            double target = Targets.speedupTarget(size.fraction());
            ChangeWorkload.Batch b = size.batch();
            line(String.format(Locale.ROOT, "## Refresh after a change batch of %s (%,d changes: %,d updates, %,d inserts,"
                            + " %,d deletes; %,d buffered change rows)", RefreshBenchmark.percent(size.fraction()),
                    b.size(), b.updates(), b.inserts(), b.deletes(), b.bufferRows()));
            line("");
            line("Medians in ms (min–max) over " + o.batchesPerSize() + " batches.");
            line("");
            line("| stream table | DIFFERENTIAL | FULL (twin) | REFRESH MATERIALIZED VIEW | MV / DIFF | FULL / DIFF | target MV / DIFF ≥ "
                    + fmt(target) + "× |");
            line("|---|---:|---:|---:|---:|---:|---|");
            for (Map.Entry<Scenario, RefreshBenchmark.ScenarioTimes> e : size.times().entrySet()) {
                RefreshBenchmark.ScenarioTimes t = e.getValue();
                boolean met = t.viewOverDifferential() >= target;
                line(String.format(Locale.ROOT, "| `%s` | %s | %s | %s | %s× | %s× | %s |",
                        e.getKey().differentialTable(), spread(t.differential()), spread(t.full()),
                        spread(t.materializedView()), fmt(t.viewOverDifferential()), fmt(t.fullOverDifferential()),
                        met ? "met" : "**missed**"));
                target(met, String.format(Locale.ROOT, "DIFF ≥ %s× faster than REFRESH MATERIALIZED VIEW at %s, %s: %s×",
                        fmt(target), RefreshBenchmark.percent(size.fraction()), e.getKey().differentialTable(),
                        fmt(t.viewOverDifferential())));
            }
            line("");
        }

        line("## Refresh without pending changes");
        line("");
        line("Over " + o.noChangeRuns() + " refreshes each; client = wall-clock of `SELECT pgtrickle.refresh_stream_table(…)`"
                + " (round trip and commit included), server = end_time − start_time in pgt_refresh_history.");
        line("");
        line("| stream table | client median ms | client p90 ms | server median ms | target < " + fmt(Targets.NO_CHANGE_MILLIS) + " ms |");
        line("|---|---:|---:|---:|---|");
        refresh.noChange().forEach((s, n) -> {
            boolean met = n.client().median() < Targets.NO_CHANGE_MILLIS;
            line(String.format(Locale.ROOT, "| `%s` | %s | %s | %s | %s |", s.differentialTable(), fmt(n.client().median()),
                    fmt(n.client().quantile(0.9)), fmt(n.server().median()), met ? "met" : "**missed**"));
            target(met, String.format(Locale.ROOT, "no-change refresh < %s ms, %s: %s ms", fmt(Targets.NO_CHANGE_MILLIS),
                    s.differentialTable(), fmt(n.client().median())));
        });
        line("");

        CaptureBenchmark.Result capture = r.capture();
        line("## Capture overhead");
        line("");
        line(String.format(Locale.ROOT, "Bulk statements touch %,d rows each; single-row INSERTs: %,d autocommit statements"
                + " (time of all of them). Medians in ms (min–max) over %d repetitions.", capture.bulkRows(),
                capture.singleRowInserts(), o.captureRuns()));
        line("");
        line("| operation | without capture | with capture | ratio | target < " + fmt(Targets.CAPTURE_BULK_RATIO) + "× (bulk) |");
        line("|---|---:|---:|---:|---|");
        capture.times().forEach((op, t) -> {
            boolean met = t.ratio() < Targets.CAPTURE_BULK_RATIO;
            line(String.format(Locale.ROOT, "| %s | %s | %s | %s× | %s |", op.label, spread(t.without()), spread(t.with()),
                    fmt(t.ratio()), op.bulk() ? (met ? "met" : "**missed**") : "(no target)"));
            if (op.bulk()) {
                target(met, String.format(Locale.ROOT, "capture overhead < %s× on %s: %s×", fmt(Targets.CAPTURE_BULK_RATIO),
                        op.label, fmt(t.ratio())));
            }
        });
        CaptureBenchmark.Times single = capture.times().get(CaptureBenchmark.Operation.SINGLE_ROW_INSERTS);
        line("");
        line(String.format(Locale.ROOT, "Per single-row INSERT: %s ms without, %s ms with capture.",
                fmt(single.without().median() / capture.singleRowInserts()),
                fmt(single.with().median() / capture.singleRowInserts())));
        line("");

        line("## Correctness");
        line("");
        boolean allEqual = refresh.oracleDifferences().values().stream().allMatch(d -> d == 0);
        line("After the measured refreshes every relation was compared with its query (symmetric EXCEPT ALL): "
                + (allEqual ? "all equal." : "**DIFFERENCES FOUND**."));
        line("");
        line("| relation | differing rows |");
        line("|---|---:|");
        refresh.oracleDifferences().forEach((rel, d) -> line("| `" + rel + "` | " + d + " |"));
        line("");

        line("## Targets");
        line("");
        line((targetLines.size() - missed) + " of " + targetLines.size() + " targets met.");
        line("");
        targetLines.forEach(this::line);
        return md.toString();
    }

    private void target(boolean met, String text) {
        targetLines.add("- " + (met ? "met: " : "**missed**: ") + text);
        if (!met) {
            missed++;
        }
    }

    private static String spread(Samples s) {
        return fmt(s.median()) + " (" + fmt(s.min()) + "–" + fmt(s.max()) + ")";
    }

    static String fmt(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        if (value >= 100) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        if (value >= 10) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        return String.format(Locale.ROOT, "%.2f", value);
    }

    private void line(String text) {
        md.append(text).append('\n');
    }
}
