package dev.pgtrickle.cdc.wal.decode;

import java.util.Objects;

/**
 * A row updated ('U').
 *
 * <p>The old row comes only with REPLICA IDENTITY FULL ('O', every column) or when the key
 * changed ('K', key columns; the others are {@link ColumnValue.Null}). Without it,
 * {@code oldTuple} is null and {@code oldTupleKind} is 0.
 */
public record Update(int relationOid, TupleData oldTuple, char oldTupleKind, TupleData newTuple)
        implements PgOutputMessage {

    public Update {
        Objects.requireNonNull(newTuple, "newTuple");
        if (oldTuple == null ? oldTupleKind != 0 : !OldTupleKinds.valid(oldTupleKind)) {
            throw new IllegalArgumentException("old tuple kind " + (int) oldTupleKind + " with old tuple " + oldTuple);
        }
    }
}
