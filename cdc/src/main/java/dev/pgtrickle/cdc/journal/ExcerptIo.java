package dev.pgtrickle.cdc.journal;

import java.nio.ByteBuffer;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.wire.DocumentContext;

/** Moves encoded excerpts in and out of Chronicle documents as raw bytes. */
final class ExcerptIo {

    private ExcerptIo() {
    }

    /** Appends one excerpt and returns its index. */
    static long append(ExcerptAppender appender, ExcerptCodec.Encoder encoded) {
        DocumentContext dc = appender.writingDocument();
        try {
            dc.wire().bytes().write(encoded.array(), 0, encoded.length());
        } catch (RuntimeException | Error e) {
            dc.rollbackOnClose();
            throw e;
        } finally {
            dc.close();
        }
        return appender.lastIndexAppended();
    }

    /** The kind of the excerpt being read, without consuming or copying it. */
    static byte kind(DocumentContext dc) {
        Bytes<?> bytes = dc.wire().bytes();
        long at = bytes.readPosition();
        ExcerptCodec.checkVersion(bytes.readUnsignedByte(at));
        return bytes.readByte(at + 1);
    }

    /** The commit LSN in the header of the excerpt being read, without copying the rest. */
    static long commitLsn(DocumentContext dc) {
        Bytes<?> bytes = dc.wire().bytes();
        byte[] header = new byte[ExcerptCodec.HEADER_SIZE];
        bytes.read(header, 0, header.length);
        ByteBuffer in = ByteBuffer.wrap(header);
        ExcerptCodec.checkVersion(in.get() & 0xFF);
        return in.getLong(2);
    }

    /** A heap buffer holding the whole excerpt being read; {@code scratch} is reused when large enough. */
    static ByteBuffer copy(DocumentContext dc, ByteBuffer scratch) {
        Bytes<?> bytes = dc.wire().bytes();
        int length = Math.toIntExact(bytes.readRemaining());
        ByteBuffer target = scratch != null && scratch.capacity() >= length
                ? scratch
                : ByteBuffer.allocate(Math.max(length, scratch == null ? 256 : scratch.capacity() * 2));
        target.clear();
        bytes.read(target.array(), 0, length);
        target.limit(length);
        return target;
    }

    static ExcerptCodec.Excerpt decode(DocumentContext dc) {
        return ExcerptCodec.decode(copy(dc, null));
    }
}
