package dev.pgtrickle.cli.playground;

import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Loads {@code playground/demo.sql} (demo tables and stream tables, idempotently) and compiles
 * the demo stream tables' differential refresh.
 */
final class DemoData {

    static final String SCHEMA = "demo";

    private DemoData() {
    }

    static void load(Connection connection) throws SQLException {
        String script = script();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            // pgjdbc splits the script into statements itself (it understands dollar quotes).
            statement.execute(script);
            // Only the demo's own: stream tables a user created in a kept data directory are the
            // daemon's to compile, which records a failure on the table instead of stopping here.
            StreamTableCompiler compiler = new StreamTableCompiler(connection);
            for (String name : compiler.pending()) {
                if (name.startsWith(SCHEMA + ".")) {
                    compiler.compile(name);
                }
            }
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    private static String script() {
        try (InputStream in = DemoData.class.getResourceAsStream("/playground/demo.sql")) {
            if (in == null) {
                throw new IllegalStateException("playground/demo.sql is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
