package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An operator whose rows are addressed by alias, like the items of a FROM clause: their columns
 * are {@code alias.column} for each of its {@link #bindings()}.
 */
public sealed interface FromPlan extends Plan permits Scan, Derived, Lookup, Join, Filter, RecursiveRef, LateralFunction,
        FunctionScan, LateralSubquery {

    /** The aliases this operator makes visible, with their columns, in output order. */
    List<Binding> bindings();

    /** The current state: a FROM clause (and conditions) under which the bindings are visible. */
    Fragment current(DeltaContext context) throws UnsupportedQueryException;

    /**
     * A FROM clause (and conditions) that has rows exactly where the current state has, for a
     * test of existence only: how many copies of a row it has may differ. By default the current
     * state; a semi join is joined as an inner one there (see {@link Join#existing}).
     */
    default Fragment existing(DeltaContext context) throws UnsupportedQueryException {
        return current(context);
    }

    /**
     * The delta since the old frontier: every column of {@link #bindings()} in order, named
     * {@link DeltaContext#column(int)}, and the weight {@link DeltaContext#WEIGHT}. Read it through
     * {@link DeltaContext#expose}, which computes it once per refresh.
     */
    String delta(DeltaContext context) throws UnsupportedQueryException;

    /**
     * Whether the current state can be read for one row of another input with index probes
     * only: entered through an index on a column that {@code conditions} equate with an
     * expression over {@code known} aliases (or a constant), each further input likewise through
     * what is known by then. Decides whether a delta term reads this input per changed row
     * ({@link Join}); without such indexes the planner's choice is the better one.
     */
    boolean probedBy(Set<String> known, List<Condition> conditions);

    /** The one table this operator reads, when it is a scan of it (filtered or not). */
    default Optional<Source> table() {
        return Optional.empty();
    }

    /** The aliases of {@link #bindings()}. */
    default Set<String> aliases() {
        Set<String> aliases = new LinkedHashSet<>();
        for (Binding binding : bindings()) {
            aliases.add(binding.alias());
        }
        return aliases;
    }
}
