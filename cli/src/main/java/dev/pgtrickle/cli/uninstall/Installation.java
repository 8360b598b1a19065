package dev.pgtrickle.cli.uninstall;

import dev.pgtrickle.cdc.wal.PublicationAndSlot;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What pgtrickle has put into one database, as the system catalogs show it. pgtrickle's own
 * catalog is read only where it exists: a catalog of any version, half installed or half removed,
 * is described without failing.
 *
 * @param database            the database's name
 * @param streamTables        stream tables whose storage table exists
 * @param captureTriggers     tables carrying triggers that call pgtrickle's capture functions
 * @param changeBuffers       tables in schema {@code pgtrickle_changes}: change buffers and kept states
 * @param publications        pgtrickle's publication for WAL capture and those stream_table_to_publication created
 * @param slot                the name of pgtrickle's replication slot of this database, or {@code null}
 * @param schemas             those of {@code pgtrickle} and {@code pgtrickle_changes} that exist
 * @param instance            the row of {@code pgtrickle.pgt_instance}, or {@code null} (catalog older than version 5)
 * @param replicaIdentityFull captured source tables with REPLICA IDENTITY FULL, which stays
 * @param daemonConnected     a pgtrickle daemon holds the leader lock of this database
 */
record Installation(
        String database,
        List<Owned> streamTables,
        List<TriggeredTable> captureTriggers,
        List<String> changeBuffers,
        List<Owned> publications,
        String slot,
        List<Owned> schemas,
        Instance instance,
        List<String> replicaIdentityFull,
        boolean daemonConnected) {

    static final String CATALOG_SCHEMA = "pgtrickle";
    static final String CHANGES_SCHEMA = "pgtrickle_changes";

    /** A relation, schema or publication and the role owning it; {@code oid} 0 where it does not matter. */
    record Owned(long oid, String name, String owner) {
    }

    /** A table with the capture triggers on it. */
    record TriggeredTable(Owned table, List<String> triggers) {
    }

    /** This installation's identity and where the leading daemon last kept its journal. */
    record Instance(UUID id, String journalHost, String journalDir) {
    }

    /** Nothing of pgtrickle's is left in the database. */
    boolean isEmpty() {
        return schemas.isEmpty() && streamTables.isEmpty() && captureTriggers.isEmpty() && publications.isEmpty()
                && slot == null;
    }

    /**
     * Reads it on {@code c}. Names are printed schema-qualified whatever the session's
     * {@code search_path} is.
     */
    static Installation read(Connection c) throws SQLException {
        boolean catalog = exists(c, CATALOG_SCHEMA + ".pgt_stream_tables");
        PublicationAndSlot names = PublicationAndSlot.of(c);
        return new Installation(
                text(c, "SELECT current_database()"),
                catalog ? streamTables(c) : List.of(),
                captureTriggers(c),
                strings(c, "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname = ? AND c.relkind IN ('r', 'p') ORDER BY c.relname", CHANGES_SCHEMA),
                publications(c, names.publication(), exists(c, CATALOG_SCHEMA + ".pgt_created_publications")),
                slot(c, names.slot()),
                owned(c, "SELECT 0::oid, nspname, pg_get_userbyid(nspowner) FROM pg_namespace"
                        + " WHERE nspname IN (?, ?) ORDER BY nspname", CATALOG_SCHEMA, CHANGES_SCHEMA),
                exists(c, CATALOG_SCHEMA + ".pgt_instance") ? instance(c) : null,
                exists(c, CATALOG_SCHEMA + ".pgt_change_sources") ? replicaIdentityFull(c) : List.of(),
                daemonConnected(c));
    }

    /**
     * A condition on {@code pg_proc p}: the function maintaining an IMMEDIATE stream table, in the
     * stream table's schema, known by its name and comment.
     */
    static final String IMMEDIATE_FUNCTION = "(p.proname LIKE 'pgt\\_immediate\\_%'"
            + " AND obj_description(p.oid, 'pg_proc') LIKE 'pgtrickle: maintains stream table %')";

    private static List<Owned> streamTables(Connection c) throws SQLException {
        return owned(c, "SELECT c.oid, format('%I.%I', n.nspname, c.relname), pg_get_userbyid(c.relowner)"
                + " FROM pgtrickle.pgt_stream_tables st JOIN pg_class c ON c.oid = st.pgt_relid"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace ORDER BY 2");
    }

    /**
     * Triggers calling a function in {@code pgtrickle_changes}: nothing else lives there, so these
     * are the capture triggers, on sources, their partitions and stream tables read by others;
     * and those calling the function maintaining an IMMEDIATE stream table, on its source.
     * Triggers a partitioned table cloned to its partitions (tgparentid) go with the original.
     */
    private static List<TriggeredTable> captureTriggers(Connection c) throws SQLException {
        List<TriggeredTable> tables = new ArrayList<>();
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT c.oid, format('%I.%I', n.nspname, c.relname), pg_get_userbyid(c.relowner),"
                        + " array_agg(t.tgname::text ORDER BY t.tgname)"
                        + " FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
                        + " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE (p.pronamespace = to_regnamespace(?) OR " + IMMEDIATE_FUNCTION + ")"
                        + " AND NOT t.tgisinternal AND t.tgparentid = 0"
                        + " GROUP BY 1, 2, 3 ORDER BY 2")) {
            statement.setString(1, CHANGES_SCHEMA);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    tables.add(new TriggeredTable(new Owned(rows.getLong(1), rows.getString(2), rows.getString(3)),
                            List.of((String[]) rows.getArray(4).getArray())));
                }
            }
        }
        return List.copyOf(tables);
    }

    private static List<Owned> publications(Connection c, String capture, boolean published) throws SQLException {
        return owned(c, "SELECT oid, pubname, pg_get_userbyid(pubowner) FROM pg_publication WHERE pubname = ?"
                + (published ? " OR pubname IN (SELECT pubname FROM pgtrickle.pgt_created_publications)" : "")
                + " ORDER BY pubname", capture);
    }

    private static String slot(Connection c, String name) throws SQLException {
        return text(c, "SELECT slot_name FROM pg_replication_slots WHERE slot_name = ?", name);
    }

    private static Instance instance(Connection c) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT instance_id, journal_host, journal_dir FROM pgtrickle.pgt_instance");
             ResultSet row = statement.executeQuery()) {
            return row.next() ? new Instance(row.getObject(1, UUID.class), row.getString(2), row.getString(3)) : null;
        }
    }

    /** pgtrickle does not record a source's REPLICA IDENTITY before WAL capture set it to FULL. */
    private static List<String> replicaIdentityFull(Connection c) throws SQLException {
        return strings(c, "SELECT format('%I.%I', n.nspname, c.relname) FROM pgtrickle.pgt_change_sources cs"
                + " JOIN pg_class c ON c.oid = cs.source_relid JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relreplident = 'f' ORDER BY 1");
    }

    /** Whether a daemon leads; catalogs older than the function have no way to tell. */
    private static boolean daemonConnected(Connection c) throws SQLException {
        return isTrue(c, "SELECT to_regprocedure(?) IS NOT NULL", CATALOG_SCHEMA + ".daemon_connected()")
                && isTrue(c, "SELECT pgtrickle.daemon_connected()");
    }

    private static boolean exists(Connection c, String relation) throws SQLException {
        return isTrue(c, "SELECT to_regclass(?) IS NOT NULL", relation);
    }

    private static boolean isTrue(Connection c, String sql, String... parameters) throws SQLException {
        try (PreparedStatement statement = prepare(c, sql, parameters); ResultSet row = statement.executeQuery()) {
            return row.next() && row.getBoolean(1);
        }
    }

    private static String text(Connection c, String sql, String... parameters) throws SQLException {
        List<String> values = strings(c, sql, parameters);
        return values.isEmpty() ? null : values.get(0);
    }

    private static List<String> strings(Connection c, String sql, String... parameters) throws SQLException {
        List<String> values = new ArrayList<>();
        try (PreparedStatement statement = prepare(c, sql, parameters); ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                values.add(rows.getString(1));
            }
        }
        return List.copyOf(values);
    }

    private static List<Owned> owned(Connection c, String sql, String... parameters) throws SQLException {
        List<Owned> values = new ArrayList<>();
        try (PreparedStatement statement = prepare(c, sql, parameters); ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                values.add(new Owned(rows.getLong(1), rows.getString(2), rows.getString(3)));
            }
        }
        return List.copyOf(values);
    }

    private static PreparedStatement prepare(Connection c, String sql, String... parameters) throws SQLException {
        PreparedStatement statement = c.prepareStatement(sql);
        for (int i = 0; i < parameters.length; i++) {
            statement.setString(i + 1, parameters[i]);
        }
        return statement;
    }
}
