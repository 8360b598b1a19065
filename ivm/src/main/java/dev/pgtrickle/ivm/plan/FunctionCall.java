package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.sql.Sql;
import java.util.List;

/**
 * A set-returning function as a FROM item: {@code f(…) [WITH ORDINALITY] AS alias (columns)}.
 *
 * @param call the function call, canonical SQL
 * @param ordinality whether a row number is added as the last column
 * @param columns the function's columns under the alias (the ordinality's last)
 */
public record FunctionCall(String call, boolean ordinality, String alias, List<String> columns) {

    public FunctionCall {
        columns = List.copyOf(columns);
    }

    /** The FROM item. */
    public String item() {
        return call + (ordinality ? " WITH ORDINALITY" : "") + " AS " + Sql.ident(alias) + " ("
                + Sql.columns("", columns) + ")";
    }

    /** Its columns under its alias. */
    public Binding binding() {
        return new Binding(alias, columns);
    }

    /** Refuses a call reading the clock: its rows would change while no source does. */
    void refuseClock() throws UnsupportedQueryException {
        if (Clock.reads(call)) {
            throw Clock.notMaintained(call);
        }
    }

    @Override
    public String toString() {
        return call + (ordinality ? " WITH ORDINALITY" : "") + " AS " + alias + " (" + String.join(", ", columns) + ")";
    }
}
