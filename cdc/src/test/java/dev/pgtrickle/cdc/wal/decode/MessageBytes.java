package dev.pgtrickle.cdc.wal.decode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Builds pgoutput messages byte by byte for tests. */
final class MessageBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static MessageBytes type(char type) {
        return new MessageBytes().int8(type);
    }

    MessageBytes int8(int value) {
        out.write(value);
        return this;
    }

    MessageBytes int16(int value) {
        return int8(value >>> 8).int8(value);
    }

    MessageBytes int32(int value) {
        return int16(value >>> 16).int16(value);
    }

    MessageBytes int64(long value) {
        return int32((int) (value >>> 32)).int32((int) value);
    }

    MessageBytes raw(byte... bytes) {
        out.writeBytes(bytes);
        return this;
    }

    /** A NUL-terminated UTF-8 string. */
    MessageBytes string(String value) {
        return raw(value.getBytes(StandardCharsets.UTF_8)).int8(0);
    }

    /** A 't' column value. */
    MessageBytes text(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return int8('t').int32(bytes.length).raw(bytes);
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    ByteBuffer buffer() {
        return ByteBuffer.wrap(bytes());
    }
}
