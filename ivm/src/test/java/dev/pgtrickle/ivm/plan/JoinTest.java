package dev.pgtrickle.ivm.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.delta.ChangeBuffers;
import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The delta rules of {@link Join}, as SQL: which terms, reading which states. */
class JoinTest {

    private static Scan scan(long oid, String alias) {
        return new Scan(new Source(oid, "public", "t" + oid, Source.Kind.TABLE, List.of("id", "k")), alias);
    }

    private static final Condition A_B = new Condition("(a.k = b.k)", Set.of("a", "b"));

    private static Join join(JoinKind kind) {
        return new Join(kind, scan(1, "a"), scan(2, "b"), A_B);
    }

    private static List<String> terms(String delta) {
        return List.of(delta.split("\nUNION ALL\n"));
    }

    @Test
    void innerJoinDeltaIsThreeTermsOverCurrentStates() throws Exception {
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        List<String> terms = terms(join(JoinKind.INNER).delta(context));
        assertEquals(3, terms.size());
        assertTrue(terms.get(0).contains("\"public\".\"t2\" AS \"b\"") && terms.get(0).contains("__pgt_d1"),
                "ΔA ⋈ B: " + terms.get(0));
        assertTrue(terms.get(1).contains("\"public\".\"t1\" AS \"a\"") && terms.get(1).contains("__pgt_d2"),
                "A ⋈ ΔB: " + terms.get(1));
        assertTrue(terms.get(2).contains("(-__pgt_x1.__pgt_w * __pgt_x2.__pgt_w)"), "− ΔA ⋈ ΔB: " + terms.get(2));
        for (String term : terms) {
            assertTrue(term.endsWith("WHERE ((a.k = b.k))"), "every term joins on the condition: " + term);
        }
        assertEquals(List.of(1L, 2L), context.sources().stream().map(Source::oid).toList());
    }

    @Test
    void aSemiJoinWithAOneRowInputIsTheInnerJoinWithoutItsColumnsWithUnflippedRowsCancelled() throws Exception {
        // a ⋉ (SELECT avg(b.k) AS m FROM t2 b) s ON a.k > s.m
        Aggregate mean = new Aggregate(scan(2, "b"), List.of(),
                List.of(new AggregateCall(1, AggregateCall.Function.AVG, "b.k")),
                List.of(new OutputColumn("m", "__pgt_agg_1")), null);
        Join semi = new Join(JoinKind.SEMI, scan(1, "a"), new Derived(mean, "s"),
                new Condition("(a.k > s.m)", Set.of("a", "s")));
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        String delta = semi.delta(context);
        List<String> terms = terms(delta);
        assertEquals(3, terms.size(), delta);
        assertTrue(terms.get(0).contains("__pgt_d1") && terms.get(0).contains("(pg_catalog.avg(b.k)) AS \"m\""),
                "ΔA ⋉ S as it is now: " + terms.get(0));
        assertTrue(terms.get(1).contains("\"public\".\"t1\" AS \"a\"")
                && terms.get(1).matches("(?s).* WHERE \\(NOT EXISTS \\(SELECT 1 FROM __pgt_d\\d+ AS (__pgt_x\\d+), LATERAL"
                        + " \\(SELECT \\1.__pgt_c1 AS \"m\"\\) AS \"s\" WHERE \\1.__pgt_w = -__pgt_x\\d+.__pgt_w AND"
                        + " \\(a.k > s.m\\)\\)\\) AND \\(\\(a.k > s.m\\)\\)"),
                "A ⋉ ΔS: a row passing the test with the other row of ΔS too is left out: " + terms.get(1));
        assertTrue(terms.get(2).contains("(-__pgt_x"), "− ΔA ⋉ ΔS: " + terms.get(2));
        for (String term : terms) {
            assertFalse(term.startsWith("SELECT") && term.substring(0, term.indexOf(" FROM ")).contains("__pgt_c3"),
                    "only a's two columns are output: " + term);
        }
    }

    @Test
    void aComparisonWithTheOneRowInputBoundsTheRowsItsChangeCanFlip() throws Exception {
        Aggregate mean = new Aggregate(scan(2, "b"), List.of(),
                List.of(new AggregateCall(1, AggregateCall.Function.AVG, "b.k")),
                List.of(new OutputColumn("m", "__pgt_agg_1")), null);
        Condition.Operand k = Condition.Operand.column("a.k", "a", "k");
        Condition.Operand m = Condition.Operand.column("s.m", "s", "m");
        // a.k > s.m, and the same test written s.m < a.k: between the smaller and the larger value.
        for (Condition.Conjunct test : List.of(new Condition.Conjunct("(a.k > s.m)", Set.of("a", "s"), ">", k, m),
                new Condition.Conjunct("(s.m < a.k)", Set.of("a", "s"), "<", m, k))) {
            Join semi = new Join(JoinKind.SEMI, scan(1, "a"), new Derived(mean, "s"),
                    new Condition(test.sql(), test.aliases(), List.of(test)));
            String flips = terms(semi.delta(new DeltaContext(new ChangeBuffers()))).get(1);
            assertTrue(flips.matches("(?s).*\\(a\\.k\\) > \\(SELECT s\\.m FROM .* ORDER BY s\\.m ASC LIMIT 1\\).*"),
                    "above the smaller value: " + flips);
            assertTrue(flips.matches("(?s).*\\(NOT \\(SELECT pg_catalog\\.count\\(s\\.m\\) = 2 AND .* OR \\(a\\.k\\) <="
                    + " \\(SELECT s\\.m FROM .* ORDER BY s\\.m DESC LIMIT 1\\)\\).*"),
                    "at or below the larger one, where there are two: " + flips);
        }
        // An opaque test gets no bounds.
        Join opaque = new Join(JoinKind.SEMI, scan(1, "a"), new Derived(mean, "s"),
                new Condition("(a.k > s.m OR a.k IS NULL)", Set.of("a", "s")));
        assertFalse(terms(opaque.delta(new DeltaContext(new ChangeBuffers()))).get(1).contains("LIMIT 1"));
    }

    @Test
    void deltasExposeTheirAliasesThroughLateralProjections() throws Exception {
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        String delta = join(JoinKind.INNER).delta(context);
        assertTrue(delta.contains("__pgt_d1 AS __pgt_x1, LATERAL (SELECT __pgt_x1.__pgt_c1 AS \"id\","
                + " __pgt_x1.__pgt_c2 AS \"k\") AS \"a\""), delta);
        assertTrue(context.ctes().get(0).startsWith("__pgt_d1 AS (SELECT \"id\" AS __pgt_c1, \"k\" AS __pgt_c2,"),
                context.ctes().get(0));
        assertTrue(context.ctes().get(0).contains("NOT pgtrickle._covered(__pgt_xid, __pgt_seq, $1, $2, $3)"));
    }

    @Test
    void outerJoinsAddNullPaddedTermsPerPreservedSide() throws Exception {
        List<String> left = terms(join(JoinKind.LEFT).delta(new DeltaContext(new ChangeBuffers())));
        assertEquals(6, left.size());
        for (String pad : left.subList(3, 6)) {
            assertTrue(pad.contains("NULL AS __pgt_c3, NULL AS __pgt_c4"), "b's columns are NULL: " + pad);
        }
        assertTrue(left.get(3).contains("NOT EXISTS (SELECT 1 FROM \"public\".\"t2\" AS \"b\""),
                "a changed row of a without a match in b now: " + left.get(3));
        assertTrue(left.get(4).contains("LIMIT GREATEST(__pgt_m1.s, 0) + 1"),
                "matches counted up to one past the changes' net weight: " + left.get(4));
        List<String> right = terms(join(JoinKind.RIGHT).delta(new DeltaContext(new ChangeBuffers())));
        assertTrue(right.get(3).contains("NULL AS __pgt_c1, NULL AS __pgt_c2"), right.get(3));
        assertEquals(9, terms(join(JoinKind.FULL).delta(new DeltaContext(new ChangeBuffers()))).size());
    }

    @Test
    void semiAndAntiJoinsOutputTheLeftColumnsOnly() throws Exception {
        for (JoinKind kind : List.of(JoinKind.SEMI, JoinKind.ANTI)) {
            List<String> terms = terms(join(kind).delta(new DeltaContext(new ChangeBuffers())));
            assertEquals(3, terms.size(), kind.name());
            for (String term : terms) {
                assertFalse(term.contains("__pgt_c3"), kind + " outputs a's columns only: " + term);
            }
            assertEquals(kind == JoinKind.ANTI, terms.get(0).contains("NOT EXISTS"), terms.get(0));
            // The flip of a row's status has opposite signs for SEMI and ANTI.
            assertEquals(kind == JoinKind.SEMI, terms.get(1).contains("(-(CASE WHEN __pgt_m2.n = 0"), terms.get(1));
        }
    }

    @Test
    void flipsAreDecidedPerChangedKeyWhenTheConditionSplitsIntoEqualities() throws Exception {
        Condition on = Condition.all(List.of(equal("a.k", "b.k"), new Condition("(b.id > 1)", Set.of("b"))));
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        List<String> terms = terms(new Join(JoinKind.LEFT, scan(1, "a"), indexedScan(2, "b"), on).delta(context));
        String sums = cte(context, "__pgt_sums");
        assertTrue(sums.contains("SELECT b.k AS __pgt_k1, pg_catalog.sum(") && sums.contains("WHERE ((b.id > 1)) AND (b.k IS NOT NULL)")
                && sums.matches(".* GROUP BY 1 HAVING pg_catalog.sum\\(__pgt_x\\d+.__pgt_w\\) <> 0\\)"),
                "b's changes summed per key, NULL keys and cancelled keys left out: " + sums);
        String flipped = cte(context, "__pgt_flipped");
        assertTrue(flipped.contains("((b.k = __pgt_g.__pgt_k1)) LIMIT GREATEST(__pgt_g.__pgt_s, 0) + 1")
                && flipped.endsWith("WHERE (__pgt_m.n = 0) <> (__pgt_m.n = __pgt_g.__pgt_s))"),
                "matches now counted per key through b's index; only flipped keys kept: " + flipped);
        // Terms 0–1: ΔA ⋈ B, probed or read as a whole (see below); 2: A ⋈ ΔB; 3: −ΔA ⋈ ΔB; 4–5:
        // ΔA without a match in B, tested per row through b's index for few changes, else planned.
        assertTrue(terms.get(4).contains("(SELECT few FROM __pgt_few") && terms.get(4).contains("((b.id > 1))) OFFSET 0)"),
                "a changed row's match tested per row: " + terms.get(4));
        assertTrue(terms.get(5).contains("NOT (SELECT few FROM __pgt_few") && !terms.get(5).contains("OFFSET 0"), terms.get(5));
        assertTrue(terms.get(6).contains("FROM __pgt_flipped") && terms.get(6).contains("(a.k = __pgt_f.__pgt_k1)")
                && terms.get(6).contains("(1 * __pgt_f.__pgt_flip)"), "current rows of a per flipped key: " + terms.get(6));
        assertTrue(terms.get(7).matches("(?s).*\\(-1 \\* __pgt_x\\d+.__pgt_w \\* __pgt_f.__pgt_flip\\).*"),
                "changed rows of a per flipped key, the flip negated: " + terms.get(7));
        assertFalse(String.join("", terms).contains("__pgt_m1"), "no scan of b's changes per row of a");
    }

    @Test
    void withoutAnIndexTheMatchesOfFlippedKeysAreCountedInOnePass() throws Exception {
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        new Join(JoinKind.ANTI, scan(1, "a"), scan(2, "b"), equal("a.k", "b.k")).delta(context);
        String flipped = cte(context, "__pgt_flipped");
        assertTrue(flipped.contains(" AS __pgt_g LEFT JOIN (SELECT b.k AS __pgt_k1, pg_catalog.count(*) AS n FROM")
                && flipped.contains("(b.k) IN (SELECT __pgt_k1 FROM __pgt_sums") && flipped.contains("GROUP BY __pgt_k1)"),
                flipped);
    }

    @Test
    void aConditionMixingTheSidesOtherwiseIsJudgedPerRow() throws Exception {
        Condition on = new Condition("(a.k < b.k)", Set.of("a", "b"));
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        List<String> terms = terms(new Join(JoinKind.SEMI, scan(1, "a"), scan(2, "b"), on).delta(context));
        assertTrue(terms.get(1).contains("AS __pgt_m1"), terms.get(1));
        assertTrue(context.ctes().stream().noneMatch(c -> c.startsWith("__pgt_flipped")), context.ctes().toString());
    }

    private static String cte(DeltaContext context, String prefix) {
        return context.ctes().stream().filter(c -> c.startsWith(prefix)).findFirst().orElseThrow();
    }

    @Test
    void currentStatesUseJoinSyntaxAndSubqueryTests() throws Exception {
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        Fragment left = join(JoinKind.LEFT).current(context);
        assertEquals("\"public\".\"t1\" AS \"a\" LEFT JOIN \"public\".\"t2\" AS \"b\" ON ((a.k = b.k))", left.from());
        Fragment semi = join(JoinKind.SEMI).current(context);
        assertEquals(List.of("EXISTS (SELECT 1 FROM \"public\".\"t2\" AS \"b\" WHERE ((a.k = b.k)))"), semi.where());
        Fragment anti = join(JoinKind.ANTI).current(context);
        assertTrue(anti.where().get(0).startsWith("NOT EXISTS"), anti.where().get(0));
    }

    @Test
    void filtersOfTheNullableSideGoIntoTheOnClause() throws Exception {
        Filter b = new Filter(scan(2, "b"), new Condition("(b.id > 1)", Set.of("b")));
        Fragment left = new Join(JoinKind.LEFT, scan(1, "a"), b, A_B).current(new DeltaContext(new ChangeBuffers()));
        assertTrue(left.from().endsWith("ON ((a.k = b.k)) AND ((b.id > 1))"), left.from());
        assertEquals(List.of(), left.where());
        Join full = new Join(JoinKind.FULL, scan(1, "a"), b, A_B);
        assertThrows(UnsupportedQueryException.class, () -> full.current(new DeltaContext(new ChangeBuffers())));
    }

    @Test
    void aChainOfSixInnerJoinsHasThreeTermsPerJoinEachReadingOneInputsDelta() throws Exception {
        FromPlan chain = scan(1, "a1");
        for (int i = 2; i <= 6; i++) {
            chain = new Join(JoinKind.INNER, chain, scan(i, "a" + i),
                    new Condition("(a" + (i - 1) + ".k = a" + i + ".k)", Set.of("a" + (i - 1), "a" + i)));
        }
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        context.expose(chain);
        List<String> ctes = context.ctes();
        assertEquals(6 + 5, ctes.size(), "a delta per input and per join");
        long terms = ctes.stream().mapToLong(cte -> terms(cte).size()).sum();
        assertEquals(6 + 3 * 5, terms);
        for (String cte : ctes) {
            assertFalse(cte.contains("-__pgt_w") && !cte.contains(" * "),
                    "no input's old state is rebuilt as current state minus delta: " + cte);
        }
    }

    @Test
    void aLookupIsReadPerRowOfTheDeltaItIsJoinedToAndItsDeltaIsTheSubquerys() throws Exception {
        Derived grouped = new Derived(new Project(scan(2, "b"), List.of(new OutputColumn("k", "b.k"))), "s");
        Condition correlation = new Condition("(a.k = s.k)", Set.of("a", "s"));
        Join join = new Join(JoinKind.LEFT, scan(1, "a"), new Lookup(grouped, correlation, false), correlation);
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        List<String> terms = terms(join.delta(context));
        String lateral = "LATERAL (SELECT * FROM (SELECT b.k AS \"k\" FROM \"public\".\"t2\" AS \"b\" WHERE true)"
                + " AS \"s\" WHERE ((a.k = s.k)) OFFSET 0) AS \"s\"";
        assertTrue(terms.get(0).contains("AS \"a\", " + lateral), "ΔA ⋈ S probes S per row of ΔA: " + terms.get(0));
        assertTrue(terms.get(1).startsWith("SELECT") && !terms.get(1).contains("LATERAL (SELECT *"),
                "A ⋈ ΔS reads the subquery's delta: " + terms.get(1));
        assertEquals("\"public\".\"t1\" AS \"a\" LEFT JOIN " + lateral + " ON ((a.k = s.k))",
                join.current(context).from());
        assertEquals(List.<Plan>of(grouped), new Lookup(grouped, correlation, false).inputs());
    }

    @Test
    void aGroupedLookupRecomputesOnlyTheTouchedGroupsThatTheLeftInputCorrelatesWith() throws Exception {
        Aggregate byKey = new Aggregate(scan(2, "b"), List.of("b.k"),
                List.of(new AggregateCall(1, AggregateCall.Function.SUM, "b.id")),
                List.of(new OutputColumn("__pgt_key1", "__pgt_key_1"), new OutputColumn("v", "__pgt_agg_1")), null);
        Condition correlation = new Condition("(a.k = s.__pgt_key1)", Set.of("a", "s"));
        Join join = new Join(JoinKind.LEFT, scan(1, "a"), new Lookup(new Derived(byKey, "s"), correlation, false),
                correlation);
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        join.delta(context);
        String touched = context.ctes().stream().filter(cte -> cte.startsWith("__pgt_touched")).findFirst().orElseThrow();
        assertTrue(touched.contains("WHERE (EXISTS (SELECT 1 FROM \"public\".\"t1\" AS \"a\", LATERAL (SELECT"
                + " __pgt_c.__pgt_k1 AS \"__pgt_key1\") AS \"s\" WHERE ((a.k = s.__pgt_key1))) OR EXISTS (SELECT 1 FROM"
                + " __pgt_d1 AS"), "touched keys some row of a, now or changed, correlates with: " + touched);
    }

    @Test
    void aOneRowTestOfAnUnindexedColumnReadsTheRowsAMovedThresholdPassesFromAKeptCopy() throws Exception {
        // a ⋉ (SELECT avg(b.k) AS m FROM t2 b) s ON a.k > s.m, a.k without an index
        Aggregate mean = new Aggregate(scan(2, "b"), List.of(),
                List.of(new AggregateCall(1, AggregateCall.Function.AVG, "b.k")),
                List.of(new OutputColumn("m", "__pgt_agg_1")), null);
        Join semi = new Join(JoinKind.SEMI, scan(1, "a"), new Derived(mean, "s"), above("a.k", "s.m"));
        assertEquals(2, semi.keptTestedColumn().orElseThrow(), "k is a's second column");
        assertEquals(List.of("__pgt_k2"), semi.keptIndexed());
        assertTrue(new Join(JoinKind.SEMI, indexedScan(1, "a"), new Derived(mean, "s"), above("a.k", "s.m"))
                .keptTestedColumn().isEmpty(),
                "an index of the table serves the band itself");

        String table = "\"__pgt_kept_1__\"";
        DeltaContext context = new DeltaContext(new ChangeBuffers(), List.of(),
                Map.of(semi, new DeltaContext.KeptTable(table, Set.of())));
        List<String> terms = terms(semi.delta(context));
        assertEquals(3, terms.size(), "ΔA ⋉ S, and the kept rows A had before ⋉ ΔS, split on whether ΔS is a pair");
        String before = "(SELECT __pgt_k1 AS \"id\", __pgt_k2 AS \"k\", __pgt_count FROM " + table + ") AS \"a\"";
        for (String term : terms.subList(1, 3)) {
            assertTrue(term.contains(before) && term.contains("* \"a\".__pgt_count)::bigint AS __pgt_w")
                    && !term.contains("\"public\".\"t1\""), "A's rows before, with their copies: " + term);
        }
        assertTrue(terms.get(1).contains("(a.k) <= (SELECT"), "a pair of thresholds bounds the band both ways: "
                + terms.get(1));
        assertFalse(terms.get(2).contains("(a.k) <= (SELECT"), "a threshold that appeared bounds it one way: "
                + terms.get(2));
        assertTrue(context.ctes().stream().anyMatch(cte -> cte.startsWith("__pgt_kept_update")
                && cte.contains("UPDATE " + table)), "the copy follows A's changes: " + context.ctes());
        assertTrue(semi.keptFill(context).startsWith("SELECT __pgt_row_id, pgtrickle._any_value(__pgt_k1) AS __pgt_k1,"
                + " pgtrickle._any_value(__pgt_k2) AS __pgt_k2, (pg_catalog.count(*))::bigint AS __pgt_count FROM"
                + " (SELECT pg_catalog.sha256(pg_catalog.record_send(ROW(\"a\".\"id\", \"a\".\"k\"))) AS __pgt_row_id")
                        && semi.keptFill(context).endsWith(" GROUP BY __pgt_row_id"),
                "rows told apart by content: " + semi.keptFill(context));
    }

    @Test
    void aOneRowTestOfAKeptAggregatesOutputReadsTheGroupsAMovedThresholdPassesThroughAnIndex() throws Exception {
        // TPC-H Q11's shape: (SELECT b.k, sum(b.id) AS v, count(*) AS c, avg(b.id) AS m … GROUP BY b.k) g
        // ⋉ (SELECT sum(b2.id) AS t FROM t3 b2) s ON g.v > s.t
        Aggregate perKey = new Aggregate(scan(2, "b"), List.of("b.k"),
                List.of(new AggregateCall(1, AggregateCall.Function.SUM, "b.id"),
                        new AggregateCall(2, AggregateCall.Function.COUNT_STAR, null),
                        new AggregateCall(3, AggregateCall.Function.AVG, "b.id")),
                List.of(new OutputColumn("k", "__pgt_key_1"), new OutputColumn("v", "__pgt_agg_1"),
                        new OutputColumn("c", "__pgt_agg_2"), new OutputColumn("m", "__pgt_agg_3"),
                        new OutputColumn("w", "__pgt_agg_1 * 2")), null);
        Aggregate total = new Aggregate(scan(3, "b2"), List.of(),
                List.of(new AggregateCall(1, AggregateCall.Function.SUM, "b2.id")),
                List.of(new OutputColumn("t", "__pgt_agg_1")), null);
        Derived groups = new Derived(perKey, "g");
        Join semi = new Join(JoinKind.SEMI, groups, new Derived(total, "s"), above("g.v", "s.t"));
        assertEquals(new Join.TestedGroups(perKey, new KeptIndex("__pgt_agg_1_s", true)), semi.testedGroups().orElseThrow(),
                "the sum's value is indexed");
        assertEquals(new KeptIndex("__pgt_count", false), new Join(JoinKind.SEMI, groups, new Derived(total, "s"),
                above("g.c", "s.t")).testedGroups().orElseThrow().index(), "count(*) is the row count");
        assertEquals(new KeptIndex("__pgt_k1", false), new Join(JoinKind.SEMI, groups, new Derived(total, "s"),
                above("g.k", "s.t")).testedGroups().orElseThrow().index(), "a key is a column");
        for (String unindexed : List.of("g.m", "g.w")) {
            assertTrue(new Join(JoinKind.SEMI, groups, new Derived(total, "s"), above(unindexed, "s.t"))
                    .testedGroups().isEmpty(), "no column holds an average or an expression: " + unindexed);
        }

        List<String> plain = terms(semi.delta(new DeltaContext(new ChangeBuffers())));
        assertEquals(3, plain.size(), "groups not kept: nothing indexes the band, which stays one term");
        DeltaContext context = new DeltaContext(new ChangeBuffers(), List.of(),
                Map.of(perKey, new DeltaContext.KeptTable("\"__pgt_kept_1__\"", Set.of())));
        List<String> terms = terms(semi.delta(context));
        assertEquals(4, terms.size(), "ΔG ⋉ S, G ⋉ ΔS split on whether ΔS is a pair, −ΔG ⋉ ΔS");
        assertTrue(terms.get(1).contains("(g.v) <= (SELECT") && !terms.get(1).contains("NOT (SELECT pg_catalog.count("),
                "a pair of thresholds bounds the band both ways: " + terms.get(1));
        assertTrue(!terms.get(2).contains("(g.v) <= (SELECT") && terms.get(2).contains("NOT (SELECT pg_catalog.count("),
                "a threshold that appeared bounds it one way: " + terms.get(2));
        context.expose(semi);
        String exposed = String.join("\n", context.ctes());
        assertTrue(exposed.contains("(CASE WHEN __pgt_t.__pgt_agg_1_n = 0 THEN NULL ELSE __pgt_t.__pgt_agg_1_s END) AS \"v\""),
                "inside the refresh, the kept groups show the sum's value in"
                + " the indexed form: " + exposed);
    }

    /** {@code (left > right)}, both plain columns {@code alias.column}. */
    private static Condition above(String left, String right) {
        String sql = "(" + left + " > " + right + ")";
        Set<String> aliases = Set.of(left.split("\\.")[0], right.split("\\.")[0]);
        return new Condition(sql, aliases, List.of(new Condition.Conjunct(sql, aliases, ">", operand(left), operand(right))));
    }

    private static Condition.Operand operand(String column) {
        String[] parts = column.split("\\.");
        return Condition.Operand.column(column, parts[0], parts[1]);
    }

    @Test
    void aTouchedGroupIsKeptWhereTheSemiJoinedLeftInputHasARowForItReadFromTheSubqueryFirst() throws Exception {
        // a ⋉ (b WHERE b.id > 0) as the left input of a lookup: the touched keys' test of
        // existence joins the two, the subquery (with its restriction) listed first.
        Join left = new Join(JoinKind.SEMI, scan(1, "a"),
                new Filter(scan(3, "c"), new Condition("(c.id > 0)", Set.of("c"))),
                new Condition("(a.id = c.id)", Set.of("a", "c")));
        Aggregate byKey = new Aggregate(scan(2, "b"), List.of("b.k"),
                List.of(new AggregateCall(1, AggregateCall.Function.SUM, "b.id")),
                List.of(new OutputColumn("__pgt_key1", "__pgt_key_1"), new OutputColumn("v", "__pgt_agg_1")), null);
        Condition correlation = new Condition("(a.k = s.__pgt_key1)", Set.of("a", "s"));
        Join join = new Join(JoinKind.LEFT, left, new Lookup(new Derived(byKey, "s"), correlation, false), correlation);
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        join.delta(context);
        String touched = context.ctes().stream().filter(cte -> cte.startsWith("__pgt_touched")).findFirst().orElseThrow();
        assertTrue(touched.contains("WHERE (EXISTS (SELECT 1 FROM \"public\".\"t3\" AS \"c\" JOIN \"public\".\"t1\" AS"
                + " \"a\" ON ((a.id = c.id)) AND ((c.id > 0)), LATERAL (SELECT __pgt_c.__pgt_k1 AS \"__pgt_key1\") AS"
                + " \"s\" WHERE ((a.k = s.__pgt_key1))) OR EXISTS"), touched);
        assertEquals("\"public\".\"t1\" AS \"a\"", left.current(context).from(),
                "the current state keeps the semi join a test of the left rows");
    }

    @Test
    void aLookupServedByAnIndexIsProbedOnceTheRowsItCorrelatesWithAreKnown() {
        Derived grouped = new Derived(new Project(scan(2, "b"), List.of(new OutputColumn("k", "b.k"))), "s");
        Condition correlation = new Condition("(a.k = s.k)", Set.of("a", "s"));
        Lookup indexed = new Lookup(grouped, correlation, true);
        assertTrue(indexed.probedBy(Set.of("a"), List.of(correlation)));
        assertFalse(indexed.probedBy(Set.of("c"), List.of(correlation)), "a's row is not known yet");
        assertFalse(new Lookup(grouped, correlation, false).probedBy(Set.of("a"), List.of(correlation)),
                "without an index each lookup would read the subquery's input whole");
        assertTrue(new Join(JoinKind.LEFT, indexedScan(1, "a"), indexed, correlation)
                .probedBy(Set.of("g"), List.of(equal("a.k", "g.k"))), "entered through a, then the lookup per row");
    }

    private static Scan indexedScan(long oid, String alias) {
        return new Scan(new Source(oid, "public", "t" + oid, Source.Kind.TABLE, List.of("id", "k"), Set.of("k")), alias);
    }

    private static Condition equal(String left, String right) {
        String[] l = left.split("\\.");
        String[] r = right.split("\\.");
        return Condition.equal(Condition.Operand.column(left, l[0], l[1]), Condition.Operand.column(right, r[0], r[1]));
    }

    @Test
    void aChangedSideProbesTheOtherPerRowWhereAnIndexServesTheCondition() throws Exception {
        Join join = new Join(JoinKind.INNER, scan(1, "a"), indexedScan(2, "b"), equal("a.k", "b.k"));
        List<String> terms = terms(join.delta(new DeltaContext(new ChangeBuffers())));
        assertTrue(terms.get(0).contains("LATERAL (SELECT \"b\".\"id\" AS __pgt_c1, \"b\".\"k\" AS __pgt_c2 FROM"
                + " \"public\".\"t2\" AS \"b\" WHERE ((a.k = b.k)) OFFSET 0)"), "ΔA probes B's index per row: " + terms.get(0));
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        join.delta(context);
        assertEquals("__pgt_few1 AS (SELECT coalesce((SELECT pg_catalog.count(*) FROM __pgt_d1) * 20 <= (SELECT CASE"
                + " WHEN c.reltuples < 0 THEN 'Infinity' ELSE c.reltuples END FROM pg_catalog.pg_class AS c"
                + " WHERE c.oid = 2), true) AS few)", cte(context, "__pgt_few"), "decided once per refresh");
        String few = "(SELECT few FROM __pgt_few1)";
        assertTrue(terms.get(0).endsWith("WHERE (" + few + ")"), "... while A changed in few rows for B's size: " + terms.get(0));
        assertTrue(terms.get(1).contains("\"public\".\"t2\" AS \"b\"") && !terms.get(1).contains("OFFSET 0")
                && terms.get(1).endsWith("WHERE (NOT " + few + ") AND ((a.k = b.k))"),
                "otherwise B is joined as a whole, in the planner's plan: " + terms.get(1));
        assertFalse(terms.get(2).contains("OFFSET 0"), "A has no index on k: the planner chooses: " + terms.get(2));
    }

    @Test
    void aJoinIsProbedWhenEachInputCanBeEnteredThroughAnIndexInTurn() {
        Join chain = new Join(JoinKind.INNER, indexedScan(2, "b"), indexedScan(3, "c"), equal("b.id", "c.k"));
        Condition fromA = equal("a.k", "b.k");
        assertTrue(chain.probedBy(Set.of("a"), List.of(fromA)), "a → b.k (indexed) → c.k = b.id (indexed)");
        assertFalse(chain.probedBy(Set.of("a"), List.of(equal("a.k", "b.id"))), "b.id has no index");
        assertFalse(new Join(JoinKind.FULL, indexedScan(2, "b"), indexedScan(3, "c"), equal("b.k", "c.k"))
                .probedBy(Set.of("a"), List.of(fromA)));
        Filter constant = new Filter(indexedScan(2, "b"), Condition.equal(
                Condition.Operand.column("b.k", "b", "k"), Condition.Operand.expression("3", Set.of())));
        assertTrue(constant.probedBy(Set.of("a"), List.of()), "an equality with a constant probes too");
    }
}
