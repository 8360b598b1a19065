package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar pgtrickle.jar serve} as a real process: settings from flag, environment and
 * file, JSON logs, the catalog installed by the daemon, and a graceful stop on SIGTERM that
 * releases the leader lock.
 */
@PostgresTest
class ServeProcessTest {

    private final TestDatabase db;

    ServeProcessTest(TestDatabase db) {
        this.db = db;
    }

    @Test
    void servesUntilSigtermWithSettingsFromEverySource(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("pgtrickle.properties");
        Path journal = dir.resolve("journal");
        Files.writeString(config, "log-format=json\nmax-workers=5\nmax-consecutive-errors=4\njournal-dir="
                + journal.toString().replace("\\", "\\\\") + "\n");
        Path jar = repositoryRoot().resolve("cli/target/pgtrickle.jar");
        ProcessBuilder builder = new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(),
                "serve", "--jdbc-url", db.jdbcUrl(), "--config", config.toString(), "--max-workers", "3")
                .redirectErrorStream(true);
        builder.environment().put("PGTRICKLE_MAX_WORKERS", "4");
        builder.environment().put("PGTRICKLE_METRICS_PORT", "0");
        // Into a file: a pipe's last lines can be lost when the process exits while a reader blocks.
        Path output = dir.resolve("serve.log");
        builder.redirectOutput(output.toFile());
        Process process = builder.start();
        try {
            Eventually.await("the daemon to lead", () -> Files.readString(output).contains("leader of database"));
            // The daemon installed the catalog; a stream table created through SQL is compiled by it.
            db.execute("CREATE TABLE serve_src (id int PRIMARY KEY)");
            db.execute("SELECT pgtrickle.create_stream_table('serve_st', $$SELECT id FROM serve_src$$, schedule => '1s')");
            db.execute("INSERT INTO serve_src SELECT generate_series(1, 3)");
            Eventually.await("serve_st to be compiled and refreshed", () -> db.queryLong("SELECT count(*) FROM serve_st") == 3
                    && "COMPILED".equals(db.queryString("SELECT compile_status FROM pgtrickle.pgt_stream_tables")));
            assertEquals(1, db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"));
            assertTrue(Files.isRegularFile(journal.resolve("metadata.cq4t")), "the leader opened its journal from the jar");
        } finally {
            process.destroy();
            assertTrue(process.waitFor(2, TimeUnit.MINUTES), "serve did not stop on SIGTERM");
        }
        List<String> lines = Files.readAllLines(output);
        lines.forEach(line -> System.out.println("[serve] " + line));
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"));

        ObjectMapper json = new ObjectMapper();
        List<JsonNode> logs = new java.util.ArrayList<>();
        for (String line : lines) {
            logs.add(json.readTree(line));
        }
        String started = logs.stream().map(l -> l.path("formattedMessage").asText())
                .filter(m -> m.startsWith("pgtrickle daemon started")).findFirst().orElseThrow();
        // Flag 3 beats environment 4 beats file 5; the port comes from the environment (0: any free port).
        assertTrue(started.contains("max workers 3"), started);
        assertTrue(started.matches(".*metrics on port [1-9][0-9]*.*"), started);
        assertTrue(logs.stream().anyMatch(l -> l.path("formattedMessage").asText().equals("pgtrickle daemon stopped")), lines::toString);
        assertTrue(logs.stream().allMatch(l -> l.has("level") && l.has("loggerName") && l.has("timestamp")), lines::toString);
    }

    static Path repositoryRoot() {
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("cli/target/pgtrickle.jar"))) {
                return dir;
            }
        }
        throw new AssertionError("cli/target/pgtrickle.jar not found: package the cli module first");
    }
}
