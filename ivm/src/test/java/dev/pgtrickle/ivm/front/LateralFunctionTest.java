package dev.pgtrickle.ivm.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.compile.CompiledPlan;
import dev.pgtrickle.ivm.compile.PlanCompiler;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.LateralFunction;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Set-returning functions in FROM, called per row of what precedes them. Inputs are what
 * PostgreSQL 18's pg_get_viewdef printed (search_path = pg_catalog) for the query in the comment.
 */
class LateralFunctionTest {

    private final FakeCatalog catalog = new FakeCatalog();

    private QueryPlan parse(String sql) throws UnsupportedQueryException {
        return new QueryParser().parse(sql, catalog);
    }

    // SELECT d.id, t, n FROM emp d CROSS JOIN LATERAL unnest(d.tags) WITH ORDINALITY AS u(t, n)
    private static final String UNNEST = """
             SELECT d.id,
                u.t,
                u.n
               FROM (public.emp d
                 CROSS JOIN LATERAL unnest(d.tags) WITH ORDINALITY u(t, n))""";

    @Test
    void theFunctionIsCalledPerRowOfItsInputAndItsColumnsAreTheAliasList() throws Exception {
        Project top = assertInstanceOf(Project.class, parse(UNNEST));
        LateralFunction unnest = assertInstanceOf(LateralFunction.class, top.input());
        assertEquals("unnest(d.tags)", unnest.function().call());
        assertTrue(unnest.function().ordinality());
        assertEquals("u", unnest.function().alias());
        assertEquals(List.of("t", "n"), unnest.function().columns());
        assertEquals("d", assertInstanceOf(Scan.class, unnest.input()).alias());
    }

    @Test
    void theJoinsBeforeTheFunctionKeepTheirConditions() throws Exception {
        // SELECT e.id, d.name, u.t FROM emp e JOIN dept d ON d.id = e.dept_id CROSS JOIN LATERAL unnest(e.tags) u(t)
        Project top = assertInstanceOf(Project.class, parse("""
                 SELECT e.id,
                    d.name,
                    u.t
                   FROM ((public.emp e
                     JOIN public.dept d ON ((d.id = e.dept_id)))
                     CROSS JOIN LATERAL unnest(e.tags) u(t))"""));
        LateralFunction unnest = assertInstanceOf(LateralFunction.class, top.input());
        // Not a cross product filtered afterwards: each delta term probes the other table by the key.
        Join join = assertInstanceOf(Join.class, unnest.input());
        assertEquals("(d.id = e.dept_id)", join.condition().sql());
    }

    @Test
    void itsDeltaIsTheFunctionAppliedToTheChangedRows() throws Exception {
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(parse(UNNEST), "q");
        assertTrue(plan.populate().contains("\"public\".\"emp\" AS \"d\" CROSS JOIN LATERAL unnest(d.tags)"
                + " WITH ORDINALITY AS \"u\" (\"t\", \"n\")"), plan.populate());
        String refresh = plan.refresh();
        assertTrue(refresh.contains("\"u\".\"t\" AS __pgt_c"), refresh);
        assertTrue(refresh.contains("AS \"d\", LATERAL unnest(d.tags) WITH ORDINALITY AS \"u\" (\"t\", \"n\")"), refresh);
        // Changes are not read back from the emp table: the function needs only the changed row.
        assertTrue(!refresh.contains("FROM \"public\".\"emp\""), refresh);
    }

    @Test
    void aFunctionAfterACommaReadsTheItemsBeforeIt() throws Exception {
        // SELECT d.id, e.value ->> 'sku' AS sku FROM emp d, LATERAL jsonb_array_elements(d.tags) e
        Project top = assertInstanceOf(Project.class, parse("""
                 SELECT d.id,
                    (e.value ->> 'sku'::text) AS sku
                   FROM public.emp d,
                    LATERAL jsonb_array_elements(d.tags) e(value)"""));
        LateralFunction elements = assertInstanceOf(LateralFunction.class, top.input());
        assertEquals("jsonb_array_elements(d.tags)", elements.function().call());
        assertEquals(List.of("value"), elements.function().columns());
        assertTrue(!elements.function().ordinality());
    }

    // SELECT d.id, e.value FROM emp d LEFT JOIN LATERAL unnest(d.tags) e(value) ON e.value <> 'x'
    private static final String LEFT = """
             SELECT d.id,
                e.value
               FROM (public.emp d
                 LEFT JOIN LATERAL unnest(d.tags) e(value) ON ((e.value <> 'x'::text)))""";

    @Test
    void aLeftJoinedFunctionKeepsARowWithoutResultsOnceAndStaysLinear() throws Exception {
        Project top = assertInstanceOf(Project.class, parse(LEFT));
        LateralFunction unnest = assertInstanceOf(LateralFunction.class, top.input());
        assertEquals("((e.value <> 'x'::text))", unnest.on());
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(top, "q");
        String padded = "LATERAL (SELECT \"e\".\"value\" FROM (SELECT) AS __pgt_one LEFT JOIN LATERAL unnest(d.tags)"
                + " AS \"e\" (\"value\") ON ((e.value <> 'x'::text))) AS \"e\"";
        assertTrue(plan.populate().contains("CROSS JOIN " + padded), plan.populate());
        assertTrue(plan.refresh().contains("AS \"d\", " + padded), plan.refresh());
    }

    // SELECT m.month, count(o.id) AS orders FROM generate_series(1, 12) AS m(month)
    //   LEFT JOIN sales.orders o ON extract(month FROM o.created_at) = m.month GROUP BY m.month
    @Test
    void aFunctionOfConstantsFirstInFromIsAnInputThatNeverChanges() throws Exception {
        QueryPlan plan = parse("""
                 SELECT m.month,
                    count(o.id) AS orders
                   FROM (generate_series(1, 12) m(month)
                     LEFT JOIN sales.orders o ON ((EXTRACT(month FROM o.created_at) = (m.month)::numeric)))
                  GROUP BY m.month""");
        CompiledPlan compiled = new PlanCompiler(query -> List.of()).compile(plan, "q");
        assertTrue(compiled.refresh().contains("FROM generate_series(1, 12) AS \"m\" (\"month\") WHERE false"),
                compiled.refresh());
        UnsupportedQueryException e = org.junit.jupiter.api.Assertions.assertThrows(UnsupportedQueryException.class,
                () -> parse("SELECT d.id FROM public.emp d WHERE (EXISTS ( SELECT 1 FROM unnest(d.tags) t(t)"
                        + " WHERE (t.t = 'x'::text)))"));
        assertTrue(e.getMessage().contains("reads an outer query's columns"), e.getMessage());
    }

    // SELECT d.id, r.t, r.e, r.n FROM emp d, LATERAL ROWS FROM (unnest(d.tags), jsonb_array_elements(d.data))
    //   WITH ORDINALITY AS r(t, e, n)
    @Test
    void rowsFromCallsEachFunctionPerRowAndZipsTheirRows() throws Exception {
        Project top = assertInstanceOf(Project.class, parse("""
                 SELECT d.id,
                    r.t,
                    r.e,
                    r.n
                   FROM public.emp d,
                    LATERAL ROWS FROM(unnest(d.tags), jsonb_array_elements(d.data)) WITH ORDINALITY r(t, e, n)"""));
        LateralFunction rows = assertInstanceOf(LateralFunction.class, top.input());
        assertEquals("ROWS FROM (unnest(d.tags), jsonb_array_elements(d.data)) WITH ORDINALITY AS \"r\" (\"t\", \"e\", \"n\")",
                rows.function().item());
    }

    // SELECT d.id, jt.sku, jt.qty, jt.ord FROM emp d, JSON_TABLE(d.data, '$.items[*]' COLUMNS (sku text PATH '$.sku',
    //   qty int PATH '$.qty' DEFAULT 0 ON EMPTY, ord FOR ORDINALITY)) jt
    private static final String JSON_TABLE = """
             SELECT d.id,
                jt.sku,
                jt.qty,
                jt.ord
               FROM public.emp d,
                LATERAL JSON_TABLE(
                        d.data, '$."items"[*]' AS json_table_path_0
                        COLUMNS (
                            sku text PATH '$."sku"',
                            qty integer PATH '$."qty"' DEFAULT 0 ON EMPTY,
                            ord FOR ORDINALITY
                        )
                    ) jt""";

    @Test
    void jsonTableNamesItsColumnsInItsColumnsClause() throws Exception {
        Project top = assertInstanceOf(Project.class, parse(JSON_TABLE));
        LateralFunction table = assertInstanceOf(LateralFunction.class, top.input());
        assertEquals(List.of("sku", "qty", "ord"), table.function().columns());
        String item = table.function().item();
        assertTrue(item.startsWith("JSON_TABLE(d.data, '$.\"items\"[*]' AS json_table_path_0 COLUMNS (sku text PATH"
                + " '$.\"sku\"', qty integer PATH '$.\"qty\"' DEFAULT 0 ON EMPTY, ord FOR ORDINALITY"), item);
        assertTrue(item.endsWith(") AS \"jt\""), item);
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(top, "q");
        assertTrue(plan.refresh().contains("AS \"d\", LATERAL JSON_TABLE("), plan.refresh());
    }
}
