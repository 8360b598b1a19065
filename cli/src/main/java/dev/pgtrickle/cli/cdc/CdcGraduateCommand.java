package dev.pgtrickle.cli.cdc;

import picocli.CommandLine.Command;

/** {@code pgtrickle cdc graduate}: capture from the WAL. */
@Command(name = "graduate", description = {
    "Capture the changes of source tables from the WAL instead of triggers.",
    "Needs wal_level = logical and a daemon role with REPLICATION; the table gets REPLICA IDENTITY FULL."})
public final class CdcGraduateCommand extends CdcSwitchCommand {

    @Override
    protected String mode() {
        return "wal";
    }
}
