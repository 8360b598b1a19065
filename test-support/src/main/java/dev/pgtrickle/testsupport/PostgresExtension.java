package dev.pgtrickle.testsupport;

import java.sql.SQLException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstanceFactoryContext;
import org.junit.jupiter.api.extension.TestInstancePreConstructCallback;

/** Creates a database per test class on the shared server and injects it as {@link TestDatabase}. */
public final class PostgresExtension
        implements BeforeAllCallback, TestInstancePreConstructCallback, AfterAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(PostgresExtension.class);
    private static final String DATABASE = "database";

    @Override
    public void beforeAll(ExtensionContext context) {
        database(context);
    }

    /**
     * With {@code @TestInstance(PER_CLASS)} the instance is built before {@link #beforeAll}. Creating
     * the database here rather than while resolving a constructor parameter keeps an abort (no
     * Docker) a skip: JUnit would wrap it in a ParameterResolutionException, an error.
     */
    @Override
    public void preConstructTestInstance(TestInstanceFactoryContext factoryContext, ExtensionContext context) {
        database(context);
    }

    @Override
    public void afterAll(ExtensionContext context) throws SQLException {
        // remove() only sees this level, so a @Nested class never drops its enclosing class's database.
        TestDatabase database = context.getStore(NAMESPACE).remove(DATABASE, TestDatabase.class);
        if (database != null) {
            database.drop();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestDatabase.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return database(context);
    }

    /** Finds the database of the test class, creating it on first use. */
    private static TestDatabase database(ExtensionContext context) {
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent()) {
            classContext = classContext.getParent().orElseThrow();
        }
        String hint = classContext.getRequiredTestClass().getSimpleName();
        return classContext.getStore(NAMESPACE).computeIfAbsent(DATABASE, key -> create(hint), TestDatabase.class);
    }

    private static TestDatabase create(String nameHint) {
        try {
            return TestDatabase.create(SharedServer.get(), nameHint);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create the test database for " + nameHint, e);
        }
    }
}
