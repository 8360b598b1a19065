package dev.pgtrickle.ivm.delta;

import dev.pgtrickle.ivm.plan.Source;
import java.util.Collection;
import java.util.List;

/**
 * Where the changes of a source relation come from and what its current state is. Scheduled
 * refreshes read change buffers bounded by frontiers ({@link ChangeBuffers}); maintenance inside
 * the writing statement would read a trigger's transition tables.
 */
public interface DeltaSource {

    /**
     * The source's changes: its {@code columns} under {@code names} (in order) and the weight
     * {@link DeltaContext#WEIGHT}, +1 for an inserted row and -1 for a deleted one.
     */
    String changes(Source source, List<String> columns, List<String> names);

    /** The source as the refresh sees it now. */
    String current(Source source);

    /**
     * A query of one row over the changes of {@code sources}: {@code __pgt_consumed}, how many
     * change rows the refresh reads (for its history), {@code __pgt_truncated}, whether one
     * of them was truncated since the changes began, so that they cannot be applied and the
     * stream table is recomputed instead, and {@code __pgt_oldest}, the oldest writing
     * transaction among them (for the buffer cleanup). One pass over each source's changes
     * answers all three.
     */
    String consumed(Collection<Source> sources);
}
