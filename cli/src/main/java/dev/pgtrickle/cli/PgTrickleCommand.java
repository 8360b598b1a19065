package dev.pgtrickle.cli;

import dev.pgtrickle.cli.cdc.CdcCommand;
import dev.pgtrickle.cli.command.AlterCommand;
import dev.pgtrickle.cli.command.CompileCommand;
import dev.pgtrickle.cli.command.CreateCommand;
import dev.pgtrickle.cli.command.DropCommand;
import dev.pgtrickle.cli.command.ExplainCommand;
import dev.pgtrickle.cli.command.InstallCommand;
import dev.pgtrickle.cli.command.RefreshCommand;
import dev.pgtrickle.cli.command.StatusCommand;
import dev.pgtrickle.cli.command.SubscribeCommand;
import dev.pgtrickle.cli.playground.PlaygroundCommand;
import dev.pgtrickle.cli.serve.ServeCommand;
import dev.pgtrickle.cli.uninstall.UninstallCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The root {@code pgtrickle} command: holds the global options and lists the subcommands. */
@Command(
        name = "pgtrickle",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        // Subcommands inherit --help and --version (with the version provider) from here.
        scope = ScopeType.INHERIT,
        description = {"Stream tables for PostgreSQL.", "",
            "Every command but playground works on the database named by --jdbc-url URL (default: the "
                    + "environment variable PGTRICKLE_JDBC_URL), e.g. "
                    + "--jdbc-url 'jdbc:postgresql://localhost:5432/app?user=app'.", ""},
        subcommands = {
            InstallCommand.class,
            CreateCommand.class,
            AlterCommand.class,
            DropCommand.class,
            RefreshCommand.class,
            StatusCommand.class,
            CompileCommand.class,
            ExplainCommand.class,
            PlaygroundCommand.class,
            ServeCommand.class,
            CdcCommand.class,
            SubscribeCommand.class,
            UninstallCommand.class,
        })
public final class PgTrickleCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    private boolean verbose;

    /** The configured command line, shared by {@link Main} and the tests. */
    public static CommandLine newCommandLine() {
        return new CommandLine(new PgTrickleCommand())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(new ErrorReporter());
    }

    // Inherited, so it is accepted after any subcommand and always lands in this object.
    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Show library logs and full stack traces of errors.")
    void setVerbose(boolean verbose) {
        this.verbose = verbose;
        if (verbose) {
            Logging.verbose();
        }
    }

    public boolean verbose() {
        return verbose;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing required subcommand");
    }
}
