package dev.pgtrickle.ivm.delta;

import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.plan.UnionAll;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Delta rules (Z-set algebra) as SQL. For a query block or a relation-valued plan it produces
 * the SQL of the current state (under the refresh statement's snapshot) and of the delta since
 * the old frontier: the same columns plus a weight {@code __pgt_w} (+n inserted, -n deleted).
 *
 * <p>Deltas of inputs become CTEs (collected here, in dependency order) so each is computed once
 * per refresh. Inside a block the inputs keep their aliases, so the user's predicates and
 * expressions are reused as they are. The refresh statement binds the old frontier as
 * {@code $1, $2, $3} (see {@link #NOT_COVERED}).
 */
public final class DeltaBuilder {

    /** Weight column of every delta. */
    public static final String WEIGHT = "__pgt_w";

    /**
     * A buffer row is part of the delta unless the old frontier covers it: {@code $1} is the old
     * frontier's snapshot, {@code $2}/{@code $3} its cut inside the transaction that took it.
     * Rows the refresh statement cannot see are not returned at all, so no upper bound is needed.
     */
    private static final String NOT_COVERED = "NOT pgtrickle._covered(__pgt_xid, __pgt_seq, $1, $2, $3)";

    /** Up to this many join inputs use inclusion–exclusion over new states (2^n - 1 terms). */
    private static final int MAX_INCLUSION_EXCLUSION_INPUTS = 4;

    private final Map<Plan, String> deltaCtes = new IdentityHashMap<>();
    private final Map<String, String> cteDefinitions = new LinkedHashMap<>();
    private final Map<Long, Source> sources = new LinkedHashMap<>();

    /** CTE definitions ({@code name AS (query)}) the generated SQL relies on, in order. */
    public List<String> ctes() {
        return cteDefinitions.entrySet().stream()
                .map(cte -> cte.getKey() + " AS (" + cte.getValue() + ")")
                .toList();
    }

    /** Registers an extra CTE after the ones collected so far. */
    public void addCte(String name, String query) {
        cteDefinitions.put(name, query);
    }

    /** Every source whose change buffer the delta reads. */
    public List<Source> sources() {
        return List.copyOf(sources.values());
    }

    /**
     * True when a source was truncated since the old frontier: a TRUNCATE leaves a marker in
     * the buffer instead of rows, so the delta cannot be computed and the table is reinitialized.
     */
    public String truncatedSinceFrontier() {
        if (sources.isEmpty()) {
            return "false";
        }
        return sources.values().stream()
                .map(source -> "EXISTS (SELECT 1 FROM " + buffer(source) + " WHERE __pgt_action = 'T'"
                        + " AND " + NOT_COVERED + ")")
                .collect(Collectors.joining(" OR "));
    }

    /** {@code SELECT items FROM <current inputs> WHERE predicates}. */
    public String current(Block block, List<String> selectItems) throws UnsupportedQueryException {
        List<String> from = new ArrayList<>();
        for (Plan leaf : block.leaves()) {
            from.add(currentFrom(leaf) + " AS " + Sql.ident(Block.aliasOf(leaf)));
        }
        return "SELECT " + String.join(", ", selectItems) + " FROM " + String.join(", ", from)
                + " WHERE " + Sql.and(block.predicates());
    }

    /**
     * The delta of {@code SELECT items FROM block}: a UNION ALL of terms, each reading some
     * inputs' deltas and the other inputs' current or old states, with the weights multiplied.
     */
    public String delta(Block block, List<String> selectItems) throws UnsupportedQueryException {
        int n = block.leaves().size();
        for (Plan leaf : block.leaves()) {
            deltaCte(leaf);
        }
        List<String> terms = new ArrayList<>();
        if (n <= MAX_INCLUSION_EXCLUSION_INPUTS) {
            // Δ(R1 ⋈ … ⋈ Rn) = Σ over non-empty S: (-1)^(|S|+1) · ⋈(ΔRi, i ∈ S) ⋈ (Rj new, j ∉ S):
            // every term joins deltas with base tables as they are now (index lookups).
            for (int subset = 1; subset < (1 << n); subset++) {
                State[] states = new State[n];
                for (int i = 0; i < n; i++) {
                    states[i] = (subset & (1 << i)) != 0 ? State.DELTA : State.CURRENT;
                }
                boolean negative = Integer.bitCount(subset) % 2 == 0;
                terms.add(term(block, selectItems, states, negative));
            }
        } else {
            // Telescoping: Σi (R1..Ri-1 old) ⋈ ΔRi ⋈ (Ri+1..Rn new): n terms, old states rebuilt
            // from the current state and the delta.
            for (int i = 0; i < n; i++) {
                State[] states = new State[n];
                for (int j = 0; j < n; j++) {
                    states[j] = j < i ? State.OLD : j == i ? State.DELTA : State.CURRENT;
                }
                terms.add(term(block, selectItems, states, false));
            }
        }
        return String.join("\nUNION ALL\n", terms);
    }

    /** Current state of a relation-valued plan, with its output column names. */
    public String currentRelation(Plan plan) throws UnsupportedQueryException {
        if (plan instanceof Scan scan) {
            return "SELECT " + Sql.columns("", scan.columns()) + " FROM " + table(scan.source());
        }
        if (plan instanceof Project project) {
            return current(Block.of(project.input()), items(project.outputs()));
        }
        if (plan instanceof UnionAll union) {
            List<String> branches = new ArrayList<>();
            for (Plan branch : union.branches()) {
                branches.add(currentRelation(branch));
            }
            return branches.stream().map(b -> "(" + b + ")").collect(Collectors.joining(" UNION ALL "));
        }
        if (plan instanceof Derived derived) {
            return currentRelation(derived.query());
        }
        throw unsupportedBelowTop(plan);
    }

    /** Delta of a relation-valued plan: its output columns and {@link #WEIGHT}. */
    public String deltaRelation(Plan plan) throws UnsupportedQueryException {
        if (plan instanceof Scan || plan instanceof Derived) {
            return "SELECT * FROM " + deltaCte(plan);
        }
        if (plan instanceof Project project) {
            return delta(Block.of(project.input()), items(project.outputs()));
        }
        if (plan instanceof UnionAll union) {
            List<String> branches = new ArrayList<>();
            for (Plan branch : union.branches()) {
                branches.add(deltaRelation(branch));
            }
            return branches.stream().map(b -> "(" + b + ")").collect(Collectors.joining(" UNION ALL "));
        }
        throw unsupportedBelowTop(plan);
    }

    /** {@code expression AS "name"} for each output. */
    public static List<String> items(List<OutputColumn> outputs) {
        return outputs.stream().map(o -> o.expression() + " AS " + Sql.ident(o.name())).toList();
    }

    private enum State { CURRENT, DELTA, OLD }

    private String term(Block block, List<String> selectItems, State[] states, boolean negative)
            throws UnsupportedQueryException {
        List<String> from = new ArrayList<>();
        List<String> weights = new ArrayList<>();
        for (int i = 0; i < states.length; i++) {
            Plan leaf = block.leaves().get(i);
            String alias = Sql.ident(Block.aliasOf(leaf));
            switch (states[i]) {
                case CURRENT -> from.add(currentFrom(leaf) + " AS " + alias);
                case DELTA -> {
                    from.add(deltaCte(leaf) + " AS " + alias);
                    weights.add(alias + "." + WEIGHT);
                }
                case OLD -> {
                    from.add(oldFrom(leaf) + " AS " + alias);
                    weights.add(alias + "." + WEIGHT);
                }
                default -> throw new IllegalStateException();
            }
        }
        String weight = (negative ? "-" : "") + String.join(" * ", weights);
        List<String> items = new ArrayList<>(selectItems);
        items.add("(" + weight + ")::bigint AS " + WEIGHT);
        return "SELECT " + String.join(", ", items) + " FROM " + String.join(", ", from)
                + " WHERE " + Sql.and(block.predicates());
    }

    private String currentFrom(Plan leaf) throws UnsupportedQueryException {
        if (leaf instanceof Scan scan) {
            return table(scan.source());
        }
        return "(" + currentRelation(((Derived) leaf).query()) + ")";
    }

    /** Old state = current state minus the delta, as a weighted relation. */
    private String oldFrom(Plan leaf) throws UnsupportedQueryException {
        String columns = Sql.columns("", leaf.columns());
        return "(SELECT " + columns + ", 1::bigint AS " + WEIGHT + " FROM " + currentFrom(leaf) + " AS __pgt_now"
                + " UNION ALL SELECT " + columns + ", -" + WEIGHT + " FROM " + deltaCte(leaf) + ")";
    }

    /** Name of the CTE holding a leaf's delta, defining it on first use. */
    private String deltaCte(Plan leaf) throws UnsupportedQueryException {
        String existing = deltaCtes.get(leaf);
        if (existing != null) {
            return existing;
        }
        String query;
        if (leaf instanceof Scan scan) {
            Source source = scan.source();
            sources.putIfAbsent(source.oid(), source);
            // An UPDATE was captured as 'D' of the old row and 'I' of the new one.
            query = "SELECT " + Sql.columns("", source.columns())
                    + ", CASE __pgt_action WHEN 'I' THEN 1 ELSE -1 END::bigint AS " + WEIGHT
                    + " FROM " + buffer(source)
                    + " WHERE __pgt_action <> 'T' AND " + NOT_COVERED;
        } else if (leaf instanceof Derived derived) {
            query = deltaRelation(derived.query());
        } else {
            query = deltaRelation(leaf);
        }
        String name = "__pgt_d" + (deltaCtes.size() + 1);
        deltaCtes.put(leaf, name);
        cteDefinitions.put(name, query);
        return name;
    }

    private static String table(Source source) {
        return Sql.qualified(source.schema(), source.name());
    }

    private static String buffer(Source source) {
        return "pgtrickle_changes." + Sql.ident("changes_" + source.oid());
    }

    private static UnsupportedQueryException unsupportedBelowTop(Plan plan) {
        String operator = plan.getClass().getSimpleName().toUpperCase(java.util.Locale.ROOT);
        return new UnsupportedQueryException(operator,
                operator + " is only supported at the top of the defining query, not inside a subquery or UNION ALL");
    }
}
