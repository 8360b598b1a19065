package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@link RelationCatalog} reading PostgreSQL's catalogs and pgtrickle's over a JDBC connection. */
public final class JdbcRelationCatalog implements RelationCatalog {

    // An unqualified name in canonical text resolves like the search_path "pg_catalog" does:
    // the session's temporary schema first (it is implicitly searched first), then pg_catalog.
    private static final String FIND_RELATION = """
            SELECT c.oid, c.relkind, n.nspname, c.relname,
                   EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables st WHERE st.pgt_relid = c.oid),
                   CASE c.relkind WHEN 'r' THEN pg_catalog.pg_relation_size(c.oid)
                                  WHEN 'p' THEN (SELECT coalesce(sum(pg_catalog.pg_relation_size(t.relid)), 0)
                                                 FROM pg_catalog.pg_partition_tree(c.oid) AS t) END
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relname = ?
               AND CASE WHEN ?::text IS NULL
                        THEN n.oid IN (pg_catalog.pg_my_temp_schema(), 'pg_catalog'::pg_catalog.regnamespace)
                        ELSE n.nspname = ? END
             ORDER BY n.oid = 'pg_catalog'::pg_catalog.regnamespace
             LIMIT 1
            """;

    private static final String USER_COLUMNS = """
            SELECT attname FROM pg_catalog.pg_attribute
             WHERE attrelid = ?::pg_catalog.oid AND attnum > 0 AND NOT attisdropped
               AND attname !~ '^__pgt_'
             ORDER BY attnum
            """;

    // Source.equalMeansIdentical: a domain as its base type; text only under a deterministic
    // collation (a case-insensitive one makes 'a' equal 'A'); char(n) only with its length, which
    // pads every value alike (an unconstrained bpchar keeps trailing blanks its equality ignores).
    private static final String EQUAL_MEANS_IDENTICAL = """
            SELECT a.attname
              FROM pg_catalog.pg_attribute a
              JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
              JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
              LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
             WHERE a.attrelid = ?::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped
               AND a.attname !~ '^__pgt_'
               AND (b.typtype = 'e'
                    OR b.oid IN ('pg_catalog.bool'::pg_catalog.regtype, 'pg_catalog.int2'::pg_catalog.regtype,
                                 'pg_catalog.int4'::pg_catalog.regtype, 'pg_catalog.int8'::pg_catalog.regtype,
                                 'pg_catalog.oid'::pg_catalog.regtype, 'pg_catalog.date'::pg_catalog.regtype,
                                 'pg_catalog.time'::pg_catalog.regtype, 'pg_catalog.timestamp'::pg_catalog.regtype,
                                 'pg_catalog.timestamptz'::pg_catalog.regtype, 'pg_catalog.uuid'::pg_catalog.regtype,
                                 'pg_catalog.bytea'::pg_catalog.regtype, 'pg_catalog.money'::pg_catalog.regtype,
                                 'pg_catalog."char"'::pg_catalog.regtype)
                    OR b.oid IN ('pg_catalog.text'::pg_catalog.regtype, 'pg_catalog.varchar'::pg_catalog.regtype)
                       AND coalesce(co.collisdeterministic, true)
                    OR b.oid = 'pg_catalog.bpchar'::pg_catalog.regtype AND t.typtype <> 'd' AND a.atttypmod > 0
                       AND coalesce(co.collisdeterministic, true))
            """;

    // Source.hashTypes: integers as bigint and floats as double precision (their hash functions
    // agree across widths anyway), text-like types as text, under deterministic collations only
    // (equal values of a case-insensitive one hash apart); any other type with a default hash
    // operator class as its own (a domain as its base type). format_type quotes what needs it.
    private static final String HASH_TYPES = """
            SELECT a.attname,
                   CASE WHEN b.oid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
                                       'pg_catalog.int8'::pg_catalog.regtype) THEN 'bigint'
                        WHEN b.oid IN ('pg_catalog.float4'::pg_catalog.regtype,
                                       'pg_catalog.float8'::pg_catalog.regtype) THEN 'double precision'
                        WHEN b.oid IN ('pg_catalog.text'::pg_catalog.regtype, 'pg_catalog.varchar'::pg_catalog.regtype,
                                       'pg_catalog.bpchar'::pg_catalog.regtype) THEN 'text'
                        ELSE pg_catalog.format_type(b.oid, NULL) END
              FROM pg_catalog.pg_attribute a
              JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
              JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
              LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
             WHERE a.attrelid = ?::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped
               AND a.attname !~ '^__pgt_' AND coalesce(co.collisdeterministic, true)
               AND (b.oid = 'pg_catalog.varchar'::pg_catalog.regtype
                    OR EXISTS (SELECT 1 FROM pg_catalog.pg_opclass oc
                                 JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod AND am.amname = 'hash'
                                WHERE oc.opcdefault AND oc.opcintype = b.oid))
            """;

    private static final String INDEX_LEADS = """
            SELECT DISTINCT a.attname FROM pg_catalog.pg_index i
              JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
             WHERE i.indrelid = ?::pg_catalog.oid AND i.indisvalid AND i.indpred IS NULL
            """;

    // Source.keys: unique indexes that are checked per row (not deferrable), valid, without
    // predicate or expressions, over NOT NULL user columns only (INCLUDE columns are not part of
    // the key); the primary key first, then the narrowest.
    private static final String KEYS = """
            SELECT pg_catalog.array_agg(a.attname::pg_catalog.text ORDER BY k.n)
              FROM pg_catalog.pg_index i
             CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, n)
              JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE i.indrelid = ?::pg_catalog.oid AND i.indisunique AND i.indimmediate AND i.indisvalid
               AND i.indpred IS NULL AND i.indexprs IS NULL AND k.n <= i.indnkeyatts
             GROUP BY i.indexrelid, i.indisprimary
            HAVING pg_catalog.bool_and(a.attnotnull AND a.attname !~ '^__pgt_')
             ORDER BY i.indisprimary DESC, pg_catalog.count(*), i.indexrelid
            """;

    private static final String NOT_NULL = """
            SELECT attname FROM pg_catalog.pg_attribute
             WHERE attrelid = ?::pg_catalog.oid AND attnum > 0 AND NOT attisdropped AND attnotnull
               AND attname !~ '^__pgt_'
            """;

    private static final String VIEW_DEFINITION = "SELECT pgtrickle._deparse_view(?::pg_catalog.oid)";

    private static final String IS_AGGREGATE = """
            SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                            WHERE n.nspname = ? AND p.proname = ? AND p.prokind IN ('a', 'w'))
            """;

    private final Connection connection;

    public JdbcRelationCatalog(Connection connection) {
        this.connection = connection;
    }

    @Override
    public Relation resolve(String schema, String name) throws UnsupportedQueryException {
        String display = schema == null ? name : schema + "." + name;
        try (PreparedStatement ps = connection.prepareStatement(FIND_RELATION)) {
            ps.setString(1, name);
            ps.setString(2, schema);
            ps.setString(3, schema);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new UnsupportedQueryException(display, "relation not found");
                }
                long oid = rs.getLong(1);
                String kind = rs.getString(2);
                String foundSchema = rs.getString(3);
                String foundName = rs.getString(4);
                boolean streamTable = rs.getBoolean(5);
                if (foundSchema.equals("pg_catalog")) {
                    throw new UnsupportedQueryException(display,
                            "system catalogs have no change capture and cannot be refreshed differentially");
                }
                return switch (kind) {
                    // A stream table's storage table declares no keys of its own (a published one's
                    // replica identity comes and goes with its publication).
                    case "r", "p" -> new Relation.SourceTable(new Source(oid, foundSchema, foundName,
                            streamTable ? Source.Kind.STREAM_TABLE : Source.Kind.TABLE, names(USER_COLUMNS, oid),
                            Set.copyOf(names(INDEX_LEADS, oid)),
                            Set.copyOf(names(EQUAL_MEANS_IDENTICAL, oid)),
                            streamTable ? List.of() : keys(oid),
                            streamTable ? Set.of() : Set.copyOf(names(NOT_NULL, oid)), pairs(HASH_TYPES, oid),
                            rs.getLong(6)));
                    case "v" -> new Relation.View(foundSchema, foundName, viewDefinition(oid));
                    default -> throw new UnsupportedQueryException(display,
                            describe(kind) + " cannot be a source of a differentially refreshed stream table");
                };
            }
        } catch (SQLException e) {
            throw new CatalogLookupException("cannot look up relation " + display, e);
        }
    }

    @Override
    public boolean isAggregate(String schema, String function) {
        try (PreparedStatement ps = connection.prepareStatement(IS_AGGREGATE)) {
            ps.setString(1, schema);
            ps.setString(2, function);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new CatalogLookupException("cannot look up function " + schema + "." + function, e);
        }
    }

    /** The names a one-column query over a relation's oid returns. */
    private List<String> names(String query, long oid) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(query)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                List<String> columns = new ArrayList<>();
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
                return columns;
            }
        }
    }

    /** The name-to-text pairs a two-column query over a relation's oid returns. */
    private Map<String, String> pairs(String query, long oid) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(query)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                Map<String, String> pairs = new HashMap<>();
                while (rs.next()) {
                    pairs.put(rs.getString(1), rs.getString(2));
                }
                return pairs;
            }
        }
    }

    /** The table's {@link Source#keys}. */
    private List<List<String>> keys(long oid) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(KEYS)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                List<List<String>> keys = new ArrayList<>();
                while (rs.next()) {
                    keys.add(List.of((String[]) rs.getArray(1).getArray()));
                }
                return keys;
            }
        }
    }

    private String viewDefinition(long oid) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(VIEW_DEFINITION)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static String describe(String relkind) {
        return switch (relkind) {
            case "m" -> "a materialized view";
            case "f" -> "a foreign table";
            case "S" -> "a sequence";
            case "c" -> "a composite type";
            case "i", "I" -> "an index";
            case "t" -> "a TOAST table";
            default -> "a relation of kind '" + relkind + "'";
        };
    }
}
