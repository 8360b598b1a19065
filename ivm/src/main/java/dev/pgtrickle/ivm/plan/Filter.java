package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
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

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        DeltaContext.Exposure changes = context.expose(input);
        return DeltaContext.term(DeltaContext.positionalItems(bindings(), List.of()), changes.weight(),
                List.of(changes.from()), List.of(condition.sql()));
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
        return "linear: applied to the delta";
    }
}
