package dev.pgtrickle.ivm.plan;

import java.util.List;

/**
 * A node of the logical operator tree of a defining query. Each operator is one class that owns
 * its current-state SQL, its delta rule and its description, so adding an operator means adding
 * one class (and its front-end translation); the sealed hierarchy makes every switch over the
 * operators fail to compile until a new one is handled.
 *
 * <p>Two kinds of operators: {@link FromPlan}s produce rows whose columns are addressed as
 * {@code alias.column} (what a FROM clause produces: scans, subqueries, joins, filters), and
 * {@link QueryPlan}s produce rows with named columns (what a SELECT produces). Expressions are SQL
 * text in PostgreSQL's canonical form; they name their inputs by alias, exactly as in the defining
 * query, so the delta rules reuse them untouched (see docs/architecture.md, "Differential refresh").
 */
public sealed interface Plan permits FromPlan, QueryPlan {

    /** The direct inputs of this node. */
    List<? extends Plan> inputs();

    /** The operator as explain shows it, e.g. {@code Left join ON (a.k = b.k)}. */
    String describe();

    /** How the operator's delta is computed, for explain. */
    String deltaRule();
}
