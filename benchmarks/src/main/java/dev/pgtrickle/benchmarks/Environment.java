package dev.pgtrickle.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The machine and the PostgreSQL server a run measured, for the report. */
public record Environment(String cpu, int cores, String memory, String postgresVersion,
                          Map<String, String> settings) {

    /** Settings that matter for these timings. */
    static final List<String> SETTINGS = List.of("shared_buffers", "work_mem", "maintenance_work_mem",
            "effective_cache_size", "max_parallel_workers_per_gather", "jit", "random_page_cost",
            "fsync", "synchronous_commit", "full_page_writes", "wal_level", "max_wal_size", "autovacuum");

    public static Environment capture(Db db) throws SQLException {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String name : SETTINGS) {
            settings.put(name, db.queryString("SELECT current_setting('" + name + "')"));
        }
        return new Environment(cpuModel(), Runtime.getRuntime().availableProcessors(), totalMemory(),
                db.queryString("SELECT version()"), settings);
    }

    /** The 1, 5 and 15 minute load averages, e.g. "1.02 0.80 0.55"; other processes add noise. */
    public static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String totalMemory() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream()
                    .filter(line -> line.startsWith("MemTotal:"))
                    .map(line -> {
                        long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                        return String.format("%.1f GiB", kb / 1024.0 / 1024.0);
                    })
                    .findFirst().orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The Markdown list items saying how a run was made and where: command, start and load, machine, server. */
    public String runLines(String commandLine, java.time.Instant started, String loadBefore, String loadAfter,
                           String server) {
        return "- command: `" + commandLine + "`\n- started: " + started + "; load average (1/5/15 min) before: "
                + loadBefore + ", after: " + loadAfter + "\n- machine: " + cores + " cores (" + cpu + "), " + memory
                + "\n- server: " + server + ", " + postgresVersion + "\n";
    }
}
