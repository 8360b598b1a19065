package dev.pgtrickle.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;

/** Runs two fixture classes through the JUnit engine and checks their databases' lifecycle. */
@PostgresTest
class DatabasePerClassTest {

    private static final Map<Class<?>, String> SEEN = new ConcurrentHashMap<>();

    @Test
    void eachClassGetsItsOwnDatabaseWhichIsDroppedAfterwards(TestDatabase database) throws SQLException {
        EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(FirstFixture.class), selectClass(SecondFixture.class))
                .execute()
                .testEvents()
                .assertStatistics(stats -> stats.started(2).succeeded(2));

        String first = SEEN.get(FirstFixture.class);
        String second = SEEN.get(SecondFixture.class);
        assertNotEquals(first, second);
        assertNotEquals(database.databaseName(), first);
        assertEquals(0, database.queryLong("SELECT count(*) FROM pg_database WHERE datname IN ('"
                + first + "', '" + second + "')"));
    }

    // Nested classes are not picked up by surefire on their own; the engine above runs them.
    @PostgresTest
    static class FirstFixture {
        @Test
        void record(TestDatabase database) throws SQLException {
            SEEN.put(FirstFixture.class, database.queryString("SELECT current_database()"));
        }
    }

    @PostgresTest
    static class SecondFixture {
        @Test
        void record(TestDatabase database) throws SQLException {
            SEEN.put(SecondFixture.class, database.queryString("SELECT current_database()"));
        }
    }
}
