package dev.pgtrickle.testsupport;

import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** With PER_CLASS the constructor is resolved before beforeAll callbacks run. */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PerClassLifecycleTest {

    private final TestDatabase fromConstructor;
    private TestDatabase fromBeforeAll;

    PerClassLifecycleTest(TestDatabase database) {
        this.fromConstructor = database;
    }

    @BeforeAll
    void beforeAll(TestDatabase database) {
        fromBeforeAll = database;
    }

    @Test
    void constructorAndBeforeAllShareTheClassDatabase(TestDatabase database) {
        assertSame(fromConstructor, fromBeforeAll);
        assertSame(fromConstructor, database);
    }

    @Nested
    class Inner {
        @Test
        void nestedClassesUseTheEnclosingClassDatabase(TestDatabase database) {
            assertSame(fromConstructor, database);
        }
    }
}
