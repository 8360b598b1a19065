package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Keeps the rows of its input for which {@code condition} is true: WHERE. */
public record Filter(FromPlan input, Condition condition) implements FromPlan {

    @Override
    public List<Binding> bindings() {
        return input.bindings();
    }

    @Override
    public List<Plan> inputs() {
        return List.of(input);
    }

    @Override
    public Fragment current(DeltaContext context) throws UnsupportedQueryException {
        return input.current(context).and(condition.sql());
    }

    @Override
    public Fragment existing(DeltaContext context) throws UnsupportedQueryException {
        return input.existing(context).and(condition.sql());
    }

    /**
     * The changes that pass the condition; where it compares columns with the clock, as at the old
     * time, plus the current rows whose answer the clock's move flipped (in +1, out −1): the new
     * result minus the old is σnew(X) − σold(X − ΔX) = σold(ΔX) + σnew(X) − σold(X).
     */
    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        List<String> items = DeltaContext.positionalItems(bindings(), List.of());
        DeltaContext.Exposure changes = context.expose(input);
        List<Clock.Bound> bounds = Clock.bounds(condition);
        String changed = DeltaContext.term(items, changes.weight(), List.of(changes.from()),
                List.of(Clock.old(condition.sql())));
        if (bounds.isEmpty()) {
            return changed;
        }
        // One pass over the index range: a row whose answer differs enters if it is true now.
        Fragment near = input.current(context).and(Sql.or(bounds.stream().map(Clock.Bound::near).toList()));
        String now = "((" + condition.sql() + ") IS TRUE)";
        String old = "((" + Clock.old(condition.sql()) + ") IS TRUE)";
        return DeltaContext.union(List.of(changed, near.and(now + " <> " + old).select(Sql.concat(items,
                List.of("(CASE WHEN " + now + " THEN 1 ELSE -1 END)::bigint AS " + DeltaContext.WEIGHT)))));
    }

    /**
     * Where the condition compares columns with the clock: the earliest time after now at which a
     * row of the input enters or leaves, as a scalar subquery; empty when that time cannot be told
     * (a date or local time term), or the condition does not read the clock.
     */
    public Optional<String> nextClockChange(DeltaContext context) throws UnsupportedQueryException {
        List<Clock.Bound> bounds = Clock.bounds(condition);
        if (bounds.isEmpty() || !bounds.stream().allMatch(Clock.Bound::shifted)) {
            return Optional.empty();
        }
        Fragment rows = input.current(context);
        List<String> changes = new ArrayList<>();
        for (Clock.Bound bound : bounds) {
            changes.add(bound.nextChange(rows.from(), rows.where()));
        }
        return Optional.of(changes.size() == 1 ? changes.get(0) : "LEAST(" + String.join(", ", changes) + ")");
    }

    @Override
    public boolean probedBy(Set<String> known, List<Condition> conditions) {
        return input.probedBy(known, Sql.concat(conditions, List.of(condition)));
    }

    @Override
    public Optional<Source> table() {
        return input.table();
    }

    @Override
    public String describe() {
        return "Filter " + condition.sql();
    }

    @Override
    public String deltaRule() {
        return Clock.reads(condition.sql())
                ? "linear over the changes at the old time, plus the rows the clock's move brought in or out"
                        + " (an index range between the old and the new bound)"
                : "linear: applied to the delta";
    }
}
