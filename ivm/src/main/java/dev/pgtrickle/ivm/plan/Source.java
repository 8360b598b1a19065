package dev.pgtrickle.ivm.plan;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A relation a stream table reads: a base table (changes captured into its buffer) or another
 * stream table (whose refreshes publish their applied changes into its buffer).
 *
 * @param oid the relation's oid; its change buffer is {@code pgtrickle_changes.changes_<oid>}
 * @param schema schema name
 * @param name relation name
 * @param kind what the relation is
 * @param columns the relation's user columns, in order (hidden {@code __pgt_} columns excluded)
 * @param indexed the columns that lead a valid, non-partial index, when the plan was compiled: an
 *     equality on one of them is an index probe
 * @param equalMeansIdentical the columns of types whose equal values are identical (integers,
 *     dates, text under a deterministic collation; not numeric, whose 1.0 equals 1.00): rows of
 *     changes that agree on them are copies of one row
 * @param keys the column sets of the table's unique keys over NOT NULL columns (primary key first),
 *     which hold at every snapshot: no two rows agree on one of them ({@link OutputKey})
 * @param notNull the columns declared NOT NULL
 * @param hashTypes per column whose values can be hashed, the type they are cast to first, so that
 *     equal values of columns of types PostgreSQL compares with each other (int4 and int8, text
 *     and varchar) hash alike: what IMMEDIATE mode's join locks hash ({@code compile.ImmediateFootprint})
 * @param bytes its size on disk when the plan was compiled (its partitions' for a partitioned
 *     table), 0 where not known: of two tables whose writers could go on side by side in IMMEDIATE
 *     mode, the larger one does ({@code compile.ImmediateSides})
 */
public record Source(long oid, String schema, String name, Kind kind, List<String> columns, Set<String> indexed,
                     Set<String> equalMeansIdentical, List<List<String>> keys, Set<String> notNull,
                     Map<String, String> hashTypes, long bytes) {

    public enum Kind { TABLE, STREAM_TABLE }

    public Source {
        columns = List.copyOf(columns);
        indexed = Set.copyOf(indexed);
        equalMeansIdentical = Set.copyOf(equalMeansIdentical);
        keys = keys.stream().map(List::copyOf).toList();
        notNull = Set.copyOf(notNull);
        hashTypes = Map.copyOf(hashTypes);
    }

    /** A source of unknown size. */
    public Source(long oid, String schema, String name, Kind kind, List<String> columns, Set<String> indexed,
                  Set<String> equalMeansIdentical, List<List<String>> keys, Set<String> notNull,
                  Map<String, String> hashTypes) {
        this(oid, schema, name, kind, columns, indexed, equalMeansIdentical, keys, notNull, hashTypes, 0);
    }

    /** A source without known hash types. */
    public Source(long oid, String schema, String name, Kind kind, List<String> columns, Set<String> indexed,
                  Set<String> equalMeansIdentical, List<List<String>> keys, Set<String> notNull) {
        this(oid, schema, name, kind, columns, indexed, equalMeansIdentical, keys, notNull, Map.of());
    }

    /** A source without known keys or NOT NULL columns. */
    public Source(long oid, String schema, String name, Kind kind, List<String> columns, Set<String> indexed,
                  Set<String> equalMeansIdentical) {
        this(oid, schema, name, kind, columns, indexed, equalMeansIdentical, List.of(), Set.of());
    }

    /**
     * Whether the changes of {@code read}, the columns a query reads of this source, may be
     * merged where identical: part of the columns (otherwise only no-op updates could cancel),
     * all of them {@link #equalMeansIdentical}. See docs/architecture.md, "Merged changes".
     */
    public boolean mergeable(List<String> read) {
        return read.size() < columns.size() && equalMeansIdentical.containsAll(read);
    }

    /** A source without known indexes, whose changes are never merged. */
    public Source(long oid, String schema, String name, Kind kind, List<String> columns) {
        this(oid, schema, name, kind, columns, Set.of());
    }

    /** A source without columns known to be {@code equalMeansIdentical}: its changes are never merged. */
    public Source(long oid, String schema, String name, Kind kind, List<String> columns, Set<String> indexed) {
        this(oid, schema, name, kind, columns, indexed, Set.of());
    }
}
