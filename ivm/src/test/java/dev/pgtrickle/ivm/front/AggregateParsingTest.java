package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.UnionAll;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.pgtrickle.ivm.front.FakeCatalog.DEPT;
import static dev.pgtrickle.ivm.front.FakeCatalog.EMP;
import static dev.pgtrickle.ivm.front.FakeCatalog.ORDERS;
import static dev.pgtrickle.ivm.front.Plans.on;
import static dev.pgtrickle.ivm.front.Plans.outputs;
import static dev.pgtrickle.ivm.plan.AggregateCall.Function.AVG;
import static dev.pgtrickle.ivm.plan.AggregateCall.Function.COUNT;
import static dev.pgtrickle.ivm.plan.AggregateCall.Function.COUNT_STAR;
import static dev.pgtrickle.ivm.plan.AggregateCall.Function.MAX;
import static dev.pgtrickle.ivm.plan.AggregateCall.Function.MIN;
import static dev.pgtrickle.ivm.plan.AggregateCall.Function.RECOMPUTED;
import static dev.pgtrickle.ivm.plan.AggregateCall.Function.RECOMPUTED_IN_ORDER;
import static dev.pgtrickle.ivm.plan.AggregateCall.Function.SUM;
import static dev.pgtrickle.ivm.plan.JoinKind.INNER;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** GROUP BY, aggregates and HAVING, from canonical texts PostgreSQL 18 printed (query in the comment). */
class AggregateParsingTest {

    private static QueryPlan parse(String sql) throws UnsupportedQueryException {
        return new QueryParser().parse(sql, new FakeCatalog());
    }

    private static AggregateCall call(int index, AggregateCall.Function function, String argument) {
        return new AggregateCall(index, function, argument);
    }

    @Test
    void groupByWithCountSumAvg() throws Exception {
        // SELECT dept_id, count(*) AS n, count(salary) AS with_salary, sum(salary) AS total,
        //   avg(salary) AS mean FROM emp GROUP BY dept_id
        QueryPlan plan = parse("""
                SELECT dept_id,
                    count(*) AS n,
                    count(salary) AS with_salary,
                    sum(salary) AS total,
                    avg(salary) AS mean
                   FROM public.emp
                  GROUP BY dept_id""");
        assertEquals(new Aggregate(new Scan(EMP, "emp", List.of("dept_id", "salary")), List.of("emp.dept_id"),
                List.of(call(1, COUNT_STAR, null), call(2, COUNT, "emp.salary"), call(3, SUM, "emp.salary"),
                        call(4, AVG, "emp.salary")),
                outputs("dept_id", "__pgt_key_1", "n", "__pgt_agg_1", "with_salary", "__pgt_agg_2",
                        "total", "__pgt_agg_3", "mean", "__pgt_agg_4"), null), plan);
    }

    @Test
    void postgres15FormatQualifiesKeysAndArguments() throws Exception {
        QueryPlan plan = parse("""
                 SELECT emp.dept_id,
                    sum(emp.salary) AS total
                   FROM public.emp
                  GROUP BY emp.dept_id""");
        assertEquals(new Aggregate(new Scan(EMP, "emp", List.of("dept_id", "salary")), List.of("emp.dept_id"), List.of(call(1, SUM, "emp.salary")),
                outputs("dept_id", "__pgt_key_1", "total", "__pgt_agg_1"), null), plan);
    }

    @Test
    void aggregatesInsideExpressionsAreDeduplicated() throws Exception {
        // SELECT dept_id, COALESCE(sum(salary), 0) AS total, sum(salary) / count(*) AS ratio FROM emp GROUP BY dept_id
        QueryPlan plan = parse("""
                SELECT dept_id,
                    COALESCE(sum(salary), (0)::numeric) AS total,
                    (sum(salary) / (count(*))::numeric) AS ratio
                   FROM public.emp
                  GROUP BY dept_id""");
        assertEquals(new Aggregate(new Scan(EMP, "emp", List.of("dept_id", "salary")), List.of("emp.dept_id"),
                List.of(call(1, SUM, "emp.salary"), call(2, COUNT_STAR, null)),
                outputs("dept_id", "__pgt_key_1", "total", "COALESCE(__pgt_agg_1, (0)::numeric)",
                        "ratio", "(__pgt_agg_1 / (__pgt_agg_2)::numeric)"), null), plan);
    }

    @Test
    void havingOverAJoin() throws Exception {
        // SELECT d.name, count(*) AS n FROM emp e JOIN dept d ON e.dept_id = d.id GROUP BY d.name
        //   HAVING count(*) > 5 AND sum(e.salary) > 100
        QueryPlan plan = parse("""
                SELECT d.name,
                    count(*) AS n
                   FROM (public.emp e
                     JOIN public.dept d ON ((e.dept_id = d.id)))
                  GROUP BY d.name
                 HAVING ((count(*) > 5) AND (sum(e.salary) > (100)::numeric))""");
        assertEquals(new Aggregate(
                new Join(INNER, new Scan(EMP, "e", List.of("dept_id", "salary")), new Scan(DEPT, "d", List.of("id", "name")), on("(e.dept_id = d.id)", "e", "d")),
                List.of("d.name"), List.of(call(1, COUNT_STAR, null), call(2, SUM, "e.salary")),
                outputs("name", "__pgt_key_1", "n", "__pgt_agg_1"),
                "((__pgt_agg_1 > 5) AND (__pgt_agg_2 > (100)::numeric))"), plan);
    }

    @Test
    void havingOnAGroupKey() throws Exception {
        // SELECT dept_id, count(*) AS n FROM emp GROUP BY dept_id HAVING dept_id > 3
        Aggregate plan = (Aggregate) parse("""
                SELECT dept_id,
                    count(*) AS n
                   FROM public.emp
                  GROUP BY dept_id
                 HAVING (dept_id > 3)""");
        assertEquals("(__pgt_key_1 > 3)", plan.having());
    }

    @Test
    void globalAggregate() throws Exception {
        // SELECT count(*) AS n, sum(salary) AS total FROM emp
        QueryPlan plan = parse("""
                SELECT count(*) AS n,
                    sum(salary) AS total
                   FROM public.emp""");
        assertEquals(new Aggregate(new Scan(EMP, "emp", List.of("salary")), List.of(),
                List.of(call(1, COUNT_STAR, null), call(2, SUM, "emp.salary")),
                outputs("n", "__pgt_agg_1", "total", "__pgt_agg_2"), null), plan);
    }

    @Test
    void havingWithoutGroupByIsAGlobalAggregate() throws Exception {
        // SELECT count(*) AS n FROM emp HAVING count(*) > 0
        QueryPlan plan = parse("""
                SELECT count(*) AS n
                   FROM public.emp
                 HAVING (count(*) > 0)""");
        assertEquals(new Aggregate(new Scan(EMP, "emp", List.of()), List.of(), List.of(call(1, COUNT_STAR, null)),
                outputs("n", "__pgt_agg_1"), "(__pgt_agg_1 > 0)"), plan);
    }

    @Test
    void emptyGroupingSetIsAGlobalAggregate() throws Exception {
        // SELECT count(*) AS n FROM emp GROUP BY ()
        Aggregate plan = (Aggregate) parse("""
                SELECT count(*) AS n
                   FROM public.emp
                  GROUP BY ()""");
        assertEquals(List.of(), plan.groupKeys());
    }

    @Test
    void columnsDependingOnTheGroupedPrimaryKeyBecomeExtraKeys() throws Exception {
        // SELECT d.id, d.name, upper(d.name) AS uname, count(*) AS n FROM dept d JOIN emp e
        //   ON e.dept_id = d.id GROUP BY d.id HAVING d.region_id > 0
        QueryPlan plan = parse("""
                SELECT d.id,
                    d.name,
                    upper(d.name) AS uname,
                    count(*) AS n
                   FROM (public.dept d
                     JOIN public.emp e ON ((e.dept_id = d.id)))
                  GROUP BY d.id
                 HAVING (d.region_id > 0)""");
        assertEquals(new Aggregate(
                new Join(INNER, new Scan(DEPT, "d"), new Scan(EMP, "e", List.of("dept_id")), on("(e.dept_id = d.id)", "e", "d")),
                List.of("d.id", "d.name", "d.region_id"), List.of(call(1, COUNT_STAR, null)),
                outputs("id", "__pgt_key_1", "name", "__pgt_key_2", "uname", "upper(__pgt_key_2)", "n", "__pgt_agg_1"),
                "(__pgt_key_3 > 0)"), plan);
    }

    @Test
    void expressionKeysMatchTheSelectListDespitePostgresParentheses() throws Exception {
        // SELECT lower(name) AS lname, dept_id + 1 AS d1, (dept_id + 1) * 2 AS d2, count(*)
        //   FROM emp GROUP BY lower(name), dept_id + 1
        QueryPlan plan = parse("""
                SELECT lower(name) AS lname,
                    (dept_id + 1) AS d1,
                    ((dept_id + 1) * 2) AS d2,
                    count(*) AS count
                   FROM public.emp
                  GROUP BY (lower(name)), (dept_id + 1)""");
        assertEquals(new Aggregate(new Scan(EMP, "emp", List.of("name", "dept_id")), List.of("(lower(emp.name))", "(emp.dept_id + 1)"),
                List.of(call(1, COUNT_STAR, null)),
                outputs("lname", "__pgt_key_1", "d1", "__pgt_key_2", "d2", "(__pgt_key_2 * 2)", "count", "__pgt_agg_1"),
                null), plan);
    }

    @Test
    void singleExpressionKeyStaysParenthesized() throws Exception {
        // SELECT dept_id + 1 AS d1, count(*) AS n FROM emp GROUP BY dept_id + 1
        // (JSqlParser takes the parentheses for the GROUP BY list's own.)
        Aggregate plan = (Aggregate) parse("""
                SELECT (dept_id + 1) AS d1,
                    count(*) AS n
                   FROM public.emp
                  GROUP BY (dept_id + 1)""");
        assertEquals(List.of("(emp.dept_id + 1)"), plan.groupKeys());
        assertEquals(outputs("d1", "__pgt_key_1", "n", "__pgt_agg_1"), plan.outputs());
    }

    @Test
    void caseCastSubscriptAndConstantKeys() throws Exception {
        // SELECT CASE WHEN salary > 10 THEN 'hi' ELSE 'lo' END AS band, hired::text AS h, tags[1] AS t1,
        //   5 AS k, count(*) AS n FROM emp GROUP BY 1, 2, 3, 4
        Aggregate plan = (Aggregate) parse("""
                SELECT
                        CASE
                            WHEN (salary > (10)::numeric) THEN 'hi'::text
                            ELSE 'lo'::text
                        END AS band,
                    (hired)::text AS h,
                    tags[1] AS t1,
                    5 AS k,
                    count(*) AS n
                   FROM public.emp
                  GROUP BY
                        CASE
                            WHEN (salary > (10)::numeric) THEN 'hi'::text
                            ELSE 'lo'::text
                        END, (hired)::text, tags[1], 5::integer""");
        assertEquals(List.of("CASE WHEN (emp.salary > (10)::numeric) THEN 'hi'::text ELSE 'lo'::text END",
                "(emp.hired)::text", "emp.tags[1]", "5::integer"), plan.groupKeys());
        assertEquals(outputs("band", "__pgt_key_1", "h", "__pgt_key_2", "t1", "__pgt_key_3", "k", "5",
                "n", "__pgt_agg_1"), plan.outputs());
    }

    @Test
    void jsonKeysAndDependentColumnsInsideJsonOperators() throws Exception {
        // SELECT data ->> 'k' AS k, sum((data ->> 'n')::numeric) AS s FROM emp GROUP BY data ->> 'k'
        Aggregate byKey = (Aggregate) parse("""
                SELECT (data ->> 'k'::text) AS k,
                    sum(((data ->> 'n'::text))::numeric) AS s
                   FROM public.emp
                  GROUP BY (data ->> 'k'::text)""");
        assertEquals(List.of("(emp.data ->> 'k'::text)"), byKey.groupKeys());
        assertEquals(List.of(call(1, SUM, "((emp.data ->> 'n'::text))::numeric")), byKey.calls());
        assertEquals(outputs("k", "__pgt_key_1", "s", "__pgt_agg_1"), byKey.outputs());

        // SELECT e.id, e.data -> 'a' AS a, count(*) AS n FROM emp e JOIN dept d ON d.id = e.dept_id GROUP BY e.id
        Aggregate byPk = (Aggregate) parse("""
                SELECT e.id,
                    (e.data -> 'a'::text) AS a,
                    count(*) AS n
                   FROM (public.emp e
                     JOIN public.dept d ON ((d.id = e.dept_id)))
                  GROUP BY e.id""");
        assertEquals(List.of("e.id", "e.data"), byPk.groupKeys());
        assertEquals(outputs("id", "__pgt_key_1", "a", "(__pgt_key_2 -> 'a'::text)", "n", "__pgt_agg_1"),
                byPk.outputs());
    }

    @Test
    void aggregateArgumentsAreSelfDelimiting() throws Exception {
        // SELECT dept_id, count(salary * 2) AS c, sum(CASE WHEN salary > 10 THEN 1 ELSE 0 END) AS s
        //   FROM emp GROUP BY dept_id
        Aggregate plan = (Aggregate) parse("""
                SELECT dept_id,
                    count((salary * (2)::numeric)) AS c,
                    sum(
                        CASE
                            WHEN (salary > (10)::numeric) THEN 1
                            ELSE 0
                        END) AS s
                   FROM public.emp
                  GROUP BY dept_id""");
        assertEquals(List.of(call(1, COUNT, "(emp.salary * (2)::numeric)"),
                call(2, SUM, "CASE WHEN (emp.salary > (10)::numeric) THEN 1 ELSE 0 END")), plan.calls());
    }

    @Test
    void expressionsOverAggregates() throws Exception {
        // SELECT dept_id, sum(salary)::bigint AS s, count(*) + 1 AS c1, sum(salary) + avg(salary) AS x
        //   FROM emp GROUP BY dept_id
        Aggregate plan = (Aggregate) parse("""
                SELECT dept_id,
                    (sum(salary))::bigint AS s,
                    (count(*) + 1) AS c1,
                    (sum(salary) + avg(salary)) AS x
                   FROM public.emp
                  GROUP BY dept_id""");
        assertEquals(List.of(call(1, SUM, "emp.salary"), call(2, COUNT_STAR, null), call(3, AVG, "emp.salary")),
                plan.calls());
        assertEquals(outputs("dept_id", "__pgt_key_1", "s", "(__pgt_agg_1)::bigint", "c1", "(__pgt_agg_2 + 1)",
                "x", "(__pgt_agg_1 + __pgt_agg_3)"), plan.outputs());
    }

    @Test
    void groupByWithoutAggregates() throws Exception {
        // SELECT dept_id FROM emp GROUP BY dept_id
        QueryPlan plan = parse("""
                SELECT dept_id
                   FROM public.emp
                  GROUP BY dept_id""");
        assertEquals(new Aggregate(new Scan(EMP, "emp", List.of("dept_id")), List.of("emp.dept_id"), List.of(),
                outputs("dept_id", "__pgt_key_1"), null), plan);
    }

    @Test
    void whereGoesBelowTheAggregate() throws Exception {
        // SELECT o.customer, sum(o.amount) AS total FROM sales.orders o WHERE o.amount > 0 GROUP BY o.customer
        QueryPlan plan = parse("""
                SELECT customer,
                    sum(amount) AS total
                   FROM sales.orders o
                  WHERE (amount > (0)::numeric)
                  GROUP BY customer""");
        assertEquals(new Aggregate(new Filter(new Scan(ORDERS, "o", List.of("customer", "amount")), on("(o.amount > (0)::numeric)", "o")),
                List.of("o.customer"), List.of(call(1, SUM, "o.amount")),
                outputs("customer", "__pgt_key_1", "total", "__pgt_agg_1"), null), plan);
    }

    @Test
    void distinctOverGroupBy() throws Exception {
        // SELECT DISTINCT count(*) AS n FROM emp GROUP BY dept_id
        QueryPlan plan = parse("""
                SELECT DISTINCT count(*) AS n
                   FROM public.emp
                  GROUP BY dept_id""");
        assertEquals(new Distinct(new Aggregate(new Scan(EMP, "emp", List.of("dept_id")), List.of("emp.dept_id"),
                List.of(call(1, COUNT_STAR, null)), outputs("n", "__pgt_agg_1"), null)), plan);
    }

    @Test
    void groupedCteReferencedTwice() throws Exception {
        // WITH s AS (SELECT dept_id, COALESCE(sum(salary), 0) AS total FROM emp GROUP BY dept_id)
        //   SELECT a.total, b.dept_id FROM s a JOIN s b ON a.dept_id = b.dept_id
        QueryPlan plan = parse("""
                WITH s AS (
                         SELECT emp.dept_id,
                            COALESCE(sum(emp.salary), (0)::numeric) AS total
                           FROM public.emp
                          GROUP BY emp.dept_id
                        )
                 SELECT a.total,
                    b.dept_id
                   FROM (s a
                     JOIN s b ON ((a.dept_id = b.dept_id)))""");
        QueryPlan s = new Aggregate(new Scan(EMP, "emp", List.of("dept_id", "salary")), List.of("emp.dept_id"), List.of(call(1, SUM, "emp.salary")),
                outputs("dept_id", "__pgt_key_1", "total", "COALESCE(__pgt_agg_1, (0)::numeric)"), null);
        assertEquals(new Join(INNER, new Derived(s, "a"), new Derived(s, "b"), on("(a.dept_id = b.dept_id)", "a", "b")),
                plan.inputs().get(0));
    }

    @Test
    void aggregateInASubqueryAndInAUnionBranch() throws Exception {
        // SELECT dept_id, total FROM (SELECT dept_id, sum(salary) AS total FROM emp GROUP BY dept_id) s
        //   WHERE total > 10 UNION ALL SELECT id, 1 FROM dept
        QueryPlan plan = parse("""
                SELECT s.dept_id,
                    s.total
                   FROM ( SELECT emp.dept_id,
                            sum(emp.salary) AS total
                           FROM public.emp
                          GROUP BY emp.dept_id) s
                  WHERE (s.total > (10)::numeric)
                UNION ALL
                 SELECT dept.id AS dept_id,
                    1 AS total
                   FROM public.dept""");
        QueryPlan grouped = new Aggregate(new Scan(EMP, "emp", List.of("dept_id", "salary")), List.of("emp.dept_id"), List.of(call(1, SUM, "emp.salary")),
                outputs("dept_id", "__pgt_key_1", "total", "__pgt_agg_1"), null);
        assertEquals(new UnionAll(List.of(
                new Project(new Filter(new Derived(grouped, "s"), on("(s.total > (10)::numeric)", "s")),
                        outputs("dept_id", "s.dept_id", "total", "s.total")),
                new Project(new Scan(DEPT, "dept", List.of("id")), outputs("dept_id", "dept.id", "total", "1")))), plan);
    }

    @Test
    void minMaxAndFilteredCallsAreAlgebraic() throws Exception {
        // SELECT dept_id, min(salary) AS lo, max(name) AS hi, count(*) FILTER (WHERE salary > 10) AS big,
        //   sum(salary) FILTER (WHERE name <> 'x') AS s, min(DISTINCT salary) AS lo2 FROM emp GROUP BY dept_id
        QueryPlan plan = parse("""
                SELECT dept_id,
                    min(salary) AS lo,
                    max(name) AS hi,
                    count(*) FILTER (WHERE (salary > (10)::numeric)) AS big,
                    sum(salary) FILTER (WHERE (name <> 'x'::text)) AS s,
                    min(DISTINCT salary) AS lo2
                   FROM public.emp
                  GROUP BY dept_id""");
        assertEquals(new Aggregate(new Scan(EMP, "emp", List.of("name", "dept_id", "salary")), List.of("emp.dept_id"),
                List.of(call(1, MIN, "emp.salary"), call(2, MAX, "emp.name"),
                        call(3, COUNT, "CASE WHEN (emp.salary > (10)::numeric) THEN 1 END"),
                        call(4, SUM, "CASE WHEN (emp.name <> 'x'::text) THEN emp.salary END")),
                outputs("dept_id", "__pgt_key_1", "lo", "__pgt_agg_1", "hi", "__pgt_agg_2", "big", "__pgt_agg_3",
                        "s", "__pgt_agg_4", "lo2", "__pgt_agg_1"), null), plan);
    }

    @Test
    void otherAggregatesAreRecomputedAsWritten() throws Exception {
        // SELECT dept_id, string_agg(name, ',' ORDER BY name) AS names, count(DISTINCT salary) AS d,
        //   bool_and(salary > 0) FILTER (WHERE name IS NOT NULL) AS ok, array_agg(name) AS a FROM emp GROUP BY dept_id
        QueryPlan plan = parse("""
                SELECT dept_id,
                    string_agg(name, ','::text ORDER BY name) AS names,
                    count(DISTINCT salary) AS d,
                    bool_and((salary > (0)::numeric)) FILTER (WHERE (name IS NOT NULL)) AS ok,
                    array_agg(name) AS a
                   FROM public.emp
                  GROUP BY dept_id""");
        assertEquals(new Aggregate(new Scan(EMP, "emp", List.of("name", "dept_id", "salary")), List.of("emp.dept_id"),
                List.of(recomputed(1, RECOMPUTED_IN_ORDER, "string_agg(emp.name, ','::text ORDER BY emp.name)"),
                        recomputed(2, RECOMPUTED, "count(DISTINCT emp.salary)"),
                        recomputed(3, RECOMPUTED,
                                "(bool_and(emp.salary > (0)::numeric) FILTER (WHERE (emp.name IS NOT NULL)))"),
                        recomputed(4, RECOMPUTED_IN_ORDER, "array_agg(emp.name)")),
                outputs("dept_id", "__pgt_key_1", "names", "__pgt_agg_1", "d", "__pgt_agg_2", "ok", "__pgt_agg_3",
                        "a", "__pgt_agg_4"), null), plan);
    }

    @Test
    void distinctCountsAndSumsAreComputedFromPerValueCounts() throws Exception {
        // SELECT dept_id, count(*) AS n, count(DISTINCT salary) AS d, sum(DISTINCT salary) AS s,
        //   count(name) AS c, max(salary) AS hi FROM emp GROUP BY dept_id
        QueryPlan plan = parse("""
                SELECT dept_id,
                    count(*) AS n,
                    count(DISTINCT salary) AS d,
                    sum(DISTINCT salary) AS s,
                    count(name) AS c,
                    max(salary) AS hi
                   FROM public.emp
                  GROUP BY dept_id""");
        Aggregate perValue = new Aggregate(new Scan(EMP, "emp", List.of("name", "dept_id", "salary")),
                List.of("emp.dept_id", "emp.salary"), List.of(call(1, COUNT_STAR, null), call(2, COUNT, "emp.name")),
                outputs("__pgt_k1", "__pgt_key_1", "__pgt_v", "__pgt_key_2", "__pgt_c1", "__pgt_agg_1",
                        "__pgt_c2", "__pgt_agg_2"), null);
        String v = "\"__pgt_per_value\".\"__pgt_v\"";
        assertEquals(new Aggregate(new Derived(perValue, "__pgt_per_value"), List.of("\"__pgt_per_value\".\"__pgt_k1\""),
                List.of(call(1, SUM, "\"__pgt_per_value\".\"__pgt_c1\""), call(2, COUNT, v), call(3, SUM, v),
                        call(4, SUM, "\"__pgt_per_value\".\"__pgt_c2\""), call(5, MAX, v)),
                outputs("dept_id", "__pgt_key_1", "n", "(COALESCE(__pgt_agg_1, 0)::bigint)", "d", "__pgt_agg_2",
                        "s", "__pgt_agg_3", "c", "(COALESCE(__pgt_agg_4, 0)::bigint)", "hi", "__pgt_agg_5"), null), plan);
    }

    @Test
    void distinctCallsOfDifferentValuesAreRecomputed() throws Exception {
        // SELECT dept_id, count(DISTINCT salary) AS d, count(DISTINCT name) AS e FROM emp GROUP BY dept_id
        QueryPlan plan = parse("""
                SELECT dept_id,
                    count(DISTINCT salary) AS d,
                    count(DISTINCT name) AS e
                   FROM public.emp
                  GROUP BY dept_id""");
        assertEquals(List.of(recomputed(1, RECOMPUTED, "count(DISTINCT emp.salary)"),
                recomputed(2, RECOMPUTED, "count(DISTINCT emp.name)")), ((Aggregate) plan).calls());
    }

    private static AggregateCall recomputed(int index, AggregateCall.Function function, String call) {
        return new AggregateCall(index, function, null, call);
    }

    @Test
    void rollupIsAUnionAllOfOneGroupingPerSetWithGroupingConstants() throws Exception {
        // SELECT dept_id, name, count(*) AS n, GROUPING(dept_id, name) AS g FROM emp GROUP BY ROLLUP(dept_id, name)
        QueryPlan plan = parse("""
                SELECT dept_id,
                    name,
                    count(*) AS n,
                    GROUPING(dept_id, name) AS g
                   FROM public.emp
                  GROUP BY ROLLUP(dept_id, name)""");
        UnionAll union = (UnionAll) plan;
        assertEquals(3, union.branches().size());
        Aggregate all = (Aggregate) union.branches().get(0);
        assertEquals(List.of("emp.dept_id", "emp.name"), all.groupKeys());
        assertEquals(outputs("dept_id", "__pgt_key_1", "name", "__pgt_key_2", "n", "__pgt_agg_1", "g", "(0)"),
                all.outputs());
        Aggregate byDept = (Aggregate) union.branches().get(1);
        assertEquals(List.of("emp.dept_id"), byDept.groupKeys());
        assertEquals(outputs("dept_id", "__pgt_key_1", "name", "(SELECT (emp.name) FROM \"public\".\"emp\" AS \"emp\" WHERE (false))", "n", "__pgt_agg_1", "g", "(1)"),
                byDept.outputs());
        Aggregate total = (Aggregate) union.branches().get(2);
        assertEquals(List.of(), total.groupKeys());
        assertEquals("(SELECT (emp.dept_id) FROM \"public\".\"emp\" AS \"emp\" WHERE (false))",
                total.outputs().get(0).expression(), "a NULL of the key's type");
    }

    @Test
    void aRollupListedInGroupingSetsStandsForItsSets() throws Exception {
        // SELECT dept_id, name, salary, count(*) AS n FROM emp GROUP BY GROUPING SETS (ROLLUP(dept_id, name), (salary))
        UnionAll union = (UnionAll) parse("""
                SELECT dept_id,
                    name,
                    salary,
                    count(*) AS n
                   FROM public.emp
                  GROUP BY GROUPING SETS (ROLLUP(dept_id, name), (salary))""");
        assertEquals(List.of(List.of("emp.dept_id", "emp.name"), List.of("emp.dept_id"), List.of("emp.salary"), List.of()),
                union.branches().stream().map(b -> ((Aggregate) b).groupKeys()).toList());
    }

    @Test
    void cubeAndGroupingSetsCombineWithPlainKeys() throws Exception {
        // SELECT dept_id, name, salary, sum(id) AS s FROM emp GROUP BY dept_id, CUBE(name, salary)
        UnionAll cube = (UnionAll) parse("""
                SELECT dept_id,
                    name,
                    salary,
                    sum(id) AS s
                   FROM public.emp
                  GROUP BY dept_id, CUBE(name, salary)""");
        assertEquals(List.of(List.of("emp.dept_id", "emp.name", "emp.salary"), List.of("emp.dept_id", "emp.name"),
                        List.of("emp.dept_id", "emp.salary"), List.of("emp.dept_id")),
                cube.branches().stream().map(b -> ((Aggregate) b).groupKeys()).toList());
        // SELECT dept_id, name, count(*) AS n FROM emp GROUP BY GROUPING SETS ((dept_id), (name), ())
        UnionAll sets = (UnionAll) parse("""
                SELECT dept_id,
                    name,
                    count(*) AS n
                   FROM public.emp
                  GROUP BY GROUPING SETS ((dept_id), (name), ())""");
        assertEquals(List.of(List.of("emp.dept_id"), List.of("emp.name"), List.of()),
                sets.branches().stream().map(b -> ((Aggregate) b).groupKeys()).toList());
    }
}
