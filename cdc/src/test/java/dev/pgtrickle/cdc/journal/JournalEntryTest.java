package dev.pgtrickle.cdc.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class JournalEntryTest {

    @Test
    void copiesTheValuesOnTheWayInAndOut() {
        String[] values = {"1", null, "x"};
        JournalEntry entry = new JournalEntry(10, 20, 30, 'I', values);
        values[0] = "changed";
        assertEquals("1", entry.value(0));
        entry.values()[2] = "changed too";
        assertArrayEquals(new String[] {"1", null, "x"}, entry.values());
        assertNull(entry.value(1));
        assertEquals(3, entry.columnCount());
    }

    @Test
    void equalityComparesTheArrayContent() {
        JournalEntry a = JournalEntry.insert(1, 2, 3, "a", null);
        JournalEntry b = JournalEntry.insert(1, 2, 3, "a", null);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, JournalEntry.insert(1, 2, 3, "a", ""));
        assertNotEquals(a, JournalEntry.delete(1, 2, 3, "a", null));
        assertNotEquals(a, JournalEntry.insert(1, 3, 3, "a", null));
    }

    @Test
    void weights() {
        assertEquals(1, JournalEntry.insert(1, 1, 1, "v").weight());
        assertEquals(-1, JournalEntry.delete(1, 1, 1, "v").weight());
        assertEquals(0, JournalEntry.truncate(1, 1, 1).weight());
    }

    @Test
    void rejectsBadActionsAndTruncateValues() {
        assertThrows(IllegalArgumentException.class, () -> new JournalEntry(1, 1, 1, 'U', new String[] {"v"}));
        assertThrows(IllegalArgumentException.class, () -> new JournalEntry(1, 1, 1, 'T', new String[] {"v"}));
        assertThrows(NullPointerException.class, () -> new JournalEntry(1, 1, 1, 'I', null));
    }
}
