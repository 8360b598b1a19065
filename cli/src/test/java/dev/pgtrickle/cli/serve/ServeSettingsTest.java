package dev.pgtrickle.cli.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.cli.CliException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeSettingsTest {

    @TempDir
    Path dir;

    private Path file(String text) throws IOException {
        Path file = dir.resolve("pgtrickle.properties");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void flagBeatsEnvironmentBeatsFileBeatsDefault() throws IOException {
        Path file = file("max-workers=5\nmax-consecutive-errors=7\nlog-format=json\njdbc-url=jdbc:postgresql://file/db\n");
        ServeSettings settings = ServeSettings.resolve(
                Map.of("max-workers", "3"),
                Map.of("PGTRICKLE_MAX_WORKERS", "4", "PGTRICKLE_MAX_CONSECUTIVE_ERRORS", "6"),
                file);
        assertEquals(3, settings.maxWorkers());
        assertEquals(6, settings.maxConsecutiveErrors());
        assertEquals("json", settings.logFormat());
        assertEquals("jdbc:postgresql://file/db", settings.jdbcUrl());
        assertEquals("info", settings.logLevel());
        assertNull(settings.metricsPort());
    }

    @Test
    void defaultsWithoutAnySource() {
        ServeSettings settings = ServeSettings.resolve(Map.of("jdbc-url", "jdbc:postgresql:x"), Map.of(), null);
        assertEquals(2, settings.maxWorkers());
        assertEquals(3, settings.maxConsecutiveErrors());
        assertEquals("text", settings.logFormat());
        // No journal directory: the daemon's per-installation default, not the working directory.
        assertNull(settings.journalDirectory());
    }

    @Test
    void anEmptyEnvironmentVariableCountsAsUnset() throws IOException {
        ServeSettings settings = ServeSettings.resolve(Map.of(), Map.of("PGTRICKLE_MAX_WORKERS", " "), file("max-workers=6\n"));
        assertEquals(6, settings.maxWorkers());
    }

    @Test
    void badValuesAreReportedWithWhatIsAccepted() throws IOException {
        assertMessage(() -> ServeSettings.resolve(Map.of("max-workers", "0"), Map.of(), null).maxWorkers(),
                "invalid max-workers \"0\": expected a whole number from 1 to 64");
        assertMessage(() -> ServeSettings.resolve(Map.of("metrics-port", "http"), Map.of(), null).metricsPort(),
                "invalid metrics-port \"http\"");
        assertMessage(() -> ServeSettings.resolve(Map.of("log-format", "xml"), Map.of(), null).logFormat(),
                "invalid log-format \"xml\": expected text or json");
        assertMessage(() -> ServeSettings.resolve(Map.of("log-level", "loud"), Map.of(), null).logLevel(),
                "invalid log-level \"loud\"");
        assertMessage(() -> ServeSettings.resolve(Map.of(), Map.of(), null).jdbcUrl(),
                "Missing JDBC URL", "PGTRICKLE_JDBC_URL");
        Path typo = file("max_workers=2\n");
        assertMessage(() -> ServeSettings.resolve(Map.of(), Map.of(), typo), "unknown setting(s) [max_workers]");
        assertMessage(() -> ServeSettings.resolve(Map.of(), Map.of(), dir.resolve("missing.properties")),
                "cannot read configuration file");
    }

    private static void assertMessage(Runnable action, String... parts) {
        CliException e = assertThrows(CliException.class, action::run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), e.getMessage());
        }
    }
}
