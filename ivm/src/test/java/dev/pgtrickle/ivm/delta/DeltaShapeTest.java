package dev.pgtrickle.ivm.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.JoinKind;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.Source;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Inputs of the same shape share one delta ({@link DeltaShape}), TPC-H Q11's way. */
class DeltaShapeTest {

    private static final Source T = new Source(1, "public", "t", Source.Kind.TABLE, List.of("id", "k", "v"));
    private static final Source U = new Source(2, "public", "u", Source.Kind.TABLE, List.of("k", "name"));

    /** t ⋈ (u WHERE name = 'x') under the aliases t and u; t reading {@code columns}. */
    private static Join joined(String t, String u, List<String> columns, String literal) {
        Filter named = new Filter(new Scan(U, u, List.of("k", "name")),
                new Condition("(" + u + ".name = '" + literal + "')", Set.of(u)));
        return new Join(JoinKind.INNER, new Scan(T, t, columns), named,
                new Condition("(" + t + ".k = " + u + ".k)", Set.of(t, u)));
    }

    private static DeltaShape shape(FromPlan plan) {
        return DeltaShape.of(plan).orElseThrow();
    }

    @Test
    void equalInputsUnderOtherAliasesHaveOneShapeAndOtherFiltersAnother() {
        Join query = joined("t", "u", List.of("id", "k", "v"), "x");
        Join subquery = joined("t_1", "u_1", List.of("k", "v"), "x");
        assertEquals(shape(query).key(), shape(subquery).key());
        assertEquals(List.of("t_1", "u_1"), shape(subquery).aliases());
        assertNotEquals(shape(query).key(), shape(joined("t", "u", List.of("id", "k", "v"), "y")).key());
        // An alias's name inside a string literal is text, not the alias: renamed there, u.name =
        // 'u.k' under u and b.name = 'b.k' under b would look alike.
        assertNotEquals(shape(joined("t", "u", List.of("k"), "u.k")).key(), shape(joined("a", "b", List.of("k"), "b.k")).key());
        assertTrue(shape(joined("t", "u", List.of("k"), "u.k")).key().contains("'u.k'"));
    }

    @Test
    void aQuotedAliasWithADoubledQuoteIsOneAlias() {
        Scan quoted = new Scan(T, "a\"b");
        Filter filtered = new Filter(quoted, new Condition("(\"a\"\"b\".k = 1)", Set.of("a\"b")));
        Filter plain = new Filter(new Scan(T, "t"), new Condition("(t.k = 1)", Set.of("t")));
        assertEquals(shape(plain).key(), shape(filtered).key());
    }

    @Test
    void aConditionOnAnAliasFromOutsideGivesNoShape() {
        Filter correlated = new Filter(new Scan(T, "t"), new Condition("(t.k = o.k)", Set.of("t", "o")));
        assertFalse(DeltaShape.of(correlated).isPresent());
    }

    @Test
    void theLaterDeltaPicksItsColumnsFromTheEarlierByPosition() {
        Join query = joined("t", "u", List.of("id", "k", "v"), "x");
        Join subquery = joined("t_1", "u_1", List.of("k", "v"), "x");
        // The query's delta: t.id, t.k, t.v, u.k, u.name; the subquery's: t_1.k, t_1.v, u_1.k, u_1.name.
        assertEquals("SELECT __pgt_c2 AS __pgt_c1, __pgt_c3 AS __pgt_c2, __pgt_c4 AS __pgt_c3, __pgt_c5 AS __pgt_c4,"
                + " __pgt_w FROM __pgt_d3", shape(subquery).projection(query.bindings(), shape(query), "__pgt_d3", subquery));
        assertEquals(null, shape(query).projection(subquery.bindings(), shape(subquery), "__pgt_d3", query),
                "the subquery's delta lacks t.id");
    }

    @Test
    void aQueryWithTheSameJoinTwiceComputesItsDeltaOnce() throws Exception {
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        Join query = joined("t", "u", List.of("id", "k", "v"), "x");
        Join subquery = joined("t_1", "u_1", List.of("k", "v"), "x");
        String first = context.expose(query).from();
        String second = context.expose(subquery).from();
        assertNotEquals(first, second);
        long joins = context.ctes().stream().filter(cte -> cte.contains("\"public\".\"u\"")).count();
        assertTrue(context.ctes().stream().anyMatch(cte -> cte.matches("__pgt_d\\d+ AS \\(SELECT __pgt_c2 AS __pgt_c1,"
                + " __pgt_c3 AS __pgt_c2, __pgt_c4 AS __pgt_c3, __pgt_c5 AS __pgt_c4, __pgt_w FROM __pgt_d\\d+\\)")),
                "the subquery's delta is the query's, projected: " + context.ctes());
        assertEquals(1, joins, "u is probed by one join delta: " + context.ctes());
    }
}
