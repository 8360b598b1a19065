package dev.pgtrickle.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the annotated test class against a real PostgreSQL with a fresh database of its own.
 *
 * <p>The server is started once per JVM; the database is created before the class's first test
 * and dropped after its last. Declare a {@link TestDatabase} parameter on a constructor, a
 * {@code @BeforeAll}/{@code @BeforeEach} method or a test method to use it. {@code @Nested}
 * classes share the database of their enclosing class.
 *
 * <p>Which server is used: the embedded PostgreSQL from Maven artifacts by default; the server
 * named by the environment variable {@code PGTRICKLE_TEST_JDBC_URL}; or an official
 * {@code postgres} image when {@code -Dpgtrickle.test.backend=docker} (skipped without Docker).
 * {@code -Dpgtrickle.test.pgVersion=15..18} selects the major version.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(PostgresExtension.class)
public @interface PostgresTest {
}
