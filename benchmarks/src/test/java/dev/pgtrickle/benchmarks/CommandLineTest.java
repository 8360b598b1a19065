package dev.pgtrickle.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.benchmarks.tpch.TpchCommand;
import dev.pgtrickle.benchmarks.window.TimeWindowCommand;
import dev.pgtrickle.benchmarks.window.TimeWindowOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParameterException;

/** The benchmarks' command line: defaults, values, and usage errors before anything starts. */
class CommandLineTest {

    @Test
    void optionsTakeTheBenchmarksDefaultsUnlessGiven() {
        assertEquals(TimeWindowOptions.defaults(), Main.parse(new TimeWindowCommand()));
        TimeWindowOptions given = Main.parse(new TimeWindowCommand(), "--rounds", "30", "--seed", "7",
                "--set", "work_mem=64MB");
        assertEquals(30, given.rounds());
        assertEquals(7, given.seed());
        assertEquals(Map.of("work_mem", "64MB"), given.databaseSettings());
        assertEquals(List.of(200, 400), Main.parse(new LatencyCommand(), "--rates", "200,400", "--cdc", "wal").rates());
        assertEquals(LatencyOptions.Capture.WAL, Main.parse(new LatencyCommand(), "--cdc", "wal").capture());
    }

    @Test
    void valuesThatDoNotFitAreUsageErrors() {
        assertThrows(ParameterException.class, () -> Main.parse(new TimeWindowCommand(), "--rounds", "0"));
        assertThrows(ParameterException.class, () -> Main.parse(new TpchCommand(), "--scale", "0.001"));
        assertThrows(ParameterException.class, () -> Main.parse(new TpchCommand(), "--queries", "23"));
        assertThrows(ParameterException.class, () -> Main.parse(new LatencyCommand(), "--cdc", "kafka"));
        assertThrows(ParameterException.class, () -> Main.parse(new Main(), "--set", "Bad-Name=1"));
        assertThrows(ParameterException.class, () -> Main.parse(new Main(), "--scale", "0"));
    }

    @Test
    void optionsBeforeACommandAreRefusedBeforeAnyServerStarts() {
        StringWriter err = new StringWriter();
        int exit = Main.commandLine().setErr(new PrintWriter(err)).execute("--seed", "5", "window", "--rounds", "2");
        assertEquals(2, exit);
        assertTrue(err.toString().contains("options [--seed] come before the command window"), err::toString);
    }

    @Test
    void eachCommandListsItsOwnOptions() {
        StringWriter out = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(out)).execute("window", "--help");
        assertEquals(0, exit);
        assertTrue(out.toString().contains("--window-minutes=N") && !out.toString().contains("--scale"), out::toString);
    }
}
