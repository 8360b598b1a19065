package dev.pgtrickle.ivm.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.delta.ChangeBuffers;
import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.sql.Sql;
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
        assertTrue(terms[1].contains("pg_catalog.record_send(ROW(__pgt_u.__pgt_c1, __pgt_u.__pgt_c2, __pgt_u.__pgt_c3))"
                        + " AS __pgt_h") && terms[1].contains("GROUP BY __pgt_h"),
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
        String[] terms = aggregate.delta(context).split("\nUNION ALL\n");
        String groups = groupsCtes(context).get(0);
        String sum = "pg_catalog.sum\\(\\(o.amount\\) \\* \\(\\1.__pgt_w\\)::int4\\)";
        assertTrue(groups.matches(".*\\(CASE WHEN COALESCE\\(pg_catalog.sum\\((__pgt_x\\d+).__pgt_w\\) FILTER \\(WHERE"
                + " \\(o.amount\\) IS NOT NULL\\), 0\\) = 0 THEN NULL ELSE CASE WHEN \\(" + sum + "\\)::text IN \\('NaN', 'Infinity',"
                + " '-Infinity', 'infinity', '-infinity'\\) THEN pgtrickle._not_finite\\(" + sum + "\\) ELSE " + sum
                + " END END\\) AS __pgt_b0.*"), "sum before = Σ w·x, NULL without values, NaN and infinities refused: " + groups);
        assertTrue(groups.matches(".*\\(pg_catalog.sum\\(o.amount\\) FILTER \\(WHERE __pgt_x\\d+.__pgt_now\\)\\) AS __pgt_n0.*"),
                "sum now, over the current rows of the same pass: " + groups);
        assertTrue(groups.matches(".*pg_catalog.sum\\(__pgt_x\\d+.__pgt_w\\) > 0 AS __pgt_before.*GROUP BY \\(o.region\\)\\)"),
                "a group that only the change brought did not exist before: " + groups);
        assertTrue(terms[0].endsWith("WHERE __pgt_now") && terms[1].endsWith("WHERE __pgt_before"), terms[0] + terms[1]);
        assertTrue(!groups.contains("sha256"), groups);
    }

    private static List<String> groupsCtes(DeltaContext context) {
        return context.ctes().stream().filter(cte -> cte.startsWith("__pgt_groups")).toList();
    }

    @Test
    void countsAlwaysAddUpAndAvgDividesLikePostgres() throws Exception {
        assertEquals("COALESCE(pg_catalog.sum(w), 0)::bigint",
                Aggregate.weightedCall(new AggregateCall(1, AggregateCall.Function.COUNT_STAR, null), "w"));
        String sum = "pg_catalog.sum((x) * (w)::int4)";
        assertEquals("CASE WHEN COALESCE(pg_catalog.sum(w) FILTER (WHERE (x) IS NOT NULL), 0) = 0 THEN NULL ELSE"
                        + " " + Sql.finiteSum(sum) + "::numeric / COALESCE(pg_catalog.sum(w) FILTER (WHERE (x) IS NOT NULL), 0)::numeric END",
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
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        aggregate.delta(context);
        List<String> groups = groupsCtes(context);
        assertTrue(groups.get(0).contains("FROM __pgt_touched1 AS __pgt_t, LATERAL (SELECT \"o\".\"id\" AS __pgt_c1,")
                && groups.get(0).contains("WHERE ((__pgt_t.__pgt_k1 = (o.region))) OFFSET 0)"),
                "now and before, per touched key: " + groups.get(0));
        assertTrue(!groups.get(1).contains("OFFSET 0"), "NULL keys are matched null-safely, not probed: " + groups.get(1));
        String plain = sumByRegion(List.of("o.region")).delta(new DeltaContext(new ChangeBuffers()));
        assertTrue(!plain.contains("OFFSET 0"), "without an index the planner chooses: " + plain);
    }
}
