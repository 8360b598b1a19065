package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import java.util.List;

/**
 * A query whose rows each follow from the input rows of one value of its keys alone (GROUP BY,
 * DISTINCT ON): the rows of the keys a change touches can be computed again from those keys'
 * input rows, and the others stay as they are.
 */
public sealed interface Partitioned extends QueryPlan permits Aggregate, DistinctOn {

    /** The rows partitioned. */
    FromPlan input();

    /** The keys over the input (SQL); empty for one partition of all rows. */
    List<String> groupKeys();

    /** The query, with {@code extra} items added to its SELECT list. */
    String current(DeltaContext context, List<String> extra) throws UnsupportedQueryException;

    /** The query over {@code rows}, some of the input's (those of some keys), with {@code extra} items. */
    String current(Fragment rows, List<String> extra);
}
