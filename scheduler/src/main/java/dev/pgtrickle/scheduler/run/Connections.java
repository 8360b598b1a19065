package dev.pgtrickle.scheduler.run;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** Session helpers shared by the daemon's connections. */
public final class Connections {

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

    /**
     * For the rest of the transaction, acts as {@code owner} when the daemon's role may (a
     * superuser or a member): a stream table's query then runs with its owner's rights, never
     * with the daemon's.
     */
    public static void actAs(Connection c, String owner) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT set_config('role', ?, true) WHERE pg_has_role(current_user, ?, 'MEMBER')"
                        + " AND current_user <> ?::name")) {
            statement.setString(1, owner);
            statement.setString(2, owner);
            statement.setString(3, owner);
            statement.execute();
        }
    }
}
