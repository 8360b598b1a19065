package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.ChangeBuffers;
import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The ending every strategy shares: storage columns, the MERGE, the explain lines, the plan record. */
final class PlanAssembler {

    private PlanAssembler() {
    }

    /** An aggregate inside the query whose groups are kept, with its calls whose display scales are tracked. */
    record Kept(Aggregate aggregate, Set<Integer> scaledCalls) {
    }

    /**
     * @param exactSums aggregates inside the query whose sums add up exactly ({@link DeltaContext})
     * @param kept aggregates inside the query whose groups are kept in a table, in placeholder
     *     order, with the indexes of their calls whose display scales the table tracks
     */
    static CompiledPlan assemble(Plan top, String normalizedQuery, MaintenanceStrategy strategy, List<Plan> exactSums,
                                 List<Kept> kept) throws UnsupportedQueryException {
        Map<Plan, DeltaContext.KeptTable> tables = new IdentityHashMap<>();
        for (int i = 0; i < kept.size(); i++) {
            tables.put(kept.get(i).aggregate(),
                    new DeltaContext.KeptTable(PlanContract.keptTable(i + 1), kept.get(i).scaledCalls()));
        }
        DeltaContext context = new DeltaContext(new ChangeBuffers(), exactSums, tables);
        if (joins(top)) {
            context.mergeIdenticalChanges();
        }
        // Every kept state is maintained, whether or not a delta term reads its aggregate's delta.
        for (Kept k : kept) {
            context.delta(k.aggregate());
        }
        MaintenanceStrategy.Maintenance maintenance = strategy.maintain(context);
        List<CompiledPlan.KeptState> states = new ArrayList<>();
        for (Kept k : kept) {
            states.add(new CompiledPlan.KeptState(tables.get(k.aggregate()).table(), k.aggregate().keptFill(context)));
        }
        List<String> storage = new ArrayList<>(maintenance.visibleColumns());
        storage.addAll(maintenance.hiddenColumns());
        MergeStatement.Changes changes = new MergeStatement.Changes(context.truncatedSinceFrontier(),
                context.consumedChanges());
        String refresh = MergeStatement.build(context.ctes(), changes, maintenance.identityColumns(), storage,
                maintenance.updatedColumns());
        String insertOnly = maintenance.insertOnlyPath()
                ? MergeStatement.buildInsertOnly(context.ctes(), changes, storage) : null;
        List<ExplainLine> explain = new ArrayList<>();
        explain.add(new ExplainLine(0, "Apply", maintenance.apply()));
        explain(top, 1, explain);
        return new CompiledPlan(CompiledPlan.FORMAT, normalizedQuery, maintenance.kind(), storage,
                maintenance.hiddenColumns(), maintenance.identityColumns(), maintenance.populate(), refresh, insertOnly,
                context.sources().stream().map(Source::oid).toList(), explain, states);
    }

    private static boolean joins(Plan plan) {
        return plan instanceof Join || plan.inputs().stream().anyMatch(PlanAssembler::joins);
    }

    private static void explain(Plan plan, int depth, List<ExplainLine> lines) {
        lines.add(new ExplainLine(depth, plan.describe(), plan.deltaRule()));
        for (Plan input : plan.inputs()) {
            explain(input, depth + 1, lines);
        }
    }
}
