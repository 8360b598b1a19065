package dev.pgtrickle.benchmarks;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The options every benchmark command takes (a picocli mixin). */
public final class SharedOptions {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the generated changes (default "
            + "${DEFAULT-VALUE}).")
    private long seed = 42;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the Markdown report to FILE.")
    private Path out;

    @Option(names = "--jdbc-url", paramLabel = "URL", defaultValue = "${env:PGTRICKLE_TEST_JDBC_URL}",
            description = "Use this server (a fresh database is created on it) instead of the embedded "
                    + "PostgreSQL 18; PGTRICKLE_TEST_JDBC_URL works too.")
    private String jdbcUrl;

    @Option(names = "--keep-database", description = "With --jdbc-url: keep the benchmark database for inspection.")
    private boolean keepDatabase;

    @Option(names = "--set", paramLabel = "NAME=VALUE",
            description = "A server setting of the benchmark database (ALTER DATABASE … SET), e.g. --set "
                    + "random_page_cost=1.1; repeatable.")
    private Map<String, String> settings = new LinkedHashMap<>();

    public long seed() {
        return seed;
    }

    public Path out() {
        return out;
    }

    /** The JDBC URL, or null for the embedded server (an empty environment variable counts as unset). */
    public String jdbcUrl() {
        return jdbcUrl == null || jdbcUrl.isBlank() ? null : jdbcUrl;
    }

    public boolean keepDatabase() {
        return keepDatabase;
    }

    /** The --set settings, their names checked (they are written into SQL as identifiers). */
    public Map<String, String> settings() {
        for (String name : settings.keySet()) {
            if (!name.matches("[a-z_.]+")) {
                throw new ParameterException(command.commandLine(),
                        "--set needs NAME=VALUE with a setting's name, not " + name);
            }
        }
        return settings;
    }

    /** The command using these options, for errors that should show its usage. */
    CommandSpec command() {
        return command;
    }
}
