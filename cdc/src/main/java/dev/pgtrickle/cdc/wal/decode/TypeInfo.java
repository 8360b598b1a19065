package dev.pgtrickle.cdc.wal.decode;

import java.util.Objects;

/**
 * Describes a non-built-in column type ('Y'), sent before the {@link Relation} that uses it.
 *
 * @param namespace the type's schema; empty for {@code pg_catalog}
 */
public record TypeInfo(int typeOid, String namespace, String name) implements PgOutputMessage {

    public TypeInfo {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }
}
