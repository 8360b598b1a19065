package dev.pgtrickle.cdc.wal.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordsTest {

    @Test
    void arraysAreCopiedAndComparedByContent() {
        byte[] bytes = {1, 2};
        ColumnValue.Binary binary = new ColumnValue.Binary(bytes);
        bytes[0] = 9;
        binary.value()[1] = 9;
        assertArrayEquals(new byte[] {1, 2}, binary.value());
        assertEquals(new ColumnValue.Binary(new byte[] {1, 2}), binary);
        assertEquals(new ColumnValue.Binary(new byte[] {1, 2}).hashCode(), binary.hashCode());
        assertEquals(new LogicalMessage(true, 1, "p", new byte[] {3}), new LogicalMessage(true, 1, "p", new byte[] {3}));
    }

    @Test
    void listsAreImmutableCopies() {
        List<ColumnValue> values = new ArrayList<>(List.of(new ColumnValue.Null()));
        TupleData tuple = new TupleData(values);
        values.clear();
        assertEquals(1, tuple.values().size());
        assertThrows(UnsupportedOperationException.class, () -> tuple.values().clear());
    }

    @Test
    void oldTupleKindMatchesOldTuple() {
        TupleData row = TupleData.of(new ColumnValue.Text("1"));
        assertThrows(IllegalArgumentException.class, () -> new Update(1, null, 'K', row));
        assertThrows(IllegalArgumentException.class, () -> new Update(1, row, (char) 0, row));
        assertThrows(IllegalArgumentException.class, () -> new Delete(1, 'N', row));
    }
}
