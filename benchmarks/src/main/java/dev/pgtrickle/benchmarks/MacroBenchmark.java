package dev.pgtrickle.benchmarks;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;

/** One run of the macro benchmark on an empty database: load, refresh timings, capture overhead. */
public final class MacroBenchmark {

    private final BenchmarkOptions options;
    private final Progress progress;

    public MacroBenchmark(BenchmarkOptions options, Progress progress) {
        this.options = options;
        this.progress = progress;
    }

    public record Result(BenchmarkOptions options, Environment environment, String server, Instant started,
                         double loadSeconds, String loadAverageBefore, String loadAverageAfter,
                         RefreshBenchmark.Result refresh, CaptureBenchmark.Result capture) {
    }

    /** Runs everything in the (empty) database at {@code jdbcUrl}. */
    public Result run(String jdbcUrl, String serverDescription) throws SQLException, IOException {
        Instant started = Instant.now();
        String loadBefore = Environment.loadAverage();
        try (Db admin = Db.connect(jdbcUrl)) {
            admin.alterDatabase(options.databaseSettings());
        }
        try (Db db = Db.connect(jdbcUrl)) {
            Environment environment = Environment.capture(db);
            progress.log("PostgreSQL: " + environment.postgresVersion());
            CatalogInstaller.install(db.connection());
            long loadStart = System.nanoTime();
            DataGenerator.createAndLoad(db, options.customers(), options.orders());
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            progress.log(String.format("loaded %,d orders and %,d customers in %.1f s",
                    options.orders(), options.customers(), loadSeconds));

            RefreshBenchmark.Result refresh = new RefreshBenchmark(db, options, progress).run();
            CaptureBenchmark.Result capture = new CaptureBenchmark(db, options, progress).run();
            return new Result(options, environment, serverDescription, started, loadSeconds, loadBefore,
                    Environment.loadAverage(), refresh, capture);
        }
    }
}
