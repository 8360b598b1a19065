package dev.pgtrickle.cli.uninstall;

import dev.pgtrickle.cdc.journal.JournalLocation;
import dev.pgtrickle.cli.CliException;
import dev.pgtrickle.cli.ConnectionOptions;
import dev.pgtrickle.cli.ErrorReporter;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.postgresql.util.PSQLException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pgtrickle uninstall}: lists, or with {@code --yes} removes, everything pgtrickle put into
 * a database and the daemon's journal. It never installs the catalog (unlike the commands built
 * on {@code DatabaseCommand}): it reads whatever version, or remainder, it finds.
 *
 * <p>The database objects go in one transaction, so a failure leaves all of them in place. The
 * replication slot is dropped after the commit (dropping a slot is not transactional), the
 * journal directories last.
 */
@Command(name = "uninstall",
        description = {
            "List everything pgtrickle put into the database (stream tables, capture triggers, change buffers, "
                    + "publication, replication slot, schemas) and the daemon's journal; with --yes, remove it.",
            "Stop every pgtrickle daemon of the database first. Needs a superuser, or the catalog owner being a member "
                    + "of the roles owning the stream tables and their source tables."})
public final class UninstallCommand implements Callable<Integer> {

    static final String RIGHTS = "uninstall needs a superuser, or the owner of schema pgtrickle that is also a member of"
            + " the roles owning the stream tables, their source tables and the publication, and has REPLICATION to"
            + " drop the replication slot";

    @Mixin
    private ConnectionOptions connection;

    @Spec
    private CommandSpec spec;

    @Option(names = "--yes", description = "Remove it. Without this option, only list what would be removed.")
    private boolean yes;

    @Option(names = "--keep-data",
            description = "Keep the stream tables as plain tables with their rows (hidden columns, constraints and "
                    + "triggers of pgtrickle's removed) instead of dropping them.")
    private boolean keepData;

    @Option(names = "--journal-dir", paramLabel = "DIR",
            description = "A journal directory of the daemon (its --journal-dir) to delete too; deleted only when it "
                    + "holds a Chronicle journal.")
    private Path journalDir;

    @Override
    public Integer call() throws SQLException, InterruptedException {
        UninstallReport report = new UninstallReport(spec.commandLine().getOut());
        try (Connection c = connection.open()) {
            c.setAutoCommit(false);
            pinSearchPath(c);
            Installation found = Installation.read(c);
            Obstacles obstacles = Obstacles.find(c, found, keepData);
            c.rollback();
            List<JournalDirectory> journals = JournalDirectories.find(found.instance(), journalDir,
                    JournalLocation.defaultBase(), JournalLocation.hostName());
            List<JournalDirectory> removable = journals.stream()
                    .filter(journal -> journal.state() == JournalDirectory.State.JOURNAL).toList();
            List<JournalDirectory> left = journals.stream()
                    .filter(journal -> journal.state() != JournalDirectory.State.JOURNAL).toList();
            if (found.isEmpty() && removable.isEmpty()) {
                report.line("pgtrickle is not installed in database \"" + found.database() + "\": nothing to remove");
                report.leftInPlace(found, left);
                return 0;
            }
            if (yes) {
                remove(c, report, found, obstacles, removable, left);
            } else {
                preview(report, found, obstacles, removable, left);
            }
        }
        return 0;
    }

    private void preview(UninstallReport report, Installation found, Obstacles obstacles,
                         List<JournalDirectory> removable, List<JournalDirectory> left) {
        // Only a daemon stops the listing: what it lists would be out of date at once.
        refuseWhileDaemonLeads(found);
        report.line("pgtrickle uninstall" + (keepData ? " --keep-data" : "") + " would remove from database \""
                + found.database() + "\":");
        report.databaseObjects(found, keepData);
        report.slot(found.slot());
        report.journals(removable);
        report.leftInPlace(found, left);
        report.obstacles(obstacles);
        report.line("nothing was changed; run it again with --yes to remove all of this");
    }

    private void remove(Connection c, UninstallReport report, Installation found, Obstacles obstacles,
                        List<JournalDirectory> removable, List<JournalDirectory> left)
            throws SQLException, InterruptedException {
        refuseUnlessRemovable(found, obstacles);
        if (found.slot() != null && !SlotRemoval.awaitReleased(c, found.slot(), SlotRemoval.RELEASE_WAIT)) {
            throw new CliException("replication slot " + found.slot() + " is in use by process "
                    + SlotRemoval.activePid(c, found.slot()) + ": stop whatever streams from it (a pgtrickle daemon"
                    + " of this database?) and run uninstall again; nothing was changed");
        }
        Installation removed = removeFromDatabase(c);
        c.setAutoCommit(true);
        report.line("removed from database \"" + removed.database() + "\":");
        report.databaseObjects(removed, keepData);
        dropSlot(c, removed.slot());
        report.slot(removed.slot());
        List<String> failures = new ArrayList<>();
        report.journals(removeJournals(removable, failures));
        report.leftInPlace(removed, left);
        if (!failures.isEmpty()) {
            throw new CliException(String.join("\n", failures));
        }
    }

    /**
     * The one transaction: the catalog is locked first, so neither a daemon starting now nor a
     * session creating a stream table can slip in; then everything is read and checked again, as
     * of the lock, and removed.
     */
    private Installation removeFromDatabase(Connection c) throws SQLException {
        try {
            pinSearchPath(c);
            CatalogRemoval.lockCatalog(c);
            Installation found = Installation.read(c);
            refuseUnlessRemovable(found, Obstacles.find(c, found, keepData));
            CatalogRemoval.remove(c, found, keepData);
            c.commit();
            return found;
        } catch (SQLException e) {
            c.rollback();
            throw failure(e);
        } catch (RuntimeException e) {
            c.rollback();
            throw e;
        }
    }

    /** Refuses with the obstacles listed on stderr, above the error line. */
    private void refuseUnlessRemovable(Installation found, Obstacles obstacles) {
        refuseWhileDaemonLeads(found);
        if (!obstacles.none()) {
            new UninstallReport(spec.commandLine().getErr()).obstacles(obstacles);
            throw new CliException("cannot uninstall pgtrickle: what is listed above is in the way; nothing was changed");
        }
    }

    private static void refuseWhileDaemonLeads(Installation found) {
        if (found.daemonConnected()) {
            throw new CliException("a pgtrickle daemon serves database \"" + found.database() + "\" (it holds the"
                    + " leader lock): stop every pgtrickle daemon of this database, then run uninstall again;"
                    + " nothing was changed");
        }
    }

    /** The server's message with its detail, and for a missing right which rights uninstall needs. */
    private static CliException failure(SQLException e) {
        StringBuilder message = new StringBuilder("cannot uninstall pgtrickle, nothing was changed: ")
                .append(ErrorReporter.message(e));
        if (e instanceof PSQLException server && server.getServerErrorMessage() != null
                && server.getServerErrorMessage().getDetail() != null) {
            message.append(" (").append(server.getServerErrorMessage().getDetail()).append(')');
        }
        if ("42501".equals(e.getSQLState())) {
            message.append("\n").append(RIGHTS);
        }
        return new CliException(message.toString());
    }

    private static void dropSlot(Connection c, String slot) {
        if (slot == null) {
            return;
        }
        try {
            SlotRemoval.drop(c, slot);
        } catch (SQLException e) {
            throw new CliException("pgtrickle was removed from the database, but its replication slot " + slot
                    + " could not be dropped: " + ErrorReporter.message(e) + "\nIt keeps the server from removing WAL:"
                    + " drop it with SELECT pg_drop_replication_slot('" + slot + "')");
        }
    }

    /** Deletes the journals; returns those deleted and adds a message per failure to {@code failures}. */
    private static List<JournalDirectory> removeJournals(List<JournalDirectory> journals, List<String> failures) {
        List<JournalDirectory> removed = new ArrayList<>();
        for (JournalDirectory journal : journals) {
            try {
                journal.remove();
                removed.add(journal);
            } catch (IOException e) {
                failures.add("could not delete journal directory " + journal.path() + ": " + e);
            }
        }
        return removed;
    }

    /** Names in generated statements and in descriptions come out schema-qualified. */
    private static void pinSearchPath(Connection c) throws SQLException {
        try (Statement statement = c.createStatement()) {
            statement.execute("SET LOCAL search_path = pg_catalog, pg_temp");
        }
    }
}
