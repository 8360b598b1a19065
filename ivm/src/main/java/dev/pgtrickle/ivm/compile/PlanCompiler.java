package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.ChangeBuffers;
import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.DistinctOn;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.KeptIndex;
import dev.pgtrickle.ivm.plan.LateralSubquery;
import dev.pgtrickle.ivm.plan.Lookup;
import dev.pgtrickle.ivm.plan.OutputKey;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Recursive;
import dev.pgtrickle.ivm.plan.TopK;
import dev.pgtrickle.ivm.plan.Window;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Chooses the maintenance strategy for an operator tree and compiles it into a {@link CompiledPlan}. */
public final class PlanCompiler {

    /**
     * Argument types whose running sums equal what PostgreSQL computes from scratch. A numeric
     * with a declared scale gives every value that scale, so it is exact too; an unconstrained
     * numeric's sum shows the largest scale of the values summed, which is tracked besides the
     * sum (see {@link AggregateStrategy}). Floats drift: their groups are recomputed.
     */
    private static final Set<String> EXACT_SUM_TYPES = Set.of("int2", "int4", "int8");
    private static final String UNCONSTRAINED_NUMERIC = "numeric";
    private static final Set<String> IDENTICAL_WHEN_EQUAL = Set.of("int2", "int4", "int8", "bool", "date", "time",
            "timestamp", "timestamptz", "uuid", "bytea", "text", "varchar", "bpchar");

    private final TypeProbe types;

    public PlanCompiler(TypeProbe types) {
        this.types = types;
    }

    public CompiledPlan compile(QueryPlan query, String normalizedQuery) throws UnsupportedQueryException, SQLException {
        Optional<Recursive.Stored> stored = Recursive.readingStored(query, PlanContract.STORAGE);
        QueryPlan top = stored.map(Recursive.Stored::plan).orElse(query);
        List<Plan> exactSums = new ArrayList<>();
        Map<Plan, Set<Integer>> scaled = new IdentityHashMap<>();
        for (Plan input : top.inputs()) {
            checkNestedAggregates(input, exactSums, scaled);
        }
        List<PlanAssembler.Kept> kept = new ArrayList<>();
        for (Plan input : top.inputs()) {
            collectKept(input, scaled, kept);
        }
        for (int i = 0; i < kept.size(); i++) {
            Plan plan = kept.get(i).plan();
            kept.set(i, kept.get(i).recomputable(plan instanceof Join
                    || plan instanceof Aggregate aggregate && keysIdenticalWhenEqual(aggregate)));
        }
        return PlanAssembler.assemble(top, normalizedQuery, strategy(top), exactSums, kept,
                stored.map(Recursive.Stored::indexes).orElse(List.of()), this::inputTypes);
    }

    /**
     * The states kept in tables: the aggregates inside the query whose sums a running state
     * follows exactly ({@code scaled} has them; see {@code KeptGroups}), except under a
     * correlated subquery's lookup, which reads the groups per outer row through the input's
     * indexes; the left inputs of one-row tests on an unindexed column ({@code KeptRows}); and the
     * results of recursive queries inside larger ones.
     */
    private static void collectKept(Plan plan, Map<Plan, Set<Integer>> scaled, List<PlanAssembler.Kept> kept) {
        if (plan instanceof Lookup) {
            return;
        }
        if (plan instanceof LateralSubquery lateral) {
            // Its subquery is computed per row of its left input, from the inner rows.
            collectKept(lateral.left(), scaled, kept);
            return;
        }
        for (Plan input : plan.inputs()) {
            collectKept(input, scaled, kept);
        }
        // By identity: a CTE read twice is one node, two equal subqueries are two.
        // A recursive query inside a larger one keeps its result, which its delta needs as it was.
        boolean keeps = plan instanceof Aggregate && scaled.containsKey(plan)
                || plan instanceof Join join && join.keptTestedColumn().isPresent()
                || plan instanceof Recursive recursive && recursive.old().isEmpty();
        if (keeps && kept.stream().noneMatch(k -> k.plan() == plan)) {
            List<KeptIndex> indexes = plan instanceof Aggregate aggregate
                    ? aggregate.keptHavingIndex().stream().toList() : List.of();
            kept.add(new PlanAssembler.Kept(plan, scaled.getOrDefault(plan, Set.of()), indexes));
        }
        // A one-row test of a kept aggregate's output reads the groups within its bounds through an index.
        if (plan instanceof Join join && join.testedGroups().isPresent()) {
            Join.TestedGroups tested = join.testedGroups().get();
            kept.replaceAll(k -> k.plan() == tested.aggregate() ? k.indexed(tested.index()) : k);
        }
    }

    /**
     * An aggregate inside the query recomputes the old values of the groups a change touches;
     * they must come out exactly as computed before, which float sums (their last bits depend on
     * the order rows are read in) cannot promise. Collects the aggregates whose sums add up
     * exactly at a fixed scale, whose old values can be summed from weighted rows, and in
     * {@code scaled} those whose running state is exact once the display scales of their sums
     * over unconstrained numerics are tracked (with the indexes of those calls).
     */
    private void checkNestedAggregates(Plan plan, List<Plan> exactSums, Map<Plan, Set<Integer>> scaled)
            throws UnsupportedQueryException, SQLException {
        if (plan instanceof Aggregate aggregate) {
            for (AggregateCall call : aggregate.calls()) {
                if (call.function() == AggregateCall.Function.RECOMPUTED_IN_ORDER) {
                    throw new UnsupportedQueryException(call.call(), "this aggregate is not supported inside a"
                            + " subquery: its value may depend on the order rows are read in, so the old value"
                            + " recomputed for a change need not be the one computed before");
                }
            }
            // Only counts and sums have a running state or add up from weighted rows; min, max and
            // the recomputed calls are computed over the touched groups' old rows.
            boolean algebraic = aggregate.calls().stream().allMatch(c -> switch (c.function()) {
                case COUNT_STAR, COUNT, SUM, AVG -> true;
                default -> false;
            });
            List<AggregateCall> sums = sums(aggregate);
            List<String> types = argumentTypes(aggregate, sums);
            Set<Integer> unconstrained = new HashSet<>();
            boolean exact = true;
            boolean followed = true;
            for (int i = 0; i < sums.size(); i++) {
                if (types.get(i).startsWith("float")) {
                    AggregateCall call = sums.get(i);
                    throw new UnsupportedQueryException(call.function().name().toLowerCase(java.util.Locale.ROOT)
                            + "(" + call.argument() + ")", "sums of floating-point values inside a subquery are not"
                            + " supported: their last digits depend on the order rows are read in");
                }
                if (types.get(i).equals(UNCONSTRAINED_NUMERIC)) {
                    unconstrained.add(sums.get(i).index());
                }
                exact &= fixedScale(types.get(i));
                followed &= fixedScale(types.get(i)) || types.get(i).equals(UNCONSTRAINED_NUMERIC);
            }
            if (exact && algebraic) {
                exactSums.add(aggregate);
            }
            if (followed && algebraic) {
                scaled.put(aggregate, unconstrained);
            }
        }
        for (Plan input : plan.inputs()) {
            checkNestedAggregates(input, exactSums, scaled);
        }
    }

    private static boolean fixedScale(String type) {
        return EXACT_SUM_TYPES.contains(type) || type.startsWith("numeric(");
    }

    private MaintenanceStrategy strategy(QueryPlan top) throws UnsupportedQueryException, SQLException {
        if (top instanceof Distinct distinct) {
            return new AggregateStrategy(distinct.asGrouping());
        }
        if (top instanceof TopK topK) {
            return new TopKStrategy(topK);
        }
        if (top instanceof Window window) {
            return new PartitionRescanStrategy(window, OutputKey.of(window));
        }
        if (top instanceof DistinctOn distinctOn) {
            return new GroupRescanStrategy(distinctOn);
        }
        if (top instanceof Aggregate aggregate) {
            if (aggregate.having() != null || !aggregate.calls().stream().allMatch(c -> c.function().algebraic())) {
                return new GroupRescanStrategy(aggregate);
            }
            List<AggregateCall> sums = sums(aggregate);
            List<String> types = argumentTypes(aggregate, sums);
            Set<Integer> scaled = new HashSet<>();
            for (int i = 0; i < sums.size(); i++) {
                String type = types.get(i);
                if (type.equals(UNCONSTRAINED_NUMERIC)) {
                    scaled.add(sums.get(i).index());
                } else if (!fixedScale(type)) {
                    return new GroupRescanStrategy(aggregate);
                }
            }
            return new AggregateStrategy(aggregate, scaled);
        }
        List<String> key = OutputKey.of(top);
        return key.isEmpty() ? new ContentStrategy(top) : new KeyedStrategy(top, key);
    }

    private static List<AggregateCall> sums(Aggregate aggregate) {
        return aggregate.calls().stream()
                .filter(c -> c.function() == AggregateCall.Function.SUM || c.function() == AggregateCall.Function.AVG)
                .toList();
    }

    /**
     * Whether equal values of the aggregate's group keys are identical, so that a group's key
     * shows the same whichever of its rows comes first: integers, booleans, dates and times,
     * uuid, bytea, and strings (under a deterministic collation).
     */
    private boolean keysIdenticalWhenEqual(Aggregate aggregate) throws UnsupportedQueryException, SQLException {
        return aggregate.groupKeys().isEmpty() || IDENTICAL_WHEN_EQUAL.containsAll(inputTypes(aggregate.input(),
                aggregate.groupKeys()));
    }

    /** The types of the calls' arguments, as PostgreSQL infers them. */
    private List<String> argumentTypes(Aggregate aggregate, List<AggregateCall> calls)
            throws UnsupportedQueryException, SQLException {
        return calls.isEmpty() ? List.of() : inputTypes(aggregate.input(), calls.stream().map(AggregateCall::argument).toList());
    }

    /** The types of expressions over the rows of {@code input}, as PostgreSQL infers them. */
    private List<String> inputTypes(FromPlan input, List<String> expressions)
            throws UnsupportedQueryException, SQLException {
        List<String> items = expressions.stream().map(e -> "(" + e + ")").toList();
        return types.columnTypes(input.current(new DeltaContext(new ChangeBuffers())).select(items) + " LIMIT 0");
    }
}
