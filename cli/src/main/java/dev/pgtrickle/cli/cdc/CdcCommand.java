package dev.pgtrickle.cli.cdc;

import picocli.CommandLine.Command;

/** {@code pgtrickle cdc}: how the changes of source tables are captured (triggers or the WAL). */
@Command(name = "cdc",
        description = "Show or switch how source tables' changes are captured: triggers or the WAL (logical decoding).",
        subcommands = {CdcStatusCommand.class, CdcGraduateCommand.class, CdcFallbackCommand.class})
public final class CdcCommand implements Runnable {

    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }
}
