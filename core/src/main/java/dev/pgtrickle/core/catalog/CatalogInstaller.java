package dev.pgtrickle.core.catalog;

import java.sql.Connection;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Installs and upgrades the in-database part of pgtrickle: the schemas {@code pgtrickle} and
 * {@code pgtrickle_changes}, the catalog tables and the SQL API.
 *
 * <p>Catalog tables evolve through versioned migrations ({@code V<n>__*.sql}); functions live in
 * repeatable migrations ({@code R__*.sql}, {@code CREATE OR REPLACE}) that Flyway re-applies only
 * when their text changes. Running the installer on an up-to-date catalog is a no-op. It needs no
 * superuser: CREATE on the database is enough.
 */
public final class CatalogInstaller {

    /** Schema of the catalog and SQL API; also holds Flyway's history table. */
    public static final String CATALOG_SCHEMA = "pgtrickle";
    /** Schema of the change buffers. */
    public static final String CHANGES_SCHEMA = "pgtrickle_changes";
    static final String HISTORY_TABLE = "pgt_schema_history";
    static final String MIGRATIONS = "classpath:dev/pgtrickle/core/catalog/migrations";

    private CatalogInstaller() {
    }

    /** Applies every pending migration on the given connection's database. */
    public static InstallResult install(Connection connection) throws SQLException {
        return install(connection, null);
    }

    /**
     * Applies pending migrations up to {@code targetVersion} (all of them when {@code null}).
     * Stopping early exists to test upgrades from older catalogs.
     */
    public static InstallResult install(Connection connection, String targetVersion) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        try {
            Flyway flyway = flyway(connection, targetVersion);
            String before = versionOf(flyway.info());
            MigrateResult result = flyway.migrate();
            String after = versionOf(flyway.info());
            return new InstallResult(before, after, result.migrationsExecuted);
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    /** True when the catalog exists and no migration is pending. */
    public static boolean isCurrent(Connection connection) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        try {
            MigrationInfoService info = flyway(connection, null).info();
            return info.current() != null && info.pending().length == 0;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    /** The installed catalog version, or {@code null} when no catalog is installed. */
    public static String installedVersion(Connection connection) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        try {
            return versionOf(flyway(connection, null).info());
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private static Flyway flyway(Connection connection, String targetVersion) {
        var config = Flyway.configure()
                .dataSource(new ConnectionDataSource(connection))
                .schemas(CATALOG_SCHEMA, CHANGES_SCHEMA)
                .createSchemas(true)
                .table(HISTORY_TABLE)
                .locations(MIGRATIONS)
                // PL/pgSQL bodies may contain "${": never rewrite our SQL.
                .placeholderReplacement(false)
                .cleanDisabled(true)
                .validateMigrationNaming(true);
        if (targetVersion != null) {
            config.target(MigrationVersion.fromVersion(targetVersion));
        }
        return config.load();
    }

    private static String versionOf(MigrationInfoService info) {
        String version = null;
        for (MigrationInfo applied : info.applied()) {
            if (applied.getVersion() != null && applied.getState().isApplied()) {
                version = applied.getVersion().getVersion();
            }
        }
        return version;
    }
}
