package dev.pgtrickle.cdc.wal.decode;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PgOutputDecoderTest {

    private static final ColumnValue NULL = new ColumnValue.Null();
    private static final ColumnValue TOAST = new ColumnValue.UnchangedToast();

    private static ColumnValue text(String value) {
        return new ColumnValue.Text(value);
    }

    private static PgOutputMessage decode(MessageBytes message) {
        return PgOutputDecoder.decode(message.buffer());
    }

    @Test
    void begin() {
        MessageBytes bytes = MessageBytes.type('B').int64(0x16B374D848L).int64(797_000_000_123_456L).int32(0xFFFFFFFB);
        Begin begin = (Begin) decode(bytes);
        assertEquals(new Begin(0x16B374D848L, 797_000_000_123_456L, -5), begin);
        assertEquals(0xFFFFFFFBL, Integer.toUnsignedLong(begin.xid()), "xids above 2^31 stay recoverable");
    }

    @Test
    void commit() {
        MessageBytes bytes = MessageBytes.type('C').int8(0).int64(0x100L).int64(0x130L).int64(-1L);
        assertEquals(new Commit((byte) 0, 0x100L, 0x130L, -1L), decode(bytes));
    }

    @Test
    void origin() {
        assertEquals(new Origin(0xABCDEFL, "upstream"), decode(MessageBytes.type('O').int64(0xABCDEFL).string("upstream")));
    }

    @Test
    void typeInfoWithEmptyNamespace() {
        assertEquals(new TypeInfo(16_385, "", "mood"), decode(MessageBytes.type('Y').int32(16_385).string("").string("mood")));
    }

    @Test
    void relation() {
        MessageBytes bytes = MessageBytes.type('R').int32(16_400).string("sales").string("Bestellungen_ä")
                .int8('f').int16(3)
                .int8(1).string("id").int32(23).int32(-1)
                .int8(0).string("name").int32(1043).int32(36)
                .int8(0).string("").int32(25).int32(-1);
        Relation expected = new Relation(16_400, "sales", "Bestellungen_ä", 'f', List.of(
                new Relation.Column(true, "id", 23, -1),
                new Relation.Column(false, "name", 1043, 36),
                new Relation.Column(false, "", 25, -1)));
        assertEquals(expected, decode(bytes));
    }

    @Test
    void relationWithoutColumns() {
        MessageBytes bytes = MessageBytes.type('R').int32(7).string("").string("empty").int8('n').int16(0);
        assertEquals(new Relation(7, "", "empty", 'n', List.of()), decode(bytes));
    }

    @Test
    void insertWithTextNullEmptyAndMultiByteValues() {
        MessageBytes bytes = MessageBytes.type('I').int32(16_400).int8('N').int16(5)
                .text("42").int8('n').text("").text("Zürich €😀 日本").text("tab\tnewline\n");
        Insert insert = (Insert) decode(bytes);
        assertEquals(new Insert(16_400, TupleData.of(text("42"), NULL, text(""), text("Zürich €😀 日本"),
                text("tab\tnewline\n"))), insert);
    }

    @Test
    void insertWithoutColumns() {
        assertEquals(new Insert(1, TupleData.of()), decode(MessageBytes.type('I').int32(1).int8('N').int16(0)));
    }

    @Test
    void updateWithoutOldTupleKeepsUnchangedToast() {
        MessageBytes bytes = MessageBytes.type('U').int32(9).int8('N').int16(3).text("1").int8('u').text("2");
        Update update = (Update) decode(bytes);
        assertNull(update.oldTuple());
        assertEquals(0, update.oldTupleKind());
        assertEquals(TupleData.of(text("1"), TOAST, text("2")), update.newTuple());
    }

    @Test
    void updateWithKey() {
        MessageBytes bytes = MessageBytes.type('U').int32(9)
                .int8('K').int16(2).text("1").int8('n')
                .int8('N').int16(2).text("2").text("b");
        assertEquals(new Update(9, TupleData.of(text("1"), NULL), 'K', TupleData.of(text("2"), text("b"))), decode(bytes));
    }

    @Test
    void updateWithFullOldRow() {
        MessageBytes bytes = MessageBytes.type('U').int32(9)
                .int8('O').int16(2).text("1").text("a")
                .int8('N').int16(2).text("1").text("b");
        assertEquals(new Update(9, TupleData.of(text("1"), text("a")), 'O', TupleData.of(text("1"), text("b"))),
                decode(bytes));
    }

    @Test
    void deleteWithKeyAndWithFullOldRow() {
        assertEquals(new Delete(9, 'K', TupleData.of(text("1"), NULL)),
                decode(MessageBytes.type('D').int32(9).int8('K').int16(2).text("1").int8('n')));
        assertEquals(new Delete(9, 'O', TupleData.of(text("1"), text("a"))),
                decode(MessageBytes.type('D').int32(9).int8('O').int16(2).text("1").text("a")));
    }

    @Test
    void truncateOptions() {
        assertEquals(new Truncate(List.of(5, 6), false, false),
                decode(MessageBytes.type('T').int32(2).int8(0).int32(5).int32(6)));
        assertEquals(new Truncate(List.of(5), true, false), decode(MessageBytes.type('T').int32(1).int8(1).int32(5)));
        assertEquals(new Truncate(List.of(5), false, true), decode(MessageBytes.type('T').int32(1).int8(2).int32(5)));
        assertEquals(new Truncate(List.of(-2), true, true), decode(MessageBytes.type('T').int32(1).int8(3).int32(-2)));
    }

    @Test
    void logicalMessages() {
        LogicalMessage transactional = (LogicalMessage) decode(MessageBytes.type('M').int8(1).int64(0x2A)
                .string("pgtrickle").int32(5).raw("hello".getBytes(UTF_8)));
        assertTrue(transactional.transactional());
        assertEquals(0x2A, transactional.lsn());
        assertEquals("pgtrickle", transactional.prefix());
        assertArrayEquals("hello".getBytes(UTF_8), transactional.content());

        LogicalMessage empty = (LogicalMessage) decode(MessageBytes.type('M').int8(0).int64(7).string("p").int32(0));
        assertEquals(new LogicalMessage(false, 7, "p", new byte[0]), empty);

        LogicalMessage binary = (LogicalMessage) decode(MessageBytes.type('M').int8(0).int64(7).string("p").int32(3)
                .raw((byte) 0, (byte) 0xFF, (byte) 0x80));
        assertArrayEquals(new byte[] {0, (byte) 0xFF, (byte) 0x80}, binary.content());
    }

    @Test
    void binaryValue() {
        MessageBytes bytes = MessageBytes.type('I').int32(3).int8('N').int16(1).int8('b').int32(4).int32(42);
        assertEquals(new Insert(3, TupleData.of(new ColumnValue.Binary(new byte[] {0, 0, 0, 42}))), decode(bytes));
    }

    @Test
    void genuineReplacementCharacterIsKept() {
        MessageBytes bytes = MessageBytes.type('I').int32(3).int8('N').int16(1).text("a\uFFFDb");
        assertEquals(new Insert(3, TupleData.of(text("a\uFFFDb"))), decode(bytes));
    }
}
