package dev.pgtrickle.cli.output;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
        "0,          0ms",
        "-0.4,       0ms",
        "0.2114,     211ms",
        "0.9994,     999ms",
        "1,          1.0s",
        "2.34,       2.3s",
        "59.94,      59.9s",
        "59.96,      1m00s",
        "312,        5m12s",
        "3599.4,     59m59s",
        "3600,       1h00m",
        "11100,      3h05m",
        "86399,      23h59m",
        "86400,      1d00h",
        "187200,     2d04h",
    })
    void formatsShortHumanDurations(double seconds, String expected) {
        assertEquals(expected, Durations.format(seconds));
    }
}
