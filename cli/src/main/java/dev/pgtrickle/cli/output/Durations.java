package dev.pgtrickle.cli.output;

import java.util.Locale;

/** Short human forms of durations, as a terminal column wants them: "850ms", "2.3s", "5m12s", "3h05m", "2d04h". */
public final class Durations {

    private Durations() {
    }

    public static String format(double seconds) {
        if (seconds < 0) {
            // Clocks of client and server may disagree slightly; "no staleness" is the honest reading.
            seconds = 0;
        }
        if (seconds < 1) {
            return Math.round(seconds * 1000) + "ms";
        }
        if (seconds < 59.95) {
            return String.format(Locale.ROOT, "%.1fs", seconds);
        }
        long whole = Math.round(seconds);
        if (whole < 3600) {
            return whole / 60 + "m" + pad(whole % 60) + "s";
        }
        if (whole < 86400) {
            return whole / 3600 + "h" + pad(whole % 3600 / 60) + "m";
        }
        return whole / 86400 + "d" + pad(whole % 86400 / 3600) + "h";
    }

    private static String pad(long value) {
        return value < 10 ? "0" + value : Long.toString(value);
    }
}
