package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A set-returning function as the first item of FROM, its arguments constants:
 * {@code FROM generate_series(1, 12) AS m (month) LEFT JOIN …}, a calendar or a list of values.
 * Its rows never change (the function is not volatile and reads no clock, which validation and
 * {@link #delta} ensure), so its delta is empty and the operators above it see only their other
 * inputs' changes.
 */
public record FunctionScan(FunctionCall function) implements FromPlan {

    @Override
    public List<Binding> bindings() {
        return List.of(function.binding());
    }

    @Override
    public List<Plan> inputs() {
        return List.of();
    }

    @Override
    public Fragment current(DeltaContext context) {
        return Fragment.of(function.item());
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        function.refuseClock();
        List<String> items = new ArrayList<>(DeltaContext.positionalItems(bindings(), List.of()));
        items.add("0::bigint AS " + DeltaContext.WEIGHT);
        return "SELECT " + String.join(", ", items) + " FROM " + function.item() + " WHERE false";
    }

    @Override
    public boolean probedBy(Set<String> known, List<Condition> conditions) {
        return false;
    }

    @Override
    public String describe() {
        return "Function " + function;
    }

    @Override
    public String deltaRule() {
        return "constant: no changes";
    }
}
