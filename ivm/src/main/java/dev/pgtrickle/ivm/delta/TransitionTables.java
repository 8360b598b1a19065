package dev.pgtrickle.ivm.delta;

import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Changes read from the transition tables of a statement-level AFTER trigger on one source
 * (IMMEDIATE mode): {@value #NEW} holds the rows the statement inserted or the new versions of
 * the rows it updated, {@value #OLD} the rows it deleted or the old versions; the other sources
 * did not change in that statement. The source tables are read as the statement left them, which
 * is what a change buffer's refresh reads as well: the changes are already applied.
 */
public final class TransitionTables implements DeltaSource {

    /** The name of the transition table of new rows. */
    public static final String NEW = "__pgt_newrows";
    /** The name of the transition table of old rows. */
    public static final String OLD = "__pgt_oldrows";

    /** The statement a trigger fires for: which transition tables it has. */
    public enum Event {
        INSERT, UPDATE, DELETE
    }

    private final long changed;
    private final Event event;

    /** @param changed the oid of the source the trigger fires on */
    public TransitionTables(long changed, Event event) {
        this.changed = changed;
        this.event = event;
    }

    @Override
    public String changes(Source source, List<String> columns, List<String> names) {
        List<String> items = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            items.add(Sql.ident(columns.get(i)) + " AS " + names.get(i));
        }
        String selected = String.join(", ", items) + (items.isEmpty() ? "" : ", ");
        if (source.oid() != changed) {
            return "SELECT " + selected + "0::bigint AS " + DeltaContext.WEIGHT + " FROM " + current(source) + " WHERE false";
        }
        String inserted = "SELECT " + selected + "1::bigint AS " + DeltaContext.WEIGHT + " FROM " + NEW;
        String deleted = "SELECT " + selected + "-1::bigint AS " + DeltaContext.WEIGHT + " FROM " + OLD;
        return switch (event) {
            case INSERT -> inserted;
            case DELETE -> deleted;
            case UPDATE -> deleted + " UNION ALL " + inserted;
        };
    }

    /** Every row the transition tables of a statement of {@code event} hold, with the table's columns. */
    public static String rows(Event event) {
        return switch (event) {
            case INSERT -> "SELECT * FROM " + NEW;
            case DELETE -> "SELECT * FROM " + OLD;
            case UPDATE -> "SELECT * FROM " + NEW + " UNION ALL SELECT * FROM " + OLD;
        };
    }

    @Override
    public String current(Source source) {
        return Sql.qualified(source.schema(), source.name());
    }

    /** Nothing is counted for a history, and a TRUNCATE is not a row change (its trigger recomputes). */
    @Override
    public String consumed(Collection<Source> sources) {
        return "SELECT 0::bigint AS " + DeltaContext.CONSUMED + ", false AS " + DeltaContext.TRUNCATED
                + ", NULL::xid8 AS " + DeltaContext.OLDEST;
    }
}
