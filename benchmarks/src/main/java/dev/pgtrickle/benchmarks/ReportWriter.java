package dev.pgtrickle.benchmarks;

import dev.pgtrickle.benchmarks.tpch.RefreshFunctions;
import dev.pgtrickle.benchmarks.tpch.TpchBenchmark;
import dev.pgtrickle.benchmarks.tpch.TpchOptions;
import dev.pgtrickle.benchmarks.tpch.TpchQueries;
import dev.pgtrickle.scheduler.DaemonConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

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

    /** The report of the propagation-latency benchmark ({@link LatencyBenchmark}). */
    public static String write(LatencyBenchmark.Result result, String commandLine) {
        return new ReportWriter().render(result, commandLine);
    }

    /** The report of the WAL-capture benchmark ({@link WalBenchmark}). */
    public static String write(WalBenchmark.Result result, String commandLine) {
        return new ReportWriter().render(result, commandLine);
    }

    /** The report of the TPC-H benchmark ({@link TpchBenchmark}). */
    public static String write(TpchBenchmark.Result result, String commandLine) {
        return new ReportWriter().render(result, commandLine);
    }

    /** Title and the lines every report starts with: command, time, load, machine, server. */
    private void header(String title, String commandLine, Instant started, String loadBefore, String loadAfter,
                        Environment environment, String server) {
        line("# " + title);
        line("");
        line("- command: `" + commandLine + "`");
        line("- started: " + started + "; load average (1/5/15 min) before: " + loadBefore + ", after: " + loadAfter);
        line("- machine: " + environment.cores() + " cores (" + environment.cpu() + "), " + environment.memory() + " RAM");
        line("- server: " + server + ", " + environment.postgresVersion());
        StringBuilder settings = new StringBuilder();
        environment.settings().forEach((k, v) -> settings.append(settings.length() == 0 ? "" : ", ")
                .append(k).append('=').append(v));
        line("- settings: " + settings);
    }

    private void targets() {
        line("## Targets");
        line("");
        if (targetLines.isEmpty()) {
            line("No target applies to what this run measured.");
            return;
        }
        line((targetLines.size() - missed) + " of " + targetLines.size() + " targets met.");
        line("");
        targetLines.forEach(this::line);
    }

    private String render(MacroBenchmark.Result r, String commandLine) {
        BenchmarkOptions o = r.options();
        header("pgtrickle macro benchmark", commandLine, r.started(), r.loadAverageBefore(), r.loadAverageAfter(),
                r.environment(), r.server());
        line(String.format(Locale.ROOT, "- data: %,d orders, %,d customers (scale %s), loaded in %.1f s",
                o.orders(), o.customers(), o.scale(), r.loadSeconds()));
        line("- method: per batch size " + o.warmupBatches() + " warm-up + " + o.batchesPerSize()
                + " measured batches; each batch is committed, "
                + (o.analyzeBuffers() ? "the change buffers are ANALYZEd, " : "")
                + "then each differential stream table is refreshed once (consuming exactly that batch), then"
                + " each FULL-mode twin" + (o.autoTwins() ? ", each AUTO twin" : "")
                + " and each materialized view; tables are VACUUM ANALYZEd between batches"
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
            boolean autoOnly = BenchmarkOptions.forAutoOnly(size.fraction());
            double target = Targets.speedupTarget(size.fraction());
            ChangeWorkload.Batch b = size.batch();
            line(String.format(Locale.ROOT, "## Refresh after a change batch of %s (%,d changes: %,d updates, %,d inserts,"
                            + " %,d deletes; %,d buffered change rows)", RefreshBenchmark.percent(size.fraction()),
                    b.size(), b.updates(), b.inserts(), b.deletes(), b.bufferRows()));
            line("");
            line("Medians in ms (min–max) over " + o.batchesAt(size.fraction()) + " batches."
                    + (autoOnly ? " Measured to judge AUTO's choices (see below); no speedup target at this size." : ""));
            line("");
            line("| stream table | DIFFERENTIAL | FULL (twin) | REFRESH MATERIALIZED VIEW | MV / DIFF | FULL / DIFF |"
                    + (autoOnly ? "" : " target MV / DIFF ≥ " + fmt(target) + "× |"));
            line("|---|---:|---:|---:|---:|---:|" + (autoOnly ? "" : "---|"));
            for (Map.Entry<Scenario, RefreshBenchmark.ScenarioTimes> e : size.times().entrySet()) {
                RefreshBenchmark.ScenarioTimes t = e.getValue();
                boolean met = t.viewOverDifferential() >= target;
                line(String.format(Locale.ROOT, "| `%s` | %s | %s | %s | %s× | %s× |%s",
                        e.getKey().differentialTable(), spread(t.differential()), spread(t.full()),
                        spread(t.materializedView()), fmt(t.viewOverDifferential()), fmt(t.fullOverDifferential()),
                        autoOnly ? "" : met ? " met |" : " **missed** |"));
                if (!autoOnly) {
                    target(met, String.format(Locale.ROOT, "DIFF ≥ %s× faster than REFRESH MATERIALIZED VIEW at %s, %s: %s×",
                            fmt(target), RefreshBenchmark.percent(size.fraction()), e.getKey().differentialTable(),
                            fmt(t.viewOverDifferential())));
                }
            }
            line("");
        }

        if (o.autoTwins()) {
            autoChoices(refresh);
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

        targets();
        return md.toString();
    }

    /**
     * How the AUTO twins refreshed each measured batch, against the faster of the DIFFERENTIAL
     * stream table and the FULL twin in the same batch.
     */
    private void autoChoices(RefreshBenchmark.Result refresh) {
        List<AutoLine> lines = new ArrayList<>();
        for (RefreshBenchmark.SizeResult size : refresh.sizes()) {
            for (Map.Entry<Scenario, RefreshBenchmark.ScenarioTimes> e : size.times().entrySet()) {
                lines.add(new AutoLine(RefreshBenchmark.percent(size.fraction()), e.getKey().autoTable(), e.getValue().auto(),
                        e.getValue().differential(), e.getValue().full()));
            }
        }
        autoChoices("Each measured batch is also refreshed by a twin with `refresh_mode => 'AUTO'` (after the DIFFERENTIAL"
                + " stream table and the FULL twin); its choice is right when it is the way that was faster for that batch.",
                "batch", lines);
    }

    /** One row of a table of AUTO's choices: what it refreshed, and the medians of the two ways. */
    private record AutoLine(String label, String autoTable, List<AutoChoice> choices, Samples differential, Samples full) {
    }

    private void autoChoices(String intro, String labelHeading, List<AutoLine> lines) {
        line("## AUTO's choices");
        line("");
        line(intro);
        line("");
        line("| " + labelHeading + " | stream table | AUTO refreshed | right | AUTO median ms | DIFFERENTIAL median ms | FULL median ms |");
        line("|---|---|---|---:|---:|---:|---:|");
        int right = 0;
        int all = 0;
        for (AutoLine l : lines) {
            Samples auto = new Samples();
            l.choices().forEach(c -> auto.add(c.autoNanos()));
            long rightHere = l.choices().stream().filter(AutoChoice::right).count();
            Map<String, Long> actions = new TreeMap<>();
            l.choices().forEach(c -> actions.merge(c.action(), 1L, Long::sum));
            line(String.format(Locale.ROOT, "| %s | `%s` | %s | %d of %d | %s | %s | %s |", l.label(), l.autoTable(),
                    actions.entrySet().stream().map(a -> a.getKey() + " " + a.getValue()).collect(Collectors.joining(", ")),
                    rightHere, l.choices().size(), fmt(auto.median()), fmt(l.differential().median()),
                    fmt(l.full().median())));
            right += (int) rightHere;
            all += l.choices().size();
        }
        line("");
        double share = all == 0 ? 1 : (double) right / all;
        boolean met = share >= Targets.AUTO_RIGHT_SHARE;
        line(String.format(Locale.ROOT, "Right in %d of %d refreshes (%s %%); target ≥ %s %%: %s.", right, all,
                fmt(share * 100), fmt(Targets.AUTO_RIGHT_SHARE * 100), met ? "met" : "**missed**"));
        line("");
        target(met, String.format(Locale.ROOT, "AUTO refreshes the faster way in ≥ %s %% of the refreshes: %s %%",
                fmt(Targets.AUTO_RIGHT_SHARE * 100), fmt(share * 100)));
    }

    private String render(LatencyBenchmark.Result r, String commandLine) {
        LatencyOptions o = r.options();
        header("pgtrickle propagation-latency benchmark", commandLine, r.started(), r.loadAverageBefore(),
                r.loadAverageAfter(), r.environment(), r.server());
        DaemonConfig d = r.daemon();
        line(String.format(Locale.ROOT, "- daemon: in-process, %d refresh workers, tick %d ms",
                d.maxWorkers(), d.tick().toMillis()));
        if (o.capture() == LatencyOptions.Capture.WAL) {
            line(String.format(Locale.ROOT, "- capture of `%s`: WAL — the daemon decodes pgtrickle's slot into a journal in"
                            + " a temporary directory; graduated from triggers by `pgtrickle.set_cdc_mode` before the first"
                            + " rate (the switch took %s ms); after the last rate: %s", LatencyBenchmark.SOURCE,
                    fmt(r.graduation().toNanos() / 1e6), r.sourceCapture()));
        } else {
            line(String.format(Locale.ROOT, "- capture of `%s`: triggers; after the last rate: %s", LatencyBenchmark.SOURCE,
                    r.sourceCapture()));
        }
        line(String.format(Locale.ROOT, "- method: per rate %d s warm-up + %d s measured; the writer commits one multi-row"
                + " INSERT into `%s` every %d ms (autocommit) at the target rate over %,d accounts; the observer reads"
                + " `%s.events` (source rows reflected) every %d ms; latency = from the return of a transaction's"
                + " commit to the end of the first read that includes it. After the measured window the observer"
                + " keeps reading until every transaction arrived%s.", o.warmupSeconds(), o.durationSeconds(),
                LatencyBenchmark.SOURCE, o.batchMillis(), o.accounts(), LatencyBenchmark.LAST, o.pollMillis(),
                o.keepWriting() ? ", and the writer keeps writing at the rate, unmeasured, until then (--keep-writing)"
                        : "; the writer stops at the end of the window"));
        line("");

        line("## Chain");
        line("");
        line("| stage | stream table | schedule | query | strategy |");
        line("|---|---|---|---|---|");
        int index = 1;
        for (LatencyBenchmark.Stage stage : LatencyBenchmark.chain(o.schedule())) {
            line(String.format(Locale.ROOT, "| %d | `%s` | %s | `%s` | %s |", index++, stage.name(), stage.schedule(),
                    stage.query(), r.strategies().get(stage.name())));
        }
        line("");

        line("## Latency from source commit to `" + LatencyBenchmark.LAST + "`");
        line("");
        line("| target rows/s | achieved rows/s | transactions | rows per transaction | p50 ms | p99 ms | max ms"
                + " | count | not observed | target p99 < " + fmt(Targets.LATENCY_P99_MILLIS) + " ms |");
        line("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for (LatencyBenchmark.RateResult rate : r.rates()) {
            Samples latency = rate.latency();
            double p99 = latency.quantile(0.99);
            boolean applies = rate.targetRate() >= Targets.LATENCY_RATE;
            boolean met = applies && rate.notObserved() == 0 && p99 < Targets.LATENCY_P99_MILLIS;
            line(String.format(Locale.ROOT, "| %,d | %,.0f | %,d | %s | %s | %s | %s | %,d | %,d | %s |",
                    rate.targetRate(), rate.achievedRate(), rate.transactions(), fmt(rate.rowsPerTransaction()),
                    fmt(latency.median()), fmt(p99), latency.size() == 0 ? "n/a" : fmt(latency.max()), latency.size(),
                    rate.notObserved(), applies ? (met ? "met" : "**missed**") : "(no target)"));
            if (applies) {
                target(met, String.format(Locale.ROOT, "propagation latency p99 < %s ms at %,d rows/s (achieved %,.0f rows/s): %s ms%s",
                        fmt(Targets.LATENCY_P99_MILLIS), rate.targetRate(), rate.achievedRate(), fmt(p99),
                        rate.notObserved() == 0 ? "" : String.format(Locale.ROOT, ", %,d transactions never observed",
                                rate.notObserved())));
            }
        }
        line("");

        line("## Refreshes by the daemon");
        line("");
        line("From `pgt_refresh_history`, from the start of each measured window until the last transaction arrived."
                + " Duration = end_time − start_time of the refresh transaction; interval = between the starts of"
                + " consecutive refreshes of the same stream table (refreshes skipped because nothing changed leave no row)."
                + " Worker mean = the daemon's own mean time per refresh (meter pgtrickle.refresh.duration), from the"
                + " worker's start to its commit: the duration plus what precedes the refresh function in its"
                + " transaction (locks, the skip check; with WAL capture also waiting for the decoder and loading the"
                + " journal into the change buffer).");
        line("");
        line("| rows/s | stream table | refreshes | actions | duration median ms | p99 ms | max ms | worker mean ms"
                + " | changes per refresh | interval median ms | interval max ms |");
        line("|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        for (LatencyBenchmark.RateResult rate : r.rates()) {
            rate.stages().forEach((name, st) -> {
                StringBuilder actions = new StringBuilder();
                st.actions().forEach((a, n) -> actions.append(actions.length() == 0 ? "" : ", ").append(a).append(' ').append(n));
                line(String.format(Locale.ROOT, "| %,d | `%s` | %,d | %s | %s | %s | %s | %s | %s | %s | %s |",
                        rate.targetRate(), name, st.refreshes(), actions, fmt(st.durations().median()),
                        fmt(st.durations().quantile(0.99)), maxOf(st.durations()), fmt(st.workerMeanMillis()),
                        fmt(st.changesPerRefresh()), fmt(st.intervals().median()), maxOf(st.intervals())));
            });
        }
        line("");
        line("Chain pass: from the start of the latest refresh of `" + LatencyBenchmark.CHAIN.get(0).name()
                + "` to the end of the following refresh of `" + LatencyBenchmark.LAST + "`.");
        line("");
        line("| rows/s | chain passes | median ms | p99 ms | max ms |");
        line("|---:|---:|---:|---:|---:|");
        for (LatencyBenchmark.RateResult rate : r.rates()) {
            Samples passes = rate.chainPasses();
            line(String.format(Locale.ROOT, "| %,d | %,d | %s | %s | %s |", rate.targetRate(), passes.size(),
                    fmt(passes.median()), fmt(passes.quantile(0.99)), maxOf(passes)));
        }
        line("");

        line("## Writer and observer");
        line("");
        line("| rows/s | INSERT + commit median ms | p99 ms | reads of `" + LatencyBenchmark.LAST + "` | read median ms"
                + " | p99 ms | new values seen | load average before | after |");
        line("|---:|---:|---:|---:|---:|---:|---:|---|---|");
        for (LatencyBenchmark.RateResult rate : r.rates()) {
            line(String.format(Locale.ROOT, "| %,d | %s | %s | %,d | %s | %s | %,d | %s | %s |", rate.targetRate(),
                    fmt(rate.inserts().median()), fmt(rate.inserts().quantile(0.99)), rate.polls().size(),
                    fmt(rate.polls().median()), fmt(rate.polls().quantile(0.99)), rate.observations(),
                    rate.loadAverageBefore(), rate.loadAverageAfter()));
        }
        line("");

        line("## Correctness");
        line("");
        boolean allEqual = r.differences().values().stream().allMatch(n -> n == 0);
        line(String.format(Locale.ROOT, "At the end `%s` held %,d rows and `%s` reflected %,d. Each stage compared with"
                        + " its query (symmetric EXCEPT ALL): %s", LatencyBenchmark.SOURCE, r.sourceRows(),
                LatencyBenchmark.LAST, r.reflectedRows(), allEqual ? "all equal." : "**DIFFERENCES FOUND**."));
        line("");
        line("| stream table | differing rows |");
        line("|---|---:|");
        r.differences().forEach((name, n) -> line("| `" + name + "` | " + n + " |"));
        line("");

        targets();
        return md.toString();
    }

    private String render(WalBenchmark.Result r, String commandLine) {
        header("pgtrickle WAL-capture benchmark", commandLine, r.started(), r.loadAverageBefore(), r.loadAverageAfter(),
                r.environment(), r.server());
        WriterOverhead.Result w = r.writers();
        line(String.format(Locale.ROOT, "- writers: three empty tables shaped like `orders` (primary key, index on"
                + " customer_id): `%s` without capture, `%s` read by the differential stream table `%s` (trigger"
                + " capture), `%s` with REPLICA IDENTITY FULL in the publication while pgtrickle's WalDecoder"
                + " decodes its slot into a journal in a temporary directory (heartbeat %d s; it runs only during"
                + " that table's turn and catches up, untimed, before it). Per repetition and table: the bulk shape"
                + " (INSERT … SELECT of %,d rows, UPDATE of all, DELETE of all) and the single-row shape (%,d"
                + " INSERTs, then UPDATEs and DELETEs by key in seeded random order, each autocommit); tables take"
                + " turns going first; wall-clock from the client, commit included.",
                WriterOverhead.Capture.NONE.table, WriterOverhead.Capture.TRIGGER.table, WriterOverhead.STREAM_TABLE,
                WriterOverhead.Capture.WAL.table, RunningDecoder.HEARTBEAT.toSeconds(), w.bulkRows(), w.singleRows()));
        line("");

        line("## Writer overhead");
        line("");
        line("Medians in ms (min–max) over " + w.runs() + " repetitions; ratios are medians over the median without capture.");
        line("");
        line("| operation | no capture | trigger capture | WAL capture | trigger / none | WAL / none | target WAL / none < "
                + fmt(Targets.CAPTURE_BULK_RATIO) + "× (bulk) |");
        line("|---|---:|---:|---:|---:|---:|---|");
        w.times().forEach((operation, byCapture) ->
                writerRow(operation.label, byCapture, operation.bulk, "(no target)"));
        writerRow("**bulk shape (sum)**", w.bulk(), false, "");
        writerRow("**single-row shape (sum)**", w.single(), false, "");
        line("");
        Map<WriterOverhead.Capture, Samples> single = w.single();
        line(String.format(Locale.ROOT, "Per single-row statement: %s µs without capture, %s µs with triggers, %s µs"
                        + " with WAL capture.", fmt(single.get(WriterOverhead.Capture.NONE).median() * 1000 / (3.0 * w.singleRows())),
                fmt(single.get(WriterOverhead.Capture.TRIGGER).median() * 1000 / (3.0 * w.singleRows())),
                fmt(single.get(WriterOverhead.Capture.WAL).median() * 1000 / (3.0 * w.singleRows()))));
        line("");
        line(String.format(Locale.ROOT, "Decoder lag (WAL capture): from the end of a shape's last statement until"
                        + " the decoder had journaled it, median %s ms (min–max %s–%s) after the bulk shape, %s ms"
                        + " (%s–%s) after the single-row shape.", fmt(w.bulkLag().median()), fmt(w.bulkLag().min()),
                fmt(w.bulkLag().max()), fmt(w.singleLag().median()), fmt(w.singleLag().min()), fmt(w.singleLag().max())));
        line("");

        DecodeThroughput.Result d = r.decode();
        DecodeThroughput.Workload work = d.workload();
        line("## Decode throughput");
        line("");
        line(String.format(Locale.ROOT, "Workload, written in %.1f s while nothing read the slots: %,d row changes"
                        + " (%,d inserts, %,d updates, %,d deletes) in %,d transactions on `%s` (REPLICA IDENTITY FULL);"
                        + " %,d pgoutput messages, %.1f MB. Raw: pgjdbc streams a second slot created before the workload"
                        + " (proto_version 1, the publication, messages on, automatic flush off) to the end LSN and"
                        + " discards the messages. Decoded: WalDecoder decodes pgtrickle's slot into a fresh journal"
                        + " (%,d row entries: an update is two) until decodedThrough() reaches the end LSN (synced)."
                        + " Both timed from connecting; %d reads each, taking turns going first.",
                d.writeSeconds(), work.changes(), work.inserts(), work.updates(), work.deletes(), work.transactions(),
                DecodeThroughput.TABLE, d.messages(), d.bytes() / 1e6, work.journalEntries(), d.raw().size()));
        line("");
        boolean met = d.fraction() >= Targets.WAL_DECODE_FRACTION;
        line("| reader | ms median (min–max) | row changes/s | MB/s |");
        line("|---|---:|---:|---:|");
        line(String.format(Locale.ROOT, "| raw (stream and discard) | %s | %,.0f | %.1f |", spread(d.raw()),
                d.rawChangesPerSecond(), d.bytes() / 1e6 / (d.raw().median() / 1000)));
        line(String.format(Locale.ROOT, "| decoded (WalDecoder into the journal) | %s | %,.0f | %.1f |", spread(d.decoded()),
                d.decodedChangesPerSecond(), d.bytes() / 1e6 / (d.decoded().median() / 1000)));
        line("");
        line(String.format(Locale.ROOT, "Decoded / raw: %.0f %% (target ≥ %.0f %%: %s).", d.fraction() * 100,
                Targets.WAL_DECODE_FRACTION * 100, met ? "met" : "**missed**"));
        target(met, String.format(Locale.ROOT, "decoded throughput ≥ %.0f %% of raw: %.0f %%",
                Targets.WAL_DECODE_FRACTION * 100, d.fraction() * 100));
        line("");

        line("## Correctness");
        line("");
        line(String.format(Locale.ROOT, "Every decoder run journaled exactly the expected row entries (%,d per writer"
                        + " repetition, %,d per decode run) and every raw read streamed %,d row messages (checked,"
                        + " the run fails otherwise). `%s` against its query (symmetric EXCEPT ALL): %s",
                w.journaledPerRun(), work.journalEntries(), work.changes(), WriterOverhead.STREAM_TABLE,
                w.streamTableDifferences() == 0 ? "equal." : "**" + w.streamTableDifferences() + " rows differ**."));
        line("");

        targets();
        return md.toString();
    }

    private String render(TpchBenchmark.Result r, String commandLine) {
        TpchOptions o = r.options();
        header("pgtrickle TPC-H benchmark", commandLine, r.started(), r.loadAverageBefore(), r.loadAverageAfter(),
                r.environment(), r.server());
        StringBuilder counts = new StringBuilder();
        r.rowCounts().forEach((table, n) -> counts.append(counts.length() == 0 ? "" : ", ")
                .append(table).append(String.format(Locale.ROOT, " %,d", n)));
        line(String.format(Locale.ROOT, "- data: scale factor %s, generated server-side by the benchmark's own generator"
                + " (seed %d) in %.1f s: %s rows; primary keys and indexes on lineitem (l_partkey, l_suppkey),"
                + " lineitem (l_suppkey), orders (o_custkey), partsupp (ps_suppkey), customer (c_nationkey),"
                + " supplier (s_nationkey), nation (n_regionkey); VACUUM ANALYZEd", o.scale(), o.seed(),
                r.loadSeconds(), counts));
        line(String.format(Locale.ROOT, "- queries: the specification's text with its validation parameters (query 11's"
                + " FRACTION 0.0001 / SF = %s), each as a DIFFERENTIAL stream table `st_qNN` (where accepted), a FULL"
                + " stream table `st_qNN_full` and a materialized view `mv_qNN`", TpchQueries.fraction(o.scale())));
        line(String.format(Locale.ROOT, "- method: %d round%s, each: RF1 inserts %,d orders (0.1 %%) with their lineitems"
                + " above the largest key, RF2 deletes %,d random orders with their lineitems, then updates"
                + " o_orderpriority and o_totalprice of %,d random orders and l_quantity, l_discount and"
                + " l_extendedprice of their lineitems, c_acctbal of 0.1 %% of the customers and ps_supplycost of"
                + " 0.1 %% of partsupp (each a committed transaction); the change buffers are ANALYZEd; then each"
                + " DIFFERENTIAL stream table is refreshed, then each FULL one, then each materialized view (REFRESH"
                + " MATERIALIZED VIEW); then each DIFFERENTIAL stream table is compared with its query; tables are"
                + " VACUUM ANALYZEd between rounds (untimed). Times are wall-clock from the client, one autocommit"
                + " statement each (commit included).", o.runs(), o.runs() == 1 ? "" : "s", o.refreshOrders(),
                o.refreshOrders(), o.refreshOrders()));
        line(String.format(Locale.ROOT, "- run time: %.0f s (database setup to the last round)", r.seconds()));
        line("");

        line("## Summary");
        line("");
        long failed = r.queries().stream().filter(q -> q.failure() != null).count();
        long differing = r.queries().stream().filter(q -> q.accepted() && q.failure() == null
                && !q.oracleEqual(o.runs())).count();
        line(String.format(Locale.ROOT, "**%d of %d queries accepted as DIFFERENTIAL; %d of them refresh ≥ %s× faster"
                        + " than FULL** (median FULL / DIFF). Oracle: %s%s", r.accepted(), r.queries().size(),
                r.fastAgainstFull(), String.format(Locale.ROOT, "%.0f", TpchBenchmark.SPEEDUP),
                differing == 0 ? "every accepted stream table equalled its query after every round."
                        : "**" + differing + " stream tables differed from their queries**.",
                failed == 0 ? "" : " **" + failed + " failed** (see the table)."));
        line("");

        line("## Per query");
        line("");
        line("Medians in ms (min–max) over " + o.runs() + " round" + (o.runs() == 1 ? "" : "s")
                + "; actions of the DIFFERENTIAL refreshes from `pgt_refresh_history`; oracle = rows in which the"
                + " DIFFERENTIAL stream table differed from its query (symmetric EXCEPT ALL), per round.");
        line("");
        line("| query | DIFFERENTIAL | strategy | actions | DIFF | FULL | REFRESH MATERIALIZED VIEW | FULL / DIFF"
                + " | MV / DIFF | oracle |");
        line("|---|---|---|---|---:|---:|---:|---:|---:|---|");
        for (TpchBenchmark.QueryResult q : r.queries()) {
            boolean timed = q.accepted() && q.differential().size() > 0;
            String oracle;
            if (!q.accepted()) {
                oracle = "–";
            } else if (q.failure() != null) {
                oracle = "**failed**: " + cell(q.failure());
            } else if (q.oracleEqual(o.runs())) {
                oracle = "equal";
            } else {
                oracle = "**differs**: " + q.oracle();
            }
            line(String.format(Locale.ROOT, "| Q%d | %s | %s | %s | %s | %s | %s | %s | %s | %s |", q.number(),
                    q.accepted() ? "accepted" : "refused: " + cell(q.refusal()),
                    q.accepted() ? q.strategy() : "–", q.accepted() ? actions(q.actions()) : "–",
                    timed ? spread(q.differential()) : "–", spread(q.full()), spread(q.view()),
                    timed ? fmt(q.fullOverDifferential()) + "×" : "–", timed ? fmt(q.viewOverDifferential()) + "×" : "–",
                    oracle));
        }
        line("");

        if (o.autoTwins()) {
            List<AutoLine> lines = new ArrayList<>();
            for (TpchBenchmark.QueryResult q : r.queries()) {
                if (!q.auto().isEmpty()) {
                    lines.add(new AutoLine("Q" + q.number(), TpchQueries.autoTable(q.number()), q.auto(), q.differential(), q.full()));
                }
            }
            autoChoices("Each round, every accepted query's twin with `refresh_mode => 'AUTO'` is refreshed after its"
                    + " DIFFERENTIAL stream table and FULL twin (and compared with its query with them); its choice is right"
                    + " when it is the way that was faster in that round.", "query", lines);
        }

        line("## Changes per round");
        line("");
        line("| round | RF1 orders | RF1 lineitems | RF2 orders | RF2 lineitems | updated orders | updated lineitems"
                + " | updated customers | updated partsupp | rows |");
        line("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        int index = 1;
        for (RefreshFunctions.Round c : r.rounds()) {
            line(String.format(Locale.ROOT, "| %d | %,d | %,d | %,d | %,d | %,d | %,d | %,d | %,d | %,d |", index++,
                    c.insertedOrders(), c.insertedLineitems(), c.deletedOrders(), c.deletedLineitems(),
                    c.updatedOrders(), c.updatedLineitems(), c.updatedCustomers(), c.updatedPartsupps(), c.rows()));
        }
        line("");
        if (o.autoTwins()) {
            targets();
        }
        return md.toString();
    }

    /** Actions with their counts in order of first appearance, e.g. "DIFFERENTIAL ×3". */
    private static String actions(List<String> actions) {
        if (actions.isEmpty()) {
            return "–";
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        actions.forEach(a -> counts.merge(a, 1, Integer::sum));
        List<String> parts = new ArrayList<>();
        counts.forEach((a, n) -> parts.add(a + " ×" + n));
        return String.join(", ", parts);
    }

    /** Text fit for a table cell: one line, no column separator. */
    private static String cell(String text) {
        return text.replaceAll("\\s+", " ").replace("|", "\\|");
    }

    /** One row of the writer table: times per capture, the ratios to no capture, the bulk target or {@code noTarget}. */
    private void writerRow(String label, Map<WriterOverhead.Capture, Samples> byCapture, boolean bulkTarget,
                           String noTarget) {
        double trigger = WriterOverhead.Result.ratio(byCapture, WriterOverhead.Capture.TRIGGER);
        double wal = WriterOverhead.Result.ratio(byCapture, WriterOverhead.Capture.WAL);
        boolean met = wal < Targets.CAPTURE_BULK_RATIO;
        line(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s× | %s× | %s |", label,
                spread(byCapture.get(WriterOverhead.Capture.NONE)), spread(byCapture.get(WriterOverhead.Capture.TRIGGER)),
                spread(byCapture.get(WriterOverhead.Capture.WAL)), fmt(trigger), fmt(wal),
                bulkTarget ? (met ? "met" : "**missed**") : noTarget));
        if (bulkTarget) {
            target(met, String.format(Locale.ROOT, "WAL capture overhead < %s× on %s: %s×",
                    fmt(Targets.CAPTURE_BULK_RATIO), label, fmt(wal)));
        }
    }

    private static String maxOf(Samples s) {
        return s.size() == 0 ? "n/a" : fmt(s.max());
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
