package dev.pgtrickle.cdc.wal.decode;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PgOutputDecoderErrorTest {

    private static void assertRejected(byte[] message, String expectedFragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PgOutputDecoder.decode(ByteBuffer.wrap(message)));
        assertTrue(e.getMessage().contains(expectedFragment), e.getMessage());
    }

    @Test
    void unknownTypeIsNamed() {
        assertRejected(MessageBytes.type('S').int32(1).int8(1).bytes(), "'S' (0x53)");
        assertRejected(MessageBytes.type('b').bytes(), "'b' (0x62)");
        assertRejected(new byte[] {(byte) 0xF0}, "type 0xF0");
    }

    @Test
    void emptyBuffer() {
        assertRejected(new byte[0], "truncated");
    }

    @Test
    void truncatedMessages() {
        byte[] begin = MessageBytes.type('B').int64(1).int64(2).int32(3).bytes();
        assertRejected(Arrays.copyOf(begin, begin.length - 1), "truncated");
        byte[] insert = MessageBytes.type('I').int32(1).int8('N').int16(1).text("abc").bytes();
        assertRejected(Arrays.copyOf(insert, insert.length - 1), "truncated");
    }

    @Test
    void corruptTruncateCount() {
        assertRejected(MessageBytes.type('T').int32(Integer.MAX_VALUE).int8(0).int32(5).bytes(), "TRUNCATE of 2147483647");
    }

    @Test
    void trailingBytes() {
        assertRejected(MessageBytes.type('C').int8(0).int64(1).int64(2).int64(3).int8(0).bytes(), "unexpected bytes");
    }

    @Test
    void stringWithoutTerminator() {
        assertRejected(MessageBytes.type('O').int64(1).raw((byte) 'a', (byte) 'b').bytes(), "terminating NUL");
    }

    @Test
    void negativeLength() {
        assertRejected(MessageBytes.type('I').int32(1).int8('N').int16(1).int8('t').int32(-1).bytes(), "negative length");
    }

    @Test
    void invalidUtf8() {
        byte[] message = MessageBytes.type('I').int32(1).int8('N').int16(1).int8('t').int32(2)
                .raw((byte) 0xC3, (byte) 0x28).bytes();
        assertRejected(message, "invalid UTF-8");
    }

    @Test
    void unknownValueKindAndTupleMarkers() {
        assertRejected(MessageBytes.type('I').int32(1).int8('N').int16(1).int8('x').bytes(), "column value kind 'x'");
        assertRejected(MessageBytes.type('I').int32(1).int8('K').int16(0).bytes(), "tuple marker 'K'");
        assertRejected(MessageBytes.type('U').int32(1).int8('X').int16(0).bytes(), "'X'");
        assertRejected(MessageBytes.type('U').int32(1).int8('O').int16(0).int8('O').int16(0).bytes(), "tuple marker 'O'");
        assertRejected(MessageBytes.type('D').int32(1).int8('N').int16(0).bytes(), "'N'");
    }
}
