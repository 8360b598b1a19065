package dev.pgtrickle.ivm.plan;

import java.util.List;

/**
 * A node of the logical operator tree of a defining query.
 *
 * <p>Expressions are kept as SQL text in PostgreSQL's canonical form (as deparsed by the server,
 * every relation schema-qualified). Inside one query block, column references name their input by
 * the alias of a {@link Scan} or {@link Derived} leaf, exactly as in the defining query, so the
 * delta rules can substitute an input by its delta under the same alias without rewriting
 * expressions.
 */
public sealed interface Plan permits Scan, Derived, Join, Filter, Project, Aggregate, Distinct, UnionAll {

    /** Names of the output columns, in order. */
    List<String> columns();

    /** The direct inputs of this node. */
    List<Plan> inputs();
}
