package dev.pgtrickle.cdc.wal.decode;

import java.util.List;

/** One TRUNCATE statement ('T') over the published tables it touched. */
public record Truncate(List<Integer> relationOids, boolean cascade, boolean restartIdentity)
        implements PgOutputMessage {

    public Truncate {
        relationOids = List.copyOf(relationOids);
    }
}
