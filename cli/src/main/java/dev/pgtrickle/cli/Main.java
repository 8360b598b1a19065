package dev.pgtrickle.cli;

import picocli.CommandLine;

/** Entry point of {@code java -jar pgtrickle.jar}. */
public final class Main {

    /** slf4j-simple's level property; read once, when the first logger is created. */
    static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

    private Main() {
    }

    public static void main(String[] args) {
        // Chronicle reads these in static initializers, so they must be set before any of its classes load.
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        // Library INFO logs (embedded PostgreSQL, Flyway) would drown the command's own output;
        // --verbose raises the level again.
        if (System.getProperty(LOG_LEVEL_PROPERTY) == null) {
            System.setProperty(LOG_LEVEL_PROPERTY, "warn");
        }
        CommandLine commandLine = PgTrickleCommand.newCommandLine();
        int exitCode = commandLine.execute(args);
        // picocli's writers flush on println only; System.exit would drop what print() left buffered.
        commandLine.getOut().flush();
        commandLine.getErr().flush();
        System.exit(exitCode);
    }
}
