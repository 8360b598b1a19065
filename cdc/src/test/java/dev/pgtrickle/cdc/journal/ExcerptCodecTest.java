package dev.pgtrickle.cdc.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ExcerptCodecTest {

    private static ExcerptCodec.Excerpt roundTrip(ExcerptCodec.Encoder encoder) {
        return ExcerptCodec.decode(ByteBuffer.wrap(Arrays.copyOf(encoder.array(), encoder.length())));
    }

    @Test
    void entriesRoundTripWithNullsEmptyStringsAndNonAscii() {
        JournalEntry entry = JournalEntry.insert(0x1_0000_0000L, Long.MAX_VALUE, -5,
                "plain", null, "", "Grüße, 日本語, 😀 and a\ttab\nnewline", "\\x00ff", "-0.000");
        ExcerptCodec.Excerpt decoded = roundTrip(new ExcerptCodec.Encoder().entry(entry));
        assertEquals(new ExcerptCodec.Row(entry), decoded);
    }

    @Test
    void truncateMarkersAndDeletesRoundTrip() {
        ExcerptCodec.Encoder encoder = new ExcerptCodec.Encoder();
        JournalEntry truncate = JournalEntry.truncate(7, 8, 9);
        assertEquals(new ExcerptCodec.Row(truncate), roundTrip(encoder.entry(truncate)));
        JournalEntry delete = JournalEntry.delete(7, 8, 9, "k");
        assertEquals(new ExcerptCodec.Row(delete), roundTrip(encoder.entry(delete)));
    }

    @Test
    void manyColumnsAndLongValuesUseMultiByteLengths() {
        String[] values = new String[1600];
        for (int i = 0; i < values.length; i++) {
            values[i] = i % 7 == 0 ? null : "v".repeat(i);
        }
        JournalEntry entry = JournalEntry.insert(1, 2, 3, values);
        assertEquals(new ExcerptCodec.Row(entry), roundTrip(new ExcerptCodec.Encoder().entry(entry)));
    }

    @Test
    void markersRoundTrip() {
        ExcerptCodec.Encoder encoder = new ExcerptCodec.Encoder();
        assertEquals(new ExcerptCodec.Begin(11, 12, 13), roundTrip(encoder.begin(11, 12, 13)));
        assertEquals(new ExcerptCodec.Commit(11, 12, 13, 0x55_0000_0001L), roundTrip(encoder.commit(11, 12, 13, 0x55_0000_0001L)));
        ExcerptCodec.Part part = (ExcerptCodec.Part) roundTrip(encoder.part(1, 2, 300, true, new byte[] {9, 8, 7, 6}, 1, 2));
        assertEquals(300, part.number());
        assertTrue(part.last());
        assertEquals("[8, 7]", Arrays.toString(part.bytes()));
    }

    @Test
    void theHeaderIsCompact() {
        ExcerptCodec.Encoder encoder = new ExcerptCodec.Encoder();
        // version, kind, lsn, xid, oid, action, count, 3 x (length + bytes), NULL
        assertEquals(18 + 4 + 1 + 1 + 3 * 2 + 1, encoder.entry(JournalEntry.insert(1, 2, 3, "a", "b", "c", null)).length());
        assertEquals(1, encoder.array()[0], "version first");
    }

    @Test
    void rejectsUnknownVersions() {
        ExcerptCodec.Encoder encoder = new ExcerptCodec.Encoder().begin(1, 2, 3);
        byte[] bytes = Arrays.copyOf(encoder.array(), encoder.length());
        bytes[0] = 2;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ExcerptCodec.decode(ByteBuffer.wrap(bytes)));
        assertTrue(e.getMessage().contains("version 2"), e.getMessage());
    }
}
