package dev.pgtrickle.ivm.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.DistinctOn;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.JoinKind;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.SetOperation;
import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.plan.TopK;
import dev.pgtrickle.ivm.plan.Window;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlanCompilerTest {

    private static final Scan ORDERS = new Scan(new Source(7, "public", "orders", Source.Kind.TABLE,
            List.of("id", "region", "amount")), "o");

    private static Aggregate sumByRegion(String having) {
        return new Aggregate(ORDERS, List.of("o.region"),
                List.of(new AggregateCall(1, AggregateCall.Function.SUM, "o.amount")),
                List.of(new OutputColumn("region", "__pgt_key_1"), new OutputColumn("total", "__pgt_agg_1")), having);
    }

    @Test
    void exactSumsAreMaintainedAlgebraically() throws Exception {
        CompiledPlan plan = new PlanCompiler(query -> List.of("numeric(12,2)")).compile(sumByRegion(null), "q");
        assertEquals(Strategy.AGGREGATE, plan.strategy());
        assertEquals(Strategy.AGGREGATE,
                new PlanCompiler(query -> List.of("int4")).compile(sumByRegion(null), "q").strategy());
        assertEquals(List.of("region", "total", "__pgt_row_id", "__pgt_count", "__pgt_agg_1_n", "__pgt_agg_1_s"),
                plan.columns());
        assertEquals(List.of(7L), plan.sources());
        assertTrue(plan.refresh().startsWith("WITH "), plan.refresh());
        assertTrue(plan.refresh().contains("MERGE INTO " + PlanContract.STORAGE), plan.refresh());
        assertTrue(plan.refresh().contains(" LEFT JOIN LATERAL (SELECT __pgt_k.*, __pgt_k.ctid AS __pgt_at FROM "
                + PlanContract.STORAGE + " AS __pgt_k WHERE __pgt_k.__pgt_row_id = __pgt_d.__pgt_row_id OFFSET 0)"
                + " AS __pgt_t ON true"), "each touched group's stored row is probed by identity: " + plan.refresh());
        // ... once: the MERGE takes the rows found there by their ctids.
        assertTrue(plan.refresh().contains("__pgt_t.ctid = ANY (ARRAY(SELECT __pgt_at FROM __pgt_src WHERE __pgt_at"
                + " IS NOT NULL))"), plan.refresh());
    }

    @Test
    void rowsOfAResultWithAKeyAreIdentifiedByItAndUpdatedInPlace() throws Exception {
        Scan keyed = new Scan(new Source(7, "public", "orders", Source.Kind.TABLE, List.of("id", "region", "amount"),
                Set.of("id"), Set.of(), List.of(List.of("id")), Set.of("id")), "o");
        Project rows = new Project(keyed, List.of(new OutputColumn("region", "o.region"),
                new OutputColumn("order_id", "o.id")));
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(rows, "q");
        assertEquals(Strategy.KEYED, plan.strategy());
        assertEquals(List.of("order_id"), plan.outputKey());
        assertEquals(List.of("region", "order_id", "__pgt_row_id"), plan.columns());
        assertTrue(plan.populate().contains("pg_catalog.hash_record_extended(ROW(__pgt_q.\"order_id\", pgtrickle._key_sign(__pgt_q.\"order_id\")), 0)"),
                "the identity is the key's hash: " + plan.populate());
        assertTrue(plan.refresh().contains("WHEN MATCHED AND __pgt_s.__pgt_op = 'U' THEN UPDATE SET"
                + " \"region\" = __pgt_s.\"region\", \"order_id\" = __pgt_s.\"order_id\""), plan.refresh());
        assertTrue(plan.refresh().contains("FULL JOIN (SELECT __pgt_row_id, __pgt_w FROM __pgt_net WHERE __pgt_w < 0)"),
                "a key's lost and gained rows are paired into one update: " + plan.refresh());
        assertTrue(!plan.refresh().contains("__pgt_dup"), "no copies to number: " + plan.refresh());
        assertTrue(plan.refresh().contains("GROUP BY __pgt_content") && plan.refresh().contains(
                "pg_catalog.record_send(ROW(__pgt_k.\"region\", __pgt_k.\"order_id\")) AS __pgt_content"),
                "changes netted by their content, hashed: " + plan.refresh());
        assertTrue(plan.refresh().contains("OFFSET 0) AS __pgt_l WHERE __pgt_r.__pgt_op IN ('U', 'D'))"),
                "only the stored rows to update or delete are looked up for the MERGE: " + plan.refresh());

        Project unkeyed = new Project(keyed, List.of(new OutputColumn("region", "o.region")));
        CompiledPlan content = new PlanCompiler(query -> List.of()).compile(unkeyed, "q");
        assertEquals(Strategy.CONTENT, content.strategy());
        assertEquals(List.of(), content.outputKey());
        assertEquals(List.of("order_id"), new PlanCompiler(query -> List.of("int4"))
                .compile(new Aggregate(keyed, List.of("o.id"), List.of(new AggregateCall(1, AggregateCall.Function.SUM,
                        "o.amount")), List.of(new OutputColumn("order_id", "__pgt_key_1"),
                        new OutputColumn("total", "__pgt_agg_1")), null), "q").outputKey(),
                "a group's key, NOT NULL in its table");
    }

    @Test
    void inexactSumsAndHavingRescanTouchedGroups() throws Exception {
        assertEquals(Strategy.GROUP_RESCAN,
                new PlanCompiler(query -> List.of("float8")).compile(sumByRegion(null), "q").strategy());
        assertEquals(Strategy.GROUP_RESCAN,
                new PlanCompiler(query -> List.of("numeric")).compile(sumByRegion("__pgt_agg_1 > 5"), "q").strategy());
    }

    @Test
    void unconstrainedNumericSumsTrackTheirDisplayScale() throws Exception {
        CompiledPlan plan = new PlanCompiler(query -> List.of("numeric")).compile(sumByRegion(null), "q");
        assertEquals(Strategy.AGGREGATE, plan.strategy());
        assertEquals(List.of("region", "total", "__pgt_row_id", "__pgt_count", "__pgt_agg_1_n", "__pgt_agg_1_s",
                "__pgt_agg_1_dc"), plan.columns());
        String weight = "pg_catalog.trunc(pg_catalog.power(10::numeric, 20 * pg_catalog.scale(o.amount)))";
        assertTrue(plan.populate().contains("pg_catalog.sum(" + weight + ") AS __pgt_agg_1_dc"), plan.populate());
        assertTrue(plan.refresh().contains("COALESCE(__pgt_t.__pgt_agg_1_dc, 0) + COALESCE(__pgt_d.__pgt_dsc1, 0)"
                + " AS __pgt_agg_1_dc"), "the changes' counts per scale are added: " + plan.refresh());
        assertTrue(plan.refresh().contains("pg_catalog.round(__pgt_n.__pgt_agg_1_s,"
                + " (pg_catalog.length((__pgt_n.__pgt_agg_1_dc)::text) - 1) / 20)"),
                "the sum is shown at the largest scale of its values: " + plan.refresh());
        assertTrue(!plan.refresh().contains("\"public\".\"orders\""), "no group's rows are read again: " + plan.refresh());
    }

    @Test
    void distinctKeepsAMultiplicityPerRowAndProjectionsUseContentIdentity() throws Exception {
        QueryPlan project = new Project(ORDERS, List.of(new OutputColumn("region", "o.region")));
        CompiledPlan distinct = new PlanCompiler(query -> List.of()).compile(new Distinct(project), "q");
        assertEquals(Strategy.AGGREGATE, distinct.strategy());
        assertEquals(List.of("region", "__pgt_row_id", "__pgt_count"), distinct.columns());
        CompiledPlan content = new PlanCompiler(query -> List.of()).compile(project, "q");
        assertEquals(Strategy.CONTENT, content.strategy());
        assertEquals(List.of("__pgt_row_id", "__pgt_dup"), content.identityColumns());
    }

    @Test
    void floatSumsInsideASubqueryAreRefused() throws Exception {
        Aggregate inner = new Aggregate(ORDERS, List.of("o.region"),
                List.of(new AggregateCall(1, AggregateCall.Function.SUM, "o.amount")),
                List.of(new OutputColumn("region", "__pgt_key_1"), new OutputColumn("total", "__pgt_agg_1")), null);
        QueryPlan top = new Project(new Derived(inner, "s"), List.of(new OutputColumn("total", "s.total")));
        UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class,
                () -> new PlanCompiler(query -> List.of("float8")).compile(top, "q"));
        assertEquals("sum(o.amount)", e.construct());
        assertEquals(Strategy.CONTENT, new PlanCompiler(query -> List.of("numeric")).compile(top, "q").strategy());
    }

    @Test
    void extremesKeepTheirValueAndCopiesAndReadOnlyGroupsThatLostTheirLastCopy() throws Exception {
        Aggregate extremes = new Aggregate(ORDERS, List.of("o.region"),
                List.of(new AggregateCall(1, AggregateCall.Function.MIN, "o.amount"),
                        new AggregateCall(2, AggregateCall.Function.MAX, "o.id")),
                List.of(new OutputColumn("region", "__pgt_key_1"), new OutputColumn("lo", "__pgt_agg_1"),
                        new OutputColumn("hi", "__pgt_agg_2")), null);
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(extremes, "q");
        assertEquals(Strategy.AGGREGATE, plan.strategy());
        assertEquals(List.of("region", "lo", "hi", "__pgt_row_id", "__pgt_count", "__pgt_agg_1_m", "__pgt_agg_1_c",
                "__pgt_agg_2_m", "__pgt_agg_2_c"), plan.columns());
        // Filled in one pass: a window gives each row its group's extreme, the copies are counted.
        assertTrue(plan.populate().contains("pg_catalog.min((o.amount)) OVER (PARTITION BY (o.region)) AS __pgt_w1"),
                plan.populate());
        assertTrue(plan.populate().contains("pg_catalog.count(*) FILTER (WHERE __pgt_r.__pgt_a2 = __pgt_r.__pgt_w2)"
                + " AS __pgt_agg_2_c"), plan.populate());
        String refresh = plan.refresh();
        // A value added beyond the extreme replaces it; MAX compares the other way.
        assertTrue(refresh.contains("__pgt_dx1.__pgt_x1 IS NOT NULL AND (__pgt_t.__pgt_agg_1_m IS NULL"
                + " OR __pgt_dx1.__pgt_x1 < __pgt_t.__pgt_agg_1_m)"), refresh);
        assertTrue(refresh.contains("__pgt_dx2.__pgt_x2 > __pgt_t.__pgt_agg_2_m"), refresh);
        // Per group in one pass over the net counts per value: the added values' extreme and the
        // changed values' extreme, each with its net count.
        assertTrue(refresh.contains("pg_catalog.min(__pgt_v) FILTER (WHERE __pgt_w > 0) OVER __pgt_g AS __pgt_wx1,"
                + " pg_catalog.min(__pgt_v) OVER __pgt_g AS __pgt_we1 FROM __pgt_dv1 WINDOW __pgt_g AS (PARTITION BY"
                + " __pgt_row_id)"), refresh);
        assertTrue(refresh.contains("pg_catalog.sum(__pgt_w) FILTER (WHERE __pgt_v = __pgt_we1)::bigint AS __pgt_en1"),
                refresh);
        // The changes at the stored extreme move its copies: the changed values' extreme when equal to it.
        assertTrue(refresh.contains("ELSE COALESCE(__pgt_t.__pgt_agg_1_c, 0) + CASE WHEN __pgt_dx1.__pgt_e1"
                + " = __pgt_t.__pgt_agg_1_m THEN __pgt_dx1.__pgt_en1 ELSE 0 END END AS __pgt_pc1"), refresh);
        // Only groups that still have rows and lost the last copy of an extreme are read again.
        assertTrue(refresh.contains("FROM __pgt_new WHERE __pgt_count > 0 AND ((__pgt_pc1 = 0 AND __pgt_pm1 IS NOT NULL)"
                + " OR (__pgt_pc2 = 0 AND __pgt_pm2 IS NOT NULL))"), refresh);
        assertTrue(refresh.contains("FROM __pgt_state AS __pgt_n"), refresh);
    }

    @Test
    void aTopKRecomputesItsRowsOnlyWhenAChangeSortsAtOrBeforeTheLastStoredRow() throws Exception {
        QueryPlan rows = new Project(ORDERS, List.of(new OutputColumn("id", "o.id"), new OutputColumn("amount", "o.amount")));
        TopK topK = new TopK(rows, List.of(new TopK.SortKey("amount", true, false)), 10L, 0, false);
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(topK, "q");
        assertEquals(Strategy.TOP_K, plan.strategy());
        assertEquals(List.of("__pgt_row_id", "__pgt_dup"), plan.identityColumns());
        String refresh = plan.refresh();
        assertTrue(refresh.contains("WHERE (SELECT pg_catalog.count(*) FROM \"__pgt_storage__\") >= 10 ORDER BY"
                + " \"amount\" DESC NULLS LAST OFFSET (SELECT GREATEST(pg_catalog.count(*) - 1, 0)"), refresh);
        // A change tied with the boundary sorts before it.
        assertTrue(refresh.contains("ORDER BY __pgt_s.\"amount\" DESC NULLS LAST, __pgt_s.__pgt_b LIMIT 1"), refresh);
        // Recomputed and compared with the stored rows only on a hit, unless fewer rows than the
        // limit are stored and stay so: then they are all the input's rows and its delta applies.
        String hit = "((SELECT __pgt_hit FROM __pgt_hit) AND NOT (SELECT __pgt_direct FROM __pgt_direct))";
        assertTrue(refresh.contains(") AS __pgt_f WHERE " + hit), refresh);
        assertTrue(refresh.contains("WHERE " + hit + ") AS __pgt_t"), refresh);
        assertTrue(refresh.contains("(SELECT pg_catalog.count(*) FROM \"__pgt_storage__\") < 10 AND (SELECT"
                + " pg_catalog.count(*) FROM \"__pgt_storage__\") + (SELECT COALESCE(pg_catalog.sum(__pgt_w), 0) FROM"), refresh);
        assertTrue(refresh.contains("AS __pgt_a WHERE (SELECT __pgt_direct FROM __pgt_direct)"), refresh);
        // On a hit, the first of the stored rows less the deleted ones and the inserted ones
        // before the boundary, when enough are left and no change ties with the boundary.
        String usable = "(SELECT __pgt_usable FROM __pgt_usable)";
        assertTrue(refresh.contains(") AS __pgt_f WHERE " + hit + " AND NOT " + usable), refresh);
        assertTrue(refresh.contains("FROM __pgt_candidates AS __pgt_c CROSS JOIN LATERAL pg_catalog.generate_series(1,"
                + " __pgt_c.__pgt_w) WHERE __pgt_c.__pgt_w > 0 ORDER BY __pgt_c.\"amount\" DESC NULLS LAST LIMIT 10"), refresh);
        assertTrue(refresh.contains(") AS __pgt_m WHERE " + hit + " AND " + usable), refresh);
        assertTrue(refresh.contains("WHERE __pgt_c.\"amount\" IS NOT DISTINCT FROM __pgt_b.\"amount\") AND (SELECT"
                + " COALESCE(pg_catalog.sum(__pgt_w) FILTER (WHERE __pgt_w > 0), 0) FROM __pgt_candidates) >= 10"), refresh);
        // With an OFFSET the rows before the stored ones are unknown: recomputed.
        String offset = new PlanCompiler(query -> List.of()).compile(new TopK(rows, topK.order(), 10L, 5, false), "q")
                .refresh();
        assertTrue(!offset.contains("__pgt_candidates"), offset);
    }

    @Test
    void aTopKOfKeptGroupsRecomputesItsRowsFromThemNotFromTheSources() throws Exception {
        TopK topK = new TopK(sumByRegion(null), List.of(new TopK.SortKey("total", true, false)), 3L, 0, false);
        CompiledPlan plan = new PlanCompiler(query -> List.of("numeric(12,2)")).compile(topK, "q");
        assertEquals(Strategy.TOP_K, plan.strategy());
        assertEquals(1, plan.keptStates().size());
        String refresh = plan.refresh();
        String recompute = refresh.substring(refresh.indexOf("__pgt_fresh AS ("));
        recompute = recompute.substring(0, recompute.indexOf("UNION ALL\nSELECT * FROM ("));
        // The untouched groups as kept, the touched ones as this refresh leaves them.
        assertTrue(recompute.contains("FROM " + PlanContract.keptTable(1) + " AS __pgt_t WHERE __pgt_t.__pgt_count > 0"
                + " AND NOT EXISTS"), recompute);
        assertTrue(!recompute.contains("pgtrickle_changes") && !recompute.contains("\"public\".\"orders\""), recompute);
        assertTrue(plan.populate().contains("\"public\".\"orders\""), "the populate query stands alone: " + plan.populate());
    }

    @Test
    void keptGroupsWhoseHavingBoundsOneSumAreIndexedOnItsValue() throws Exception {
        CompiledPlan plan = new PlanCompiler(query -> List.of("numeric(12,2)")).compile(
                new Project(new Derived(sumByRegion("__pgt_agg_1 > 300"), "s"),
                        List.of(new OutputColumn("region", "s.region"))), "q");
        assertEquals(1, plan.keptStates().size());
        assertEquals(List.of("__pgt_agg_1_s"), plan.keptStates().get(0).indexedSums());

        CompiledPlan withKey = new PlanCompiler(query -> List.of("numeric(12,2)")).compile(
                new Project(new Derived(sumByRegion("__pgt_agg_1 > 300 OR __pgt_key_1 = 'x'"), "s"),
                        List.of(new OutputColumn("region", "s.region"))), "q");
        assertTrue(withKey.keptStates().get(0).indexedSums().isEmpty(), "a bound on more than one sum");
    }

    @Test
    void distinctOnDecidesTheTouchedKeysAgain() throws Exception {
        DistinctOn latest = new DistinctOn(ORDERS, List.of("o.region"),
                List.of(new OutputColumn("region", "o.region"), new OutputColumn("amount", "o.amount")),
                List.of("o.region ASC NULLS LAST", "o.amount DESC NULLS FIRST"),
                Optional.of(List.of(new TopK.SortKey("amount", true, true))));
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(latest, "q");
        assertEquals(Strategy.GROUP_RESCAN, plan.strategy());
        // Only keys whose first change sorts at or before their stored row are decided again.
        assertTrue(plan.refresh().contains("SELECT DISTINCT ON ((o.region)) (o.region) AS __pgt_k1, (o.amount) AS __pgt_o1"
                + " FROM"), plan.refresh());
        assertTrue(plan.refresh().contains("WHERE __pgt_w.__pgt_row_id IS NULL OR ((__pgt_b.__pgt_o1 IS NULL AND"
                + " __pgt_w.\"amount\" IS NOT NULL OR COALESCE(__pgt_b.__pgt_o1 > __pgt_w.\"amount\", false))"
                + " OR (__pgt_b.__pgt_o1 IS NOT DISTINCT FROM __pgt_w.\"amount\" AND true))"), plan.refresh());
        assertTrue(plan.populate().startsWith("SELECT * FROM (SELECT DISTINCT ON ((o.region)) o.region AS \"region\""),
                plan.populate());
        assertTrue(plan.populate().endsWith(" ORDER BY o.region ASC NULLS LAST, o.amount DESC NULLS FIRST)"
                + " AS __pgt_distinct_on"), plan.populate());
        QueryPlan nested = new Project(new Derived(latest, "l"), List.of(new OutputColumn("amount", "l.amount")));
        UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class,
                () -> new PlanCompiler(query -> List.of()).compile(nested, "q"));
        assertTrue(e.getMessage().contains("DISTINCT ON inside a query is not supported yet"), e.getMessage());
    }

    @Test
    void aSetOperationsDeltaComparesEachTouchedValuesMultiplicityNowAndBefore() throws Exception {
        QueryPlan ids = new Project(ORDERS, List.of(new OutputColumn("id", "o.id")));
        QueryPlan others = new Project(new Scan(new Source(8, "public", "returns", Source.Kind.TABLE, List.of("order_id")),
                "r"), List.of(new OutputColumn("order_id", "r.order_id")));
        SetOperation except = new SetOperation(SetOperation.Kind.EXCEPT, true, ids, others);
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(except, "q");
        assertEquals(Strategy.CONTENT, plan.strategy());
        String refresh = plan.refresh();
        assertTrue(refresh.contains("GREATEST(COALESCE(__pgt_l.__pgt_n, 0) - COALESCE(__pgt_r.__pgt_n, 0), 0)"
                + " - GREATEST((COALESCE(__pgt_l.__pgt_n, 0) - __pgt_t.__pgt_d1) - (COALESCE(__pgt_r.__pgt_n, 0)"
                + " - __pgt_t.__pgt_d2), 0)"), refresh);
        // Equal values spelled apart are one row: the identity follows equality, not the bytes.
        assertTrue(plan.populate().contains("pg_catalog.hash_record_extended(ROW(__pgt_q.\"id\", pgtrickle._key_sign(__pgt_q.\"id\")), 0)"), plan.populate());
        assertTrue(!plan.populate().contains("sha256"), plan.populate());
    }

    @Test
    void windowRowsCarryTheirPartitionAndOnlyTouchedPartitionsAreComputedAgain() throws Exception {
        Window ranked = new Window(ORDERS, List.of("o.region"), List.of(new OutputColumn("id", "o.id"),
                new OutputColumn("r", "(rank() OVER (PARTITION BY o.region ORDER BY o.amount))")), List.of("r"));
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(ranked, "q");
        assertEquals(Strategy.PARTITION_RESCAN, plan.strategy());
        assertEquals(List.of("__pgt_row_id", "__pgt_dup", "__pgt_part"), plan.hiddenColumns());
        // The row's identity is the content of its outputs without window calls, within its
        // partition; copies are numbered in the order of their window values.
        assertTrue(plan.populate().contains("pg_catalog.record_send(ROW(__pgt_q.\"id\", __pgt_q.__pgt_part))"),
                plan.populate());
        assertTrue(plan.populate().contains("row_number() OVER (PARTITION BY __pgt_row_id ORDER BY \"r\")"),
                plan.populate());
        String refresh = plan.refresh();
        assertTrue(refresh.contains("FROM __pgt_part_ids AS __pgt_pi CROSS JOIN LATERAL (SELECT __pgt_k.__pgt_row_id,"
                + " __pgt_k.__pgt_dup, __pgt_k.\"r\", __pgt_k.ctid AS __pgt_at FROM \"__pgt_storage__\" AS __pgt_k"
                + " WHERE __pgt_k.__pgt_part = __pgt_pi.__pgt_part OFFSET 0)"), refresh);
        assertTrue(refresh.contains("__pgt_t.ctid = ANY (ARRAY(SELECT __pgt_at FROM __pgt_src"), refresh);
        // A row whose rank moved is updated in place.
        assertTrue(refresh.contains("NOT (ROW(__pgt_f.\"r\")::record OPERATOR(pg_catalog.*=) ROW(__pgt_t.\"r\")::record)"),
                refresh);
        assertTrue(refresh.contains("WHEN MATCHED AND __pgt_s.__pgt_op = 'U' THEN UPDATE SET \"r\" = __pgt_s.\"r\""), refresh);
        assertTrue(refresh.contains("(rank() OVER (PARTITION BY o.region ORDER BY o.amount)) AS \"r\""), refresh);
    }

    @Test
    void windowRowsWithTheInputsKeyAreIdentifiedByItAndUpdatedWhateverMoved() throws Exception {
        Scan keyed = new Scan(new Source(7, "public", "orders", Source.Kind.TABLE, List.of("id", "region", "amount"),
                Set.of("id"), Set.of(), List.of(List.of("id")), Set.of("id")), "o");
        Window ranked = new Window(keyed, List.of("o.region"), List.of(new OutputColumn("id", "o.id"),
                new OutputColumn("region", "o.region"),
                new OutputColumn("r", "(rank() OVER (PARTITION BY o.region ORDER BY o.amount))")), List.of("r"));
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(ranked, "q");
        assertEquals(Strategy.PARTITION_RESCAN, plan.strategy());
        assertEquals(List.of("id"), plan.outputKey());
        // The key's hash, one copy: no content hash, no numbering.
        assertTrue(plan.populate().contains("pg_catalog.hash_record_extended(ROW(__pgt_q.\"id\", "
                + "pgtrickle._key_sign(__pgt_q.\"id\")), 0)"), plan.populate());
        assertTrue(plan.populate().contains(", 1 AS __pgt_dup FROM"), plan.populate());
        assertTrue(!plan.populate().contains("sha256") && !plan.populate().contains("row_number()"), plan.populate());
        // A row that moved to another region keeps its identity: every column is compared and set.
        String refresh = plan.refresh();
        assertTrue(refresh.contains("NOT (ROW(__pgt_f.\"id\", __pgt_f.\"region\", __pgt_f.\"r\", __pgt_f.\"__pgt_part\")"
                + "::record OPERATOR(pg_catalog.*=) ROW(__pgt_t.\"id\", __pgt_t.\"region\", __pgt_t.\"r\","
                + " __pgt_t.\"__pgt_part\")::record)"), refresh);
        assertTrue(refresh.contains("THEN UPDATE SET \"id\" = __pgt_s.\"id\", \"region\" = __pgt_s.\"region\","
                + " \"r\" = __pgt_s.\"r\", \"__pgt_part\" = __pgt_s.\"__pgt_part\""), refresh);
    }

    @Test
    void keyedWindowRowsHoldingEveryColumnTheyReadAreComputedAgainFromTheStoredRows() throws Exception {
        Scan keyed = new Scan(new Source(7, "public", "orders", Source.Kind.TABLE, List.of("id", "region", "amount"),
                Set.of("id"), Set.of(), List.of(List.of("id")), Set.of("id")), "o");
        Window ranked = new Window(keyed, List.of("o.region"), List.of(new OutputColumn("id", "o.id"),
                new OutputColumn("region", "o.region"), new OutputColumn("amount", "o.amount"),
                new OutputColumn("r", "(rank() OVER (PARTITION BY o.region ORDER BY o.amount))")), List.of("r"));
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(ranked, "q");
        assertEquals(Strategy.PARTITION_RESCAN, plan.strategy());
        String refresh = plan.refresh();
        // The sources are not read: the input rows are the stored rows, the changed ones replaced
        // by their current versions (the changes netted per content, identified by the key).
        assertTrue(!refresh.contains("\"public\".\"orders\""), refresh);
        assertTrue(refresh.contains("__pgt_changed AS (SELECT __pgt_x2.*, (pg_catalog.int8send(pg_catalog.hash_record_extended("
                + "ROW((o.id), pgtrickle._key_sign((o.id))), 0))"), refresh);
        assertTrue(refresh.contains("SELECT __pgt_s.\"id\" AS __pgt_c1, __pgt_s.\"region\" AS __pgt_c2, __pgt_s.\"amount\""
                + " AS __pgt_c3, __pgt_s.__pgt_part, __pgt_s.__pgt_row_id, __pgt_s.__pgt_at, __pgt_s.\"r\" AS __pgt_was1"
                + " FROM __pgt_stored AS __pgt_s WHERE NOT EXISTS (SELECT 1 FROM __pgt_changed"), refresh);
        // A kept row is updated where its window values moved; a changed row's current version
        // updates its stored row or is inserted; a stored row without one is deleted.
        assertTrue(refresh.contains("WHERE __pgt_f.__pgt_at IS NOT NULL AND NOT (ROW(__pgt_f.\"r\")::record"
                + " OPERATOR(pg_catalog.*=) ROW(__pgt_f.\"__pgt_was1\")::record)"), refresh);
        assertTrue(refresh.contains("SELECT CASE WHEN __pgt_s.__pgt_at IS NULL THEN 'I' ELSE 'U' END"), refresh);
        assertTrue(refresh.contains("SELECT 'D', __pgt_s.__pgt_row_id, 1, NULL, NULL, NULL, NULL, NULL, __pgt_s.__pgt_at"),
                refresh);

        // A column the windows read that no output holds: the partitions are read from the input.
        Window unheld = new Window(keyed, List.of("o.region"), List.of(new OutputColumn("id", "o.id"),
                new OutputColumn("r", "(rank() OVER (PARTITION BY o.region ORDER BY o.amount))")), List.of("r"));
        String fromInput = new PlanCompiler(query -> List.of()).compile(unheld, "q").refresh();
        assertTrue(fromInput.contains("\"public\".\"orders\"") && !fromInput.contains("__pgt_changed"), fromInput);
    }

    @Test
    void recomputedCallsRescanTouchedGroupsAndOrderDependentOnesStayOnTop() throws Exception {
        Aggregate recomputed = new Aggregate(ORDERS, List.of("o.region"),
                List.of(new AggregateCall(1, AggregateCall.Function.RECOMPUTED_IN_ORDER, null, "string_agg(o.id::text, ',')")),
                List.of(new OutputColumn("region", "__pgt_key_1"), new OutputColumn("ids", "__pgt_agg_1")), null);
        assertEquals(Strategy.GROUP_RESCAN, new PlanCompiler(query -> List.of()).compile(recomputed, "q").strategy());
        QueryPlan nested = new Project(new Derived(recomputed, "s"), List.of(new OutputColumn("ids", "s.ids")));
        UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class,
                () -> new PlanCompiler(query -> List.of()).compile(nested, "q"));
        assertEquals("string_agg(o.id::text, ',')", e.construct());
        assertTrue(e.getMessage().contains("order rows are read in"), e.getMessage());

        Aggregate lowest = new Aggregate(ORDERS, List.of("o.region"),
                List.of(new AggregateCall(1, AggregateCall.Function.MIN, "o.amount")),
                List.of(new OutputColumn("region", "__pgt_key_1"), new OutputColumn("lo", "__pgt_agg_1")), null);
        QueryPlan overLowest = new Project(new Derived(lowest, "s"), List.of(new OutputColumn("lo", "s.lo")));
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(overLowest, "q");
        assertEquals(Strategy.CONTENT, plan.strategy());
        assertTrue(plan.keptStates().isEmpty(), "an inner min is recomputed over the touched groups, not kept");
    }

    @Test
    void theCurrentValueOfAGlobalAggregateIsComputedOnceForAllDeltaTerms() throws Exception {
        QueryPlan top = aboveAverage();
        // money: a sum no kept state follows, so the aggregate is recomputed where read.
        CompiledPlan plan = new PlanCompiler(query -> List.of("money")).compile(top, "q");
        String average = "(pg_catalog.avg(x.amount)) AS \"mean\" FROM \"public\".\"orders\" AS \"x\"";
        assertEquals(1, occurrences(plan.refresh(), average), plan.refresh());
        java.util.regex.Matcher shared = java.util.regex.Pattern.compile("(__pgt_now\\d+) AS \\(SELECT "
                + java.util.regex.Pattern.quote(average)).matcher(plan.refresh());
        assertTrue(shared.find(), plan.refresh());
        assertTrue(plan.refresh().contains("(SELECT * FROM " + shared.group(1) + ") AS \"s\""), plan.refresh());
        assertEquals(1, occurrences(plan.populate(), average), "the populate query stands alone: " + plan.populate());
        assertTrue(!plan.populate().contains("__pgt_now"), plan.populate());
    }

    @Test
    void anInnerSumOfUnconstrainedNumericsIsKeptWithItsScaleCounts() throws Exception {
        QueryPlan top = aboveAverage();
        CompiledPlan plan = new PlanCompiler(query -> List.of("numeric")).compile(top, "q");
        assertEquals(1, plan.keptStates().size());
        String weight = "pg_catalog.trunc(pg_catalog.power(10::numeric, 20 * pg_catalog.scale(x.amount)))";
        assertTrue(plan.keptStates().get(0).fill().contains("pg_catalog.sum(" + weight + ") AS __pgt_agg_1_dc"),
                "the values counted per scale, 20 digits each: " + plan.keptStates().get(0).fill());
        assertTrue(plan.refresh().contains("pg_catalog.round(COALESCE(__pgt_t.__pgt_agg_1_s, 0) + __pgt_d.__pgt_agg_1_s,"
                + " (pg_catalog.length((COALESCE(__pgt_t.__pgt_agg_1_dc, 0) + __pgt_d.__pgt_agg_1_dc)::text) - 1) / 20)"
                + " AS __pgt_agg_1_s"), "written at the largest scale left: " + plan.refresh());
    }

    /** SELECT o.id FROM orders o JOIN (SELECT avg(amount) AS mean FROM orders) s ON o.amount > s.mean */
    private static QueryPlan aboveAverage() {
        Scan others = new Scan(ORDERS.source(), "x");
        Aggregate mean = new Aggregate(others, List.of(), List.of(new AggregateCall(1, AggregateCall.Function.AVG,
                "x.amount")), List.of(new OutputColumn("mean", "__pgt_agg_1")), null);
        return new Project(new Join(JoinKind.INNER, ORDERS, new Derived(mean, "s"),
                new Condition("(o.amount > s.mean)", Set.of("o", "s"))), List.of(new OutputColumn("id", "o.id")));
    }

    private static int occurrences(String text, String part) {
        return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    @Test
    void plansSurviveTheirJsonForm() throws Exception {
        CompiledPlan plan = new PlanCompiler(query -> List.of("int4")).compile(sumByRegion(null), "q");
        assertEquals(plan, PlanJson.read(PlanJson.write(plan)));
        assertTrue(PlanJson.write(plan).contains("\"hidden_columns\""));
    }
}
