package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.UnsupportedQueryException;

/**
 * Answers the questions about database objects that parsing a canonical query raises. Names are
 * passed as they are stored in the catalog (unquoted, case preserved).
 *
 * <p>Implementations report database access failures as {@link CatalogLookupException}.
 */
public interface RelationCatalog {

    /**
     * Resolves a relation named in FROM.
     *
     * @param schema the schema, or {@code null} when the name is unqualified (in canonical text
     *     that only happens for {@code pg_catalog} relations and temporary tables)
     * @throws UnsupportedQueryException if the relation does not exist or cannot be a source
     *     (a system catalog, a materialized view, a foreign table, ...)
     */
    Relation resolve(String schema, String name) throws UnsupportedQueryException;

    /**
     * Whether a schema-qualified function is an aggregate. Canonical text qualifies every function
     * outside {@code pg_catalog}, and nothing in the text tells a user-defined aggregate call from
     * a plain function call.
     */
    boolean isAggregate(String schema, String function);
}
