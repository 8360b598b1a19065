package dev.pgtrickle.scheduler.metrics;

import dev.pgtrickle.scheduler.catalog.StreamTableState;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What degrades a daemon, as {@code /health} lists it: stream tables failing, suspended or in
 * error, or whose refreshes fell back to FULL within the last hour (from each pass's catalog), grants the daemon's role lacks (checked now and then), and
 * standing ones such as a journal it could not open or a catalog it may not upgrade. Written by
 * the daemon's loop, read by the HTTP endpoint.
 */
public final class LeaderProblems {

    private volatile List<String> current = List.of();
    private final Map<String, String> standing = new TreeMap<>();
    private List<String> missingGrants = List.of();
    private List<String> fromTables = List.of();

    /** What is wrong now (empty: nothing). */
    public List<String> current() {
        return current;
    }

    /**
     * A problem that holds until said otherwise, e.g. {@code standing("journal", "the journal …")};
     * {@code null} ends it. Reported at once.
     */
    public synchronized void standing(String what, String problem) {
        if (problem == null) {
            standing.remove(what);
        } else {
            standing.put(what, problem);
        }
        publish();
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
        synchronized (this) {
            missingGrants = List.copyOf(missing);
        }
    }

    /** Takes this pass's catalog into account; returns how many problems there are now. */
    public synchronized int update(List<StreamTableState> tables) {
        List<String> found = new ArrayList<>();
        for (StreamTableState table : tables) {
            if (!table.status().equals("ACTIVE")) {
                found.add(table.name() + ": status " + table.status());
            } else if (table.consecutiveErrors() > 0) {
                found.add(table.name() + ": " + table.consecutiveErrors() + " failed refresh(es) in a row");
            }
            if (table.recentFallbacks() != null) {
                found.add(table.name() + ": " + table.recentFallbacks());
            }
        }
        fromTables = found;
        return publish();
    }

    /** Leadership ended: what the leader found no longer applies. */
    public synchronized void clear() {
        standing.clear();
        missingGrants = List.of();
        fromTables = List.of();
        publish();
    }

    private int publish() {
        List<String> all = new ArrayList<>(standing.values());
        all.addAll(missingGrants);
        all.addAll(fromTables);
        current = List.copyOf(all);
        return all.size();
    }
}
