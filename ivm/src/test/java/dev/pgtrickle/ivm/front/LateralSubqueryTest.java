package dev.pgtrickle.ivm.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.compile.CompiledPlan;
import dev.pgtrickle.ivm.compile.PlanCompiler;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.LateralSubquery;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * LATERAL subqueries: a subquery per row of the FROM items before it, correlated by equalities.
 * Inputs are what PostgreSQL 18's pg_get_viewdef printed (search_path = pg_catalog) for the query
 * in the comment.
 */
class LateralSubqueryTest {

    private final FakeCatalog catalog = new FakeCatalog();

    private QueryPlan parse(String sql) throws UnsupportedQueryException {
        return new QueryParser().parse(sql, catalog);
    }

    // SELECT e.id, t.amount FROM emp e, LATERAL (SELECT o.amount FROM sales.orders o WHERE o.emp_id = e.id
    //   ORDER BY o.amount DESC LIMIT 3) t
    static final String TOP3 = """
             SELECT e.id,
                t.amount
               FROM public.emp e,
                LATERAL ( SELECT o.amount
                       FROM sales.orders o
                      WHERE (o.emp_id = e.id)
                      ORDER BY o.amount DESC
                     LIMIT 3) t""";

    @Test
    void theSubqueryIsAFunctionOfTheKeyItsEqualitiesRead() throws Exception {
        Project top = assertInstanceOf(Project.class, parse(TOP3));
        LateralSubquery lateral = assertInstanceOf(LateralSubquery.class, top.input());
        assertEquals(List.of("o.emp_id"), lateral.innerKeys());
        assertEquals(List.of("e.id"), lateral.outerKeys());
        assertEquals(List.of("o.amount DESC"), lateral.orderBy());
        assertEquals(3L, lateral.limit());
        assertNull(lateral.offset());
        assertEquals("e", assertInstanceOf(Scan.class, lateral.left()).alias());
        assertEquals("o", assertInstanceOf(Scan.class, lateral.inner()).alias());
        assertEquals(List.of("amount"), lateral.columns());
    }

    @Test
    void theJoinsBeforeItKeepTheirConditions() throws Exception {
        // SELECT e.id, d.name, t.amount FROM emp e JOIN dept d ON d.id = e.dept_id, LATERAL (…) t
        Project top = assertInstanceOf(Project.class, parse("""
                 SELECT e.id,
                    d.name,
                    t.amount
                   FROM (public.emp e
                     JOIN public.dept d ON ((d.id = e.dept_id))),
                    LATERAL ( SELECT o.amount
                           FROM sales.orders o
                          WHERE (o.emp_id = e.id)
                          ORDER BY o.amount DESC
                         LIMIT 3) t"""));
        LateralSubquery lateral = assertInstanceOf(LateralSubquery.class, top.input());
        assertEquals("(d.id = e.dept_id)", assertInstanceOf(Join.class, lateral.left()).condition().sql());
    }

    @Test
    void itsDeltaRecomputesTheSubqueryForChangedRowsAndTouchedKeysOnly() throws Exception {
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(parse(TOP3), "q");
        // A total order: ties broken by the row's text, so that a recomputation picks the same rows.
        assertTrue(plan.populate().contains("CROSS JOIN LATERAL (SELECT o.amount AS \"amount\" FROM \"sales\".\"orders\""
                + " AS \"o\" WHERE ((o.emp_id) = (e.id)) ORDER BY o.amount DESC, (ROW(o.amount))::text LIMIT 3) AS \"t\""),
                plan.populate());
        String refresh = plan.refresh();
        assertTrue(refresh.contains("__pgt_lateral_keys"), refresh);
        // The old inner rows of the touched keys, computed once for every left row.
        assertTrue(refresh.contains("__pgt_lateral_old"), refresh);
        assertTrue(refresh.contains("-1)::bigint AS __pgt_w"), refresh);
    }

    // SELECT e.id, t.n, t.total FROM emp e LEFT JOIN LATERAL (SELECT count(*) AS n, sum(o.amount) AS total
    //   FROM sales.orders o WHERE o.emp_id = e.id AND o.amount > 10) t ON true
    @Test
    void anAggregatePerRowUnderALeftJoin() throws Exception {
        Project top = assertInstanceOf(Project.class, parse("""
                 SELECT e.id,
                    t.n,
                    t.total
                   FROM (public.emp e
                     LEFT JOIN LATERAL ( SELECT count(*) AS n,
                            sum(o.amount) AS total
                           FROM sales.orders o
                          WHERE ((o.emp_id = e.id) AND (o.amount > (10)::numeric))) t ON (true))"""));
        LateralSubquery lateral = assertInstanceOf(LateralSubquery.class, top.input());
        assertInstanceOf(Aggregate.class, lateral.body());
        assertEquals("((true))", lateral.on());
        CompiledPlan plan = new PlanCompiler(query -> List.of("numeric")).compile(top, "q");
        assertTrue(plan.populate().contains("FROM (SELECT) AS __pgt_one LEFT JOIN LATERAL (SELECT (pg_catalog.count(*)) AS \"n\""),
                plan.populate());
    }

    @Test
    void otherCorrelationsAreRefusedWithTheReason() {
        for (String[] refused : new String[][] {
            // the outer row in the SELECT list
            {"SELECT e.id, t.x FROM public.emp e, LATERAL ( SELECT (o.amount + e.salary) AS x FROM sales.orders o"
                    + " WHERE (o.emp_id = e.id)) t", "not in its SELECT list"},
            // an alias of the query around it reused inside
            {"SELECT e.id, t.amount FROM public.emp e, LATERAL ( SELECT e_1.salary AS amount FROM public.emp e"
                    + " WHERE (e.id = 1)) t(amount)", "LATERAL"},
            // LIMIT with an aggregate
            {"SELECT e.id, t.n FROM public.emp e, LATERAL ( SELECT count(*) AS n FROM sales.orders o"
                    + " WHERE (o.emp_id = e.id) LIMIT 1) t", "with an aggregate"},
            // DISTINCT
            {"SELECT e.id, t.amount FROM public.emp e, LATERAL ( SELECT DISTINCT o.amount FROM sales.orders o"
                    + " WHERE (o.emp_id = e.id)) t", "DISTINCT"}}) {
            UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class, () -> parse(refused[0]),
                    refused[0]);
            assertTrue(e.getMessage().contains(refused[1]), e.getMessage());
        }
    }
}
