package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.sql.Sql;
import java.util.List;

/**
 * A set-returning function as a FROM item: {@code f(…) [WITH ORDINALITY] AS alias (columns)},
 * {@code ROWS FROM (f(…), g(…)) …} likewise, or {@code JSON_TABLE(… COLUMNS (…)) AS alias}, which
 * names its columns itself.
 *
 * @param call the function call, canonical SQL
 * @param ordinality whether a row number is added as the last column
 * @param columns the function's columns under the alias (the ordinality's last)
 * @param namedInCall whether the call names the columns (JSON_TABLE), which then take no list
 */
public record FunctionCall(String call, boolean ordinality, String alias, List<String> columns, boolean namedInCall) {

    public FunctionCall {
        columns = List.copyOf(columns);
    }

    /** The FROM item. */
    public String item() {
        return call + (ordinality ? " WITH ORDINALITY" : "") + " AS " + Sql.ident(alias)
                + (namedInCall ? "" : " (" + Sql.columns("", columns) + ")");
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
