package dev.pgtrickle.ivm.compile;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Asks the server for a query's column types by preparing it (nothing runs). */
public final class JdbcTypeProbe implements TypeProbe {

    private final Connection connection;

    public JdbcTypeProbe(Connection connection) {
        this.connection = connection;
    }

    @Override
    public List<String> columnTypes(String query) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(query)) {
            ResultSetMetaData meta = statement.getMetaData();
            List<String> types = new ArrayList<>();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                String type = meta.getColumnTypeName(i);
                // pgjdbc reports precision 0 for a numeric without a type modifier.
                if (type.equals("numeric") && meta.getPrecision(i) > 0) {
                    type = "numeric(" + meta.getPrecision(i) + "," + meta.getScale(i) + ")";
                }
                types.add(type);
            }
            return types;
        }
    }
}
