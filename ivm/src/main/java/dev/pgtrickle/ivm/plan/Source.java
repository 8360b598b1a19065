package dev.pgtrickle.ivm.plan;

import java.util.List;

/**
 * A relation a stream table reads: a base table (changes captured into its buffer) or another
 * stream table (whose refreshes publish their applied changes into its buffer).
 *
 * @param oid the relation's oid; its change buffer is {@code pgtrickle_changes.changes_<oid>}
 * @param schema schema name
 * @param name relation name
 * @param kind what the relation is
 * @param columns the relation's user columns, in order (hidden {@code __pgt_} columns excluded)
 */
public record Source(long oid, String schema, String name, Kind kind, List<String> columns) {

    public enum Kind { TABLE, STREAM_TABLE }

    public Source {
        columns = List.copyOf(columns);
    }
}
