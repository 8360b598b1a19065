package dev.pgtrickle.cdc.wal.decode;

/**
 * One message of PostgreSQL's logical replication protocol, version 1, as the {@code pgoutput}
 * plugin sends it (PostgreSQL 15–18). Decode with {@link PgOutputDecoder#decode}.
 *
 * <p>LSNs are unsigned 64-bit values held in a {@code long}; format them with {@link Lsns}.
 * Timestamps are microseconds since 2000-01-01 00:00 UTC, as sent.
 */
public sealed interface PgOutputMessage
        permits Begin, Commit, Relation, Insert, Update, Delete, Truncate, LogicalMessage, Origin, TypeInfo {
}
