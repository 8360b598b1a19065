package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import java.util.List;

/** An operator producing rows with named columns, like a SELECT. */
public sealed interface QueryPlan extends Plan permits Project, Partitioned, Distinct, UnionAll, TopK, SetOperation, Window, Recursive {

    /** Names of the output columns, in order. */
    List<String> columns();

    /** A query computing the current state, with the output column names. */
    String current(DeltaContext context) throws UnsupportedQueryException;

    /** A query computing the delta: the output columns and the weight {@link DeltaContext#WEIGHT}. */
    String delta(DeltaContext context) throws UnsupportedQueryException;
}
