package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import java.util.List;

/**
 * SELECT DISTINCT: each distinct row of its input once. Maintained at the top of a defining
 * query only (as a multiplicity per row), so it has no delta of its own as a relation.
 */
public record Distinct(QueryPlan input) implements QueryPlan {

    @Override
    public List<String> columns() {
        return input.columns();
    }

    @Override
    public List<Plan> inputs() {
        return List.of(input);
    }

    @Override
    public String current(DeltaContext context) throws UnsupportedQueryException {
        return "SELECT DISTINCT * FROM (" + input.current(context) + ") AS __pgt_distinct";
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        throw UnsupportedQueryException.onlyAtTop("DISTINCT");
    }

    @Override
    public String describe() {
        return "Distinct";
    }

    @Override
    public String deltaRule() {
        return "algebraic: multiplicity of each distinct row in __pgt_count";
    }
}
