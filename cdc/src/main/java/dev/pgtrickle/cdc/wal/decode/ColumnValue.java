package dev.pgtrickle.cdc.wal.decode;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/** One column of a {@link TupleData}. */
public sealed interface ColumnValue
        permits ColumnValue.Null, ColumnValue.UnchangedToast, ColumnValue.Text, ColumnValue.Binary {

    /** SQL NULL ('n'); also a non-key column of a key-only old row. */
    record Null() implements ColumnValue {
    }

    /**
     * A TOASTed value the UPDATE did not change ('u'): the value itself is not sent. Never store
     * a placeholder for it; take it from the old row (REPLICA IDENTITY FULL) or read it.
     */
    record UnchangedToast() implements ColumnValue {
    }

    /** A value in the type's text form ('t'). */
    record Text(String value) implements ColumnValue {

        public Text {
            Objects.requireNonNull(value, "value");
        }
    }

    /** A value in the type's binary form ('b'); only sent when the slot option {@code binary} is on. */
    record Binary(byte[] value) implements ColumnValue {

        // Arrays are copied in and out so that the record stays immutable.
        public Binary {
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Binary b && Arrays.equals(value, b.value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Binary[" + HexFormat.of().formatHex(value) + "]";
        }
    }
}
