package dev.pgtrickle.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the pgtrickle command line in-process with captured stdout and stderr. */
final class Cli {

    private final CommandLine commandLine = PgTrickleCommand.newCommandLine();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** Extra subcommands are added first: picocli hands out/err only to the subcommands it has. */
    Cli(Object... extraSubcommands) {
        for (Object subcommand : extraSubcommands) {
            commandLine.addSubcommand(subcommand);
        }
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
    }

    int execute(String... args) {
        return commandLine.execute(args);
    }

    String out() {
        return out.toString();
    }

    String err() {
        return err.toString();
    }
}
