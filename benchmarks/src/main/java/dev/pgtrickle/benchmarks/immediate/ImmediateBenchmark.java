package dev.pgtrickle.benchmarks.immediate;

import dev.pgtrickle.benchmarks.Db;
import dev.pgtrickle.benchmarks.Environment;
import dev.pgtrickle.benchmarks.Oracle;
import dev.pgtrickle.benchmarks.Progress;
import dev.pgtrickle.benchmarks.Samples;
import dev.pgtrickle.benchmarks.StreamTables;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * What IMMEDIATE mode costs the writers (issue 14 §5): the same statements on a source table
 * without and with an IMMEDIATE aggregate stream table over it — single-row INSERTs, UPDATEs and
 * DELETEs timed one by one, bulk statements, and the throughput of concurrent clients updating
 * random rows, measured without and with the stream table in turn ({@value #ROUNDS} rounds, the
 * stream table's triggers disabled for the rounds without it) — then the stream table checked
 * against its query.
 */
public final class ImmediateBenchmark {

    /** Target: added per single-row statement, median, ms. */
    public static final double TARGET_ADDED_MS = 1.0;
    /** Target: concurrent throughput with the stream table, as a share of the one without. */
    public static final double TARGET_THROUGHPUT_SHARE = 0.5;
    /**
     * Throughput measurements without and with the stream table, alternately: on a shared machine
     * one measurement of each, minutes apart, differs by more than what is measured.
     */
    static final int ROUNDS = 3;

    static final String QUERY = "SELECT region, count(*) AS orders, sum(amount) AS amount FROM orders GROUP BY region";
    /** The first rows of one table (TopK): writers whose changes reach them take turns, the others go on. */
    static final String FIRST_ROWS_QUERY = "SELECT id, amount FROM orders ORDER BY amount DESC, id LIMIT 10";
    /**
     * Groups inside the query (the distinct amounts of each region, counted), stamped per group:
     * writers of different groups run side by side.
     */
    static final String INNER_GROUPS_QUERY = "SELECT s.region, count(*) AS amounts FROM (SELECT DISTINCT region, amount"
            + " FROM orders) s GROUP BY s.region";

    private final ImmediateOptions options;
    private final Progress progress;

    public ImmediateBenchmark(ImmediateOptions options, Progress progress) {
        this.options = options;
        this.progress = progress;
    }

    /** The measurements of one phase: without or with the stream table. */
    public record Phase(Samples insert, Samples update, Samples delete, double bulkInsert, double bulkUpdate,
                        double bulkDelete) {
    }

    /** One round of the throughput measurements: statements per second without and with the stream table. */
    public record Round(double without, double with) {

        double share() {
            return with / without;
        }
    }

    public record Result(ImmediateOptions options, Environment environment, String server, Instant started,
                         String loadAverageBefore, String loadAverageAfter, String strategy, Phase without, Phase with,
                         List<Round> rounds, double innerGroupsThroughput, double firstRowsThroughput, long differences,
                         double seconds) {

        /** Median time added to a single-row statement by the stream table, ms. */
        public double added(Samples without, Samples with) {
            return with.median() - without.median();
        }

        /** The median over the rounds of the throughput with the stream table as a share of the one without. */
        public double throughputShare() {
            return median(Round::share);
        }

        private double withoutThroughput() {
            return median(Round::without);
        }

        private double median(ToDoubleFunction<Round> value) {
            double[] sorted = rounds.stream().mapToDouble(value).sorted().toArray();
            int middle = sorted.length / 2;
            return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }

        public String markdown(String commandLine) {
            StringBuilder md = new StringBuilder("# pgtrickle IMMEDIATE-mode benchmark\n\n");
            md.append(environment.runLines(commandLine, started, loadAverageBefore, loadAverageAfter, server));
            md.append(String.format(Locale.ROOT, "- data: `orders (id bigint PRIMARY KEY, region int, amount int)`,"
                    + " %,d rows in %,d regions; stream table `%s`, IMMEDIATE (%s)%n", options.rows(), options.groups(),
                    QUERY, strategy));
            md.append(String.format(Locale.ROOT, "- run time: %.0f s%n%n", seconds));
            md.append("| single-row statement (%,d each, autocommit) | without: median (p99) ms | with: median (p99) ms"
                    .formatted(options.statements()) + " | added ms (median) | target < 1 ms |\n|---|---:|---:|---:|---|\n");
            row(md, "INSERT", without.insert(), with.insert());
            row(md, "UPDATE of the amount", without.update(), with.update());
            row(md, "DELETE", without.delete(), with.delete());
            md.append(String.format(Locale.ROOT, "%n| bulk statement (%,d rows) | without ms | with ms | with / without |"
                    + "%n|---|---:|---:|---:|%n", options.bulkRows()));
            bulk(md, "INSERT … SELECT", without.bulkInsert(), with.bulkInsert());
            bulk(md, "UPDATE", without.bulkUpdate(), with.bulkUpdate());
            bulk(md, "DELETE", without.bulkDelete(), with.bulkDelete());
            md.append(String.format(Locale.ROOT, "%n| %d clients updating random rows, %d s each | statements per second"
                    + " without | with | with / without |%n|---|---:|---:|---:|%n", options.clients(), options.seconds()));
            for (int i = 0; i < rounds.size(); i++) {
                Round round = rounds.get(i);
                md.append(String.format(Locale.ROOT, "| round %d | %,.0f | %,.0f | %.0f %% |%n", i + 1, round.without(),
                        round.with(), 100 * round.share()));
            }
            md.append(String.format(Locale.ROOT, "| median | | | **%.0f %%** (target ≥ 50 %%: %s) |%n%n",
                    100 * throughputShare(), throughputShare() >= TARGET_THROUGHPUT_SHARE ? "met" : "**missed**"));
            md.append(String.format(Locale.ROOT, "The same clients with `%s` as the IMMEDIATE stream table instead"
                    + " (groups inside the query, whose writers wait for each other per group; with an index on"
                    + " `orders (region, amount)`, through which each statement counts its groups again): %,.0f statements per"
                    + " second (%.0f %% of the throughput without); with `%s`, whose writers reaching the first rows"
                    + " take turns and the others go on: %,.0f statements per second (%.0f %%).%n%n", INNER_GROUPS_QUERY, innerGroupsThroughput,
                    100 * innerGroupsThroughput / withoutThroughput(), FIRST_ROWS_QUERY, firstRowsThroughput,
                    100 * firstRowsThroughput / withoutThroughput()));
            md.append(differences == 0 ? "Afterwards the stream tables equal their queries.\n"
                    : "Afterwards the stream tables differ from their queries in " + differences + " rows.\n");
            return md.toString();
        }

        private void row(StringBuilder md, String statement, Samples without, Samples with) {
            double added = added(without, with);
            md.append(String.format(Locale.ROOT, "| %s | %.3f (%.3f) | %.3f (%.3f) | %.3f | %s |%n", statement,
                    without.median(), without.quantile(0.99), with.median(), with.quantile(0.99), added,
                    added < TARGET_ADDED_MS ? "met" : "**missed**"));
        }

        private static void bulk(StringBuilder md, String statement, double without, double with) {
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.2f× |%n", statement, without, with, with / without));
        }
    }

    /** Runs everything in the (empty) database at {@code jdbcUrl}. */
    public Result run(String jdbcUrl, String serverDescription) throws SQLException, InterruptedException {
        Instant started = Instant.now();
        long start = System.nanoTime();
        String loadBefore = Environment.loadAverage();
        try (Db admin = Db.connect(jdbcUrl)) {
            admin.alterDatabase(options.databaseSettings());
        }
        try (Db db = Db.connect(jdbcUrl)) {
            Environment environment = Environment.capture(db);
            CatalogInstaller.install(db.connection());
            db.execute("CREATE TABLE orders (id bigint PRIMARY KEY, region int NOT NULL, amount int NOT NULL)");
            db.execute("SELECT setseed(" + (options.seed() % 1000) / 1000.0 + ")");
            db.execute("INSERT INTO orders SELECT g, floor(random() * " + options.groups() + ")::int,"
                    + " floor(random() * 1000)::int FROM generate_series(1, " + options.rows() + ") AS g");
            db.execute("VACUUM ANALYZE orders");
            progress.log(String.format("%,d rows", options.rows()));

            Phase without = phase(db, jdbcUrl, "without", new SplittableRandom(options.seed()));
            String strategy = StreamTables.createImmediate(db, "order_totals", QUERY);
            db.execute("VACUUM ANALYZE orders, order_totals");
            Phase with = phase(db, jdbcUrl, "with", new SplittableRandom(options.seed() + 1));
            List<Round> rounds = alternate(db, jdbcUrl);
            long differences = Oracle.differences(db, "order_totals", QUERY);
            db.execute("SELECT pgtrickle.drop_stream_table('order_totals')");
            // Each statement counts the rows of its (region, amount) pairs again, found through the index.
            db.execute("CREATE INDEX orders_region ON orders (region, amount)");
            StreamTables.createImmediate(db, "region_amounts", INNER_GROUPS_QUERY);
            double innerGroups = throughput(jdbcUrl, options.seed() + 3);
            progress.log(String.format(Locale.ROOT, "with groups inside the query: %,.0f updates/s", innerGroups));
            differences += Oracle.differences(db, "region_amounts", INNER_GROUPS_QUERY);
            db.execute("SELECT pgtrickle.drop_stream_table('region_amounts')");
            db.execute("DROP INDEX orders_region");
            StreamTables.createImmediate(db, "top_orders", FIRST_ROWS_QUERY);
            double firstRows = throughput(jdbcUrl, options.seed() + 2);
            progress.log(String.format(Locale.ROOT, "with the first rows of one table: %,.0f updates/s", firstRows));
            differences += Oracle.differences(db, "top_orders", FIRST_ROWS_QUERY);
            return new Result(options, environment, serverDescription, started, loadBefore, Environment.loadAverage(),
                    strategy, without, with, rounds, innerGroups, firstRows, differences, (System.nanoTime() - start) / 1e9);
        }
    }

    /** Every measurement once; inserted rows are deleted again, so the table keeps its size. */
    private Phase phase(Db db, String jdbcUrl, String name, SplittableRandom random)
            throws SQLException, InterruptedException {
        long first = db.queryLong("SELECT max(id) FROM orders") + 1;
        Samples insert = new Samples();
        Samples update = new Samples();
        Samples delete = new Samples();
        try (PreparedStatement inserting = db.prepare("INSERT INTO orders VALUES (?, ?, ?)");
             PreparedStatement updating = db.prepare("UPDATE orders SET amount = amount + 1 WHERE id = ?");
             PreparedStatement deleting = db.prepare("DELETE FROM orders WHERE id = ?")) {
            for (int i = 0; i < options.statements(); i++) {
                inserting.setLong(1, first + i);
                inserting.setInt(2, random.nextInt(options.groups()));
                inserting.setInt(3, random.nextInt(1000));
                insert.add(timed(inserting));
                updating.setLong(1, 1 + random.nextInt(options.rows()));
                update.add(timed(updating));
            }
            for (int i = 0; i < options.statements(); i++) {
                deleting.setLong(1, first + i);
                delete.add(timed(deleting));
            }
        }
        long bulkFirst = first + options.statements();
        String bulkRange = " BETWEEN " + bulkFirst + " AND " + (bulkFirst + options.bulkRows() - 1);
        double bulkInsert = db.timed("INSERT INTO orders SELECT g, floor(random() * " + options.groups() + ")::int,"
                + " floor(random() * 1000)::int FROM generate_series(" + bulkFirst + ", "
                + (bulkFirst + options.bulkRows() - 1) + ") AS g") / 1e6;
        double bulkUpdate = db.timed("UPDATE orders SET amount = amount + 1 WHERE id" + bulkRange) / 1e6;
        double bulkDelete = db.timed("DELETE FROM orders WHERE id" + bulkRange) / 1e6;
        db.execute("VACUUM ANALYZE orders");
        progress.log(String.format(Locale.ROOT, "%s the stream table: single-row INSERT %.3f ms, UPDATE %.3f ms,"
                        + " DELETE %.3f ms (medians); bulk %.0f / %.0f / %.0f ms", name,
                insert.median(), update.median(), delete.median(), bulkInsert, bulkUpdate, bulkDelete));
        return new Phase(insert, update, delete, bulkInsert, bulkUpdate, bulkDelete);
    }

    /**
     * The throughput without and with the stream table, {@value #ROUNDS} times in turn: its
     * triggers disabled for a measurement without it, then enabled and its contents recomputed.
     * The last measurement is with it, so that the check afterwards sees what the statements did.
     */
    private List<Round> alternate(Db db, String jdbcUrl) throws SQLException, InterruptedException {
        List<Round> rounds = new ArrayList<>();
        for (int round = 1; round <= ROUNDS; round++) {
            db.execute("ALTER TABLE orders DISABLE TRIGGER USER");
            double without = throughput(jdbcUrl, options.seed() + 10L * round);
            db.execute("ALTER TABLE orders ENABLE TRIGGER USER");
            db.execute("SELECT pgtrickle.refresh_stream_table('order_totals')");
            db.execute("VACUUM ANALYZE orders, order_totals");
            double with = throughput(jdbcUrl, options.seed() + 10L * round + 1);
            progress.log(String.format(Locale.ROOT, "round %d: %,.0f updates/s without the stream table, %,.0f with it"
                    + " (%d clients)", round, without, with, options.clients()));
            rounds.add(new Round(without, with));
        }
        return rounds;
    }

    private static long timed(PreparedStatement statement) throws SQLException {
        long start = System.nanoTime();
        statement.executeUpdate();
        return System.nanoTime() - start;
    }

    /** Single-row UPDATEs of random rows per second, by {@code clients} connections in autocommit. */
    private double throughput(String jdbcUrl, long seed) throws SQLException, InterruptedException {
        AtomicLong done = new AtomicLong();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> clients = new ArrayList<>();
        long deadline = System.nanoTime() + options.seconds() * 1_000_000_000L;
        for (int c = 0; c < options.clients(); c++) {
            SplittableRandom random = new SplittableRandom(seed + c);
            clients.add(new Thread(() -> {
                try (Db client = Db.connect(jdbcUrl);
                     PreparedStatement updating = client.prepare("UPDATE orders SET amount = amount + 1 WHERE id = ?")) {
                    while (System.nanoTime() < deadline) {
                        updating.setLong(1, 1 + random.nextInt(options.rows()));
                        updating.executeUpdate();
                        done.incrementAndGet();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "client-" + c));
        }
        long start = System.nanoTime();
        clients.forEach(Thread::start);
        for (Thread client : clients) {
            client.join();
        }
        if (!errors.isEmpty()) {
            throw new SQLException("a client failed: " + errors.get(0), errors.get(0));
        }
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }
}
