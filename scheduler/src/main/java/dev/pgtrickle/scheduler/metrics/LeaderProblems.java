package dev.pgtrickle.scheduler.metrics;

import dev.pgtrickle.scheduler.catalog.StreamTableState;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * What degrades a leading daemon, as {@code /health} lists it: stream tables failing, suspended or
 * in error (from each pass's catalog), grants the daemon's role lacks (checked now and then), a
 * journal it could not open. Written by the daemon's loop, read by the HTTP endpoint.
 */
public final class LeaderProblems {

    private volatile List<String> current = List.of();
    private List<String> missingGrants = List.of();
    private String journal;

    /** What is wrong now (empty: nothing, or not leading). */
    public List<String> current() {
        return current;
    }

    /** Why the journal could not be opened, or {@code null} once it could (or none is used). */
    public void journal(String problem) {
        journal = problem;
    }

    /** Asks the catalog which grants this session's role lacks, each with the statement giving it. */
    public void checkGrants(Connection c) throws SQLException {
        List<String> missing = new ArrayList<>();
        try (Statement statement = c.createStatement();
             ResultSet rows = statement.executeQuery("SELECT * FROM pgtrickle._missing_daemon_grants(session_user)")) {
            while (rows.next()) {
                missing.add(rows.getString(1));
            }
        } finally {
            c.commit();
        }
        missingGrants = missing;
    }

    /** Recomputes the list from this pass's catalog; returns its size. */
    public int update(List<StreamTableState> tables) {
        List<String> found = new ArrayList<>(missingGrants);
        if (journal != null) {
            found.add(journal);
        }
        for (StreamTableState table : tables) {
            if (!table.status().equals("ACTIVE")) {
                found.add(table.name() + ": status " + table.status());
            } else if (table.consecutiveErrors() > 0) {
                found.add(table.name() + ": " + table.consecutiveErrors() + " failed refresh(es) in a row");
            }
        }
        current = List.copyOf(found);
        return found.size();
    }

    /** Leadership ended: a standby reports nothing. */
    public void clear() {
        current = List.of();
    }
}
