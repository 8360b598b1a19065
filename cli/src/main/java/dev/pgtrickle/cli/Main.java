package dev.pgtrickle.cli;

import picocli.CommandLine;

/** Entry point of {@code java -jar pgtrickle.jar}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        // Chronicle reads these in static initializers, so they must be set before any of its classes load.
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        CommandLine commandLine = PgTrickleCommand.newCommandLine();
        int exitCode = commandLine.execute(args);
        // picocli's writers flush on println only; System.exit would drop what print() left buffered.
        commandLine.getOut().flush();
        commandLine.getErr().flush();
        System.exit(exitCode);
    }
}
