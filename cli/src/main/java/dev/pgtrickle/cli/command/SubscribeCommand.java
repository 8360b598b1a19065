package dev.pgtrickle.cli.command;

import dev.pgtrickle.cli.CliException;
import dev.pgtrickle.cli.DatabaseCommand;
import dev.pgtrickle.subscribe.ChangeFormat;
import dev.pgtrickle.subscribe.StreamTableSubscriber;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pgtrickle subscribe}: prints a published stream table's changes as its refreshes make
 * them, one line per change, until Ctrl-C (docs/cli.md).
 */
@Command(name = "subscribe", description = "Stream a published stream table's changes to stdout.")
public final class SubscribeCommand extends DatabaseCommand {

    /** Where a new subscription starts. */
    enum From { NOW, BEGINNING }

    @Parameters(index = "0", paramLabel = "NAME", description = "The stream table (published with stream_table_to_publication).")
    private String name;

    @Option(names = "--format", defaultValue = "json", paramLabel = "json|text",
            description = "One JSON object per change (default), or a line of text.")
    private ChangeFormat format;

    @Option(names = "--from", defaultValue = "now", paramLabel = "now|beginning",
            description = "Start with the changes from now on (default), or with every row the table has (as reads).")
    private From from;

    @Option(names = "--slot", paramLabel = "NAME",
            description = "A durable replication slot: created if missing, resumed from otherwise, kept on exit."
                    + " Without it a temporary slot is used and dropped on exit.")
    private String slot;

    @Option(names = "--offset-file", paramLabel = "FILE",
            description = "Where a durable slot's progress is kept (default: $XDG_STATE_HOME/pgtrickle/subscribe/<database>-<slot>.offsets).")
    private Path offsetFile;

    @Override
    protected void validate() {
        if (offsetFile != null && slot == null) {
            throw new picocli.CommandLine.ParameterException(commandLine(), "--offset-file needs --slot");
        }
    }

    @Override
    protected void run(Connection connection) throws SQLException {
        PrintWriter out = out();
        StreamTableSubscriber subscriber;
        try {
            subscriber = StreamTableSubscriber.start(
                    new StreamTableSubscriber.Options(jdbcUrl(), name, from == From.BEGINNING, slot, offsetFile),
                    change -> {
                        out.println(format.format(change));
                        out.flush();
                    });
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        err().println("subscribed to " + subscriber.table().qualifiedName() + " (publication "
                + subscriber.table().publication() + ", " + (subscriber.temporarySlot() ? "temporary " : "") + "slot "
                + subscriber.slot() + "); Ctrl-C stops");
        err().flush();
        Thread stop = new Thread(() -> close(subscriber), "pgtrickle-subscribe-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        try {
            subscriber.stopped().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            Runtime.getRuntime().removeShutdownHook(stop);
            close(subscriber);
            Throwable cause = e.getCause().getCause() != null ? e.getCause().getCause() : e.getCause();
            throw new CliException("subscription of " + subscriber.table().qualifiedName() + " stopped: "
                    + e.getCause().getMessage() + (cause != e.getCause() ? " (" + cause.getMessage() + ")" : ""));
        }
    }

    private static void close(StreamTableSubscriber subscriber) {
        try {
            subscriber.close();
        } catch (IOException | SQLException e) {
            System.err.println("error: stopping the subscription: " + e.getMessage());
        }
    }
}
