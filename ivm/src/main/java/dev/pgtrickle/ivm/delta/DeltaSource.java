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
     * SQL boolean: one of {@code sources} was truncated since the changes began, so they cannot
     * be applied and the stream table is recomputed instead.
     */
    String truncated(Collection<Source> sources);
}
