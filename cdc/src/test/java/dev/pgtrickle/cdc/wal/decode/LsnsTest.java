package dev.pgtrickle.cdc.wal.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LsnsTest {

    @Test
    void formatsLikePostgres() {
        assertEquals("16/B374D848", Lsns.format(0x16B374D848L));
        assertEquals("0/0", Lsns.format(0));
        assertEquals("0/1A", Lsns.format(0x1A));
        assertEquals("FFFFFFFF/FFFFFFFF", Lsns.format(-1L));
    }

    @Test
    void parsesWhatItFormats() {
        for (long lsn : new long[] {0, 1, 0x16B374D848L, 0x80000000_00000000L, -1L}) {
            assertEquals(lsn, Lsns.parse(Lsns.format(lsn)));
        }
        assertEquals(0x16B374D848L, Lsns.parse("16/b374d848"));
        assertEquals(0x16B374D848L, Lsns.parse("00000016/B374D848"));
    }

    @Test
    void rejectsMalformedText() {
        for (String text : new String[] {"", "16", "16/", "/1", "1/2/3", "-1/5", "G/0", "123456789/0", " 1/2", "1/2 "}) {
            assertThrows(IllegalArgumentException.class, () -> Lsns.parse(text), text);
        }
        assertThrows(IllegalArgumentException.class, () -> Lsns.parse(null));
    }
}
