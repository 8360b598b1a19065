package dev.pgtrickle.benchmarks;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;

/**
 * WAL-based change capture ({@code wal} command): what it costs writers compared with no capture
 * and with trigger capture ({@link WriterOverhead}), and how fast the decoder turns a backlog into
 * journal entries compared with merely streaming the slot ({@link DecodeThroughput}).
 */
public final class WalBenchmark {

    private final WalOptions options;
    private final Progress progress;

    public WalBenchmark(WalOptions options, Progress progress) {
        this.options = options;
        this.progress = progress;
    }

    public record Result(WalOptions options, Environment environment, String server, Instant started,
                         String loadAverageBefore, String loadAverageAfter, WriterOverhead.Result writers,
                         DecodeThroughput.Result decode) {
    }

    /** Runs everything in the (empty) database at {@code jdbcUrl}; its slots are dropped at the end. */
    public Result run(String jdbcUrl, String serverDescription) throws SQLException, IOException, InterruptedException {
        Instant started = Instant.now();
        String loadBefore = Environment.loadAverage();
        try (Db admin = Db.connect(jdbcUrl)) {
            admin.alterDatabase(options.databaseSettings());
        }
        try (Db db = Db.connect(jdbcUrl)) {
            Environment environment = Environment.capture(db);
            progress.log("PostgreSQL: " + environment.postgresVersion());
            CatalogInstaller.install(db.connection());
            WriterOverhead.Result writers;
            DecodeThroughput.Result decode;
            try (WalSlots slots = WalSlots.create(db)) {
                writers = new WriterOverhead(db, jdbcUrl, slots, options, progress).run();
                decode = new DecodeThroughput(db, jdbcUrl, slots, options, progress).run();
            }
            return new Result(options, environment, serverDescription, started, loadBefore, Environment.loadAverage(),
                    writers, decode);
        }
    }
}
