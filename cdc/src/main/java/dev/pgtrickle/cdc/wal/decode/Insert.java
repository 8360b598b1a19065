package dev.pgtrickle.cdc.wal.decode;

import java.util.Objects;

/** A row inserted ('I'). */
public record Insert(int relationOid, TupleData newTuple) implements PgOutputMessage {

    public Insert {
        Objects.requireNonNull(newTuple, "newTuple");
    }
}
