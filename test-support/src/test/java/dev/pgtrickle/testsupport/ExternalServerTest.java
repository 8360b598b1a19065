package dev.pgtrickle.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ExternalServerTest {

    @Test
    void keepsConnectionDetailsAndExtraParameters() {
        ExternalServer server = ExternalServer.parse(
                "jdbc:postgresql://db.example:6543/app?user=alice&password=p%26w&sslmode=disable");

        assertEquals("db.example", server.host());
        assertEquals(6543, server.port());
        assertEquals("app", server.maintenanceDatabase());
        assertEquals("alice", server.adminUser());
        assertEquals("p&w", server.adminPassword());
        assertEquals("jdbc:postgresql://db.example:6543/pgt_x?user=alice&password=p%26w&sslmode=disable",
                server.adminJdbcUrl("pgt_x"));
        assertEquals("jdbc:postgresql://db.example:6543/pgt_x?user=bob&sslmode=disable",
                server.jdbcUrl("pgt_x", "bob", null));
    }

    @Test
    void passwordIsOptional() {
        assertNull(ExternalServer.parse("jdbc:postgresql://localhost/postgres?user=ci").adminPassword());
    }
}
