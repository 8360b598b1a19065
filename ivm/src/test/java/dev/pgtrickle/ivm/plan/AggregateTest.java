package dev.pgtrickle.ivm.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.delta.ChangeBuffers;
import dev.pgtrickle.ivm.delta.DeltaContext;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The delta of an aggregate inside a query: touched groups before (−1) and after (+1). */
class AggregateTest {

    private static final Scan ORDERS = new Scan(new Source(7, "public", "orders", Source.Kind.TABLE,
            List.of("id", "region", "amount")), "o");

    private static Aggregate sumByRegion(List<String> keys) {
        return new Aggregate(ORDERS, keys, List.of(new AggregateCall(1, AggregateCall.Function.SUM, "o.amount")),
                List.of(new OutputColumn("total", "__pgt_agg_1")), null);
    }

    @Test
    void touchedGroupsAreComputedNowAndBefore() throws Exception {
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        String delta = sumByRegion(List.of("o.region")).delta(context);
        String[] terms = delta.split("\nUNION ALL\n");
        assertEquals(4, terms.length, "groups without and with NULL keys, now and before: " + delta);
        assertTrue(terms[0].contains("1::bigint AS __pgt_w") && terms[0].contains("\"public\".\"orders\" AS \"o\""),
                "now: the current rows of the touched groups: " + terms[0]);
        assertTrue(terms[0].contains("__pgt_t.__pgt_k1 = (o.region)"), "matched by equality: " + terms[0]);
        assertTrue(terms[1].contains("-1::bigint AS __pgt_w"), terms[1]);
        assertTrue(terms[1].contains("pg_catalog.sha256(pg_catalog.record_send(ROW("),
                "before: rows consolidated by their bytes, not by equality: " + terms[1]);
        assertTrue(terms[1].contains("pg_catalog.generate_series(1, __pgt_o.__pgt_n)"), terms[1]);
        assertTrue(terms[2].contains("WHERE (__pgt_t.__pgt_k1 IS NULL)) AND EXISTS (SELECT 1 FROM __pgt_touched1 AS __pgt_t WHERE (__pgt_t.__pgt_k1 IS NULL) AND __pgt_t.__pgt_k1 IS NOT DISTINCT FROM (o.region)"),
                "groups with a NULL key, null-safely: " + terms[2]);
        assertTrue(context.ctes().stream().anyMatch(cte -> cte.startsWith("__pgt_touched1 AS (SELECT DISTINCT (o.region)")),
                context.ctes().toString());
    }

    @Test
    void aGlobalAggregateIsRecomputedWhenAnythingChanged() throws Exception {
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        String delta = sumByRegion(List.of()).delta(context);
        assertTrue(delta.contains("EXISTS (SELECT 1 FROM __pgt_touched1)"), delta);
        assertTrue(context.ctes().stream().anyMatch(cte -> cte.endsWith("LIMIT 1)")), context.ctes().toString());
    }

    @Test
    void exactSumsAreSummedFromWeightedRowsWithoutMatchingThemUp() throws Exception {
        Aggregate aggregate = sumByRegion(List.of("o.region"));
        DeltaContext context = new DeltaContext(new ChangeBuffers(), List.of(aggregate));
        String before = aggregate.delta(context).split("\nUNION ALL\n")[1];
        assertTrue(before.matches(".*\\(CASE WHEN COALESCE\\(pg_catalog.sum\\((__pgt_x\\d+).__pgt_w\\) FILTER \\(WHERE"
                + " \\(o.amount\\) IS NOT NULL\\), 0\\) = 0 THEN NULL ELSE pg_catalog.sum\\(\\(o.amount\\) \\* \\(\\1.__pgt_w\\)::int4\\)"
                + " END\\) AS \"total\".*"), "sum = Σ w·x, NULL without values: " + before);
        assertTrue(before.matches(".*GROUP BY \\(o.region\\) HAVING pg_catalog.sum\\(__pgt_x\\d+.__pgt_w\\) > 0"),
                "a group that only the change brought did not exist before: " + before);
        assertTrue(!before.contains("sha256"), before);
    }

    @Test
    void countsAlwaysAddUpAndAvgDividesLikePostgres() throws Exception {
        assertEquals("COALESCE(pg_catalog.sum(w), 0)::bigint",
                Aggregate.weightedCall(new AggregateCall(1, AggregateCall.Function.COUNT_STAR, null), "w"));
        assertEquals("CASE WHEN COALESCE(pg_catalog.sum(w) FILTER (WHERE (x) IS NOT NULL), 0) = 0 THEN NULL ELSE"
                        + " pg_catalog.sum((x) * (w)::int4)::numeric / COALESCE(pg_catalog.sum(w) FILTER (WHERE (x) IS NOT NULL), 0)::numeric END",
                Aggregate.weightedCall(new AggregateCall(1, AggregateCall.Function.AVG, "x"), "w"));
        Aggregate counting = new Aggregate(ORDERS, List.of("o.region"),
                List.of(new AggregateCall(1, AggregateCall.Function.COUNT, "o.amount")),
                List.of(new OutputColumn("n", "__pgt_agg_1")), null);
        assertTrue(!counting.delta(new DeltaContext(new ChangeBuffers())).contains("sha256"),
                "counts are exact without the compiler's say");
    }

    @Test
    void touchedGroupsAreReadPerKeyWhereAnIndexLeadsWithTheGroupKey() throws Exception {
        Scan indexed = new Scan(new Source(7, "public", "orders", Source.Kind.TABLE, List.of("id", "region", "amount"),
                java.util.Set.of("region")), "o");
        Aggregate aggregate = new Aggregate(indexed, List.of("o.region"),
                List.of(new AggregateCall(1, AggregateCall.Function.COUNT_STAR, null)),
                List.of(new OutputColumn("n", "__pgt_agg_1")), null);
        String[] terms = aggregate.delta(new DeltaContext(new ChangeBuffers())).split("\nUNION ALL\n");
        assertTrue(terms[0].contains("FROM __pgt_touched1 AS __pgt_t, LATERAL (SELECT \"o\".\"id\" AS __pgt_c1,")
                && terms[0].contains("WHERE (__pgt_t.__pgt_k1 = (o.region)) OFFSET 0)"), "now, per touched key: " + terms[0]);
        assertTrue(terms[1].contains("OFFSET 0"), "before, from the same rows: " + terms[1]);
        assertTrue(!terms[2].contains("OFFSET 0"), "NULL keys are matched null-safely, not probed: " + terms[2]);
        String plain = sumByRegion(List.of("o.region")).delta(new DeltaContext(new ChangeBuffers()));
        assertTrue(!plain.contains("OFFSET 0"), "without an index the planner chooses: " + plain);
    }
}
