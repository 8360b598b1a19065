package dev.pgtrickle.cdc.wal.decode;

import java.util.List;

/** The values of one row, in the column order of its {@link Relation}. */
public record TupleData(List<ColumnValue> values) {

    public TupleData {
        values = List.copyOf(values);
    }

    public static TupleData of(ColumnValue... values) {
        return new TupleData(List.of(values));
    }
}
