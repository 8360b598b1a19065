package dev.pgtrickle.scheduler.run;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Session helpers shared by the daemon's connections. */
public final class Connections {

    /** SQLSTATE insufficient_privilege. */
    static final String INSUFFICIENT_PRIVILEGE = "42501";

    private Connections() {
    }

    /**
     * Whether the error means the session is gone (network, server restart or shutdown,
     * terminated backend) rather than that the statement failed.
     */
    public static boolean lost(SQLException e) {
        String state = e.getSQLState();
        return state == null || state.startsWith("08") || state.startsWith("57P");
    }

    /** Closes {@code c} if there is one, ignoring a failure: it is being given up, possibly broken. */
    public static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing a broken connection
            }
        }
    }

    /**
     * For the rest of the transaction, acts as {@code owner}: a stream table's query then runs
     * with its owner's rights, never with the daemon's.
     *
     * @throws SQLException (insufficient_privilege) naming the grant that is missing when the
     *                      daemon's role may not act as the owner: the refresh would otherwise
     *                      fail later with a less helpful "permission denied"
     */
    public static void actAs(Connection c, String owner) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT current_user = r.rolname, current_user = r.rolname OR pgtrickle._may_set_role(current_user, r.oid),"
                        + " quote_ident(current_user), quote_ident(r.rolname)"
                        + " FROM pg_roles r WHERE r.rolname = ?")) {
            statement.setString(1, owner);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new SQLException("role \"" + owner + "\" does not exist", "42704");
                }
                if (!row.getBoolean(2)) {
                    throw new SQLException(String.format(
                            "the pgtrickle daemon's role %s may not act as role %s, which owns this stream table: GRANT %s TO %s",
                            row.getString(3), row.getString(4), row.getString(4), row.getString(3)),
                            INSUFFICIENT_PRIVILEGE);
                }
                if (row.getBoolean(1)) {
                    return;
                }
            }
        }
        try (PreparedStatement statement = c.prepareStatement("SELECT set_config('role', ?, true)")) {
            statement.setString(1, owner);
            statement.execute();
        }
    }
}
