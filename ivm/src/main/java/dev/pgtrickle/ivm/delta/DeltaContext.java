package dev.pgtrickle.ivm.delta;

import dev.pgtrickle.ivm.plan.Binding;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the delta rules of one refresh statement share: where source changes come from, and the
 * deltas computed so far. Each operator's delta becomes a CTE (in dependency order), computed
 * once per refresh however many terms read it.
 *
 * <p>The delta of a {@link FromPlan} has positional columns ({@link #column(int)}); {@link #expose}
 * makes its aliases visible again through LATERAL projections, which the planner pulls up, so
 * the user's conditions and expressions apply to a delta as they are and join conditions
 * still reach the other inputs' indexes.
 */
public final class DeltaContext {

    /**
     * How many rows of a table reading it sequentially costs as much as one index probe: the
     * break-even of {@link #fewChanges}. Measured at TPC-H scale factor 1 with warm caches: a
     * probe of {@code part} per change row took ~4 µs, a sequential read of it ~0.15 µs a row.
     */
    static final int ROWS_PER_PROBE = 20;

    /** Weight column of every delta: +n inserted copies, -n deleted ones. */
    public static final String WEIGHT = "__pgt_w";
    /** The CTE, and its column, with the number of change rows a refresh reads. */
    public static final String CONSUMED = "__pgt_consumed";
    /** Column of {@value #CONSUMED}: a source was truncated since the changes began. */
    public static final String TRUNCATED = "__pgt_truncated";
    /**
     * Column of {@value #CONSUMED}: the oldest transaction among the change rows read (NULL when
     * it is not known), which tells the buffer cleanup whether another reader has read any of them.
     */
    public static final String OLDEST = "__pgt_oldest";

    private final DeltaSource changes;
    private final Set<Plan> exactSums = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Plan, GroupFilter> groupFilters = new IdentityHashMap<>();
    private final Map<Plan, String> deltaCtes = new IdentityHashMap<>();
    private final Map<String, List<Shaped>> shaped = new HashMap<>();
    private final Map<Plan, String> sharedCurrent = new IdentityHashMap<>();
    private final Map<Plan, KeptTable> keptTables;
    private final Map<Plan, String> keptGroups = new IdentityHashMap<>();
    private final Map<String, RecursiveRows> recursiveRows = new HashMap<>();
    private int buildingDelta;
    private final Map<String, String> cteDefinitions = new LinkedHashMap<>();
    private final Set<String> writing = new HashSet<>();
    private final Map<Long, Source> sources = new LinkedHashMap<>();
    private Set<Long> consumedOf;
    private final Map<ChangesAgainst, String> fewChanges = new HashMap<>();
    private int exposures;
    private int names;
    private boolean mergeIdenticalChanges;

    public DeltaContext(DeltaSource changes) {
        this(changes, List.of());
    }

    /**
     * @param exactSums the aggregates inside the query whose sums are over types that add up
     *     exactly, at a fixed scale (integers, numerics with a declared scale): their old values
     *     may be summed from weighted rows (see {@link #hasExactSums})
     */
    public DeltaContext(DeltaSource changes, Collection<? extends Plan> exactSums) {
        this(changes, exactSums, Map.of());
    }

    /**
     * Where an aggregate inside the query keeps its groups.
     *
     * @param table the table's placeholder in the plan's statements
     * @param scaledCalls the indexes of its SUM and AVG calls over unconstrained numerics, whose
     *     display scales the table tracks
     */
    public record KeptTable(String table, Set<Integer> scaledCalls) {

        public KeptTable {
            scaledCalls = Set.copyOf(scaledCalls);
        }
    }

    /**
     * @param keptTables the aggregates inside the query whose groups are kept in a table (see
     *     {@link #keptTable})
     */
    public DeltaContext(DeltaSource changes, Collection<? extends Plan> exactSums,
                        Map<? extends Plan, KeptTable> keptTables) {
        this.changes = changes;
        this.exactSums.addAll(exactSums);
        this.keptTables = new IdentityHashMap<>(keptTables);
    }

    /** The table keeping {@code aggregate}'s groups, or {@code null} when none does. */
    public KeptTable keptTable(Plan aggregate) {
        return keptTables.get(aggregate);
    }

    /** Records the CTE holding the states of the groups of {@code aggregate} that the delta touches. */
    public void keptGroups(Plan aggregate, String cte) {
        keptGroups.put(aggregate, cte);
    }

    /** The CTE recorded by {@link #keptGroups(Plan, String)}; the aggregate's delta registers it. */
    public String keptGroups(Plan aggregate) {
        return keptGroups.get(aggregate);
    }

    /**
     * Whether SQL is being built for a delta, inside the refresh statement (its CTEs are there),
     * rather than for a statement that stands alone (the populate query).
     */
    public boolean insideDelta() {
        return buildingDelta > 0;
    }

    /**
     * The current rows of {@code plan} as the refresh statement reads them: an aggregate whose
     * groups are kept in a table is read from it as this statement leaves it (the untouched
     * groups as kept, the touched ones as they are now), not computed again from the sources.
     */
    public String currentInStatement(QueryPlan plan) throws UnsupportedQueryException {
        buildingDelta++;
        try {
            return plan.current(this);
        } finally {
            buildingDelta--;
        }
    }

    /** Whether {@code aggregate}'s sums were found to be over exact, fixed-scale types. */
    public boolean hasExactSums(Plan aggregate) {
        return exactSums.contains(aggregate);
    }

    /** Which of the groups a change touched matter to the operator that reads an aggregate's delta. */
    @FunctionalInterface
    public interface GroupFilter {

        /** A condition over the touched keys (SQL expressions, in group key order). */
        String condition(List<String> touchedKeys) throws UnsupportedQueryException;
    }

    /**
     * Limits the delta of {@code aggregate} to the touched groups that pass {@code filter}; set
     * by the only reader of that delta before it reads it.
     */
    public void restrictGroups(Plan aggregate, GroupFilter filter) {
        groupFilters.put(aggregate, filter);
    }

    /** The filter set for {@code aggregate}'s touched groups, or {@code null}. */
    public GroupFilter groupFilter(Plan aggregate) {
        return groupFilters.get(aggregate);
    }

    /** Name of the n-th (1-based) positional column of a {@link FromPlan}'s delta. */
    public static String column(int index) {
        return "__pgt_c" + index;
    }

    /**
     * A delta made visible under its aliases.
     *
     * @param from FROM items: the rows under {@code reference} and a LATERAL projection per alias
     * @param reference the name the rows are read under, for columns beyond the aliases'
     */
    public record Exposure(String from, String reference) {

        /** The expression of a row's weight. */
        public String weight() {
            return reference + "." + WEIGHT;
        }
    }

    /** The delta of {@code plan}, its aliases visible (one more reference to its CTE). */
    public Exposure expose(FromPlan plan) throws UnsupportedQueryException {
        return exposeRows(deltaOf(plan), plan.bindings());
    }

    /** The rows of {@code plan}'s delta: positional columns ({@link #column(int)}) and {@link #WEIGHT}. */
    public String deltaRows(FromPlan plan) throws UnsupportedQueryException {
        return deltaOf(plan);
    }

    /**
     * The delta CTE of {@code plan}; an input of the same shape as one whose delta was computed
     * before, and carrying no column it lacks, reads that one's ({@link DeltaShape}).
     */
    private String deltaOf(FromPlan plan) throws UnsupportedQueryException {
        Optional<DeltaShape> shape = deltaCtes.containsKey(plan) ? Optional.empty() : DeltaShape.of(plan);
        if (shape.isPresent()) {
            for (Shaped earlier : shaped.getOrDefault(shape.get().key(), List.of())) {
                String projection = shape.get().projection(earlier.plan().bindings(), earlier.shape(),
                        deltaCtes.get(earlier.plan()), plan);
                if (projection != null) {
                    return deltaCte(plan, () -> projection);
                }
            }
        }
        String cte = deltaCte(plan, () -> plan.delta(this));
        shape.ifPresent(s -> shaped.computeIfAbsent(s.key(), k -> new ArrayList<>()).add(new Shaped(plan, s)));
        return cte;
    }

    /** An input whose delta was computed, with its shape. */
    private record Shaped(FromPlan plan, DeltaShape shape) {
    }

    /**
     * Rows with positional columns ({@link #column(int)}) and {@link #WEIGHT} — a CTE's name or a
     * parenthesized query — with the aliases of {@code bindings} visible.
     */
    public Exposure exposeRows(String rows, List<Binding> bindings) {
        String reference = "__pgt_x" + (++exposures);
        StringBuilder from = new StringBuilder(rows).append(" AS ").append(reference);
        int position = 1;
        for (Binding binding : bindings) {
            List<String> items = new ArrayList<>();
            for (String name : binding.columns()) {
                items.add(reference + "." + column(position++) + " AS " + Sql.ident(name));
            }
            from.append(", LATERAL (SELECT ").append(String.join(", ", items)).append(") AS ")
                    .append(Sql.ident(binding.alias()));
        }
        return new Exposure(from.toString(), reference);
    }

    /**
     * The current rows of {@code plan} that satisfy {@code condition}, read once per row of the
     * FROM items before them — a LATERAL subquery, which PostgreSQL can only run from those rows
     * (OFFSET 0 keeps it from pulling the subquery up into a join it would plan from its own
     * estimates) — with the aliases of {@code plan} visible.
     */
    public Exposure exposePerRow(FromPlan plan, String condition) throws UnsupportedQueryException {
        String rows = plan.current(this).and(condition).select(positionalItems(plan.bindings(), List.of()));
        return exposeRows("LATERAL (" + rows + " OFFSET 0)", plan.bindings());
    }

    /** The changes of an input (a CTE) weighed against the size of a table. */
    private record ChangesAgainst(String changes, long table) {
    }

    /** A CTE name not used before in this statement, starting with {@code prefix}. */
    public String freshName(String prefix) {
        return prefix + (++names);
    }

    /** Name of the CTE holding the delta of {@code plan} (its output columns and the weight). */
    public String delta(QueryPlan plan) throws UnsupportedQueryException {
        return deltaCte(plan, () -> plan.delta(this));
    }

    /**
     * SQL boolean, evaluated once per refresh: {@code plan} changed in few enough rows that
     * probing {@code table} per changed row costs less than reading all of it, as far as the
     * table's statistics tell (a table never analyzed counts as large: probes stay cheap however
     * large it is, a wrong read of all of it does not). Decided in a CTE of its own, so that the
     * changes are counted once however many terms ask.
     */
    public String fewChanges(FromPlan plan, Source table) throws UnsupportedQueryException {
        String changes = deltaOf(plan);
        String name = fewChanges.computeIfAbsent(new ChangesAgainst(changes, table.oid()), key -> {
            String cte = freshName("__pgt_few");
            addCte(cte, "SELECT coalesce((SELECT pg_catalog.count(*) FROM " + changes + ") * " + ROWS_PER_PROBE
                    + " <= (SELECT CASE WHEN c.reltuples < 0 THEN 'Infinity' ELSE c.reltuples END"
                    + " FROM pg_catalog.pg_class AS c WHERE c.oid = " + table.oid() + "), true) AS few");
            return cte;
        });
        return "(SELECT few FROM " + name + ")";
    }

    /**
     * Merges the identical rows of each source's changes from now on (see {@link #changes}): for
     * a query that joins, where every change row costs probes of other inputs, while merging
     * costs about a microsecond a row. Without a join, the strategies' own consolidation of the
     * result's changes already cancels what merging would.
     */
    public void mergeIdenticalChanges() {
        mergeIdenticalChanges = true;
    }

    /**
     * The changes of a source, its {@code columns} under positional column names; the source is
     * recorded as read.
     *
     * <p>An UPDATE that leaves every column the query reads as it was (TPC-H's updates of
     * {@code o_orderpriority} for a query joining on {@code o_custkey}) is a deleted and an
     * inserted copy of the same values. When {@link #mergeIdenticalChanges asked}, identical rows
     * are merged and those whose weights cancel dropped, so that such updates do not reach the
     * joins: when the query reads part of the source's columns (otherwise only no-op updates
     * would cancel), all of types whose equal values are identical ({@link
     * Source#equalMeansIdentical}). That leaves out numerics, whose 1.0 equals 1.00, and other
     * types whose equal values may show differently: merging those would lose a change of how a
     * value shows. It also leaves out what costs most to group on and what updates change most
     * often: amounts, which a query reading a table only for keys, codes and dates does not read.
     * See docs/architecture.md, "Merged changes".
     */
    public String changes(Source source, List<String> columns) {
        sources.putIfAbsent(source.oid(), source);
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= columns.size(); i++) {
            names.add(column(i));
        }
        String rows = changes.changes(source, columns, names);
        if (!mergeIdenticalChanges || !source.mergeable(columns)) {
            return rows;
        }
        // Each row's weight is 1 or -1, so integer sums (bigint results) cannot overflow.
        String sum = "pg_catalog.sum(" + WEIGHT + "::integer)";
        if (names.isEmpty()) {
            // Nothing read but the rows' number (a count(*) of the table): their net weight, one row.
            return "SELECT " + sum + " AS " + WEIGHT + " FROM (" + rows + ") AS __pgt_rows HAVING " + sum + " <> 0";
        }
        String keys = String.join(", ", names);
        return "SELECT " + keys + ", " + sum + " AS " + WEIGHT + " FROM (" + rows + ") AS __pgt_rows GROUP BY " + keys
                + " HAVING " + sum + " <> 0";
    }

    /** A source as the refresh sees it now. */
    public String current(Source source) {
        return changes.current(source);
    }

    /** SQL boolean: a source whose changes the delta reads was truncated since they began. */
    public String truncatedSinceFrontier() {
        return "(SELECT " + TRUNCATED + " FROM " + consumedCte() + ")";
    }

    /** SQL bigint: how many change rows of its sources the refresh reads. */
    public String consumedChanges() {
        return "(SELECT " + CONSUMED + " FROM " + consumedCte() + ")";
    }

    /** SQL xid8: the oldest transaction among the change rows the refresh reads. */
    public String oldestConsumed() {
        return "(SELECT " + OLDEST + " FROM " + consumedCte() + ")";
    }

    /**
     * The CTE counting the changes read, added once every delta has been built: a source read
     * after it was added would be missing from it.
     */
    private String consumedCte() {
        if (consumedOf == null) {
            consumedOf = Set.copyOf(sources.keySet());
            addCte(CONSUMED, changes.consumed(sources.values()));
        } else if (!consumedOf.equals(sources.keySet())) {
            throw new IllegalStateException("a source was read after the changes were counted");
        }
        return CONSUMED;
    }

    /** Every source whose changes the delta reads. */
    public List<Source> sources() {
        return List.copyOf(sources.values());
    }

    /**
     * The current rows of a relation of at most one row ({@code query}, e.g. an uncorrelated
     * scalar subquery's aggregate) as delta terms read them: one CTE, so that the terms reading
     * it (the changes of the other side joined with it, rows whose match may have flipped)
     * compute it once. Outside a delta (the populate query, which stands alone) the query itself.
     */
    public String sharedCurrent(Plan plan, String query) {
        if (!insideDelta()) {
            return query;
        }
        String name = sharedCurrent.computeIfAbsent(plan, key -> {
            String cte = freshName("__pgt_now");
            addCte(cte, query);
            return cte;
        });
        return "SELECT * FROM " + name;
    }

    /** Registers a CTE after the ones collected so far. */
    public void addCte(String name, String query) {
        cteDefinitions.put(name, query);
    }

    /** Registers a data-modifying CTE (a kept state's write), which no other CTE reads. */
    public void addWritingCte(String name, String statement) {
        addCte(name, statement);
        writing.add(name);
    }

    /** CTE definitions ({@code name AS (query)}) the generated SQL relies on, in order. */
    public List<String> ctes() {
        return cteDefinitions.entrySet().stream().map(cte -> cte.getKey() + " AS (" + cte.getValue() + ")").toList();
    }

    /**
     * The CTEs without the data-modifying ones: for a statement that only reads what the changes
     * touch (IMMEDIATE mode's identities to lock), before the one that applies them writes.
     */
    public List<String> readingCtes() {
        return cteDefinitions.entrySet().stream().filter(cte -> !writing.contains(cte.getKey()))
                .map(cte -> cte.getKey() + " AS (" + cte.getValue() + ")").toList();
    }

    /**
     * {@code "alias"."column" AS __pgt_c<n>} for every column of {@code bindings}, or {@code NULL}
     * for those of the bindings in {@code padded} (the null-extended side of an outer join).
     */
    public static List<String> positionalItems(List<Binding> bindings, List<Binding> padded) {
        List<String> items = new ArrayList<>();
        int position = 1;
        for (Binding binding : bindings) {
            boolean isNull = padded.contains(binding);
            for (String name : binding.columns()) {
                items.add((isNull ? "NULL" : Sql.ident(binding.alias()) + "." + Sql.ident(name))
                        + " AS " + column(position++));
            }
        }
        return items;
    }

    /** {@code SELECT items, (weight)::bigint AS __pgt_w FROM from WHERE conditions}: one delta term. */
    public static String term(List<String> items, String weight, List<String> from, List<String> where) {
        List<String> all = new ArrayList<>(items);
        all.add("(" + weight + ")::bigint AS " + WEIGHT);
        return "SELECT " + String.join(", ", all) + " FROM " + String.join(", ", from) + " WHERE " + Sql.and(where);
    }

    /** Terms of a delta, as one query. */
    public static String union(List<String> terms) {
        return String.join("\nUNION ALL\n", terms);
    }

    /** SQL that may only be computed in a certain state of the context. */
    @FunctionalInterface
    public interface SqlComputation {
        String sql() throws UnsupportedQueryException;
    }

    /**
     * What a recursive query's reference to itself ({@code plan.RecursiveRef}) reads while part
     * of the query's delta is computed.
     *
     * @param current a FROM item (without alias) of its rows, under the query's column names
     * @param delta its delta (positional columns and weight); {@code null} where none is asked for
     */
    public record RecursiveRows(String current, String delta) {
    }

    /** What the references to the recursive query {@code cte} read; empty while the query itself is evaluated. */
    public Optional<RecursiveRows> recursiveRows(String cte) {
        return Optional.ofNullable(recursiveRows.get(cte));
    }

    /** {@code computation}'s SQL, computed while the references to {@code cte} read {@code rows}. */
    public String withRecursiveRows(String cte, RecursiveRows rows, SqlComputation computation)
            throws UnsupportedQueryException {
        RecursiveRows outer = recursiveRows.put(cte, rows);
        try {
            return computation.sql();
        } finally {
            if (outer == null) {
                recursiveRows.remove(cte);
            } else {
                recursiveRows.put(cte, outer);
            }
        }
    }

    private String deltaCte(Plan plan, SqlComputation query) throws UnsupportedQueryException {
        String existing = deltaCtes.get(plan);
        if (existing != null) {
            return existing;
        }
        String sql;
        buildingDelta++;
        try {
            sql = query.sql();
        } finally {
            buildingDelta--;
        }
        String name = "__pgt_d" + (deltaCtes.size() + 1);
        deltaCtes.put(plan, name);
        cteDefinitions.put(name, sql);
        return name;
    }
}
