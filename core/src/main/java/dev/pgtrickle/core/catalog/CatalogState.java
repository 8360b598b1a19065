package dev.pgtrickle.core.catalog;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What a session finds of the catalog before it works with it: whether it is installed, whether
 * it is as new as this build, who owns it and whether this session's role may upgrade it. Works
 * for every role: a role that may not read the history of a catalog older than version 5 (which
 * opened it to everyone) learns that the catalog is older, not a permission error.
 *
 * @param installed     the catalog (its migration history) exists
 * @param current       no migration of this build is pending
 * @param owner         the catalog owner (the role that installed it), or {@code null}
 * @param mayInstall    this session's role may install or upgrade the catalog: it has the
 *                      owner's rights, or nothing is installed and it may create schemas
 */
public record CatalogState(boolean installed, boolean current, String owner, boolean mayInstall) {

    public static CatalogState of(Connection connection) throws SQLException {
        boolean installed;
        boolean readable;
        String owner;
        boolean mayInstall;
        try (Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(
                     "SELECT h.oid IS NOT NULL, h.oid IS NOT NULL AND has_table_privilege(h.oid, 'SELECT'),"
                             + " n.nspowner::regrole::text,"
                             + " CASE WHEN n.oid IS NULL THEN has_database_privilege(current_database(), 'CREATE')"
                             + "      ELSE pg_has_role(n.nspowner, 'USAGE') END"
                             + " FROM (SELECT 1) AS one"
                             + " LEFT JOIN pg_namespace n ON n.nspname = '" + CatalogInstaller.CATALOG_SCHEMA + "'"
                             + " LEFT JOIN pg_class h ON h.relnamespace = n.oid AND h.relname = '"
                             + CatalogInstaller.HISTORY_TABLE + "'")) {
            row.next();
            installed = row.getBoolean(1);
            readable = row.getBoolean(2);
            owner = row.getString(3);
            mayInstall = row.getBoolean(4);
        }
        boolean current = readable && CatalogInstaller.isCurrent(connection);
        return new CatalogState(installed, current, owner, mayInstall);
    }
}
