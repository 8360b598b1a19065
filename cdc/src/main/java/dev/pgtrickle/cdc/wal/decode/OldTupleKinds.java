package dev.pgtrickle.cdc.wal.decode;

/** The markers of an old row in Update and Delete messages. */
final class OldTupleKinds {

    static final char KEY = 'K';
    static final char FULL = 'O';

    private OldTupleKinds() {
    }

    static boolean valid(char kind) {
        return kind == KEY || kind == FULL;
    }
}
