package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.assertCorrect;
import static dev.pgtrickle.it.DifferentialRefreshTest.createCompiled;
import static dev.pgtrickle.it.DifferentialRefreshTest.refresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgtrickle.subscribe.StreamTableSubscriber;
import dev.pgtrickle.subscribe.StreamedChange;
import dev.pgtrickle.subscribe.StreamedChange.Operation;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgtrickle subscribe} and the Debezium embedded engine under it (docs/cli.md,
 * "subscribe"): a consumer sees exactly the refreshes' changes, in order, each with its refresh —
 * inserts, updates in place, deletes, FULL refreshes and reinitializations as differences — and
 * a subscriber killed and restarted on its durable slot loses nothing.
 */
@PostgresTest
class SubscribeTest {

    private static final String ORDERS = "SELECT o.id, o.amount, c.name AS customer"
            + " FROM sub_orders o JOIN sub_customers c ON c.id = o.customer_id";

    private final TestDatabase db;

    SubscribeTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
        PublicationTest.flushCommits(db);
        db.execute("CREATE TABLE sub_customers (id int PRIMARY KEY, name text NOT NULL)");
        db.execute("CREATE TABLE sub_orders (id int PRIMARY KEY, customer_id int NOT NULL, amount numeric(10,2))");
        db.execute("INSERT INTO sub_customers SELECT i, 'customer ' || i FROM generate_series(1, 5) i");
        db.execute("INSERT INTO sub_orders SELECT i, 1 + i % 5, i FROM generate_series(1, 20) i");
    }

    private long lastRefreshId(String name) throws SQLException {
        return db.queryLong("SELECT max(refresh_id) FROM pgtrickle.pgt_refresh_history"
                + " WHERE pgt_id = (SELECT pgt_id FROM pgtrickle._find_stream_table('" + name + "'))");
    }

    /** One row, as the subscriber's events carry it (numerics as text). */
    private Map<String, Object> row(String query) throws SQLException {
        return new java.util.HashMap<>(db.queryList(query).get(0));
    }

    private void awaitSlotActive(String slot) throws Exception {
        Eventually.await("slot " + slot + " streaming", () -> db.queryLong("SELECT count(*) FROM pg_replication_slots"
                + " WHERE slot_name = '" + slot + "' AND active") == 1);
    }

    private static List<StreamedChange> await(List<StreamedChange> received, int count) throws Exception {
        Eventually.await(count + " changes (have " + received.size() + ")", () -> received.size() >= count);
        List<StreamedChange> taken = new ArrayList<>(received);
        received.clear();
        return taken;
    }

    @Test
    void theEngineSeesExactlyTheRefreshesChangesInOrder() throws Exception {
        createCompiled(db, "sub_view", ORDERS, "KEYED");
        db.execute("SELECT pgtrickle.stream_table_to_publication('sub_view')");
        List<StreamedChange> received = new CopyOnWriteArrayList<>();
        String slot;
        try (StreamTableSubscriber subscriber = StreamTableSubscriber.start(
                new StreamTableSubscriber.Options(db.jdbcUrl(), "sub_view", false, null, null), received::add)) {
            slot = subscriber.slot();
            assertTrue(subscriber.temporarySlot());
            awaitSlotActive(slot);

            Map<String, Object> third = row("SELECT id, amount::text AS amount, customer FROM sub_view WHERE id = 3");
            Map<String, Object> fourth = row("SELECT id, amount::text AS amount, customer FROM sub_view WHERE id = 4");
            db.execute("UPDATE sub_orders SET amount = 99.5 WHERE id = 3");
            refresh(db, "sub_view");
            List<StreamedChange> changes = await(received, 1);
            StreamedChange update = changes.get(0);
            assertEquals(Operation.UPDATE, update.operation());
            assertEquals("public.sub_view", update.streamTable());
            assertEquals(lastRefreshId("sub_view"), update.refreshId());
            assertEquals("DIFFERENTIAL", update.refreshAction());
            assertEquals(third, update.before(), "the whole row before: the subscriber read it at the start");
            assertEquals(Map.of("id", 3, "amount", "99.50", "customer", "customer 4"), update.after());

            db.execute("INSERT INTO sub_orders VALUES (21, 1, 5)");
            db.execute("DELETE FROM sub_orders WHERE id = 4");
            refresh(db, "sub_view");
            changes = await(received, 2);
            assertEquals(Set.of(Operation.INSERT, Operation.DELETE),
                    changes.stream().map(StreamedChange::operation).collect(Collectors.toSet()));
            StreamedChange delete = changes.stream().filter(c -> c.operation() == Operation.DELETE).findFirst().orElseThrow();
            assertEquals(fourth, delete.before());
            assertNull(delete.after());

            db.execute("SELECT pgtrickle.alter_stream_table('sub_view', refresh_mode => 'FULL')");
            db.execute("UPDATE sub_customers SET name = 'renamed' WHERE id = 2");
            refresh(db, "sub_view");
            changes = await(received, 4);
            assertTrue(changes.stream().allMatch(c -> c.operation() == Operation.UPDATE && "FULL".equals(c.refreshAction())
                    && "renamed".equals(c.after().get("customer"))), changes::toString);
            assertEquals(lastRefreshId("sub_view"), changes.get(0).refreshId());

            db.execute("SELECT pgtrickle.alter_stream_table('sub_view', refresh_mode => 'DIFFERENTIAL')");
            DifferentialRefreshTest.compile(db, "sub_view");
            db.execute("CREATE TABLE sub_keep AS SELECT * FROM sub_orders WHERE id <> 5");
            db.execute("TRUNCATE sub_orders");
            db.execute("INSERT INTO sub_orders SELECT * FROM sub_keep");
            refresh(db, "sub_view");
            Eventually.await("the reinitialization's delete", () -> received.stream()
                    .anyMatch(c -> c.operation() == Operation.DELETE && "REINITIALIZE".equals(c.refreshAction())));
            assertTrue(received.stream().noneMatch(c -> c.operation() == Operation.TRUNCATE || c.operation() == Operation.INSERT),
                    () -> "a reinitialization is a difference, not TRUNCATE and re-insert: " + received);
            assertCorrect(db, "sub_view", ORDERS);
        }
        assertEquals(0L, db.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'"),
                "the temporary slot is dropped when the subscriber stops");
    }

    @Test
    void fromTheBeginningStartsWithEveryRow() throws Exception {
        createCompiled(db, "sub_rows", "SELECT id, amount FROM sub_orders WHERE id <= 10", "KEYED");
        db.execute("SELECT pgtrickle.stream_table_to_publication('sub_rows')");
        List<StreamedChange> received = new CopyOnWriteArrayList<>();
        try (StreamTableSubscriber subscriber = StreamTableSubscriber.start(
                new StreamTableSubscriber.Options(db.jdbcUrl(), "sub_rows", true, null, null), received::add)) {
            long rows = db.queryLong("SELECT count(*) FROM sub_rows");
            List<StreamedChange> read = await(received, (int) rows);
            assertTrue(read.stream().allMatch(c -> c.operation() == Operation.READ && c.refreshId() == null), read::toString);
            assertEquals(db.queryString("SELECT string_agg(id::text, ',' ORDER BY id) FROM sub_rows"),
                    read.stream().map(c -> c.after().get("id")).map(String::valueOf).sorted((a, b) -> Integer.parseInt(a) - Integer.parseInt(b))
                            .collect(Collectors.joining(",")));
            assertTrue(read.stream().noneMatch(c -> c.after().keySet().stream().anyMatch(k -> k.startsWith("__pgt_"))),
                    "no hidden column");
        }
    }

    @Test
    void anUnpublishedOrUnknownStreamTableIsRefusedWithTheReason() throws Exception {
        createCompiled(db, "sub_private", "SELECT id FROM sub_orders WHERE id < 3", "KEYED");
        SQLException unpublished = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
                () -> StreamTableSubscriber.start(new StreamTableSubscriber.Options(db.jdbcUrl(), "sub_private", false,
                        null, null), change -> { }));
        assertEquals("55000", unpublished.getSQLState());
        assertTrue(unpublished.getMessage().contains("stream table public.sub_private is not published"),
                unpublished::getMessage);
        SQLException unknown = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
                () -> StreamTableSubscriber.start(new StreamTableSubscriber.Options(db.jdbcUrl(), "no_such_table", false,
                        null, null), change -> { }));
        assertEquals("42P01", unknown.getSQLState());
        db.execute("SELECT pgtrickle.stream_table_to_publication('sub_private')");
        IllegalArgumentException badSlot = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> StreamTableSubscriber.start(new StreamTableSubscriber.Options(db.jdbcUrl(), "sub_private", false,
                        "Bad-Slot", null), change -> { }));
        assertTrue(badSlot.getMessage().contains("invalid slot name"), badSlot::getMessage);
    }

    @Test
    void aKilledSubscriberRestartedOnItsSlotLosesNothing(@TempDir Path dir) throws Exception {
        createCompiled(db, "sub_kill", "SELECT id, amount FROM sub_orders", "KEYED");
        db.execute("SELECT pgtrickle.stream_table_to_publication('sub_kill')");
        Path offsets = dir.resolve("offsets");
        Set<String> expected = new HashSet<>();
        Set<String> seen = new HashSet<>();
        try {
            Process first = subscribe(dir.resolve("first.out"), offsets);
            awaitSlotActive("sub_kill_slot");
            for (int round = 1; round <= 3; round++) {
                db.execute("UPDATE sub_orders SET amount = amount + " + round + " WHERE id % 3 = " + (round % 3));
                refresh(db, "sub_kill");
                expected.addAll(changesOf(lastRefreshId("sub_kill"), "SELECT id FROM sub_orders WHERE id % 3 = " + (round % 3)));
            }
            Eventually.await("the first subscriber printed something", () -> !lines(dir.resolve("first.out")).isEmpty());
            first.destroyForcibly();
            assertTrue(first.waitFor(1, TimeUnit.MINUTES));
            seen.addAll(keysOf(lines(dir.resolve("first.out"))));

            for (int round = 4; round <= 5; round++) {
                db.execute("UPDATE sub_orders SET amount = amount + " + round + " WHERE id % 3 = " + (round % 3));
                db.execute("INSERT INTO sub_orders VALUES (" + (100 + round) + ", 1, " + round + ")");
                refresh(db, "sub_kill");
                expected.addAll(changesOf(lastRefreshId("sub_kill"), "SELECT id FROM sub_orders WHERE id % 3 = "
                        + (round % 3) + " OR id = " + (100 + round)));
            }
            Process second = subscribe(dir.resolve("second.out"), offsets);
            try {
                try {
                    Eventually.await("every change of every refresh", () -> {
                        Set<String> all = new HashSet<>(seen);
                        all.addAll(keysOf(lines(dir.resolve("second.out"))));
                        return all.containsAll(expected);
                    });
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\nexpected " + expected + "\nfirst printed " + seen
                            + "\nsecond printed " + keysOf(lines(dir.resolve("second.out")))
                            + "\nfirst stderr:\n" + String.join("\n", lines(Path.of(dir.resolve("first.out") + ".err")))
                            + "\nsecond stderr:\n" + String.join("\n", lines(Path.of(dir.resolve("second.out") + ".err"))), e);
                }
            } finally {
                second.destroy();
                assertTrue(second.waitFor(1, TimeUnit.MINUTES), "subscribe did not stop on SIGTERM");
            }
            assertEquals(1L, db.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'sub_kill_slot'"),
                    "a durable slot stays");
        } finally {
            db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'sub_kill_slot'");
        }
    }

    /** {@code pgtrickle subscribe sub_kill --slot sub_kill_slot} as a process, its stdout into {@code out}. */
    private Process subscribe(Path out, Path offsets) throws Exception {
        Path jar = ServeProcessTest.repositoryRoot().resolve("cli/target/pgtrickle.jar");
        return new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                jar.toString(), "subscribe", "sub_kill", "--slot", "sub_kill_slot", "--offset-file", offsets.toString(),
                "--jdbc-url", db.jdbcUrl())
                .redirectOutput(out.toFile())
                .redirectError(Path.of(out + ".err").toFile())
                .start();
    }

    /** The rows {@code ids} selects, as changed by refresh {@code refreshId}: "refresh id/row id". */
    private Set<String> changesOf(long refreshId, String ids) throws SQLException {
        Set<String> changes = new HashSet<>();
        for (Map<String, Object> row : db.queryList(ids)) {
            changes.add(refreshId + "/" + row.get("id"));
        }
        return changes;
    }

    private static List<String> lines(Path file) throws Exception {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    private static Set<String> keysOf(List<String> lines) throws Exception {
        ObjectMapper json = new ObjectMapper();
        Set<String> keys = new HashSet<>();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode change = json.readTree(line);
            keys.add(change.path("refresh_id").asText() + "/" + change.path("after").path("id").asText());
        }
        return keys;
    }
}
