package dev.pgtrickle.cdc.wal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The one publication and the one logical replication slot pgtrickle uses per database ("decode
 * once"): created on demand, named after the database's oid because slot names are cluster-wide.
 */
public final class PublicationAndSlot {

    public static final String PUBLICATION = "pgtrickle_publication";
    /** How long creating the slot may wait for the cluster's running transactions. */
    static final String SLOT_CREATION_WAIT = "5s";
    private static final String QUERY_CANCELED = "57014";

    private final String slot;

    private PublicationAndSlot(String slot) {
        this.slot = slot;
    }

    /** The names for the database {@code c} is connected to. */
    public static PublicationAndSlot of(Connection c) throws SQLException {
        try (Statement statement = c.createStatement();
             ResultSet row = statement.executeQuery(
                     "SELECT oid FROM pg_database WHERE datname = current_database()")) {
            row.next();
            return new PublicationAndSlot("pgtrickle_" + row.getLong(1));
        }
    }

    public String slot() {
        return slot;
    }

    public String publication() {
        return PUBLICATION;
    }

    /** Creates the (initially empty) publication and the slot unless they exist. Autocommit. */
    public void ensure(Connection c) throws SQLException {
        try (Statement statement = c.createStatement()) {
            try (ResultSet exists = statement.executeQuery(
                    "SELECT 1 FROM pg_publication WHERE pubname = '" + PUBLICATION + "'")) {
                if (!exists.next()) {
                    // Changes of partitions under the partitioned table's name: what the stream tables read.
                    statement.execute("CREATE PUBLICATION " + PUBLICATION + " WITH (publish_via_partition_root = true)");
                }
            }
        }
        // A logical slot is created once every transaction running in the cluster (any database)
        // has ended: bounded, so that a long transaction elsewhere does not stall the caller (the
        // daemon's loop); the caller tries again later. An interrupted creation leaves no slot.
        try (Statement timeout = c.createStatement()) {
            timeout.execute("SET statement_timeout = '" + SLOT_CREATION_WAIT + "'");
        }
        try (PreparedStatement create = c.prepareStatement(
                "SELECT pg_create_logical_replication_slot(?, 'pgoutput') "
                        + "WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)")) {
            create.setString(1, slot);
            create.setString(2, slot);
            create.execute();
        } catch (SQLException e) {
            if (!QUERY_CANCELED.equals(e.getSQLState())) {
                throw e;
            }
            throw new SQLException("the replication slot " + slot + " cannot be created yet: PostgreSQL waits until the"
                    + " transactions running in the cluster (in any database) have ended; the oldest began at "
                    + oldestTransaction(c) + ". Tried again shortly", "55000", e);
        } finally {
            try (Statement reset = c.createStatement()) {
                reset.execute("RESET statement_timeout");
            }
        }
    }

    private static String oldestTransaction(Connection c) throws SQLException {
        try (Statement statement = c.createStatement();
             ResultSet row = statement.executeQuery("SELECT format('%s (process %s, database %s)', xact_start, pid, datname)"
                     + " FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                     + " ORDER BY xact_start LIMIT 1")) {
            return row.next() ? row.getString(1) : "an unknown time";
        }
    }

    /** Adds a table to the publication unless it is in it. */
    public void addTable(Connection c, long relationOid) throws SQLException {
        alterMembership(c, relationOid, false, "ADD");
    }

    /** Removes a table from the publication if it is in it. */
    public void removeTable(Connection c, long relationOid) throws SQLException {
        alterMembership(c, relationOid, true, "DROP");
    }

    /** Runs ALTER PUBLICATION … {@code verb} TABLE when the table's membership is {@code member}. */
    private static void alterMembership(Connection c, long relationOid, boolean member, String verb) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT format('ALTER PUBLICATION %I " + verb + " TABLE %s', ?, ?::oid::regclass) "
                        + "WHERE EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid "
                        + "WHERE p.pubname = ? AND pr.prrelid = ?::oid) = ?")) {
            statement.setString(1, PUBLICATION);
            statement.setLong(2, relationOid);
            statement.setString(3, PUBLICATION);
            statement.setLong(4, relationOid);
            statement.setBoolean(5, member);
            try (ResultSet row = statement.executeQuery()) {
                if (row.next()) {
                    try (Statement alter = c.createStatement()) {
                        alter.execute(row.getString(1));
                    }
                }
            }
        }
    }

    /** Drops the slot (it holds WAL back while it exists) and the publication. */
    public void drop(Connection c) throws SQLException {
        try (PreparedStatement dropSlot = c.prepareStatement(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            dropSlot.setString(1, slot);
            dropSlot.execute();
        }
        try (Statement statement = c.createStatement()) {
            statement.execute("DROP PUBLICATION IF EXISTS " + PUBLICATION);
        }
    }
}
