package dev.pgtrickle.scheduler.schedule;

import java.util.Locale;

/** How much a stream table's schedule is stretched: hot 1×, warm 2×, cold 10×, frozen never. */
public enum Tier {
    HOT(1), WARM(2), COLD(10), FROZEN(0);

    private final int factor;

    Tier(int factor) {
        this.factor = factor;
    }

    /** The multiplier of the schedule's interval; 0 for frozen (never scheduled). */
    public int factor() {
        return factor;
    }

    public boolean scheduled() {
        return factor > 0;
    }

    public static Tier of(String catalogValue) {
        return valueOf(catalogValue.toUpperCase(Locale.ROOT));
    }
}
