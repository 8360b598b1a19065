package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** {@code pgtrickle.normalize_schedule}: accepted forms, their canonical text, and rejections. */
@PostgresTest
class ScheduleValidationTest {

    /** The accepted forms every rejection must show. */
    static final List<String> FORMS = List.of("30s", "250ms", "*/5 * * * *", "@hourly", "calculated");

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    private static String normalize(TestDatabase db, String schedule) throws SQLException {
        try (Connection connection = db.connect();
             PreparedStatement statement = connection.prepareStatement("SELECT pgtrickle.normalize_schedule(?)")) {
            statement.setString(1, schedule);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getString(1);
            }
        }
    }

    /** Message plus hint: what a user sees of a server error. */
    static String shownText(PSQLException e) {
        ServerErrorMessage server = e.getServerErrorMessage();
        return server.getMessage() + (server.getHint() == null ? "" : "\nHINT: " + server.getHint());
    }

    @ParameterizedTest(name = "[{0}] -> [{1}]")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "30s              | 30s",
        "5m               | 5m",
        "1h30m            | 1h30m",
        "2d               | 2d",
        "1d2h3m4s         | 1d2h3m4s",
        "366d             | 366d",
        "250ms            | 250ms",
        "100MS            | 100ms",
        "1s500ms          | 1s500ms",
        "1m5ms            | 1m5ms",
        "\" 5M \"         | 5m",
        "1H30M            | 1h30m",
        "*/5 * * * *      | */5 * * * *",
        "\"*/5   *  * * *\" | */5 * * * *",
        "0 */5 * * * ?    | 0 */5 * * * ?",
        "0 9 * * MON-FRI  | 0 9 * * mon-fri",
        "0 0 1 JAN,jul *  | 0 0 1 jan,jul *",
        "0 0 ? * 7        | 0 0 ? * 7",
        "0-30/10 1,2 1-31 1-12 0-6 | 0-30/10 1,2 1-31 1-12 0-6",
        "@hourly          | @hourly",
        "@daily           | @daily",
        "@YEARLY          | @yearly",
        "@midnight        | @midnight",
    })
    void acceptedSchedulesAreNormalized(String input, String canonical, TestDatabase db) throws SQLException {
        assertEquals(canonical, normalize(db, input));
    }

    @ParameterizedTest
    @ValueSource(strings = {"calculated", "CALCULATED", " Calculated "})
    void calculatedIsNull(String input, TestDatabase db) throws SQLException {
        assertNull(normalize(db, input));
    }

    @Test
    void nullIsNull(TestDatabase db) throws SQLException {
        assertNull(normalize(db, null));
    }

    /**
     * '1h 30m' is neither a duration (durations have no spaces) nor a cron expression (2 fields),
     * so it is rejected rather than read as 1h30m.
     */
    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {
        "", "   ", "abc", "5", "5x", "0s", "0m0s", "99ms", "0ms", "5mss", "5sm", "367d", "1h 30m", "60 * * * *", "* 24 * * *", "* * 0 * *",
        "* * * 13 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *", "* * * * * * *", "@every 5m",
        "60 * * * * *", "? * * * *", "* * * jan-xyz *", "1,,2 * * * *", "* * *",
    })
    void rejectedSchedulesRaiseInvalidParameterValueShowingTheAcceptedForms(String input, TestDatabase db) {
        PSQLException e = assertThrows(PSQLException.class, () -> normalize(db, input));
        assertEquals("22023", e.getSQLState(), e::getMessage);
        String shown = shownText(e);
        assertTrue(shown.contains("invalid schedule \"" + input + "\""), shown);
        for (String form : FORMS) {
            assertTrue(shown.contains(form), () -> "'" + form + "' missing in: " + shown);
        }
    }

    @Test
    void rejectionSaysWhichCronFieldIsWrong(TestDatabase db) {
        PSQLException e = assertThrows(PSQLException.class, () -> normalize(db, "* 24 * * *"));
        assertTrue(e.getServerErrorMessage().getMessage().contains("hour field \"24\": 24 is outside 0-23"),
                e::getMessage);
        e = assertThrows(PSQLException.class, () -> normalize(db, "5-1 * * * *"));
        assertTrue(e.getServerErrorMessage().getMessage().contains("reversed"), e::getMessage);
        for (String tooShort : List.of("0s", "99ms")) {
            e = assertThrows(PSQLException.class, () -> normalize(db, tooShort));
            assertTrue(e.getServerErrorMessage().getMessage().contains("at least 100ms"), e::getMessage);
        }
    }
}
