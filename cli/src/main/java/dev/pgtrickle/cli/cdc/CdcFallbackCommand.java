package dev.pgtrickle.cli.cdc;

import picocli.CommandLine.Command;

/** {@code pgtrickle cdc fallback}: capture with triggers. */
@Command(name = "fallback", description = "Capture the changes of source tables with triggers again instead of the WAL.")
public final class CdcFallbackCommand extends CdcSwitchCommand {

    @Override
    protected String mode() {
        return "trigger";
    }
}
