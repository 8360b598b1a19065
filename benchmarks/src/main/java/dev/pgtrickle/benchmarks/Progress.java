package dev.pgtrickle.benchmarks;

import java.io.PrintStream;
import java.time.Duration;

/** Progress lines on stderr (stdout carries the report), with the elapsed time. */
public final class Progress {

    private final PrintStream out;
    private final long start = System.nanoTime();

    public Progress(PrintStream out) {
        this.out = out;
    }

    public static Progress silent() {
        return new Progress(null);
    }

    public void log(String message) {
        if (out != null) {
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            out.printf("[%3d:%02d] %s%n", elapsed.toMinutes(), elapsed.toSecondsPart(), message);
            out.flush();
        }
    }
}
