package dev.pgtrickle.cdc.load;

import java.util.Arrays;

/**
 * A {@code pg_snapshot} in Java, to decide which journaled transactions it sees without a round
 * trip per transaction: a transaction is visible iff it is below {@code xmin}, or below
 * {@code xmax} and not in progress. The journal holds committed transactions only, so "visible"
 * here is exactly PostgreSQL's {@code pg_visible_in_snapshot}.
 */
public record Snapshot(long xmin, long xmax, long[] inProgress) {

    public Snapshot {
        inProgress = inProgress.clone();
        Arrays.sort(inProgress);
    }

    /** Parses the text form {@code xmin:xmax:xip1,xip2,...}. */
    public static Snapshot parse(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a pg_snapshot: " + text);
        }
        long[] xip = parts[2].isEmpty() ? new long[0]
                : Arrays.stream(parts[2].split(",")).mapToLong(Long::parseUnsignedLong).toArray();
        return new Snapshot(Long.parseUnsignedLong(parts[0]), Long.parseUnsignedLong(parts[1]), xip);
    }

    public boolean visible(long xid) {
        if (xid < xmin) {
            return true;
        }
        return xid < xmax && Arrays.binarySearch(inProgress, xid) < 0;
    }

    /**
     * Whether this snapshot sees every transaction {@code inner} sees (as
     * {@code pgtrickle._snapshot_covers} in SQL): for snapshots taken one after the other, the
     * later one covers the earlier.
     */
    public boolean covers(Snapshot inner) {
        if (inner.xmax > xmax) {
            return false;
        }
        for (long running : inProgress) {
            if (running < inner.xmax && inner.visible(running)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long[] inProgress() {
        return inProgress.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Snapshot s && xmin == s.xmin && xmax == s.xmax && Arrays.equals(inProgress, s.inProgress);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Long.hashCode(xmin) + Long.hashCode(xmax)) + Arrays.hashCode(inProgress);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder().append(xmin).append(':').append(xmax).append(':');
        for (int i = 0; i < inProgress.length; i++) {
            text.append(i == 0 ? "" : ",").append(inProgress[i]);
        }
        return text.toString();
    }
}
