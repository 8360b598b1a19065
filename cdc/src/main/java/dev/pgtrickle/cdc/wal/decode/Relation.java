package dev.pgtrickle.cdc.wal.decode;

import java.util.List;
import java.util.Objects;

/**
 * Describes a table ('R') before the first change to it in a session and again after its schema
 * changed. Row messages refer to it by {@code relationOid}; their values follow {@code columns}.
 *
 * @param namespace       the table's schema; empty for {@code pg_catalog}
 * @param replicaIdentity 'd' default (primary key), 'n' nothing, 'f' full, 'i' index
 */
public record Relation(int relationOid, String namespace, String name, char replicaIdentity, List<Column> columns)
        implements PgOutputMessage {

    public Relation {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        columns = List.copyOf(columns);
    }

    /**
     * One published column.
     *
     * @param partOfKey    whether the column belongs to the replica identity
     * @param typeModifier the type modifier ({@code atttypmod}), -1 when none
     */
    public record Column(boolean partOfKey, String name, int typeOid, int typeModifier) {

        public Column {
            Objects.requireNonNull(name, "name");
        }
    }
}
