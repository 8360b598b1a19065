package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgtrickle.cdc.wal.WalConnections;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.scheduler.Daemon;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.scheduler.WalSettings;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Names that need quoting, through the whole lifecycle: schemas, tables, columns, aliases and
 * stream tables named with double and single quotes, spaces, upper case, non-ASCII letters,
 * {@code $} and {@code $$}, reserved words, words PostgreSQL prints unquoted although they are
 * keywords elsewhere ({@code year}, {@code double}), dots, backslashes, semicolons and comment markers.
 * Stream tables are created from SQL and the CLI (names given as a user would quote them),
 * compiled by the CLI and the daemon, refreshed differentially from SQL and the CLI, altered and
 * replaced, shown by {@code status}, {@code explain} and {@code cdc status}, graduated to WAL
 * capture and back through {@code pgtrickle cdc}, followed through renames of their sources, and
 * dropped: the oracle holds, no refresh fails, and nothing in a name is ever executed (a canary
 * table that a name would drop survives, no object a name would create appears).
 *
 * <p>Seeds are fixed in CI; {@code -Dpgtrickle.names.seeds=N} runs seeds 1..N,
 * {@code -Dpgtrickle.names.seed=S} only seed S.
 */
@PostgresTest
class QuotedNamesTest {

    private static final int SEEDS = Integer.getInteger("pgtrickle.names.seeds", 3);

    private final TestDatabase db;
    @TempDir
    Path journals;

    QuotedNamesTest(TestDatabase db) {
        this.db = db;
    }

    static Stream<Long> seeds() {
        String only = System.getProperty("pgtrickle.names.seed");
        return only != null ? Stream.of(Long.parseLong(only)) : LongStream.rangeClosed(1, SEEDS).boxed();
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
        db.execute("CREATE TABLE canary (i int); INSERT INTO canary VALUES (1)");
    }

    // ------------------------------------------------------------------------------------------
    // names

    /**
     * Builds identifiers from pieces that need quoting, each under PostgreSQL's 63 bytes, unique
     * within a seed. Every name starts with the next piece in turn (from an offset that depends
     * on the seed), so a few seeds cover every piece; the rest is random.
     */
    static final class NameGenerator {
        static final List<String> PIECES = List.of(
                "a\"b", "o'brien", "with space", "MixedCase", "größe", "naïve", "日本", "a$b", "$$", "x$$y",
                "select", "from", "order", "user", "table", "a.b", "back\\slash", "semi;colon", "--dash",
                "/*c", "c*/", "%I", "%L%s", "?", "$1", "\"", "'", "Ünïcødé", "\"\"", "😀", "𝔘𝔫𝔦",
                "\"; DROP TABLE canary; --", "'; DROP TABLE canary; --", "$$; DROP TABLE canary; --",
                "'); CREATE TABLE pwned (i int); --",
                // Printed unquoted by PostgreSQL, though keywords of its syntax or JSqlParser's.
                "year", "day", "second", "double", "varying", "enum", "value", "key", "top", "minus",
                // Variables of every PL/pgSQL trigger function, and dollar-quote tags.
                "found", "tg_op", "new", "old", "x$body$y", "$fn$");
        /** Pieces that matter most in source column names, taken in turn for them. */
        static final List<String> COLUMN_PIECES = List.of(
                "found", "a.b", "x$body$y", "year", "tg_op", "double", "new", "$$", "a\"b", "o'brien", "日本", "old", "😀");
        private static final List<String> SEPARATORS = List.of("", " ", "_", ".", "-");
        private static final int MAX_BYTES = 63;

        private final Random random;
        private final Set<String> used = new HashSet<>();
        private int turn;
        private int columnTurn;

        NameGenerator(long seed) {
            this.random = new Random(seed);
            this.turn = (int) Math.floorMod(seed * 11, PIECES.size());
            this.columnTurn = (int) Math.floorMod(seed * 6, COLUMN_PIECES.size());
        }

        Random random() {
            return random;
        }

        String next() {
            return next(PIECES.get(turn++ % PIECES.size()));
        }

        /** A source column's name: its first piece is the next of {@link #COLUMN_PIECES}. */
        String column() {
            return next(COLUMN_PIECES.get(columnTurn++ % COLUMN_PIECES.size()));
        }

        private String next(String first) {
            for (int attempt = 0; ; attempt++) {
                StringBuilder name = new StringBuilder(first);
                boolean bare = first.matches("[a-z]+");
                int more = random.nextInt(bare ? 2 : 4) == 0 ? 0 : 1 + random.nextInt(2);
                for (int i = 0; i < more; i++) {
                    String separator = SEPARATORS.get(random.nextInt(SEPARATORS.size()));
                    String piece = PIECES.get(random.nextInt(PIECES.size()));
                    if (bytes(name + separator + piece) <= MAX_BYTES) {
                        name.append(separator).append(piece);
                    }
                }
                if (attempt > 5) {
                    name.append(attempt);
                }
                String candidate = name.toString();
                if (!candidate.startsWith("__pgt_") && bytes(candidate) <= MAX_BYTES && used.add(candidate)) {
                    return candidate;
                }
            }
        }

        private static int bytes(String name) {
            return name.getBytes(StandardCharsets.UTF_8).length;
        }
    }

    /** A quoted identifier, as SQL needs it whatever the name. */
    static String q(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    static String q(String schema, String name) {
        return q(schema) + "." + q(name);
    }

    // ------------------------------------------------------------------------------------------
    // one seed's world: two source tables and six stream tables over them

    /** A stream table: where it lives, how a user names it, its query (which follows renames). */
    private static final class StreamDef {
        final String label;
        String schema;
        final String name;
        final boolean qualify;
        Supplier<String> query;
        final String strategy;

        StreamDef(String label, String strategy, String schema, String name, boolean qualify, Supplier<String> query) {
            this.label = label;
            this.strategy = strategy;
            this.schema = schema;
            this.name = name;
            this.qualify = qualify;
            this.query = query;
        }

        /** The name as a user passes it to the SQL API or the CLI: quoted, qualified unless in public. */
        String userName() {
            return qualify ? q(schema, name) : q(name);
        }

        /** The relation in SQL text. */
        String ref() {
            return q(schema, name);
        }

        @Override
        public String toString() {
            return label + " " + ref();
        }
    }

    private final class World {
        final long seed;
        final NameGenerator names;
        final Random random;
        String schema;
        String a;
        final String aId;
        final String aGrp;
        String aVal;
        final String aLabel;
        String bSchema;
        String b;
        final String bKey;
        String bName;
        final List<StreamDef> streams = new ArrayList<>();
        int nextId = 1000;

        World(long seed) {
            this.seed = seed;
            this.names = new NameGenerator(seed);
            this.random = names.random();
            this.schema = names.next();
            this.a = names.next();
            this.aId = names.column();
            this.aGrp = names.column();
            this.aVal = names.column();
            this.aLabel = names.column();
            this.bSchema = random.nextBoolean() ? schema : "public";
            this.b = names.next();
            this.bKey = names.column();
            this.bName = names.column();
        }

        String aRef() {
            return q(schema, a);
        }

        String bRef() {
            return q(bSchema, b);
        }

        /** A schema for the next stream table: the odd one or public, at random but both used. */
        StreamDef stream(String label, String strategy, String schemaChoice, Supplier<String> query) {
            boolean odd = schemaChoice == null ? random.nextBoolean() : schemaChoice.equals("odd");
            String streamSchema = odd ? schema : "public";
            StreamDef stream = new StreamDef(label, strategy, streamSchema, names.next(), odd || random.nextBoolean(), query);
            streams.add(stream);
            return stream;
        }

        String text() {
            String one = NameGenerator.PIECES.get(random.nextInt(NameGenerator.PIECES.size()));
            return random.nextInt(5) == 0 ? null : one + (random.nextBoolean() ? " " + random.nextInt(9) : "");
        }

        @Override
        public String toString() {
            return "seed " + seed + ": schema " + q(schema) + ", sources " + aRef() + "(" + q(aId) + ", " + q(aGrp) + ", "
                    + q(aVal) + ", " + q(aLabel) + ") and " + bRef() + "(" + q(bKey) + ", " + q(bName) + "), stream tables "
                    + streams;
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void theWholeLifecycleWithNamesThatNeedQuoting(long seed) throws Exception {
        World w = new World(seed);
        try {
            lifecycle(w);
        } catch (AssertionError | Exception e) {
            AssertionError failure = new AssertionError(w + "\n" + e.getMessage(), e);
            try {
                cleanUp(w);
            } catch (SQLException alsoFailed) {
                failure.addSuppressed(alsoFailed);
            }
            throw failure;
        }
    }

    /** After a failure, so that the next seed starts from a clean database. */
    private void cleanUp(World w) throws SQLException {
        db.execute("SELECT pgtrickle.drop_stream_table(pgtrickle._display_name(pgt_schema, pgt_name), cascade => true)"
                + " FROM pgtrickle.pgt_stream_tables ORDER BY pgt_id DESC");
        db.execute("DROP SCHEMA IF EXISTS " + q(w.schema) + " CASCADE");
        db.execute("DROP TABLE IF EXISTS " + w.bRef() + " CASCADE");
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()");
        db.execute("DROP PUBLICATION IF EXISTS pgtrickle_publication");
    }

    private void lifecycle(World w) throws Exception {
        Set<String> relationsBefore = userRelations();
        db.execute("CREATE SCHEMA " + q(w.schema));
        db.execute("CREATE TABLE " + w.aRef() + " (" + q(w.aId) + " int PRIMARY KEY, " + q(w.aGrp) + " int NOT NULL, "
                + q(w.aVal) + " " + (w.random.nextBoolean() ? "int" : "numeric(12,2)") + " NOT NULL, " + q(w.aLabel) + " text)");
        db.execute("CREATE TABLE " + w.bRef() + " (" + q(w.bKey) + " int, " + q(w.bName) + " text)");
        db.execute("ALTER TABLE " + w.aRef() + " REPLICA IDENTITY FULL");
        // The keyless source gets REPLICA IDENTITY FULL from the test or from the daemon's graduation.
        if (w.random.nextBoolean()) {
            db.execute("ALTER TABLE " + w.bRef() + " REPLICA IDENTITY FULL");
        }
        for (int i = 1; i <= 40; i++) {
            insertA(w, i);
        }
        for (int i = 0; i < 15; i++) {
            insertB(w);
        }

        // Query shapes the compiler refreshes differentially, with odd aliases too.
        String x = w.names.next();
        String y = w.names.next();
        String[] filterOut = {w.names.next(), w.names.next(), w.names.next(), w.names.next()};
        StreamDef filter = w.stream("filter", "KEYED", "odd", () -> filterQuery(w, x, filterOut, false));
        String[] joinOut = {w.names.next(), w.names.next(), w.names.next()};
        StreamDef join = w.stream("join", "CONTENT", "public", () -> "SELECT " + q(x) + "." + q(w.aId) + " AS " + q(joinOut[0]) + ", "
                + q(x) + "." + q(w.aVal) + " AS " + q(joinOut[1]) + ", " + q(y) + "." + q(w.bName) + " AS " + q(joinOut[2])
                + " FROM " + w.aRef() + " " + q(x) + " JOIN " + w.bRef() + " " + q(y) + " ON " + q(y) + "." + q(w.bKey)
                + " = " + q(x) + "." + q(w.aGrp));
        String[] aggOut = {w.names.next(), w.names.next(), w.names.next(), w.names.next()};
        StreamDef aggregate = w.stream("aggregate", "AGGREGATE", "odd", () -> "SELECT " + q(w.aGrp) + " AS " + q(aggOut[0])
                + ", count(*) AS " + q(aggOut[1]) + ", sum(" + q(w.aVal) + ") AS " + q(aggOut[2]) + ", avg(" + q(w.aVal)
                + ") AS " + q(aggOut[3]) + " FROM " + w.aRef() + " GROUP BY " + q(w.aGrp));
        // DISTINCT over a view (which the compiler expands) with odd names of its own.
        String view = w.names.next();
        String[] viewColumns = {w.names.next(), w.names.next()};
        db.execute("CREATE VIEW " + q(w.schema, view) + " (" + q(viewColumns[0]) + ", " + q(viewColumns[1]) + ") AS SELECT "
                + q(w.bKey) + ", " + q(w.bName) + " FROM " + w.bRef() + " WHERE " + q(w.bKey) + " <> 6");
        String[] distinctOut = {w.names.next(), w.names.next()};
        StreamDef distinct = w.stream("distinct", "AGGREGATE", "public", () -> "SELECT DISTINCT " + q(viewColumns[0]) + " AS "
                + q(distinctOut[0]) + ", " + q(viewColumns[1]) + " AS " + q(distinctOut[1]) + " FROM " + q(w.schema, view));
        String[] unionOut = {w.names.next(), w.names.next()};
        StreamDef union = w.stream("union all", "CONTENT", null, () -> "SELECT " + q(w.aId) + " AS " + q(unionOut[0]) + ", "
                + q(w.aLabel) + " AS " + q(unionOut[1]) + " FROM " + w.aRef() + " WHERE " + q(w.aVal) + " > 20"
                + " UNION ALL SELECT " + q(w.bKey) + ", " + q(w.bName) + " FROM " + w.bRef());
        String[] chainOut = {w.names.next(), w.names.next()};
        StreamDef chain = w.stream("chain", "CONTENT", null, () -> "SELECT " + q(aggOut[0]) + " AS " + q(chainOut[0]) + ", "
                + q(aggOut[2]) + " AS " + q(chainOut[1]) + " FROM " + aggregate.ref() + " WHERE " + q(aggOut[1]) + " > 1");
        List<StreamDef> beforeDaemon = List.of(filter, join, aggregate, distinct, union);

        // Create: from SQL (the name as a quoted string) and from the CLI, at random; compile
        // those created from SQL with `compile --pending`.
        for (StreamDef st : beforeDaemon) {
            if (w.random.nextBoolean()) {
                call("SELECT pgtrickle.create_stream_table(name => ?, query => ?, schedule => '1s',"
                        + " refresh_mode => 'DIFFERENTIAL')", st.userName(), st.query.get());
            } else {
                CliRun run = cli("create", st.userName(), st.query.get(), "--schedule", "1s", "--refresh-mode", "DIFFERENTIAL");
                CliRun.assertContains(run.out(), "stream table " + st.userName() + " created", "compiled (");
            }
            assertEquals(regclass(st.ref()), db.queryString("SELECT pgt_relid::regclass::text FROM pgtrickle.pgt_stream_tables"
                    + " WHERE pgt_schema = " + literal(st.schema) + " AND pgt_name = " + literal(st.name)), st::toString);
        }
        cli("compile", "--pending");
        assertCompiled(beforeDaemon);
        for (StreamDef st : beforeDaemon) {
            Oracle.assertStreamTableMatchesQuery(db, st.ref(), st.query.get());
        }

        // Differential refreshes from SQL and the CLI after random changes. Each sends an event
        // naming the stream table so that the name can be handed back to the SQL API.
        try (Connection listener = db.connect(); Statement listen = listener.createStatement()) {
            listen.execute("LISTEN pgtrickle_events");
            for (int round = 0; round < 3; round++) {
                randomChanges(w);
                for (StreamDef st : beforeDaemon) {
                    refresh(w, st);
                }
                assertOracle(beforeDaemon);
            }
            Set<String> named = new TreeSet<>();
            PGNotification[] events = listener.unwrap(PGConnection.class).getNotifications(1000);
            for (PGNotification event : events == null ? new PGNotification[0] : events) {
                JsonNode payload = new ObjectMapper().readTree(event.getParameter());
                try (PreparedStatement find = listener.prepareStatement(
                        "SELECT pgt_relid::regclass::text FROM pgtrickle._find_stream_table(?)")) {
                    find.setString(1, payload.path("stream_table").asText());
                    try (ResultSet row = find.executeQuery()) {
                        row.next();
                        named.add(row.getString(1));
                    }
                }
            }
            Set<String> expected = new TreeSet<>();
            for (StreamDef st : beforeDaemon) {
                expected.add(regclass(st.ref()));
            }
            assertEquals(expected, named, "stream tables named by the refresh events");
        }
        assertRefreshedDifferentially(beforeDaemon);

        // Alter: schedule, refresh mode, and a new query (with one more column) in place.
        call("SELECT pgtrickle.alter_stream_table(name => ?, schedule => '2s')", filter.userName());
        cli("alter", join.userName(), "--schedule", "1s");
        cli("alter", distinct.userName(), "--refresh-mode", "FULL");
        assertEquals("2s", db.queryString("SELECT schedule FROM pgtrickle.pgt_stream_tables WHERE pgt_relid = "
                + literal(filter.ref()) + "::regclass"), "schedule altered from SQL");
        filter.query = () -> filterQuery(w, x, filterOut, true);
        if (w.random.nextBoolean()) {
            call("SELECT pgtrickle.create_or_replace_stream_table(name => ?, query => ?, schedule => '1s',"
                    + " refresh_mode => 'DIFFERENTIAL')", filter.userName(), filter.query.get());
        } else {
            cli("create", filter.userName(), filter.query.get(), "--or-replace", "--schedule", "1s",
                    "--refresh-mode", "DIFFERENTIAL");
        }
        cli("compile", "--pending");
        randomChanges(w);
        for (StreamDef st : beforeDaemon) {
            refresh(w, st);
        }
        assertOracle(beforeDaemon);
        assertEquals("FULL", effectiveMode(distinct), "FULL refresh mode");
        cli("alter", distinct.userName(), "--refresh-mode", "DIFFERENTIAL");
        CliRun.assertContains(cli("compile", distinct.userName()).out(), displayName(distinct) + ": compiled (AGGREGATE)");
        assertCompiled(beforeDaemon);

        // A new query through `alter --query`, and `create --if-not-exists` of an existing one.
        String[] joinOut2 = {w.names.next()};
        join.query = () -> "SELECT " + q(x) + "." + q(w.aId) + " AS " + q(joinOut[0]) + ", " + q(y) + "." + q(w.bName) + " AS "
                + q(joinOut2[0]) + " FROM " + w.aRef() + " " + q(x) + " JOIN " + w.bRef() + " " + q(y) + " ON " + q(y) + "."
                + q(w.bKey) + " = " + q(x) + "." + q(w.aGrp) + " WHERE " + q(y) + "." + q(w.bName) + " IS NOT NULL";
        cli("alter", join.userName(), "--query", join.query.get());
        cli("compile", "--pending");
        CliRun again = cli("create", union.userName(), "SELECT 1 AS one", "--if-not-exists");
        CliRun.assertContains(again.err(), "notice: stream table \"" + displayName(union) + "\" already exists, skipping");
        randomChanges(w);
        for (StreamDef st : beforeDaemon) {
            refresh(w, st);
        }
        assertOracle(beforeDaemon);
        assertCompiled(beforeDaemon);

        // What the CLI shows.
        CliRun status = cli("status");
        CliRun json = cli("status", "--json");
        for (StreamDef st : beforeDaemon) {
            CliRun.assertContains(status.out(), st.schema + "." + st.name);
            CliRun one = cli("status", st.userName());
            CliRun.assertContains(one.out(), st.schema + "." + st.name);
            assertEquals(2, one.outLines().size(), one::toString);
            CliRun explain = cli("explain", st.userName());
            CliRun.assertContains(explain.out(), "stream table " + displayName(st), "compile status: COMPILED", "strategy: ");
        }
        assertEquals(beforeDaemon.size(), json.out().lines().filter(line -> line.contains("\"name\" :")).count(), json::toString);
        for (StreamDef st : beforeDaemon) {
            String shown = literal(st.schema + "." + st.name);
            assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.pg_stat_stream_tables WHERE pgt_name = " + shown
                    + " AND failed_refreshes = 0 AND differential_refreshes > 0"), st::toString);
            assertTrue(db.queryLong("SELECT count(*) FROM pgtrickle.dependency_tree() WHERE stream_table = " + shown) > 0, st::toString);
            assertTrue(db.queryLong("SELECT count(*) FROM pgtrickle.refresh_timeline(1000) WHERE stream_table = " + shown) > 0,
                    st::toString);
        }
        assertEquals(2, db.queryLong("SELECT count(*) FROM pgtrickle.change_buffer_sizes() WHERE source IN ("
                + literal(w.schema + "." + w.a) + ", " + literal(w.bSchema + "." + w.b) + ")"));
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.health_check() WHERE severity <> 'OK'"
                + " AND check_name NOT IN ('daemon', 'wal_slot')"),
                () -> text("SELECT string_agg(check_name || ': ' || detail, ' | ') FROM pgtrickle.health_check()"));
        CliRun cdcStatus = cli("cdc", "status");
        CliRun.assertContains(cdcStatus.out(), source(w.schema, w.a), source(w.bSchema, w.b));

        // The daemon: it compiles the chain created from SQL, then graduation to WAL capture and
        // back through the CLI, with the table names quoted as SQL needs them.
        DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null,
                new WalSettings(WalConnections.of(db.jdbcUrl()), journals.resolve("seed-" + w.seed)));
        try {
            Eventually.await("the daemon to lead", () -> daemon.daemon().role() == Daemon.Role.LEADER);
            call("SELECT pgtrickle.create_stream_table(name => ?, query => ?, schedule => '1s', refresh_mode => 'DIFFERENTIAL')",
                    chain.userName(), chain.query.get());
            Eventually.await("the daemon to compile " + chain, () -> "COMPILED".equals(compileStatus(chain)));
            randomChanges(w);
            awaitOracle(w.streams);

            String bAsTyped = w.bSchema.equals("public") && w.random.nextBoolean() ? q(w.b) : w.bRef();
            CliRun graduate = cli("cdc", "graduate", w.aRef(), bAsTyped, "--wait", "60");
            CliRun.assertContains(graduate.out(), source(w.schema, w.a) + ": captured by the WAL",
                    source(w.bSchema, w.b) + ": captured by the WAL");
            CliRun.assertContains(cli("cdc", "status").out(), "in use");
            assertEquals("f", db.queryString("SELECT relreplident::text FROM pg_class WHERE oid = " + literal(w.bRef()) + "::regclass"));
            randomChanges(w);
            awaitOracle(w.streams);
            // A refresh from SQL is delegated to the daemon, which reads the journal.
            refresh(w, join);
            Oracle.assertStreamTableMatchesQuery(db, join.ref(), join.query.get());
            // The daemon's metrics carry stream table names as labels, escaped for Prometheus.
            String scrape = daemon.registry().scrape();
            for (StreamDef st : w.streams) {
                CliRun.assertContains(scrape, "stream_table=\"" + displayName(st).replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
            }

            // A column of a WAL-captured source renamed while the daemon runs.
            String newVal = w.names.next();
            db.execute("ALTER TABLE " + w.aRef() + " RENAME COLUMN " + q(w.aVal) + " TO " + q(newVal));
            w.aVal = newVal;
            awaitRepaired();
            randomChanges(w);
            awaitOracle(w.streams);

            CliRun fallback = cli("cdc", "fallback", "--all", "--wait", "60");
            CliRun.assertContains(fallback.out(), source(w.schema, w.a) + ": captured by triggers",
                    source(w.bSchema, w.b) + ": captured by triggers");
            randomChanges(w);
            awaitOracle(w.streams);

            // A trigger-captured source and one of its columns renamed while the daemon runs.
            String newB = w.names.next();
            String newName = w.names.next();
            db.execute("ALTER TABLE " + w.bRef() + " RENAME TO " + q(newB));
            w.b = newB;
            db.execute("ALTER TABLE " + w.bRef() + " RENAME COLUMN " + q(w.bName) + " TO " + q(newName));
            w.bName = newName;
            awaitRepaired();
            randomChanges(w);
            awaitOracle(w.streams);
            assertCompiled(w.streams);

            // The odd schema renamed while the daemon runs: the sources and stream tables in it move.
            String oldSchema = w.schema;
            String newSchema = w.names.next();
            db.execute("ALTER SCHEMA " + q(oldSchema) + " RENAME TO " + q(newSchema));
            w.schema = newSchema;
            if (w.bSchema.equals(oldSchema)) {
                w.bSchema = newSchema;
            }
            for (StreamDef st : w.streams) {
                if (st.schema.equals(oldSchema)) {
                    st.schema = newSchema;
                }
            }
            awaitRepaired();
            randomChanges(w);
            awaitOracle(w.streams);
            assertCompiled(w.streams);
            for (StreamDef st : w.streams) {
                CliRun.assertContains(cli("status", st.userName()).out(), st.schema + "." + st.name);
            }

            // Drop: from SQL and the CLI; the aggregate with cascade takes the chain along.
            call("SELECT pgtrickle.drop_stream_table(?)", filter.userName());
            cli("drop", join.userName());
            cli("drop", aggregate.userName(), "--cascade");
            call("SELECT pgtrickle.drop_stream_table(name => ?, cascade => true)", distinct.userName());
            cli("drop", union.userName(), "--cascade");
        } finally {
            daemon.close();
        }

        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables"), "every stream table dropped");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_change_sources"), "no captured source left");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle%'"), "no capture trigger left");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = 'pgtrickle_changes' AND c.relkind = 'r'"), "no change buffer left");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = 'pgtrickle' AND c.relkind = 'v' AND c.relname LIKE '%.%'"), "no definition view left");
        assertNothingInjected();
        Set<String> expected = new TreeSet<>(relationsBefore);
        expected.add(regclass(w.aRef()));
        expected.add(regclass(w.bRef()));
        expected.add(regclass(q(w.schema, view)));
        assertEquals(expected, userRelations(), "no relation but the sources appeared");

        db.execute("DROP VIEW " + q(w.schema, view));
        db.execute("DROP TABLE " + w.aRef() + ", " + w.bRef());
        db.execute("DROP SCHEMA " + q(w.schema));
        cleanUp(w);
    }

    /** Projection and filter; the replaced version has another filter and one more column. */
    private static String filterQuery(World w, String x, String[] out, boolean replaced) {
        return "SELECT " + q(x) + "." + q(w.aId) + " AS " + q(out[0]) + ", " + q(x) + "." + q(w.aVal) + " AS " + q(out[1])
                + ", " + q(x) + "." + q(w.aLabel) + " AS " + q(out[2])
                + (replaced ? ", " + q(x) + "." + q(w.aGrp) + " AS " + q(out[3]) : "")
                + " FROM " + w.aRef() + " AS " + q(x) + " WHERE " + q(x) + "." + q(w.aVal)
                + (replaced ? " % 4 <> 1" : " % 3 <> 0") + " AND " + q(x) + "." + q(w.aLabel)
                + " IS DISTINCT FROM 'x''; DROP TABLE canary; --'";
    }

    /**
     * Text the generated SQL gives a meaning to, in a user's names and literals: placeholders of
     * aggregate outputs in a literal stay literal, and a name holding the storage table's
     * placeholder is refused by the compiler (refreshed FULL) instead of being replaced.
     */
    @org.junit.jupiter.api.Test
    void textTheGeneratedSqlUsesStaysTheUsersOwn() throws Exception {
        db.execute("CREATE TABLE reserved_src (id int PRIMARY KEY, grp int NOT NULL, \"x __pgt_key_1\" int NOT NULL)");
        db.execute("INSERT INTO reserved_src SELECT g, g % 3, g FROM generate_series(1, 12) g");
        try {
            String literal = "SELECT grp, count(*) AS n, sum(\"x __pgt_key_1\") AS s, 'x __pgt_key_1 __pgt_agg_1' AS label"
                    + " FROM reserved_src GROUP BY grp";
            CliRun.assertContains(cli("create", "reserved_literal", literal).out(), "compiled (AGGREGATE)");
            String alias = "SELECT \"a \"\"__pgt_storage__\"\"\".id FROM reserved_src AS \"a \"\"__pgt_storage__\"\"\"";
            CliRun.assertContains(cli("create", "reserved_alias", alias).out(), "refreshed FULL, not differentiable",
                    "reserved for the SQL pgtrickle generates");
            db.execute("INSERT INTO reserved_src VALUES (100, 1, 100); UPDATE reserved_src SET grp = 2 WHERE id = 1");
            cli("refresh", "reserved_literal");
            cli("refresh", "reserved_alias");
            Oracle.assertStreamTableMatchesQuery(db, "reserved_literal", literal);
            Oracle.assertStreamTableMatchesQuery(db, "reserved_alias", alias);
            assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE status = 'FAILED'"));
        } finally {
            db.execute("SELECT pgtrickle.drop_stream_table(pgtrickle._display_name(pgt_schema, pgt_name))"
                    + " FROM pgtrickle.pgt_stream_tables WHERE pgt_name LIKE 'reserved%'");
            db.execute("DROP TABLE reserved_src");
        }
    }

    // ------------------------------------------------------------------------------------------
    // changes

    private void insertA(World w, int id) throws SQLException {
        call("INSERT INTO " + w.aRef() + " VALUES (?::int, ?::int, ?::numeric, ?)", String.valueOf(id),
                String.valueOf(w.random.nextInt(6)), String.valueOf(w.random.nextInt(100)), w.text());
    }

    private void insertB(World w) throws SQLException {
        call("INSERT INTO " + w.bRef() + " VALUES (?::int, ?)", String.valueOf(w.random.nextInt(7)),
                w.random.nextInt(3) == 0 ? "fixed" : w.text());
    }

    /** A few random inserts, updates and deletes on both sources, one transaction each. */
    private void randomChanges(World w) throws SQLException {
        for (int i = 0, n = 5 + w.random.nextInt(8); i < n; i++) {
            switch (w.random.nextInt(7)) {
                case 0 -> insertA(w, w.nextId++);
                case 1 -> call("UPDATE " + w.aRef() + " SET " + q(w.aVal) + " = " + q(w.aVal) + " + ?::numeric WHERE "
                        + q(w.aId) + " % 5 = ?::int", String.valueOf(1 + w.random.nextInt(9)), String.valueOf(w.random.nextInt(5)));
                case 2 -> call("UPDATE " + w.aRef() + " SET " + q(w.aGrp) + " = ?::int, " + q(w.aLabel) + " = ? WHERE "
                        + q(w.aId) + " = (SELECT min(" + q(w.aId) + ") FROM " + w.aRef() + " WHERE " + q(w.aId) + " >= ?::int)",
                        String.valueOf(w.random.nextInt(6)), w.text(), String.valueOf(w.random.nextInt(50)));
                case 3 -> call("DELETE FROM " + w.aRef() + " WHERE " + q(w.aId) + " = (SELECT max(" + q(w.aId) + ") FROM "
                        + w.aRef() + " WHERE " + q(w.aId) + " % 4 = ?::int)", String.valueOf(w.random.nextInt(4)));
                case 4 -> insertB(w);
                case 5 -> call("DELETE FROM " + w.bRef() + " WHERE ctid = (SELECT min(ctid) FROM " + w.bRef() + " WHERE "
                        + q(w.bKey) + " = ?::int)", String.valueOf(w.random.nextInt(7)));
                default -> call("UPDATE " + w.bRef() + " SET " + q(w.bName) + " = ? WHERE " + q(w.bKey) + " = ?::int",
                        w.text(), String.valueOf(w.random.nextInt(7)));
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // helpers

    /** Runs SQL with text parameters (so no name or value is spliced into it). */
    private void call(String sql, String... parameters) throws SQLException {
        try (Connection connection = db.connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setString(i + 1, parameters[i]);
            }
            statement.execute();
        }
    }

    private CliRun cli(String... args) {
        return CliRun.against(db, args).expectExit(0).assertNoStackTrace();
    }

    private void refresh(World w, StreamDef st) throws SQLException {
        if (w.random.nextBoolean()) {
            call("SELECT pgtrickle.refresh_stream_table(?)", st.userName());
        } else {
            CliRun.assertContains(cli("refresh", st.userName()).out(), "stream table " + st.userName() + " refreshed");
        }
    }

    private String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    private String regclass(String ref) throws SQLException {
        return db.queryString("SELECT " + literal(ref) + "::regclass::text");
    }

    /** How cdc_status names a source: schema.name, each part quoted where needed. */
    private String source(String schema, String name) throws SQLException {
        return db.queryString("SELECT quote_ident(" + literal(schema) + ") || '.' || quote_ident(" + literal(name) + ")");
    }

    /** How pgtrickle names a stream table: schema.name, each part quoted where needed. */
    private String displayName(StreamDef st) throws SQLException {
        return db.queryString("SELECT quote_ident(" + literal(st.schema) + ") || '.' || quote_ident(" + literal(st.name) + ")");
    }

    private String compileStatus(StreamDef st) throws SQLException {
        return db.queryString("SELECT compile_status || coalesce(': ' || compile_error, '') FROM pgtrickle.pgt_stream_tables"
                + " WHERE pgt_relid = " + literal(st.ref()) + "::regclass");
    }

    private String effectiveMode(StreamDef st) throws SQLException {
        return db.queryString("SELECT effective_mode FROM pgtrickle.pgt_stream_tables WHERE pgt_relid = "
                + literal(st.ref()) + "::regclass");
    }

    private void assertCompiled(List<StreamDef> streams) throws SQLException {
        for (StreamDef st : streams) {
            assertEquals("COMPILED", compileStatus(st), st::toString);
            assertEquals("DIFFERENTIAL", effectiveMode(st), st::toString);
            assertEquals(st.strategy, db.queryString("SELECT plan ->> 'strategy' FROM pgtrickle.pgt_stream_tables"
                    + " WHERE pgt_relid = " + literal(st.ref()) + "::regclass"), st::toString);
        }
    }

    private void assertNoFailures() throws SQLException {
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE status = 'FAILED'"),
                () -> "failed refreshes: " + text("SELECT string_agg(error_message, ' | ') FROM pgtrickle.pgt_refresh_history"
                        + " WHERE status = 'FAILED'"));
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE status <> 'ACTIVE'"
                        + " OR consecutive_errors > 0 OR compile_error IS NOT NULL"),
                () -> "stream tables in trouble: " + text("SELECT string_agg(format('%s %s %s %s', pgt_name, status,"
                        + " last_error, compile_error), ' | ') FROM pgtrickle.pgt_stream_tables"));
    }

    private void assertOracle(List<StreamDef> streams) throws SQLException {
        for (StreamDef st : streams) {
            Oracle.assertStreamTableMatchesQuery(db, st.ref(), st.query.get());
            DifferentialRefreshTest.assertHiddenMultiplicities(db, st.ref());
        }
        assertNoFailures();
        assertNothingInjected();
    }

    /** Waits until the daemon has brought every stream table up to date, then checks them all. */
    private void awaitOracle(List<StreamDef> streams) throws Exception {
        for (StreamDef st : streams) {
            try {
                Eventually.await(st + " to catch up", () -> {
                    try {
                        Oracle.assertStreamTableMatchesQuery(db, st.ref(), st.query.get());
                        return true;
                    } catch (AssertionError | SQLException notYet) {
                        assertNoFailures();
                        return false;
                    }
                });
            } catch (AssertionError e) {
                if (String.valueOf(e.getMessage()).startsWith("still waiting")) {
                    Oracle.assertStreamTableMatchesQuery(db, st.ref(), st.query.get());
                }
                throw e;
            }
        }
        assertOracle(streams);
    }

    private void assertRefreshedDifferentially(List<StreamDef> streams) throws SQLException {
        for (StreamDef st : streams) {
            assertTrue(db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables st"
                    + " USING (pgt_id) WHERE st.pgt_relid = " + literal(st.ref()) + "::regclass AND h.action = 'DIFFERENTIAL'"
                    + " AND h.status = 'COMPLETED'") > 0, () -> st + " was refreshed differentially");
        }
    }

    private void awaitRepaired() throws Exception {
        Eventually.await("the daemon to repair the stream tables after DDL",
                () -> db.queryLong("SELECT count(*) FROM pgtrickle._source_changes()") == 0);
    }

    private void assertNothingInjected() throws SQLException {
        assertEquals(1, db.queryLong("SELECT count(*) FROM canary"), "the canary table is intact");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_class WHERE relname = 'pwned'"), "no table created by a name");
    }

    /** Relations (not pgtrickle's own) in every schema but the system's, as schema-qualified regclass text. */
    private Set<String> userRelations() throws SQLException {
        Set<String> names = new TreeSet<>();
        try (Connection connection = db.connect();
             PreparedStatement statement = connection.prepareStatement("SELECT c.oid::regclass::text FROM pg_class c"
                     + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"
                     + " AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgtrickle', 'pgtrickle_changes')"
                     + " AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'");
             ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                names.add(rows.getString(1));
            }
        }
        return names;
    }

    private String text(String sql) {
        try {
            return db.queryString(sql);
        } catch (SQLException e) {
            return e.getMessage();
        }
    }
}
