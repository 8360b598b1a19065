package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.ChangeBuffers;
import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.TransitionTables;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Clock;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.DistinctOn;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.KeptIndex;
import dev.pgtrickle.ivm.plan.LateralSubquery;
import dev.pgtrickle.ivm.plan.Lineage;
import dev.pgtrickle.ivm.plan.OutputKey;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Recursive;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.SetOperation;
import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.plan.TopK;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.plan.Window;
import dev.pgtrickle.ivm.sql.Sql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The ending every strategy shares: storage columns, the MERGE, the explain lines, the plan record. */
final class PlanAssembler {

    private PlanAssembler() {
    }

    /**
     * A state kept in a table: the groups of an aggregate inside the query, with its calls whose
     * display scales are tracked and the indexes one-row tests of its outputs need, or the left
     * input of a join's one-row test.
     */
    record Kept(Plan plan, Set<Integer> scaledCalls, List<KeptIndex> indexes, boolean recomputable) {

        Kept {
            indexes = List.copyOf(indexes);
        }

        /** Not (yet) known to be {@link #recomputable}. */
        Kept(Plan plan, Set<Integer> scaledCalls, List<KeptIndex> indexes) {
            this(plan, scaledCalls, indexes, false);
        }

        /** With {@code index} too. */
        Kept indexed(KeptIndex index) {
            return indexes.contains(index) ? this
                    : new Kept(plan, scaledCalls, Sql.concat(indexes, List.of(index)), recomputable);
        }

        /**
         * Whether statements can do without the state (IMMEDIATE mode): the rows of a one-row
         * test's left input are read from the table instead, and an aggregate's old values
         * recomputed from its rows come out as stored when its group keys' equal values are
         * identical (numeric 1.0 and 1.00 are one group shown as either).
         */
        Kept recomputable(boolean recomputable) {
            return new Kept(plan, scaledCalls, indexes, recomputable);
        }

        /** Registers the state's maintenance, whether or not a delta term reads its delta. */
        void maintain(DeltaContext context) throws UnsupportedQueryException {
            if (plan instanceof Aggregate aggregate) {
                context.delta(aggregate);
            } else if (plan instanceof Recursive recursive) {
                recursive.maintainKept(context);
            } else {
                context.expose((Join) plan);
            }
        }

        CompiledPlan.KeptState state(DeltaContext context, String table) throws UnsupportedQueryException {
            if (plan instanceof Aggregate aggregate) {
                return new CompiledPlan.KeptState(table, Clock.once(aggregate.keptFill(context)),
                        indexes.stream().filter(i -> !i.sumValue()).map(KeptIndex::column).toList(),
                        indexes.stream().filter(KeptIndex::sumValue).map(KeptIndex::column).toList());
            }
            if (plan instanceof Recursive recursive) {
                return new CompiledPlan.KeptState(table, recursive.keptFill(context), recursive.keptIndexed(), List.of());
            }
            return new CompiledPlan.KeptState(table, Clock.once(((Join) plan).keptFill(context)), ((Join) plan).keptIndexed(),
                    List.of());
        }
    }

    /**
     * @param exactSums aggregates inside the query whose sums add up exactly ({@link DeltaContext})
     * @param kept the states kept in tables, in placeholder order
     * @param indexes storage columns to index, one list per index
     * @param keyTypes the types of expressions over a plan's rows: of group keys that are expressions
     */
    static CompiledPlan assemble(QueryPlan top, String normalizedQuery, MaintenanceStrategy strategy, List<Plan> exactSums,
                                 List<Kept> kept, List<List<String>> indexes, GroupStamps.ExpressionTypes keyTypes)
            throws UnsupportedQueryException, SQLException {
        Map<Plan, DeltaContext.KeptTable> tables = new IdentityHashMap<>();
        for (int i = 0; i < kept.size(); i++) {
            tables.put(kept.get(i).plan(),
                    new DeltaContext.KeptTable(PlanContract.keptTable(i + 1), kept.get(i).scaledCalls()));
        }
        DeltaContext context = new DeltaContext(new ChangeBuffers(), exactSums, tables);
        if (contains(top, Join.class)) {
            context.mergeIdenticalChanges();
        }
        for (Kept k : kept) {
            k.maintain(context);
        }
        MaintenanceStrategy.Maintenance maintenance = strategy.maintain(context);
        List<CompiledPlan.KeptState> states = new ArrayList<>();
        for (Kept k : kept) {
            states.add(k.state(context, tables.get(k.plan()).table()));
        }
        List<String> storage = new ArrayList<>(maintenance.visibleColumns());
        storage.addAll(maintenance.hiddenColumns());
        MergeStatement.Changes changes = new MergeStatement.Changes(context.truncatedSinceFrontier(),
                context.consumedChanges(), context.oldestConsumed());
        String refresh = Clock.once(MergeStatement.build(context.ctes(), changes, maintenance.identityColumns(), storage,
                maintenance.updatedColumns(), maintenance.carriesStoredRows()));
        String insertOnly = maintenance.insertOnlyPath()
                ? Clock.once(MergeStatement.buildInsertOnly(context.ctes(), changes, storage)) : null;
        Immediate immediate = immediate(top, strategy, maintenance.kind(), exactSums, kept, tables, context.sources(),
                keyTypes);
        List<ExplainLine> explain = new ArrayList<>();
        explain.add(new ExplainLine(0, "Apply", maintenance.apply()));
        explain(top, 1, explain);
        return new CompiledPlan(CompiledPlan.FORMAT, normalizedQuery, maintenance.kind(), storage,
                maintenance.hiddenColumns(), maintenance.identityColumns(), OutputKey.of(top),
                Clock.once(maintenance.populate()), refresh, insertOnly,
                context.sources().stream().map(Source::oid).toList(), explain,
                Lineage.of(top).entrySet().stream()
                        .map(e -> new CompiledPlan.ColumnLineage(e.getKey(), List.copyOf(e.getValue()))).toList(),
                states, indexes, !clockFilters(top).isEmpty(), nextClockChange(top), immediate.statements(),
                immediate.refusal(), immediate.serialization());
    }

    /**
     * The IMMEDIATE statements of a plan, or why there are none; and, when its writers take turns
     * ({@link ImmediateFootprint#WHOLE}), why.
     */
    private record Immediate(List<CompiledPlan.ImmediateStatement> statements, String refusal, String serialization) {

        static Immediate refused(String why) {
            return new Immediate(List.of(), why, null);
        }
    }

    /**
     * The statements maintaining the stream table inside each statement on one of its sources
     * (IMMEDIATE mode): the same delta rules over the trigger's transition tables. The locks on
     * the rows they touch, taken in order before the MERGE reads them, make concurrent writers of
     * the same rows wait for each other; where the query joins tables, the stamps of the join keys
     * the changes reach make writers whose changes meet in the join wait too; the first rows of an
     * order lock no rows either: writers whose changes reach them take turns, the others go on
     * ({@link TopKStrategy#reachesFirstRows}); writers of a walk down a tree stamp the nodes their
     * changes reach ({@link TreeStamps}); where no key tells where they meet (groups inside the
     * query or values of a set operation that {@link GroupStamps} cannot tell apart, a scalar
     * subquery, a join without an equality), one table's writers may go on side by side while the
     * other sources' take turns with them ({@link ImmediateSides}); otherwise every writer takes
     * one stamp, and they take turns (docs/architecture.md, "IMMEDIATE mode"). Those lock no rows:
     * the turn orders them.
     *
     * <p>An aggregate inside the query is recomputed before and after the change where its group
     * keys' equal values are identical ({@link Kept#recomputable}); otherwise, and for a recursive
     * query inside a larger one, the statements keep the state's table as the refreshes do, in the
     * same statement, so that the old groups or rows are read as they were output. Writers of one
     * group of such a table wait for each other on its stamp ({@link GroupStamps}); where the
     * stamps cannot tell its groups apart (or the table keeps rows or a recursion), they take
     * turns, so one writes that table at a time.
     */
    private static Immediate immediate(QueryPlan top, MaintenanceStrategy strategy, Strategy kind, List<Plan> exactSums,
                                       List<Kept> kept, Map<Plan, DeltaContext.KeptTable> tables,
                                       List<Source> sources, GroupStamps.ExpressionTypes keyTypes)
            throws UnsupportedQueryException, SQLException {
        Map<Plan, DeltaContext.KeptTable> keptInStatements = new IdentityHashMap<>();
        for (Kept k : kept) {
            if (!k.recomputable()) {
                keptInStatements.put(k.plan(), tables.get(k.plan()));
            }
        }
        if (!clockFilters(top).isEmpty()) {
            return Immediate.refused("a query comparing columns with the clock changes as time passes, without a"
                    + " statement on its source: IMMEDIATE mode cannot maintain it");
        }
        ImmediateFootprint footprint = null;
        Optional<GroupStamps> groupStamps = Optional.empty();
        Optional<TreeStamps> treeStamps = Optional.empty();
        // A set operation at the top counts the touched values on its sides: a grouping there too.
        Optional<Plan> grouping = top instanceof SetOperation ? Optional.of(top)
                : top.inputs().stream().map(PlanAssembler::grouping).flatMap(Optional::stream).findFirst();
        String serialization = null;
        boolean boundary = false;
        if (kind == Strategy.TOP_K) {
            // The first rows: writers whose changes sort after the last stored row go on side by
            // side, the others take turns; writers whose changes meet in a join key or a group
            // inside wait for each other first (docs/architecture.md, "First rows"). A writer below
            // the boundary applies nothing, so a table the statements keep would miss its changes.
            if (contains(top, Recursive.class) || !keptInStatements.isEmpty()) {
                serialization = "the first rows of ORDER BY ... LIMIT over " + (keptInStatements.isEmpty()
                        ? "a recursive query" : "groups kept in a table") + " depend on every row of its input";
            } else {
                Optional<Plan> inside = grouping(((TopK) top).input());
                if (inside.isPresent()) {
                    groupStamps = GroupStamps.of(top, keyTypes);
                    if (groupStamps.isEmpty()) {
                        serialization = "changes meet in the groups of " + inside.get().describe() + " inside the query";
                    }
                }
                if (serialization == null && scans(top) > 1) {
                    ImmediateFootprint.Analysis analysis = ImmediateFootprint.of(top);
                    serialization = analysis.serialization();
                    footprint = analysis.footprint();
                }
                boundary = serialization == null;
            }
        } else if (contains(top, Recursive.class)) {
            treeStamps = TreeStamps.of(top);
            if (treeStamps.isEmpty()) {
                serialization = "the rows of a recursive query depend on other rows of its tables";
            }
        } else if (grouping.isPresent()) {
            // Writers of different groups inside the query run side by side where stamps tell the
            // groups apart (and, over several tables, the join keys where they meet); a kept table
            // written by the statements has one writer per group at a time: its grouping's stamps.
            groupStamps = GroupStamps.of(top, keyTypes).filter(g -> g.stampsEach(keptInStatements.keySet()));
            if (groupStamps.isPresent() && scans(top) > 1) {
                ImmediateFootprint.Analysis analysis = ImmediateFootprint.of(top);
                footprint = analysis.footprint();
                if (footprint == null) {
                    groupStamps = Optional.empty();
                }
            }
            if (groupStamps.isEmpty()) {
                serialization = "changes meet in the groups of " + grouping.get().describe() + " inside the query";
            }
        } else if (scans(top) > 1) {
            ImmediateFootprint.Analysis analysis = ImmediateFootprint.of(top);
            serialization = analysis.serialization();
            footprint = analysis.footprint();
        }
        // Where the writers would take turns, one table's may go on side by side instead.
        // (A table the statements keep is written by one writer at a time: none of the side's.)
        Optional<ImmediateSides> sides = serialization == null || kind == Strategy.TOP_K || contains(top, Recursive.class)
                ? Optional.empty()
                : ImmediateSides.of(top).filter(side -> keptInStatements.keySet().stream().noneMatch(side::readBy));
        if (sides.isPresent()) {
            serialization = null;
            footprint = null;
            groupStamps = Optional.empty();
        }
        if (!keptInStatements.isEmpty() && serialization == null && groupStamps.isEmpty() && sides.isEmpty()) {
            // A kept table written by writers of one group running side by side would lose their changes.
            throw new IllegalStateException("a state kept by the statements whose writers do not take turns");
        }
        List<CompiledPlan.ImmediateStatement> statements = new ArrayList<>();
        for (Source source : sources) {
            for (TransitionTables.Event event : TransitionTables.Event.values()) {
                DeltaContext context = new DeltaContext(new TransitionTables(source.oid(), event), exactSums,
                        keptInStatements);
                for (Kept k : kept) {
                    if (keptInStatements.containsKey(k.plan())) {
                        k.maintain(context);
                    }
                }
                MaintenanceStrategy.Maintenance maintenance = strategy.maintain(context);
                List<String> storage = new ArrayList<>(maintenance.visibleColumns());
                storage.addAll(maintenance.hiddenColumns());
                String identities = null;
                List<String> stamps = new ArrayList<>();
                if (serialization != null) {
                    stamps.add(ImmediateFootprint.WHOLE);  // orders these writers on its own
                } else {
                    String joinStamps = footprint == null ? null : footprint.stamps(source.oid(), event);
                    if (joinStamps != null) {
                        stamps.add(joinStamps);
                    }
                    String stampedGroups = groupStamps.map(g -> g.stamps(source.oid(), event)).orElse(null);
                    if (stampedGroups != null) {
                        stamps.add(stampedGroups);
                    }
                    String walked = treeStamps.map(t -> t.stamps(source.oid(), event)).orElse(null);
                    if (walked != null) {
                        stamps.add(walked);
                    }
                    // With a boundary, its lock orders the writers reaching the first rows (and takes
                    // the whole stamp); a tree's stamps cover every node its changes write: no
                    // stored row is locked.
                    identities = boundary || treeStamps.isPresent() ? null : "WITH " + String.join(",\n", context.readingCtes())
                            + "\nSELECT DISTINCT " + PlanContract.ROW_ID + " FROM (" + maintenance.touchedIdentities()
                            + ") AS __pgt_touched";
                    if (kind == Strategy.GROUP_RESCAN) {
                        // A recomputed group reads rows other writers of the group change: at REPEATABLE
                        // READ, one that committed after the snapshot must be noticed (40001), and the
                        // advisory locks leave no trace of it. A stamp per touched group does.
                        stamps.add(ImmediateFootprint.identityStamps(identities));
                    } else if (kind == Strategy.PARTITION_RESCAN) {
                        // A recomputed partition's rows are not all rows the changes touch: writers of
                        // one partition wait for each other on its stamp, before they look for the rows
                        // to lock (at READ COMMITTED then with what the previous writer committed).
                        stamps.add(ImmediateFootprint.identityStamps("WITH " + String.join(",\n", context.readingCtes())
                                + "\n" + PartitionRescanStrategy.TOUCHED_PARTITIONS));
                    }
                }
                String relative = null;
                if (stamps.isEmpty() && scans(top) == 1 && grouping.isEmpty()) {
                    // One table's groups: writers of a group meet only in its stored row.
                    relative = maintenance.relativeApply();
                    if (kind == Strategy.KEYED) {
                        // A stored row comes from the source row with its key, whose writers are one at
                        // a time already (its row lock, the key's unique index): no lock to add.
                        identities = null;
                    }
                }
                statements.add(new CompiledPlan.ImmediateStatement(source.oid(), event.name(),
                        stamps.isEmpty() ? null : String.join("\nUNION\n", stamps), identities,
                        MergeStatement.buildImmediate(context.ctes(), maintenance.identityColumns(), storage,
                                maintenance.updatedColumns(), maintenance.carriesStoredRows()), relative,
                        boundary ? TopKStrategy.reachesFirstRows(context) : null,
                        sides.map(side -> side.turn(source.oid()).json()).orElse(null)));
            }
        }
        return new Immediate(statements, null, serialization);
    }

    private static List<Filter> clockFilters(Plan plan) {
        List<Filter> filters = new ArrayList<>();
        if (plan instanceof Filter filter && Clock.reads(filter.condition().sql())) {
            filters.add(filter);
        }
        for (Plan input : plan.inputs()) {
            filters.addAll(clockFilters(input));
        }
        return filters;
    }

    /** The query telling when a row next enters or leaves a moving time window; {@code null} when that cannot be told. */
    private static String nextClockChange(Plan top) throws UnsupportedQueryException {
        List<String> changes = new ArrayList<>();
        for (Filter filter : clockFilters(top)) {
            Optional<String> next = filter.nextClockChange(new DeltaContext(new ChangeBuffers()));
            if (next.isEmpty()) {
                return null;
            }
            changes.add(next.get());
        }
        return changes.isEmpty() ? null : Clock.once("SELECT LEAST(" + String.join(", ", changes) + ")");
    }

    private static int scans(Plan plan) {
        int scans = plan instanceof Scan ? 1 : 0;
        for (Plan input : plan.inputs()) {
            scans += scans(input);
        }
        return scans;
    }

    /** An operator computing over groups of rows (an aggregate, DISTINCT, a window, TopK) in {@code plan}. */
    private static Optional<Plan> grouping(Plan plan) {
        if (plan instanceof Aggregate || plan instanceof Distinct || plan instanceof DistinctOn || plan instanceof Window
                || plan instanceof TopK || plan instanceof SetOperation || plan instanceof LateralSubquery) {
            return Optional.of(plan);
        }
        return plan.inputs().stream().map(PlanAssembler::grouping).flatMap(Optional::stream).findFirst();
    }

    private static boolean contains(Plan plan, Class<? extends Plan> kind) {
        return kind.isInstance(plan) || plan.inputs().stream().anyMatch(input -> contains(input, kind));
    }

    private static void explain(Plan plan, int depth, List<ExplainLine> lines) {
        lines.add(new ExplainLine(depth, plan.describe(), plan.deltaRule()));
        for (Plan input : plan.inputs()) {
            explain(input, depth + 1, lines);
        }
    }
}
