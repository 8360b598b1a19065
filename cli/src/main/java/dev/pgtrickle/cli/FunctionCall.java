package dev.pgtrickle.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * A {@code SELECT function(name => ?, ...)} call with named arguments. Only the arguments that
 * were given are passed, so the SQL function's own defaults apply to the rest; values are always
 * bound as parameters.
 */
public final class FunctionCall {

    private final String function;
    private final List<String> names = new ArrayList<>();
    private final List<Object> values = new ArrayList<>();

    public FunctionCall(String function) {
        this.function = function;
    }

    /** Adds {@code name => value}; a null value means "not given" and is left out. */
    public FunctionCall arg(String name, Object value) {
        if (value != null) {
            names.add(name);
            values.add(value);
        }
        return this;
    }

    public List<String> argumentNames() {
        return List.copyOf(names);
    }

    public String sql() {
        StringJoiner args = new StringJoiner(", ", "SELECT " + function + "(", ")");
        names.forEach(name -> args.add(name + " => ?"));
        return args.toString();
    }

    /** Runs the call and returns the NOTICEs the server raised, e.g. "... already exists, skipping". */
    public List<String> execute(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql())) {
            for (int i = 0; i < values.size(); i++) {
                bind(statement, i + 1, values.get(i));
            }
            statement.execute();
            List<String> notices = new ArrayList<>();
            for (SQLWarning w = statement.getWarnings(); w != null; w = w.getNextWarning()) {
                notices.add(w.getMessage());
            }
            return notices;
        }
    }

    private static void bind(PreparedStatement statement, int index, Object value) throws SQLException {
        if (value instanceof Boolean) {
            statement.setBoolean(index, (Boolean) value);
        } else {
            // Untyped, like a quoted literal in psql: the server casts it to the parameter's declared
            // type (text, interval, an enum...), where a varchar binding would need an implicit cast.
            statement.setObject(index, value.toString(), Types.OTHER);
        }
    }
}
