package dev.pgtrickle.core.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

class ServerErrorsTest {

    private static final PSQLException DIVISION = new PSQLException(new ServerErrorMessage(
            "SERROR\0C22012\0Mdivision by zero\0WPL/pgSQL function pgtrickle._full_refresh(bigint,text,text) line 21\0"));

    @Test
    void theServersOwnWordsWithoutPrefixAndTrace() {
        assertEquals("division by zero", ServerErrors.message(DIVISION));
        assertEquals("division by zero", ServerErrors.message(new RuntimeException("migration failed", DIVISION)));
    }

    @Test
    void ourOwnSqlExceptionSpeaksForTheErrorItWraps() {
        SQLException ours = new SQLException("the replication slot cannot be created yet", "55000", DIVISION);
        assertEquals("the replication slot cannot be created yet", ServerErrors.message(ours));
    }

    @Test
    void aFailureWithoutServerMessageKeepsItsOwn() {
        assertEquals("Connection refused", ServerErrors.message(new SQLException("Connection refused", "08001")));
    }
}
