package dev.pgtrickle.cdc.wal.decode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads the protocol's primitives (big-endian integers, NUL-terminated strings, counted byte
 * strings) from a private view of the caller's buffer, so the caller's position never moves.
 */
final class MessageReader {

    private final ByteBuffer buffer;

    MessageReader(ByteBuffer message) {
        this.buffer = message.slice().order(ByteOrder.BIG_ENDIAN);
    }

    byte int8() {
        need(1);
        return buffer.get();
    }

    short int16() {
        need(2);
        return buffer.getShort();
    }

    int int32() {
        need(4);
        return buffer.getInt();
    }

    long int64() {
        need(8);
        return buffer.getLong();
    }

    /** A NUL-terminated UTF-8 string. */
    String string() {
        int start = buffer.position();
        int end = start;
        while (end < buffer.limit() && buffer.get(end) != 0) {
            end++;
        }
        if (end == buffer.limit()) {
            throw malformed("a string without its terminating NUL at offset " + start);
        }
        String value = utf8(start, end - start);
        buffer.position(end + 1);
        return value;
    }

    /** An Int32 length followed by that many bytes, as UTF-8 text. */
    String countedText() {
        int length = length();
        String value = utf8(buffer.position(), length);
        buffer.position(buffer.position() + length);
        return value;
    }

    /** An Int32 length followed by that many bytes. */
    byte[] countedBytes() {
        byte[] bytes = new byte[length()];
        buffer.get(bytes);
        return bytes;
    }

    int remaining() {
        return buffer.remaining();
    }

    int offset() {
        return buffer.position();
    }

    void expectEnd() {
        if (buffer.hasRemaining()) {
            throw malformed(buffer.remaining() + " unexpected bytes after the message at offset " + buffer.position());
        }
    }

    IllegalArgumentException malformed(String what) {
        return new IllegalArgumentException("Malformed pgoutput message: " + what);
    }

    private int length() {
        int length = int32();
        if (length < 0) {
            throw malformed("negative length " + length + " at offset " + (buffer.position() - 4));
        }
        need(length);
        return length;
    }

    private void need(int bytes) {
        if (buffer.remaining() < bytes) {
            throw malformed("truncated at offset " + buffer.position() + ": " + bytes + " bytes needed, "
                    + buffer.remaining() + " left");
        }
    }

    private String utf8(int offset, int length) {
        String value;
        if (buffer.hasArray()) {
            value = new String(buffer.array(), buffer.arrayOffset() + offset, length, StandardCharsets.UTF_8);
        } else {
            byte[] bytes = new byte[length];
            buffer.get(offset, bytes);
            value = new String(bytes, StandardCharsets.UTF_8);
        }
        // The fast decoder replaces invalid bytes with U+FFFD; a row value must never change silently.
        if (value.indexOf('\uFFFD') >= 0) {
            checkStrictly(offset, length);
        }
        return value;
    }

    private void checkStrictly(int offset, int length) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(buffer.slice(offset, length));
        } catch (CharacterCodingException e) {
            throw malformed("invalid UTF-8 at offset " + offset + " (is the database encoding UTF8?)");
        }
    }
}
