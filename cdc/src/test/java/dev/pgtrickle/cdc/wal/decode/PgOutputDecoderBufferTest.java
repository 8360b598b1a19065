package dev.pgtrickle.cdc.wal.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The buffers pgjdbc hands out start inside a larger array; decode must honour that. */
class PgOutputDecoderBufferTest {

    private static final byte[] MESSAGE = MessageBytes.type('I').int32(16_400).int8('N').int16(2)
            .text("Grüße 😀").int8('n').bytes();
    private static final Insert EXPECTED = new Insert(16_400,
            TupleData.of(new ColumnValue.Text("Grüße 😀"), new ColumnValue.Null()));

    @Test
    void positionInsideALargerArray() {
        byte[] array = embed(25);
        ByteBuffer buffer = ByteBuffer.wrap(array, 25, MESSAGE.length);
        assertEquals(EXPECTED, PgOutputDecoder.decode(buffer));
        assertEquals(25, buffer.position(), "the caller's buffer is left as it was");
        assertEquals(25 + MESSAGE.length, buffer.limit());
    }

    @Test
    void nonZeroArrayOffsetAndPosition() {
        byte[] array = embed(30);
        ByteBuffer buffer = ByteBuffer.wrap(array, 10, array.length - 10).slice(); // arrayOffset 10
        buffer.position(20).limit(20 + MESSAGE.length);
        assertEquals(10, buffer.arrayOffset());
        assertEquals(EXPECTED, PgOutputDecoder.decode(buffer));
        assertEquals(20, buffer.position());
    }

    @Test
    void directBufferInLittleEndianOrder() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(MESSAGE.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        buffer.position(3);
        buffer.put(MESSAGE);
        buffer.position(3).limit(3 + MESSAGE.length);
        assertEquals(EXPECTED, PgOutputDecoder.decode(buffer));
        assertEquals(ByteOrder.LITTLE_ENDIAN, buffer.order());
        assertEquals(3, buffer.position());
    }

    @Test
    void readOnlyBuffer() {
        assertEquals(EXPECTED, PgOutputDecoder.decode(ByteBuffer.wrap(MESSAGE).asReadOnlyBuffer()));
    }

    /** The message at {@code offset}, surrounded by bytes that would break decoding if read. */
    private static byte[] embed(int offset) {
        byte[] array = new byte[offset + MESSAGE.length + 17];
        Arrays.fill(array, (byte) 'X');
        System.arraycopy(MESSAGE, 0, array, offset, MESSAGE.length);
        return array;
    }
}
