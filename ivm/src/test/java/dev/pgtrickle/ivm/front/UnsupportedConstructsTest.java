package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Each unsupported construct is refused with its own text and a reason. Inputs are canonical
 * texts PostgreSQL 18 printed, except where a comment says the text is hand-written (PostgreSQL
 * never prints it, or refuses the query itself).
 */
class UnsupportedConstructsTest {

    private static final String SUBQUERY = "subqueries in expressions are not supported yet";
    private static final String CORRELATED_GROUPING =
            "correlated subqueries with GROUP BY, HAVING, aggregates or DISTINCT are not supported yet";
    private static final String TOP_K = "TopK (ORDER BY ... LIMIT) is not supported yet";
    private static final String NO_ORDER = "LIMIT or OFFSET without ORDER BY picks arbitrary rows; it cannot be maintained";
    private static final String WITHIN_GROUP = "ordered-set and hypothetical-set aggregates (WITHIN GROUP) are not supported yet";
    private static final String WINDOW_OVER_GROUPS =
            "window functions over GROUP BY or aggregates, or with DISTINCT, are not supported yet";

    static Stream<Arguments> constructs() {
        return Stream.of(
                // EXISTS under OR is a count above zero (SubqueryParsingTest), not over a grouping.
                // SELECT id FROM emp e WHERE EXISTS (SELECT 1 FROM dept d WHERE d.id = e.dept_id GROUP BY d.name) OR salary > 10
                Arguments.of("""
                        SELECT id
                           FROM public.emp e
                          WHERE ((EXISTS ( SELECT 1
                                   FROM public.dept d
                                  WHERE (d.id = e.dept_id)
                                  GROUP BY d.name)) OR (salary > (10)::numeric))""",
                        "EXISTS (SELECT 1 FROM public.dept d WHERE (d.id = e.dept_id) GROUP BY d.name)",
                        "EXISTS inside an expression is supported for subqueries without LIMIT, and not correlated"
                                + " where they group (GROUP BY, HAVING, aggregates, DISTINCT)"),
                // IN under OR is spelled out as EXISTS tests (SubqueryParsingTest); a grouping in them
                // must not be correlated.
                // SELECT id FROM emp e WHERE dept_id IN (SELECT id FROM dept d WHERE d.name = e.name GROUP BY id) OR salary > 10
                Arguments.of("""
                        SELECT id
                           FROM public.emp e
                          WHERE ((dept_id IN ( SELECT d.id
                                   FROM public.dept d
                                  WHERE (d.name = e.name)
                                  GROUP BY d.id)) OR (salary > (10)::numeric))""",
                        "e.dept_id IN (SELECT d.id FROM public.dept d WHERE (d.name = e.name) GROUP BY d.id)",
                        "IN inside an expression is supported for a subquery returning one column, tested against one"
                                + " expression, without LIMIT, and not correlated where it groups (GROUP BY, HAVING,"
                                + " aggregates, DISTINCT)"),
                // SELECT d.id FROM dept d WHERE EXISTS (SELECT 1 FROM emp e WHERE e.dept_id = d.id HAVING count(*) > 2)
                Arguments.of("""
                        SELECT id
                           FROM public.dept d
                          WHERE (EXISTS ( SELECT 1
                                   FROM public.emp e
                                  WHERE (e.dept_id = d.id)
                                 HAVING (count(*) > 2)))""",
                        "(SELECT 1 FROM public.emp e WHERE (e.dept_id = d.id) HAVING (count(*) > 2))", CORRELATED_GROUPING),
                // SELECT d.id FROM dept d WHERE d.id IN (SELECT sum(e.dept_id) FROM emp e WHERE e.id = d.id)
                Arguments.of("""
                        SELECT id
                           FROM public.dept d
                          WHERE (id IN ( SELECT sum(e.dept_id) AS sum
                                   FROM public.emp e
                                  WHERE (e.id = d.id)))""",
                        "(SELECT sum(e.dept_id) AS sum FROM public.emp e WHERE (e.id = d.id))", CORRELATED_GROUPING),
                Arguments.of("""
                        SELECT id
                           FROM public.emp
                          WHERE (salary > ALL ( SELECT emp_1.salary
                                   FROM public.emp emp_1
                                  WHERE (emp_1.dept_id = 1)))""",
                        "ALL(SELECT emp_1.salary FROM public.emp emp_1 WHERE (emp_1.dept_id = 1))", SUBQUERY),
                Arguments.of("""
                        SELECT e.name
                           FROM (public.emp e
                             JOIN public.dept d ON (((d.id = e.dept_id) AND (d.id IN ( SELECT dept.region_id
                                   FROM public.dept)))))""", "(SELECT dept.region_id FROM public.dept)", SUBQUERY),
                // A column merged by FULL JOIN ... USING is the COALESCE of both sides
                // (QueryParserTest); PostgreSQL prints it bare, also inside a subquery or a later
                // join's condition, where it is refused.
                // SELECT id FROM emp e FULL JOIN dept d USING (id) WHERE EXISTS (SELECT 1 FROM region r WHERE r.id = id + 1)
                Arguments.of("""
                        SELECT id
                           FROM (public.emp e
                             FULL JOIN public.dept d USING (id))
                          WHERE (EXISTS ( SELECT 1
                                   FROM public.region r
                                  WHERE (r.name = (id)::text)))""",
                        "EXISTS (SELECT 1 FROM public.region r WHERE (r.name = (id)::text))",
                        "a subquery refers to id, merged by FULL JOIN ... USING; write the join with ON"),
                Arguments.of("""
                        SELECT id
                           FROM ((public.emp e
                             FULL JOIN public.dept d USING (id))
                             LEFT JOIN public.region r ON ((r.name = (id)::text)))""",
                        "LEFT JOIN public.region r ON ((r.name = (id)::text))",
                        "the join condition refers to id, merged by an earlier FULL JOIN ... USING; write that join with ON"),
                // Hand-written: PostgreSQL prints NATURAL JOIN as JOIN ... USING (its columns).
                Arguments.of("SELECT e.name FROM public.emp e NATURAL JOIN public.dept d",
                        "NATURAL JOIN public.dept d", "NATURAL JOIN is not supported yet"),
                // Hand-written: PostgreSQL refuses an ambiguous USING column itself.
                Arguments.of("SELECT e.name FROM ((public.emp e JOIN public.dept d ON ((d.id = e.dept_id)))"
                                + " JOIN public.region r USING (id))", "USING (id)",
                        "more than one input on one side of the join has the column id; write the join with ON"),
                // SELECT e.name, x.n FROM emp e, LATERAL (SELECT count(*) AS n FROM dept d WHERE d.id > e.dept_id) x
                Arguments.of("""
                        SELECT e.name,
                            x.n
                           FROM public.emp e,
                            LATERAL ( SELECT count(*) AS n
                                   FROM public.dept d
                                  WHERE (d.id > e.dept_id)) x""",
                        "d.id > e.dept_id",
                        "a LATERAL subquery is maintained where it reads the rows before it only in equalities of its"
                                + " WHERE (inner expression = outer expression)"),
                // SELECT d.id, g.g FROM emp d FULL JOIN generate_series(1, 3) g(g) ON g.g = d.id
                Arguments.of("""
                        SELECT d.id,
                            g.g
                           FROM (public.emp d
                             FULL JOIN generate_series(1, 3) g(g) ON ((g.g = d.id)))""",
                        "FULL JOIN generate_series(1, 3) g(g) ON ((g.g = d.id))",
                        "a RIGHT or FULL join with a function in FROM is not supported yet"),
                Arguments.of("""
                        SELECT a
                           FROM ( VALUES (1), (2)) v(a)""", "(VALUES (1), (2)) v(a)", "VALUES lists are not supported yet"),
                Arguments.of("""
                        SELECT id
                           FROM public.emp
                         LIMIT 10""", "LIMIT 10", NO_ORDER),
                Arguments.of("""
                        SELECT id
                           FROM public.emp
                          ORDER BY salary DESC
                         LIMIT 10""", "ORDER BY salary DESC LIMIT 10",
                        "ORDER BY salary: a TopK may only order by columns of its SELECT list yet"),
                Arguments.of("""
                        SELECT id
                           FROM public.emp
                         OFFSET 5""", "OFFSET 5", NO_ORDER),
                Arguments.of("""
                        SELECT id
                           FROM public.emp
                          ORDER BY id
                         LIMIT (1 + 2)""", "ORDER BY id LIMIT (1 + 2)",
                        "LIMIT, OFFSET and FETCH must be non-negative integer constants"),
                Arguments.of("""
                        SELECT id
                           FROM ( SELECT emp.id
                                   FROM public.emp
                                  ORDER BY emp.salary DESC
                                 LIMIT 3) s""", "ORDER BY emp.salary DESC LIMIT 3", TOP_K),
                Arguments.of("""
                        SELECT emp.id
                           FROM public.emp
                        UNION ALL
                        ( SELECT dept.id
                           FROM public.dept
                          ORDER BY dept.id
                         LIMIT 3)""", "ORDER BY dept.id LIMIT 3", TOP_K),
                Arguments.of("""
                        WITH RECURSIVE r(n) AS (
                                 SELECT 1 AS "?column?"
                                UNION ALL
                                 SELECT (r_1.n + 1)
                                   FROM r r_1
                                  WHERE (r_1.n < 10)
                                )
                         SELECT n
                           FROM r""",
                        "SELECT 1 AS \"?column?\"", "a query without FROM reads no table; it cannot be maintained incrementally"),
                Arguments.of("""
                        SELECT public.my_sum(salary) AS s
                           FROM public.emp""", "public.my_sum(emp.salary)",
                        "user-defined aggregates are not supported yet"),
                Arguments.of("""
                        SELECT percentile_cont((0.5)::double precision) WITHIN GROUP (ORDER BY ((salary)::double precision)) AS med
                           FROM public.emp""",
                        "percentile_cont((0.5)::double precision) WITHIN GROUP (ORDER BY ((salary)::double precision))",
                        WITHIN_GROUP),
                Arguments.of("""
                        SELECT mode() WITHIN GROUP (ORDER BY dept_id) AS m
                           FROM public.emp""", "mode() WITHIN GROUP (ORDER BY dept_id)", WITHIN_GROUP),
                Arguments.of("""
                        SELECT rank((1000)::numeric) WITHIN GROUP (ORDER BY salary) AS r
                           FROM public.emp""", "rank((1000)::numeric) WITHIN GROUP (ORDER BY salary)", WITHIN_GROUP),
                Arguments.of("""
                        SELECT dept_id,
                            count(*) AS n,
                            rank() OVER (ORDER BY (count(*))) AS r
                           FROM public.emp
                          GROUP BY dept_id""", "emp.dept_id", WINDOW_OVER_GROUPS),
                Arguments.of("""
                        SELECT DISTINCT ON (dept_id) dept_id,
                            count(*) AS count
                           FROM public.emp
                          GROUP BY dept_id""", "DISTINCT ON (dept_id)", "DISTINCT ON over GROUP BY is not supported yet"),
                Arguments.of("""
                        SELECT relname
                           FROM pg_class""", "pg_class",
                        "system catalogs have no change capture and cannot be refreshed differentially"),
                Arguments.of("SELECT id FROM public.nowhere", "public.nowhere", "relation not found"),
                Arguments.of("""
                        SELECT x,
                            y
                           FROM public.dept d(x, y, z, w)""", "public.dept d(x, y, z, w)",
                        "more column names than columns"),
                Arguments.of("""
                        SELECT id
                           FROM ONLY public.emp""", "FROM ONLY public.emp", "FROM ONLY is not supported yet"),
                Arguments.of("""
                        SELECT id
                           FROM public.emp TABLESAMPLE system (10)""", "public.emp TABLESAMPLE SYSTEM (10)",
                        "TABLESAMPLE is not supported yet"),
                Arguments.of("""
                        SELECT id
                           FROM public.emp
                         FOR UPDATE OF emp""", "FOR UPDATE", "row locking clauses are not supported"),
                Arguments.of("SELECT 1 AS one", "SELECT 1 AS one",
                        "a query without FROM reads no table; it cannot be maintained incrementally"),
                // JSqlParser would read "#-" as "#" followed by a unary minus.
                Arguments.of("""
                        SELECT (j #- '{a}'::text[]) AS del
                           FROM public.misc""", "operator #-",
                        "this operator is not supported by the differential compiler yet"),
                Arguments.of("""
                        SELECT x IS DOCUMENT AS doc
                           FROM public.misc""", "IS DOCUMENT AS doc FROM public.misc",
                        "the differential compiler cannot parse this query: Encountered: <K_IS> / \"IS\""));
    }

    @ParameterizedTest
    @MethodSource("constructs")
    void refusedWithConstructAndReason(String sql, String construct, String reason) {
        UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class,
                () -> new QueryParser().parse(sql, new FakeCatalog()));
        assertEquals(construct, e.construct());
        assertEquals(construct + ": " + reason, e.getMessage());
    }
}
