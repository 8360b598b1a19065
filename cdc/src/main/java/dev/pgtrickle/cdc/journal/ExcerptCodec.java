package dev.pgtrickle.cdc.journal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The binary layout of one journal excerpt (not Chronicle's self-describing wire).
 *
 * <p>Every excerpt starts with the same 18-byte header: {@code [format version u8][kind u8]
 * [commit LSN i64][xid i64]} (big-endian). What follows depends on the kind:
 * <pre>
 *   BEGIN  'B'  [entry count i32]
 *   ENTRY  'E'  [relation oid i32][action u8][column count varint]
 *               per column: [varint: UTF-8 length + 1, 0 = NULL][UTF-8 bytes]
 *   PART   'P'  [part number varint][last u8 0|1][length varint][bytes]
 *               an ENTRY body (everything after its header) too large for one excerpt, in pieces
 *   COMMIT 'C'  [entry count i32][index of the transaction's BEGIN excerpt i64]
 * </pre>
 * varint is the unsigned LEB128 encoding of a non-negative int. A reader rejects a version it does
 * not know, so the format can evolve by bumping {@link #VERSION}.
 */
final class ExcerptCodec {

    static final int VERSION = 1;
    static final byte BEGIN = 'B';
    static final byte ENTRY = 'E';
    static final byte PART = 'P';
    static final byte COMMIT = 'C';
    static final int HEADER_SIZE = 18;

    private ExcerptCodec() {
    }

    /** A decoded excerpt. */
    sealed interface Excerpt permits Begin, Row, Part, Commit {
        long commitLsn();

        long xid();
    }

    record Begin(long commitLsn, long xid, int entryCount) implements Excerpt {
    }

    record Commit(long commitLsn, long xid, int entryCount, long beginIndex) implements Excerpt {
    }

    record Row(JournalEntry entry) implements Excerpt {
        @Override
        public long commitLsn() {
            return entry.commitLsn();
        }

        @Override
        public long xid() {
            return entry.xid();
        }
    }

    record Part(long commitLsn, long xid, int number, boolean last, byte[] bytes) implements Excerpt {
    }

    // ---------------------------------------------------------------- encoding

    /** Encodes excerpts into a reusable, growing buffer; {@link #array()}[0, length) is the result. */
    static final class Encoder {
        private byte[] buf = new byte[256];
        private int len;

        byte[] array() {
            return buf;
        }

        int length() {
            return len;
        }

        Encoder begin(long commitLsn, long xid, int entryCount) {
            header(BEGIN, commitLsn, xid);
            int32(entryCount);
            return this;
        }

        Encoder commit(long commitLsn, long xid, int entryCount, long beginIndex) {
            header(COMMIT, commitLsn, xid);
            int32(entryCount);
            int64(beginIndex);
            return this;
        }

        /** Header and body of an ENTRY excerpt; the body starts at {@link #HEADER_SIZE}. */
        Encoder entry(JournalEntry entry) {
            header(ENTRY, entry.commitLsn(), entry.xid());
            int32(entry.relationOid());
            byte1((byte) entry.action());
            int n = entry.columnCount();
            varint(n);
            for (int i = 0; i < n; i++) {
                String value = entry.value(i);
                if (value == null) {
                    varint(0);
                } else {
                    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
                    varint(utf8.length + 1);
                    bytes(utf8, 0, utf8.length);
                }
            }
            return this;
        }

        Encoder part(long commitLsn, long xid, int number, boolean last, byte[] src, int off, int n) {
            header(PART, commitLsn, xid);
            varint(number);
            byte1((byte) (last ? 1 : 0));
            varint(n);
            bytes(src, off, n);
            return this;
        }

        private void header(byte kind, long commitLsn, long xid) {
            len = 0;
            byte1((byte) VERSION);
            byte1(kind);
            int64(commitLsn);
            int64(xid);
        }

        private void ensure(int more) {
            if (len + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
            }
        }

        private void byte1(byte b) {
            ensure(1);
            buf[len++] = b;
        }

        private void int32(int v) {
            ensure(4);
            buf[len++] = (byte) (v >>> 24);
            buf[len++] = (byte) (v >>> 16);
            buf[len++] = (byte) (v >>> 8);
            buf[len++] = (byte) v;
        }

        private void int64(long v) {
            int32((int) (v >>> 32));
            int32((int) v);
        }

        private void varint(int v) {
            ensure(5);
            while ((v & ~0x7F) != 0) {
                buf[len++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[len++] = (byte) v;
        }

        private void bytes(byte[] src, int off, int n) {
            ensure(n);
            System.arraycopy(src, off, buf, len, n);
            len += n;
        }
    }

    // ---------------------------------------------------------------- decoding

    static Excerpt decode(ByteBuffer in) {
        checkVersion(in.get() & 0xFF);
        byte kind = in.get();
        long commitLsn = in.getLong();
        long xid = in.getLong();
        switch (kind) {
            case BEGIN:
                return new Begin(commitLsn, xid, in.getInt());
            case COMMIT:
                return new Commit(commitLsn, xid, in.getInt(), in.getLong());
            case ENTRY:
                return new Row(decodeEntryBody(in, commitLsn, xid));
            case PART:
                int number = varint(in);
                boolean last = in.get() != 0;
                byte[] bytes = new byte[varint(in)];
                in.get(bytes);
                return new Part(commitLsn, xid, number, last, bytes);
            default:
                throw new IllegalStateException("corrupt journal excerpt: unknown kind " + (kind & 0xFF));
        }
    }

    /** Decodes an ENTRY body (everything after the header), e.g. the reassembled parts. */
    static JournalEntry decodeEntryBody(ByteBuffer in, long commitLsn, long xid) {
        int relationOid = in.getInt();
        char action = (char) (in.get() & 0xFF);
        int n = varint(in);
        String[] values = new String[n];
        for (int i = 0; i < n; i++) {
            int lengthPlusOne = varint(in);
            if (lengthPlusOne != 0) {
                int length = lengthPlusOne - 1;
                values[i] = new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
                in.position(in.position() + length);
            }
        }
        return new JournalEntry(commitLsn, xid, relationOid, action, values);
    }

    private static int varint(ByteBuffer in) {
        int v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = in.get() & 0xFF;
            v |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (v < 0) {
                    break;
                }
                return v;
            }
        }
        throw new IllegalStateException("corrupt journal excerpt: bad length");
    }

    static void checkVersion(int version) {
        if (version != VERSION) {
            throw new IllegalStateException("journal excerpt format version " + version
                    + " is not supported (this build reads version " + VERSION + ")");
        }
    }
}
