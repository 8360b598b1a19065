package dev.pgtrickle.subscribe;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * A stream table that {@code stream_table_to_publication} published: where its changes are.
 *
 * @param key the columns of its replica identity
 */
public record PublishedTable(long pgtId, String schema, String name, String publication, List<String> key) {

    // _find_stream_table raises undefined_table, with a hint, for a name that is no stream table.
    private static final String FIND = """
            SELECT st.pgt_id, n.nspname, c.relname, st.publication, st.publication_key::text[]
              FROM pgtrickle._find_stream_table(?) AS f
              JOIN pgtrickle.pgt_stream_tables st ON st.pgt_id = f.pgt_id
              JOIN pg_catalog.pg_class c ON c.oid = st.pgt_relid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            """;

    /** The stream table {@code name} (as the SQL API resolves names); fails unless it is published. */
    public static PublishedTable find(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(FIND)) {
            statement.setString(1, name);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                String qualified = row.getString(2) + "." + row.getString(3);
                if (row.getString(4) == null) {
                    throw new NotPublishedException("stream table " + qualified + " is not published: run"
                            + " SELECT pgtrickle.stream_table_to_publication('" + qualified.replace("'", "''") + "') first");
                }
                return new PublishedTable(row.getLong(1), row.getString(2), row.getString(3), row.getString(4),
                        List.of((String[]) row.getArray(5).getArray()));
            }
        }
    }

    /** {@code schema.table}, as events name it. */
    public String qualifiedName() {
        return schema + "." + name;
    }

    /** A stream table that has no publication to read. */
    public static final class NotPublishedException extends SQLException {

        NotPublishedException(String message) {
            super(message, "55000");
        }
    }
}
