package dev.pgtrickle.cli.uninstall;

import dev.pgtrickle.cli.uninstall.Installation.Owned;
import dev.pgtrickle.cli.uninstall.Installation.TriggeredTable;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What keeps {@code uninstall} from removing an installation, found before anything is changed:
 * objects of the user's that depend on what it removes, and rights the session's role lacks.
 *
 * <p>Dependent objects are checked here because the schemas go with {@code DROP SCHEMA …
 * CASCADE}, which would drop e.g. a user's view over {@code pgtrickle.pgt_status()} without a
 * word; the user drops such objects first.
 *
 * @param dependents    user objects and what of pgtrickle's each depends on
 * @param missingRights the rights the role lacks, each saying which
 */
record Obstacles(List<String> dependents, List<String> missingRights) {

    /**
     * Objects with a normal dependency on something uninstall removes — the relations, functions
     * and types in pgtrickle's schemas, the storage tables it drops or, with {@code --keep-data},
     * the hidden columns of those it keeps — that are not removed themselves. A view is reported
     * instead of its rewrite rule; triggers, constraints, defaults and policies belong to their
     * table; the capture triggers are dropped by uninstall.
     */
    private static final String DEPENDENTS = """
            WITH ours AS (
                SELECT oid FROM pg_namespace WHERE nspname IN (?, ?)
            ), dropped AS (
                SELECT oid FROM pg_class WHERE relnamespace IN (SELECT oid FROM ours)
                UNION SELECT unnest(?::oid[])
            ), kept AS (
                SELECT unnest(?::oid[]) AS oid
            ), dependent AS (
                SELECT d.*, CASE d.classid
                    WHEN 'pg_class'::regclass THEN d.objid
                    WHEN 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = d.objid)
                    WHEN 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = d.objid)
                    WHEN 'pg_constraint'::regclass THEN (SELECT nullif(conrelid, 0) FROM pg_constraint WHERE oid = d.objid)
                    WHEN 'pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_attrdef WHERE oid = d.objid)
                    WHEN 'pg_policy'::regclass THEN (SELECT polrelid FROM pg_policy WHERE oid = d.objid)
                    END AS relation
                FROM pg_depend d
                WHERE d.deptype = 'n' AND (
                    (d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT oid FROM dropped))
                    OR (d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT oid FROM kept)
                        AND d.refobjsubid IN (SELECT attnum FROM pg_attribute
                                              WHERE attrelid = d.refobjid AND attname LIKE '\\_\\_pgt\\_%'))
                    OR (d.refclassid = 'pg_proc'::regclass
                        AND d.refobjid IN (SELECT oid FROM pg_proc WHERE pronamespace IN (SELECT oid FROM ours)))
                    OR (d.refclassid = 'pg_type'::regclass
                        AND d.refobjid IN (SELECT oid FROM pg_type WHERE typnamespace IN (SELECT oid FROM ours)
                                                                      OR typrelid IN (SELECT oid FROM dropped))))
            )
            SELECT CASE WHEN classid = 'pg_rewrite'::regclass THEN pg_describe_object('pg_class'::regclass, relation, 0)
                        ELSE pg_describe_object(classid, objid, objsubid) END,
                   min(pg_describe_object(refclassid, refobjid, refobjsubid))
            FROM dependent
            WHERE NOT coalesce(relation IN (SELECT oid FROM dropped), false)
              AND NOT coalesce((pg_identify_object(classid, objid, objsubid)).schema IN (?, ?), false)
              AND NOT (classid = 'pg_trigger'::regclass AND EXISTS (
                  SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                  WHERE t.oid = objid AND p.pronamespace IN (SELECT oid FROM ours)))
            GROUP BY 1 ORDER BY 1""";

    boolean none() {
        return dependents.isEmpty() && missingRights.isEmpty();
    }

    List<String> all() {
        List<String> all = new ArrayList<>(dependents);
        all.addAll(missingRights);
        return all;
    }

    /** Looks for them on {@code c}, whose {@code search_path} should hold only {@code pg_catalog}: names come out qualified. */
    static Obstacles find(Connection c, Installation found, boolean keepData) throws SQLException {
        return new Obstacles(dependents(c, found, keepData), missingRights(c, found));
    }

    private static List<String> dependents(Connection c, Installation found, boolean keepData) throws SQLException {
        Array storage = c.createArrayOf("int8", found.streamTables().stream().map(Owned::oid).toArray());
        Array none = c.createArrayOf("int8", new Object[0]);
        List<String> dependents = new ArrayList<>();
        try (PreparedStatement statement = c.prepareStatement(DEPENDENTS)) {
            statement.setString(1, Installation.CATALOG_SCHEMA);
            statement.setString(2, Installation.CHANGES_SCHEMA);
            statement.setArray(3, keepData ? none : storage);
            statement.setArray(4, keepData ? storage : none);
            statement.setString(5, Installation.CATALOG_SCHEMA);
            statement.setString(6, Installation.CHANGES_SCHEMA);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    dependents.add(rows.getString(1) + " depends on " + rows.getString(2) + ": drop it first");
                }
            }
        }
        return List.copyOf(dependents);
    }

    /**
     * Dropping an object needs its owner's rights (membership of the owning role); the catalog's
     * contents go with its schemas, so only the schemas' owner counts there. Dropping the slot
     * needs the REPLICATION attribute, which is not inherited.
     */
    private static List<String> missingRights(Connection c, Installation found) throws SQLException {
        Map<String, List<String>> byOwner = new LinkedHashMap<>();
        found.schemas().forEach(schema -> own(byOwner, schema, "schema " + schema.name()));
        found.streamTables().forEach(table -> own(byOwner, table, "stream table " + table.name()));
        for (TriggeredTable table : found.captureTriggers()) {
            own(byOwner, table.table(), "table " + table.table().name() + " (its capture triggers)");
        }
        found.publications().forEach(publication -> own(byOwner, publication, "publication " + publication.name()));
        String role;
        boolean mayDropSlot;
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT rolname, rolsuper OR rolreplication FROM pg_roles WHERE rolname = current_user");
             ResultSet row = statement.executeQuery()) {
            row.next();
            role = row.getString(1);
            mayDropSlot = row.getBoolean(2);
        }
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, List<String>> owner : byOwner.entrySet()) {
            if (!hasRightsOf(c, owner.getKey())) {
                missing.add(String.format("role \"%s\" is not a member of role \"%s\", which owns %s", role, owner.getKey(),
                        String.join(", ", owner.getValue())));
            }
        }
        if (found.slot() != null && !mayDropSlot) {
            missing.add(String.format("role \"%s\" may not drop replication slot %s: that needs a superuser or the"
                    + " REPLICATION attribute", role, found.slot()));
        }
        return List.copyOf(missing);
    }

    private static void own(Map<String, List<String>> byOwner, Owned object, String description) {
        byOwner.computeIfAbsent(object.owner(), owner -> new ArrayList<>()).add(description);
    }

    private static boolean hasRightsOf(Connection c, String owner) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement("SELECT pg_has_role(?::name, 'USAGE')")) {
            statement.setString(1, owner);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getBoolean(1);
            }
        }
    }
}
