package dev.pgtrickle.subscribe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.format.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.postgresql.Driver;

/**
 * Streams a published stream table's changes, in commit order, to a consumer: the Debezium
 * embedded engine reads the table's publication with pgoutput through a replication slot of its
 * own, and each change is handed over with the refresh it came from. A change is acknowledged
 * (its offset stored, the slot moved past it) only after the consumer returned, so a subscriber
 * killed and restarted on a durable slot receives again what it had not finished — nothing is
 * lost, a change may come twice.
 */
public final class StreamTableSubscriber implements AutoCloseable {

    /**
     * Where to read from.
     *
     * @param jdbcUrl the database (host, port, database, user and password are taken from it)
     * @param streamTable the stream table's name, as the SQL API resolves it
     * @param fromBeginning whether to start with every row the stream table has (as reads)
     * @param slot a durable replication slot to create or resume from; null for a temporary one
     *     that is dropped when the subscriber stops
     * @param offsets the file remembering how far the subscriber got; null for the default
     */
    public record Options(String jdbcUrl, String streamTable, boolean fromBeginning, String slot, Path offsets) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HIDDEN_PREFIX = "__pgt_";

    private final PublishedTable table;
    private final Connection catalog;
    private final RefreshResolver refreshes;
    private final Path offsets;
    private final boolean temporary;
    /** A durable slot that exists already: the subscription goes on from where it stopped. */
    private final boolean resuming;
    private final String slot;
    private final DebeziumEngine<ChangeEvent<String, String>> engine;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "pgtrickle-subscribe"));
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();

    private StreamTableSubscriber(Options options, Consumer<StreamedChange> consumer) throws SQLException, IOException {
        temporary = options.slot() == null;
        slot = temporary ? SlotNames.temporary() : SlotNames.checked(options.slot());
        catalog = DriverManager.getConnection(options.jdbcUrl());
        try {
            table = PublishedTable.find(catalog, options.streamTable());
        } catch (SQLException e) {
            catalog.close();
            throw e;
        }
        refreshes = new RefreshResolver(catalog, table.pgtId());
        resuming = !temporary && slotExists(catalog, slot);
        offsets = temporary ? Files.createTempFile("pgtrickle-subscribe-", ".offsets")
                : options.offsets() != null ? options.offsets() : SlotNames.defaultOffsets(catalog.getCatalog(), slot);
        if (offsets.getParent() != null) {
            Files.createDirectories(offsets.getParent());
        }
        KnownRows known = new KnownRows(table.key());
        engine = DebeziumEngine.create(Json.class)
                .using(properties(options))
                .notifying((records, committer) -> {
                    for (ChangeEvent<String, String> record : records) {
                        StreamedChange change = convert(record.value());
                        if (change != null) {
                            change = known.follow(change);
                            // Rows read at the start only tell the rows before later changes, unless asked for.
                            if (change.operation() != StreamedChange.Operation.READ || options.fromBeginning()) {
                                consumer.accept(change);
                            }
                        }
                        committer.markProcessed(record);
                    }
                    committer.markBatchFinished();
                })
                .using((success, message, error) -> {
                    if (success) {
                        stopped.complete(null);
                    } else {
                        stopped.completeExceptionally(new IllegalStateException(message, error));
                    }
                })
                .build();
    }

    /** Starts streaming {@code options}' stream table to {@code consumer}, on a thread of its own. */
    public static StreamTableSubscriber start(Options options, Consumer<StreamedChange> consumer)
            throws SQLException, IOException {
        StreamTableSubscriber subscriber = new StreamTableSubscriber(options, consumer);
        subscriber.executor.execute(subscriber.engine);
        return subscriber;
    }

    /** Completes when the engine stops: normally after {@link #close}, exceptionally when it failed. */
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    public PublishedTable table() {
        return table;
    }

    /** The replication slot the subscriber reads through. */
    public String slot() {
        return slot;
    }

    /** Whether {@link #slot()} is dropped when the subscriber stops. */
    public boolean temporarySlot() {
        return temporary;
    }

    private Properties properties(Options options) {
        Properties url = Driver.parseURL(options.jdbcUrl(), new Properties());
        if (url == null) {
            throw new IllegalArgumentException("not a PostgreSQL JDBC URL: " + options.jdbcUrl());
        }
        Properties p = new Properties();
        p.setProperty("name", "pgtrickle-subscribe-" + slot);
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        p.setProperty("offset.storage.file.filename", offsets.toString());
        p.setProperty("offset.flush.interval.ms", "0");
        p.setProperty("database.hostname", url.getProperty("PGHOST", "localhost").split(",")[0]);
        p.setProperty("database.port", url.getProperty("PGPORT", "5432").split(",")[0]);
        p.setProperty("database.dbname", url.getProperty("PGDBNAME"));
        p.setProperty("database.user", url.getProperty("user", System.getProperty("user.name")));
        if (url.getProperty("password") != null) {
            p.setProperty("database.password", url.getProperty("password"));
        }
        p.setProperty("topic.prefix", "pgtrickle");
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("publication.name", table.publication());
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("table.include.list", includePattern(table.schema()) + "\\." + includePattern(table.name()));
        p.setProperty("slot.name", slot);
        p.setProperty("slot.drop.on.stop", Boolean.toString(temporary));
        // A new subscription reads the rows first (printed with --from beginning): they are what
        // later updates and deletes replace. A resumed one reads none: its changes since it stopped
        // must come as changes, not as rows read.
        p.setProperty("snapshot.mode", resuming ? "no_data" : "initial");
        p.setProperty("skipped.operations", "none");
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("decimal.handling.mode", "string");
        p.setProperty("interval.handling.mode", "string");
        p.setProperty("converter.schemas.enable", "false");
        return p;
    }

    /** A name as a regular expression matching only itself, commas escaped for Debezium's lists. */
    private static String includePattern(String name) {
        StringBuilder pattern = new StringBuilder();
        for (char c : name.toCharArray()) {
            if ("\\.[]{}()<>*+-=!?^$|,".indexOf(c) >= 0) {
                pattern.append('\\');
            }
            pattern.append(c);
        }
        return pattern.toString();
    }

    /** A Debezium record as a change of this stream table; null for records of other tables. */
    private StreamedChange convert(String value) {
        if (value == null) {
            return null;
        }
        try {
            JsonNode event = JSON.readTree(value);
            if (event.has("payload") && event.has("schema")) {
                event = event.get("payload");
            }
            JsonNode source = event.path("source");
            if (!table.schema().equals(source.path("schema").asText()) || !table.name().equals(source.path("table").asText())) {
                return null;
            }
            StreamedChange.Operation operation = StreamedChange.Operation.of(event.path("op").asText());
            RefreshResolver.Refresh refresh = operation == StreamedChange.Operation.READ
                    ? RefreshResolver.Refresh.UNKNOWN : refreshes.of(source.path("txId").asLong());
            Map<String, Object> after = row(event.get("after"));
            // What the replica identity carries of the old row is its key (KnownRows adds the
            // rest); the key does not change in an update (it is the row's identity), so pgoutput
            // leaves it out there.
            Map<String, Object> before = row(event.get("before"));
            if (before != null) {
                before = key(before);
            } else if (operation == StreamedChange.Operation.UPDATE && after != null) {
                before = key(after);
            }
            return new StreamedChange(operation, table.qualifiedName(), refresh.id(), refresh.action(), before, after,
                    source.hasNonNull("lsn") ? source.get("lsn").asLong() : null,
                    operation == StreamedChange.Operation.READ ? null : Instant.ofEpochMilli(source.path("ts_ms").asLong()));
        } catch (IOException | SQLException e) {
            throw new IllegalStateException("cannot read a change of " + table.qualifiedName() + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> row(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> row = JSON.convertValue(node, java.util.LinkedHashMap.class);
        // The publication leaves hidden columns out, a snapshot's SELECT does not.
        row.keySet().removeIf(column -> column.startsWith(HIDDEN_PREFIX));
        return row;
    }

    private Map<String, Object> key(Map<String, Object> row) {
        Map<String, Object> key = new java.util.LinkedHashMap<>();
        for (String column : table.key()) {
            key.put(column, row.get(column));
        }
        return key;
    }

    /** Stops the engine (dropping a temporary slot) and waits for it. */
    @Override
    public void close() throws IOException, SQLException {
        try {
            engine.close();
        } finally {
            executor.shutdown();
            try {
                executor.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            catalog.close();
            if (temporary) {
                Files.deleteIfExists(offsets);
            }
        }
    }

    private static boolean slotExists(Connection c, String slot) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = ?)")) {
            statement.setString(1, slot);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getBoolean(1);
            }
        }
    }

    /** The columns of {@code table}'s key, in order. */
    public List<String> key() {
        return table.key();
    }
}
