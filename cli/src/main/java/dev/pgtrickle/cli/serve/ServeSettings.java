package dev.pgtrickle.cli.serve;

import dev.pgtrickle.cli.CliException;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;

/**
 * Settings of {@code pgtrickle serve}, each taken from the first place that has it:
 * the command-line flag, then the environment variable ({@code PGTRICKLE_} + the key in upper
 * case with underscores), then the configuration file (Java properties, key = flag name without
 * the dashes), then the default.
 */
public final class ServeSettings {

    /** Every key with its default ({@code null}: none). */
    static final Map<String, String> DEFAULTS = defaults();

    private final Map<String, String> values;

    private ServeSettings(Map<String, String> values) {
        this.values = values;
    }

    private static Map<String, String> defaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("jdbc-url", null);
        defaults.put("metrics-port", null);
        defaults.put("max-workers", "2");
        defaults.put("max-consecutive-errors", "3");
        defaults.put("log-format", "text");
        defaults.put("log-level", "info");
        // None: the daemon uses the installation's default journal (JournalLocation).
        defaults.put("journal-dir", null);
        return defaults;
    }

    /** The environment variable of a key: {@code max-workers} → {@code PGTRICKLE_MAX_WORKERS}. */
    public static String environmentVariable(String key) {
        return "PGTRICKLE_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /**
     * @param flags       values given on the command line (absent keys: not given)
     * @param environment the process environment
     * @param file        configuration file, or {@code null}
     */
    public static ServeSettings resolve(Map<String, String> flags, Map<String, String> environment, Path file) {
        Map<String, String> fromFile = file == null ? Map.of() : read(file);
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : DEFAULTS.entrySet()) {
            String key = entry.getKey();
            String value = flags.get(key);
            if (value == null) {
                value = environment.get(environmentVariable(key));
            }
            if (value == null || value.isBlank()) {
                value = fromFile.get(key);
            }
            values.put(key, value == null || value.isBlank() ? entry.getValue() : value.trim());
        }
        return new ServeSettings(values);
    }

    private static Map<String, String> read(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new CliException("cannot read configuration file " + file + ": " + e.getMessage());
        }
        TreeSet<String> unknown = new TreeSet<>(properties.stringPropertyNames());
        unknown.removeAll(DEFAULTS.keySet());
        if (!unknown.isEmpty()) {
            throw new CliException("unknown setting(s) " + unknown + " in " + file + "; known: " + DEFAULTS.keySet());
        }
        Map<String, String> values = new LinkedHashMap<>();
        properties.stringPropertyNames().forEach(key -> values.put(key, properties.getProperty(key)));
        return values;
    }

    public String jdbcUrl() {
        String url = values.get("jdbc-url");
        if (url == null) {
            throw new CliException("Missing JDBC URL: pass --jdbc-url, set " + environmentVariable("jdbc-url")
                    + " or put jdbc-url in the configuration file");
        }
        return url;
    }

    /** The metrics port, or {@code null} when no HTTP endpoint is wanted. */
    public Integer metricsPort() {
        return values.get("metrics-port") == null ? null : integer("metrics-port", 0, 65535);
    }

    public int maxWorkers() {
        return integer("max-workers", 1, 64);
    }

    public int maxConsecutiveErrors() {
        return integer("max-consecutive-errors", 1, 1_000_000);
    }

    public String logFormat() {
        String format = values.get("log-format").toLowerCase(Locale.ROOT);
        if (!format.equals("text") && !format.equals("json")) {
            throw new CliException("invalid log-format \"" + values.get("log-format") + "\": expected text or json");
        }
        return format;
    }

    public String logLevel() {
        String level = values.get("log-level").toLowerCase(Locale.ROOT);
        if (!java.util.List.of("error", "warn", "info", "debug", "trace").contains(level)) {
            throw new CliException("invalid log-level \"" + values.get("log-level")
                    + "\": expected error, warn, info, debug or trace");
        }
        return level;
    }

    /**
     * Where the journal of changes decoded from the WAL lives (created when missing), or
     * {@code null} for the default: a directory per installation under the user's state directory.
     */
    public Path journalDirectory() {
        if (values.get("journal-dir") == null) {
            return null;
        }
        try {
            return Path.of(values.get("journal-dir"));
        } catch (java.nio.file.InvalidPathException e) {
            throw new CliException("invalid journal-dir \"" + values.get("journal-dir") + "\": " + e.getMessage());
        }
    }

    private int integer(String key, int min, int max) {
        String text = values.get(key);
        try {
            int value = Integer.parseInt(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // Reported below, with the accepted range.
        }
        throw new CliException("invalid " + key + " \"" + text + "\": expected a whole number from " + min + " to " + max);
    }
}
