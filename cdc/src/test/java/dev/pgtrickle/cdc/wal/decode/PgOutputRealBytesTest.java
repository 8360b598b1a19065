package dev.pgtrickle.cdc.wal.decode;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Decodes the bytes a real PostgreSQL's pgoutput produces, read through the SQL interface of a
 * logical slot (no streaming protocol), and checks every message.
 */
@PostgresTest
class PgOutputRealBytesTest {

    private static final ColumnValue NULL = new ColumnValue.Null();
    private static final ColumnValue TOAST = new ColumnValue.UnchangedToast();
    private static final int INT4 = 23;
    private static final int TEXT = 25;
    /** Large enough to be stored out of line; multi-byte so that lengths are counted in bytes. */
    private static final String PAYLOAD = payload();

    private static ColumnValue text(String value) {
        return new ColumnValue.Text(value);
    }

    @Test
    void decodesEveryMessagePostgresSends(TestDatabase db) throws Exception {
        String slot = db.databaseName() + "_slot";
        String origin = db.databaseName() + "_origin";
        db.execute("CREATE TYPE mood AS ENUM ('sad', 'happy');"
                + "CREATE TABLE t (id int PRIMARY KEY, name text, note text, feeling mood);"
                + "CREATE TABLE f (id int PRIMARY KEY, v text);"
                + "ALTER TABLE f REPLICA IDENTITY FULL;"
                + "CREATE TABLE big (id int PRIMARY KEY, payload text, counter int);"
                + "ALTER TABLE big ALTER COLUMN payload SET STORAGE EXTERNAL;"
                + "CREATE PUBLICATION p FOR TABLE t, f, big;");
        int t = (int) db.queryLong("SELECT 't'::regclass::oid");
        int f = (int) db.queryLong("SELECT 'f'::regclass::oid");
        int big = (int) db.queryLong("SELECT 'big'::regclass::oid");
        int mood = (int) db.queryLong("SELECT 'mood'::regtype::oid");
        Instant start = Instant.now().minus(1, ChronoUnit.MINUTES);

        db.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
        try (Connection c = db.connect()) {
            long insert = transaction(c, "INSERT INTO t VALUES (1, 'Zürich €😀', '', 'happy'), (2, NULL, 'x', NULL)");
            long update = transaction(c, "UPDATE t SET name = 'zwei' WHERE id = 2");
            long keyUpdate = transaction(c, "UPDATE t SET id = 3 WHERE id = 2");
            long full = transaction(c, "INSERT INTO f VALUES (1, 'a')", "UPDATE f SET v = 'b'");
            long delete = transaction(c, "DELETE FROM t WHERE id = 1", "DELETE FROM f");
            long bigInsert = transaction(c, "INSERT INTO big VALUES (1, '" + PAYLOAD + "', 0)");
            long toast = transaction(c, "UPDATE big SET counter = 1");
            long message = transaction(c, "SELECT pg_logical_emit_message(true, 'pgtrickle', 'hello')");
            execute(c, "SELECT pg_logical_emit_message(false, 'pgtrickle', '\\x00ff'::bytea)");
            long replayed = replayedTransaction(c, origin, "INSERT INTO t VALUES (5, 'from afar', NULL, 'sad')");
            long truncate = transaction(c, "TRUNCATE t, f");
            long truncateOptions = transaction(c, "TRUNCATE big RESTART IDENTITY CASCADE");
            Instant end = Instant.now().plus(1, ChronoUnit.MINUTES);

            MessageCursor stream = new MessageCursor(peek(c, slot), start, end);
            Relation tRelation = new Relation(t, "public", "t", 'd', List.of(
                    new Relation.Column(true, "id", INT4, -1), new Relation.Column(false, "name", TEXT, -1),
                    new Relation.Column(false, "note", TEXT, -1), new Relation.Column(false, "feeling", mood, -1)));
            Relation fRelation = new Relation(f, "public", "f", 'f', List.of(
                    new Relation.Column(true, "id", INT4, -1), new Relation.Column(true, "v", TEXT, -1)));
            Relation bigRelation = new Relation(big, "public", "big", 'd', List.of(
                    new Relation.Column(true, "id", INT4, -1), new Relation.Column(false, "payload", TEXT, -1),
                    new Relation.Column(false, "counter", INT4, -1)));

            stream.begin(insert);
            stream.expect(new TypeInfo(mood, "public", "mood"));
            stream.expect(tRelation);
            stream.expect(new Insert(t, TupleData.of(text("1"), text("Zürich €😀"), text(""), text("happy"))));
            stream.expect(new Insert(t, TupleData.of(text("2"), NULL, text("x"), NULL)));
            stream.commit();

            stream.begin(update);
            stream.expect(new Update(t, null, (char) 0, TupleData.of(text("2"), text("zwei"), text("x"), NULL)));
            stream.commit();

            stream.begin(keyUpdate);
            stream.expect(new Update(t, TupleData.of(text("2"), NULL, NULL, NULL), 'K',
                    TupleData.of(text("3"), text("zwei"), text("x"), NULL)));
            stream.commit();

            stream.begin(full);
            stream.expect(fRelation);
            stream.expect(new Insert(f, TupleData.of(text("1"), text("a"))));
            stream.expect(new Update(f, TupleData.of(text("1"), text("a")), 'O', TupleData.of(text("1"), text("b"))));
            stream.commit();

            stream.begin(delete);
            stream.expect(new Delete(t, 'K', TupleData.of(text("1"), NULL, NULL, NULL)));
            stream.expect(new Delete(f, 'O', TupleData.of(text("1"), text("b"))));
            stream.commit();

            stream.begin(bigInsert);
            stream.expect(bigRelation);
            stream.expect(new Insert(big, TupleData.of(text("1"), text(PAYLOAD), text("0"))));
            stream.commit();

            stream.begin(toast);
            stream.expect(new Update(big, null, (char) 0, TupleData.of(text("1"), TOAST, text("1"))));
            stream.commit();

            Begin messageBegin = stream.begin(message);
            LogicalMessage hello = stream.take(LogicalMessage.class);
            assertEquals(new LogicalMessage(true, hello.lsn(), "pgtrickle", "hello".getBytes(UTF_8)), hello);
            assertTrue(Long.compareUnsigned(hello.lsn(), messageBegin.finalLsn()) <= 0, "message not after its commit");
            stream.commit();

            LogicalMessage immediate = stream.take(LogicalMessage.class);
            assertEquals(new LogicalMessage(false, immediate.lsn(), "pgtrickle", new byte[] {0, (byte) 0xFF}), immediate);

            stream.begin(replayed);
            stream.expect(new Origin(0xABCDEFL, origin));
            stream.expect(new Insert(t, TupleData.of(text("5"), text("from afar"), NULL, text("sad"))));
            stream.commit();

            // The TRUNCATE invalidated the relations' cache entries, so they are described again.
            stream.begin(truncate);
            stream.expect(new TypeInfo(mood, "public", "mood"));
            stream.expect(tRelation);
            stream.expect(fRelation);
            stream.expect(new Truncate(List.of(t, f), false, false));
            stream.commit();

            stream.begin(truncateOptions);
            stream.expect(bigRelation);
            stream.expect(new Truncate(List.of(big), true, true));
            stream.commit();
            stream.end();
        } finally {
            db.execute("SELECT pg_drop_replication_slot('" + slot + "')");
        }
    }

    /** Runs the statements in one transaction and returns its full xid. */
    private static long transaction(Connection c, String... statements) throws SQLException {
        c.setAutoCommit(false);
        try {
            long xid = xid(c);
            for (String sql : statements) {
                execute(c, sql);
            }
            c.commit();
            return xid;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** Like {@link #transaction}, but marked as replayed from origin commit 0/ABCDEF. */
    private static long replayedTransaction(Connection c, String origin, String sql) throws SQLException {
        execute(c, "SELECT pg_replication_origin_create('" + origin + "')");
        try {
            execute(c, "SELECT pg_replication_origin_session_setup('" + origin + "')");
            c.setAutoCommit(false);
            execute(c, "SELECT pg_replication_origin_xact_setup('0/ABCDEF', now())");
            long xid = xid(c);
            execute(c, sql);
            c.commit();
            c.setAutoCommit(true);
            execute(c, "SELECT pg_replication_origin_session_reset()");
            return xid;
        } finally {
            c.setAutoCommit(true);
            execute(c, "SELECT pg_replication_origin_drop('" + origin + "')");
        }
    }

    private static long xid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery("SELECT pg_current_xact_id()::text::bigint")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Every change in the slot, decoded; each from inside a larger array, as pgjdbc hands them out. */
    private static List<PgOutputMessage> peek(Connection c, String slot) throws SQLException {
        List<PgOutputMessage> messages = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT data FROM pg_logical_slot_peek_binary_changes("
                + "?, NULL, NULL, 'proto_version', '1', 'publication_names', 'p', 'messages', 'true')")) {
            s.setString(1, slot);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    byte[] data = rows.getBytes("data");
                    byte[] padded = new byte[data.length + 40];
                    System.arraycopy(data, 0, padded, 25, data.length);
                    PgOutputMessage message = PgOutputDecoder.decode(ByteBuffer.wrap(padded, 25, data.length));
                    messages.add(message);
                }
            }
        }
        return messages;
    }

    private static String payload() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 6_000; i++) {
            text.append(i).append("ü€😀");
        }
        return text.toString();
    }
}
