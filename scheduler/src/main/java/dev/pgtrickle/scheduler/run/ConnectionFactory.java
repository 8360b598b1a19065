package dev.pgtrickle.scheduler.run;

import java.sql.Connection;
import java.sql.SQLException;

/** Opens connections to the database the daemon serves. */
@FunctionalInterface
public interface ConnectionFactory {
    Connection open() throws SQLException;
}
