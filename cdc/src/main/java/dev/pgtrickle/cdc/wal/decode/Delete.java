package dev.pgtrickle.cdc.wal.decode;

import java.util.Objects;

/**
 * A row deleted ('D'): the old row is the key ('K', other columns {@link ColumnValue.Null}) or,
 * with REPLICA IDENTITY FULL, every column ('O').
 */
public record Delete(int relationOid, char oldTupleKind, TupleData oldTuple) implements PgOutputMessage {

    public Delete {
        Objects.requireNonNull(oldTuple, "oldTuple");
        if (!OldTupleKinds.valid(oldTupleKind)) {
            throw new IllegalArgumentException("old tuple kind " + (int) oldTupleKind);
        }
    }
}
