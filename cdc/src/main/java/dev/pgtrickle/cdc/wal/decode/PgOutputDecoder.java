package dev.pgtrickle.cdc.wal.decode;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one pgoutput message (logical replication protocol version 1). Stateless and
 * thread-safe; relation metadata is the caller's to keep.
 */
public final class PgOutputDecoder {

    private static final ColumnValue NULL = new ColumnValue.Null();
    private static final ColumnValue UNCHANGED_TOAST = new ColumnValue.UnchangedToast();
    private static final int TRUNCATE_CASCADE = 1;
    private static final int TRUNCATE_RESTART_IDENTITY = 2;
    private static final int MESSAGE_TRANSACTIONAL = 1;

    private PgOutputDecoder() {
    }

    /**
     * Decodes the message between the buffer's position and its limit, which must hold exactly
     * one message. The buffer itself (position, limit, byte order) is left unchanged.
     *
     * @throws IllegalArgumentException on an unknown message type or a malformed message
     */
    public static PgOutputMessage decode(ByteBuffer message) {
        MessageReader in = new MessageReader(message);
        byte type = in.int8();
        PgOutputMessage decoded = switch (type) {
            case 'B' -> new Begin(in.int64(), in.int64(), in.int32());
            case 'C' -> new Commit(in.int8(), in.int64(), in.int64(), in.int64());
            case 'O' -> new Origin(in.int64(), in.string());
            case 'Y' -> new TypeInfo(in.int32(), in.string(), in.string());
            case 'R' -> relation(in);
            case 'I' -> insert(in);
            case 'U' -> update(in);
            case 'D' -> delete(in);
            case 'T' -> truncate(in);
            case 'M' -> logicalMessage(in);
            default -> throw unknownType(type);
        };
        in.expectEnd();
        return decoded;
    }

    private static Relation relation(MessageReader in) {
        int oid = in.int32();
        String namespace = in.string();
        String name = in.string();
        char replicaIdentity = (char) in.int8();
        int count = count(in, in.int16());
        List<Relation.Column> columns = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            boolean key = (in.int8() & 1) != 0;
            columns.add(new Relation.Column(key, in.string(), in.int32(), in.int32()));
        }
        return new Relation(oid, namespace, name, replicaIdentity, columns);
    }

    private static Insert insert(MessageReader in) {
        int oid = in.int32();
        expectMarker(in, 'N');
        return new Insert(oid, tuple(in));
    }

    private static Update update(MessageReader in) {
        int oid = in.int32();
        char marker = (char) in.int8();
        if (marker == 'N') {
            return new Update(oid, null, (char) 0, tuple(in));
        }
        if (!OldTupleKinds.valid(marker)) {
            throw in.malformed("UPDATE with tuple marker " + describe((byte) marker) + " instead of 'K', 'O' or 'N'");
        }
        TupleData old = tuple(in);
        expectMarker(in, 'N');
        return new Update(oid, old, marker, tuple(in));
    }

    private static Delete delete(MessageReader in) {
        int oid = in.int32();
        char marker = (char) in.int8();
        if (!OldTupleKinds.valid(marker)) {
            throw in.malformed("DELETE with tuple marker " + describe((byte) marker) + " instead of 'K' or 'O'");
        }
        return new Delete(oid, marker, tuple(in));
    }

    private static Truncate truncate(MessageReader in) {
        int count = count(in, in.int32());
        int options = in.int8();
        if (count > in.remaining() / Integer.BYTES) { // before allocating for a corrupt count
            throw in.malformed("TRUNCATE of " + count + " relations in " + in.remaining() + " bytes");
        }
        List<Integer> oids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            oids.add(in.int32());
        }
        return new Truncate(oids, (options & TRUNCATE_CASCADE) != 0, (options & TRUNCATE_RESTART_IDENTITY) != 0);
    }

    private static LogicalMessage logicalMessage(MessageReader in) {
        boolean transactional = (in.int8() & MESSAGE_TRANSACTIONAL) != 0;
        return new LogicalMessage(transactional, in.int64(), in.string(), in.countedBytes());
    }

    private static TupleData tuple(MessageReader in) {
        int count = count(in, in.int16());
        ColumnValue[] values = new ColumnValue[count];
        for (int i = 0; i < count; i++) {
            byte kind = in.int8();
            values[i] = switch (kind) {
                case 'n' -> NULL;
                case 'u' -> UNCHANGED_TOAST;
                case 't' -> new ColumnValue.Text(in.countedText());
                case 'b' -> new ColumnValue.Binary(in.countedBytes());
                default -> throw in.malformed("column value kind " + describe(kind) + " at offset " + (in.offset() - 1));
            };
        }
        return new TupleData(List.of(values));
    }

    private static int count(MessageReader in, int count) {
        if (count < 0) {
            throw in.malformed("negative count " + count);
        }
        return count;
    }

    private static void expectMarker(MessageReader in, char expected) {
        byte marker = in.int8();
        if (marker != expected) {
            throw in.malformed("tuple marker " + describe(marker) + " where '" + expected + "' was expected");
        }
    }

    private static IllegalArgumentException unknownType(byte type) {
        // Streaming ('S', 'E', 'c', 'A') and two-phase messages need protocol versions 2 and 3.
        return new IllegalArgumentException("Unknown pgoutput message type " + describe(type)
                + " (this decoder reads protocol version 1 without streaming or two-phase commit)");
    }

    private static String describe(byte value) {
        String hex = String.format("0x%02X", value & 0xFF);
        return value >= 0x20 && value < 0x7F ? "'" + (char) value + "' (" + hex + ")" : hex;
    }
}
