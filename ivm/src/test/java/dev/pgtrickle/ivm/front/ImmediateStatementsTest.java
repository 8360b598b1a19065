package dev.pgtrickle.ivm.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.compile.CompiledPlan;
import dev.pgtrickle.ivm.compile.PlanCompiler;
import dev.pgtrickle.ivm.compile.Strategy;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The statements of IMMEDIATE mode: the plan's delta rules over a trigger's transition tables,
 * one pair (identities to lock, MERGE) per kind of statement, and the refusals.
 */
class ImmediateStatementsTest {

    private final FakeCatalog catalog = new FakeCatalog();

    private CompiledPlan compile(String sql) throws Exception {
        return new PlanCompiler(query -> List.of("int4")).compile(new QueryParser().parse(sql, catalog), "q");
    }

    // SELECT dept_id, count(*) AS headcount FROM emp GROUP BY dept_id
    private static final String HEADCOUNT = """
             SELECT dept_id,
                count(*) AS headcount
               FROM public.emp
              GROUP BY dept_id""";

    @Test
    void anAggregateIsAppliedFromTheTransitionTablesOfEachKindOfStatement() throws Exception {
        CompiledPlan plan = compile(HEADCOUNT);
        assertEquals(Strategy.AGGREGATE, plan.strategy());
        assertNull(plan.immediateRefusal());
        assertEquals(List.of("INSERT", "UPDATE", "DELETE"),
                plan.immediate().stream().map(CompiledPlan.ImmediateStatement::event).toList());
        CompiledPlan.ImmediateStatement insert = plan.immediate().get(0);
        CompiledPlan.ImmediateStatement update = plan.immediate().get(1);
        CompiledPlan.ImmediateStatement delete = plan.immediate().get(2);
        assertTrue(insert.apply().contains("1::bigint AS __pgt_w FROM __pgt_newrows"), insert.apply());
        assertFalse(insert.apply().contains("__pgt_oldrows"), insert.apply());
        assertTrue(delete.apply().contains("-1::bigint AS __pgt_w FROM __pgt_oldrows"), delete.apply());
        assertFalse(delete.apply().contains("__pgt_newrows"), delete.apply());
        assertTrue(update.apply().contains("FROM __pgt_oldrows UNION ALL SELECT"), update.apply());
        for (CompiledPlan.ImmediateStatement statement : plan.immediate()) {
            // No change buffer, no frontier: the changes are the statement's own.
            assertFalse(statement.apply().contains("pgtrickle_changes"), statement.apply());
            assertFalse(statement.apply().contains("_remember_refresh"), statement.apply());
            assertTrue(statement.apply().contains("MERGE INTO \"__pgt_storage__\""), statement.apply());
            assertTrue(statement.apply().endsWith("WHEN NOT MATCHED AND __pgt_s.__pgt_op IN ('U', 'D') THEN INSERT"
                    + " (\"__pgt_row_id\") VALUES (pgtrickle._immediate_conflict(__pgt_s.\"__pgt_row_id\"))"),
                    statement.apply());
            // The groups' identities from the changes, before any stored row is read.
            assertTrue(statement.identities().endsWith("SELECT DISTINCT __pgt_row_id FROM (SELECT"
                    + " (pg_catalog.int8send(pg_catalog.hash_record_extended(ROW(__pgt_a.__pgt_k1,"
                    + " pgtrickle._key_sign(__pgt_a.__pgt_k1)), 0)) OPERATOR(pg_catalog.||)"
                    + " pg_catalog.int8send(pg_catalog.hash_record_extended(ROW(__pgt_a.__pgt_k1,"
                    + " pgtrickle._key_sign(__pgt_a.__pgt_k1)), 1))) AS __pgt_row_id FROM __pgt_dagg AS __pgt_a)"
                    + " AS __pgt_touched"), statement.identities());
        }
    }

    @Test
    void rowsOfOneTableAreKeyedOrCountedByContent() throws Exception {
        // SELECT id, name FROM emp WHERE salary > 1000
        CompiledPlan keyed = compile("""
                 SELECT id,
                    name
                   FROM public.emp
                  WHERE (salary > (1000)::numeric)""");
        assertEquals(Strategy.KEYED, keyed.strategy());
        assertEquals(3, keyed.immediate().size());
        assertTrue(keyed.immediate().get(0).identities().endsWith("SELECT DISTINCT __pgt_row_id FROM (SELECT __pgt_row_id"
                + " FROM __pgt_src WHERE __pgt_op IS NOT NULL) AS __pgt_touched"), keyed.immediate().get(0).identities());
        // SELECT name FROM emp
        CompiledPlan content = compile("""
                 SELECT name
                   FROM public.emp""");
        assertEquals(Strategy.CONTENT, content.strategy());
        assertEquals(3, content.immediate().size());
    }

    @Test
    void whatCannotBeMaintainedInsideTheStatementSaysWhy() throws Exception {
        // SELECT e.name, d.name AS dept FROM emp e JOIN dept d ON d.id = e.dept_id
        CompiledPlan join = compile("""
                 SELECT e.name,
                    d.name AS dept
                   FROM (public.emp e
                     JOIN public.dept d ON ((d.id = e.dept_id)))""");
        assertTrue(join.immediate().isEmpty());
        assertEquals("IMMEDIATE mode maintains queries over one table so far; this one reads 2", join.immediateRefusal());
        // SELECT a.name FROM emp a JOIN emp b ON b.id = a.dept_id
        CompiledPlan selfJoin = compile("""
                 SELECT a.name
                   FROM (public.emp a
                     JOIN public.emp b ON ((b.id = a.dept_id)))""");
        assertEquals("IMMEDIATE mode maintains queries reading their table once so far; this one reads it 2 times"
                + " (a self-join or a subquery)", selfJoin.immediateRefusal());
        // SELECT dept_id, count(*) AS n FROM emp GROUP BY dept_id HAVING count(*) > 1
        CompiledPlan having = compile("""
                 SELECT dept_id,
                    count(*) AS n
                   FROM public.emp
                  GROUP BY dept_id
                 HAVING (count(*) > 1)""");
        assertTrue(having.immediate().isEmpty());
        assertEquals("IMMEDIATE mode does not maintain the GROUP_RESCAN strategy yet (it maintains AGGREGATE, KEYED"
                + " and CONTENT)", having.immediateRefusal());
    }
}
