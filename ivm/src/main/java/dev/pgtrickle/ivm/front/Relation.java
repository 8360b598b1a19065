package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Source;

import java.util.Objects;

/** What a relation named in a defining query is, as far as the differential compiler cares. */
public sealed interface Relation permits Relation.SourceTable, Relation.View {

    /** A table or stream table the query reads; it becomes a {@code Scan}. */
    record SourceTable(Source source) implements Relation {

        public SourceTable {
            Objects.requireNonNull(source, "source");
        }
    }

    /**
     * A view; it is expanded into its definition.
     *
     * @param definition the view's canonical query (as {@code pg_get_viewdef} prints it with only
     *     {@code pg_catalog} on the search_path, trailing semicolon removed)
     */
    record View(String schema, String name, String definition) implements Relation {

        public View {
            Objects.requireNonNull(definition, "definition");
        }
    }
}
