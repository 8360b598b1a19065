package dev.pgtrickle.scheduler.run;

import java.time.Duration;

/** What one scheduled refresh attempt did. */
public sealed interface RefreshOutcome {

    /** Nothing had changed: only the data timestamp moved. */
    record Unchanged(Duration took) implements RefreshOutcome {
    }

    /**
     * A refresh ran and committed; the figures come from its history row. {@code fallback}: it
     * should have been differential and was redone FULL.
     */
    record Refreshed(String action, long rowsInserted, long rowsUpdated, long rowsDeleted, boolean fallback,
                     Duration took)
            implements RefreshOutcome {
    }

    /** The refresh failed and was rolled back; the failure is recorded in the catalog. */
    record Failed(String error, Duration took) implements RefreshOutcome {
    }

    /**
     * Not attempted, or rolled back without being a failure of the stream table: an upstream
     * table of this pass failed, or a source's DDL awaits the repair step.
     */
    record Skipped(String reason) implements RefreshOutcome {
    }
}
