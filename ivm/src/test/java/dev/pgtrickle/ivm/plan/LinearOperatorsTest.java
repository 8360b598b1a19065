package dev.pgtrickle.ivm.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.delta.ChangeBuffers;
import dev.pgtrickle.ivm.delta.DeltaContext;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Scan, Filter, Project, UnionAll and Derived: their deltas are their inputs' deltas, transformed row by row. */
class LinearOperatorsTest {

    private static final Scan T = new Scan(new Source(42, "public", "t", Source.Kind.TABLE, List.of("id", "v")), "t");

    @Test
    void aScanReadsItsBufferBeyondTheFrontier() {
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        String delta = T.delta(context);
        assertTrue(delta.startsWith("SELECT \"id\" AS __pgt_c1, \"v\" AS __pgt_c2, CASE __pgt_action WHEN 'I' THEN 1"
                + " ELSE -1 END::bigint AS __pgt_w FROM pgtrickle_changes.\"changes_42\""), delta);
        assertEquals(List.of(42L), context.sources().stream().map(Source::oid).toList());
        assertEquals("\"public\".\"t\" AS \"t\"", T.current(context).from());
    }

    /** A scan reading part of a source of four columns, two of which have types whose equal values are identical. */
    private static Scan partOfWide(List<String> read) {
        return new Scan(new Source(44, "public", "w", Source.Kind.TABLE, List.of("id", "code", "amount", "note"),
                Set.of(), Set.of("id", "code")), "w", read);
    }

    @Test
    void asAskedTheChangesOfPartOfASourceAreMergedAndThoseThatCancelDropped() {
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        context.mergeIdenticalChanges();
        String delta = partOfWide(List.of("id", "code")).delta(context);
        assertTrue(delta.startsWith("SELECT __pgt_c1, __pgt_c2, pg_catalog.sum(__pgt_w::integer) AS __pgt_w"
                + " FROM (SELECT \"id\" AS __pgt_c1, \"code\" AS __pgt_c2,"), delta);
        assertTrue(delta.endsWith(") AS __pgt_rows GROUP BY __pgt_c1, __pgt_c2"
                + " HAVING pg_catalog.sum(__pgt_w::integer) <> 0"), delta);
        assertTrue(partOfWide(List.of("id", "code")).deltaRule().contains("identical rows merged first where the query joins"));
        assertFalse(partOfWide(List.of("id", "amount")).deltaRule().contains("merged"));
    }

    @Test
    void theChangesOfASourceReadForNoColumnMergeIntoTheirNetWeight() {
        // SELECT count(*) FROM w inside a larger query: only how many rows came and went.
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        context.mergeIdenticalChanges();
        String delta = partOfWide(List.of()).delta(context);
        assertTrue(delta.startsWith("SELECT pg_catalog.sum(__pgt_w::integer) AS __pgt_w FROM (SELECT CASE"), delta);
        assertTrue(delta.endsWith(") AS __pgt_rows HAVING pg_catalog.sum(__pgt_w::integer) <> 0"), delta);
    }

    @Test
    void changesAreNotMergedUnlessAskedNorWhenAnEqualValueMayShowDifferently() {
        assertFalse(partOfWide(List.of("id", "code")).delta(new DeltaContext(new ChangeBuffers())).contains("GROUP BY"));
        DeltaContext asked = new DeltaContext(new ChangeBuffers());
        asked.mergeIdenticalChanges();
        assertFalse(partOfWide(List.of("id", "amount")).delta(asked).contains("GROUP BY"),
                "amount (say numeric: 1.0 equals 1.00) cannot tell identical values");
        Scan everyColumn = new Scan(new Source(45, "public", "v", Source.Kind.TABLE, List.of("id", "code"),
                Set.of(), Set.of("id", "code")), "v");
        assertFalse(everyColumn.delta(asked).contains("GROUP BY"), "only an update that changes nothing would cancel");
    }

    @Test
    void theChangesReadAreCountedInOnePassThatAlsoSeesTruncationsAndTheOldestWriter() {
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        T.delta(context);
        assertEquals("(SELECT __pgt_truncated FROM __pgt_consumed)", context.truncatedSinceFrontier());
        assertEquals("(SELECT __pgt_consumed FROM __pgt_consumed)", context.consumedChanges());
        assertEquals("(SELECT __pgt_oldest FROM __pgt_consumed)", context.oldestConsumed());
        List<String> ctes = context.ctes();
        assertEquals(1, ctes.size(), "one CTE, however often it is referred to");
        assertTrue(ctes.get(0).startsWith("__pgt_consumed AS (SELECT pg_catalog.count(*) FILTER (WHERE __pgt_action <> 'T')"
                + " AS __pgt_consumed, coalesce(pg_catalog.bool_or(__pgt_action = 'T'), false) AS __pgt_truncated,"
                + " pg_catalog.min(__pgt_xid) AS __pgt_oldest"
                + " FROM (SELECT __pgt_action, __pgt_xid FROM pgtrickle_changes.\"changes_42\" WHERE NOT pgtrickle._covered("),
                ctes.get(0));
        Scan late = new Scan(new Source(43, "public", "u", Source.Kind.TABLE, List.of("v")), "u");
        assertThrows(IllegalStateException.class, () -> {
            late.delta(context);
            context.consumedChanges();
        }, "a source read after the count would be missing from it");
    }

    @Test
    void aFilterAppliesItsConditionToTheDelta() throws Exception {
        Filter filter = new Filter(T, new Condition("(t.v > 1)", Set.of("t")));
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        String delta = filter.delta(context);
        assertTrue(delta.startsWith("SELECT \"t\".\"id\" AS __pgt_c1, \"t\".\"v\" AS __pgt_c2,"
                + " (__pgt_x1.__pgt_w)::bigint AS __pgt_w FROM __pgt_d1 AS __pgt_x1"), delta);
        assertTrue(delta.endsWith("WHERE ((t.v > 1))"), delta);
        assertEquals(List.of("(t.v > 1)"), filter.current(context).where());
    }

    @Test
    void aProjectionComputesItsOutputsOnTheDelta() throws Exception {
        Project project = new Project(T, List.of(new OutputColumn("double", "(t.v * 2)")));
        String delta = project.delta(new DeltaContext(new ChangeBuffers()));
        assertTrue(delta.startsWith("SELECT (t.v * 2) AS \"double\", __pgt_x1.__pgt_w AS __pgt_w FROM __pgt_d1 AS __pgt_x1,"
                + " LATERAL (SELECT"), delta);
    }

    @Test
    void unionAllAndSubqueriesPassTheirInputsDeltasOn() throws Exception {
        Project left = new Project(T, List.of(new OutputColumn("v", "t.v")));
        Scan other = new Scan(new Source(43, "public", "u", Source.Kind.TABLE, List.of("v")), "u");
        Project right = new Project(other, List.of(new OutputColumn("v", "u.v")));
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        String union = new UnionAll(List.of(left, right)).delta(context);
        assertEquals(2, union.split(" UNION ALL ").length, union);
        String derived = new Derived(left, "s").delta(context);
        assertTrue(derived.startsWith("SELECT __pgt_q.\"v\" AS __pgt_c1, __pgt_q.__pgt_w FROM __pgt_d"), derived);
    }
}
