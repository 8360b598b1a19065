package dev.pgtrickle.cdc.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SnapshotTest {

    @Test
    void parsesAndPrintsTheTextForm() {
        Snapshot snapshot = Snapshot.parse("100:110:102,105");
        assertEquals("100:110:102,105", snapshot.toString());
        assertEquals(Snapshot.parse("7:7:"), new Snapshot(7, 7, new long[0]));
    }

    @Test
    void seesTransactionsBelowXminAndFinishedOnesBelowXmax() {
        Snapshot snapshot = Snapshot.parse("100:110:102,105");
        assertTrue(snapshot.visible(99));
        assertTrue(snapshot.visible(101));
        assertFalse(snapshot.visible(102), "in progress");
        assertFalse(snapshot.visible(110), "at xmax");
    }

    @Test
    void aLaterSnapshotCoversAnEarlierOne() {
        Snapshot earlier = Snapshot.parse("100:110:102,105");
        Snapshot later = Snapshot.parse("105:120:105,112");
        assertTrue(later.covers(earlier), "sees 102 and everything below 110 but 105, which the earlier did not see");
        assertFalse(earlier.covers(later), "does not see 110..119");
        assertTrue(earlier.covers(earlier));
    }

    @Test
    void aSnapshotMissingATransactionTheOtherSeesDoesNotCoverIt() {
        Snapshot sees103 = Snapshot.parse("100:110:102");
        Snapshot misses103 = Snapshot.parse("100:120:102,103");
        assertFalse(misses103.covers(sees103), "a higher xmax is not enough");
        assertTrue(misses103.covers(Snapshot.parse("100:103:102")));
    }
}
