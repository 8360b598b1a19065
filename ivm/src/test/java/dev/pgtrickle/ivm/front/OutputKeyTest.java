package dev.pgtrickle.ivm.front;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.ivm.plan.OutputKey;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The key of a query's result, followed from the sources' primary keys (emp, dept, region and
 * sales.orders have one on id; misc and staff none), over the canonical texts PostgreSQL 18
 * prints (query in the comment).
 */
class OutputKeyTest {

    private final FakeCatalog catalog = new FakeCatalog();

    private List<String> key(String canonical) throws UnsupportedQueryException {
        return OutputKey.of(new QueryParser().parse(canonical, catalog));
    }

    @Test
    void aFilteredProjectionHasThePrimaryKeyItOutputs() throws Exception {
        // SELECT name, id AS emp_id, salary FROM emp WHERE salary > 10
        assertEquals(List.of("emp_id"), key("""
                SELECT name,
                    id AS emp_id,
                    salary
                   FROM public.emp
                  WHERE (salary > (10)::numeric)"""));
        // SELECT name, salary FROM emp
        assertEquals(List.of(), key("""
                SELECT name,
                    salary
                   FROM public.emp"""), "without the key column there is none");
        // SELECT i, t FROM misc
        assertEquals(List.of(), key("""
                SELECT i,
                    t
                   FROM public.misc"""), "a table without a primary key");
    }

    @Test
    void aJoinOnTheOtherSidesKeyKeepsThisSidesKey() throws Exception {
        // SELECT e.id, e.name, d.name AS dept FROM emp e JOIN dept d ON d.id = e.dept_id
        assertEquals(List.of("id"), key("""
                SELECT e.id,
                    e.name,
                    d.name AS dept
                   FROM (public.emp e
                     JOIN public.dept d ON ((d.id = e.dept_id)))"""), "each employee has at most one department");
        // SELECT e.id, d.id AS dept_id FROM emp e JOIN dept d ON d.region_id = e.dept_id
        assertEquals(List.of("id", "dept_id"), key("""
                SELECT e.id,
                    d.id AS dept_id
                   FROM (public.emp e
                     JOIN public.dept d ON ((d.region_id = e.dept_id)))"""), "both keys together");
        // SELECT e.id, d.name FROM emp e JOIN dept d ON d.region_id = e.dept_id
        assertEquals(List.of(), key("""
                SELECT e.id,
                    d.name
                   FROM (public.emp e
                     JOIN public.dept d ON ((d.region_id = e.dept_id)))"""), "an employee may match many departments");
    }

    @Test
    void outerJoinsKeepOnlyThePreservedSidesKey() throws Exception {
        // SELECT e.id, d.name AS dept FROM emp e LEFT JOIN dept d ON e.dept_id = d.id AND d.region_id = 1
        assertEquals(List.of("id"), key("""
                SELECT e.id,
                    d.name AS dept
                   FROM (public.emp e
                     LEFT JOIN public.dept d ON (((e.dept_id = d.id) AND (d.region_id = 1))))"""));
        // SELECT e.id, d.id AS d_id FROM emp e RIGHT JOIN dept d ON e.dept_id = d.id
        assertEquals(List.of(), key("""
                SELECT e.id,
                    d.id AS d_id
                   FROM (public.emp e
                     RIGHT JOIN public.dept d ON ((e.dept_id = d.id)))"""), "e.id is NULL where a department has no one");
        // SELECT e.id, d.id AS d_id FROM emp e FULL JOIN dept d ON e.dept_id = d.id
        assertEquals(List.of(), key("""
                SELECT e.id,
                    d.id AS d_id
                   FROM (public.emp e
                     FULL JOIN public.dept d ON ((e.dept_id = d.id)))"""));
    }

    @Test
    void groupsAreKeyedByTheirNotNullGroupKeys() throws Exception {
        // SELECT d.id, count(*) AS n FROM dept d JOIN emp e ON e.dept_id = d.id GROUP BY d.id
        assertEquals(List.of("id"), key("""
                SELECT d.id,
                    count(*) AS n
                   FROM (public.dept d
                     JOIN public.emp e ON ((e.dept_id = d.id)))
                  GROUP BY d.id"""));
        // SELECT dept_id, count(*) AS n FROM emp GROUP BY dept_id
        assertEquals(List.of(), key("""
                SELECT dept_id,
                    count(*) AS n
                   FROM public.emp
                  GROUP BY dept_id"""), "dept_id may be NULL");
        // SELECT count(*) AS n FROM emp
        assertEquals(List.of(), key("""
                SELECT count(*) AS n
                   FROM public.emp"""), "one row, whose key is empty");
        // SELECT DISTINCT id, name FROM emp
        assertEquals(List.of("id"), key("""
                SELECT DISTINCT id,
                    name
                   FROM public.emp"""));
    }

    @Test
    void aSubqueryPassesItsKeyOnAndUnionAllHasNone() throws Exception {
        // SELECT s.id, s.total FROM (SELECT d.id, sum(e.salary) AS total FROM dept d JOIN emp e ON e.dept_id = d.id GROUP BY d.id) s
        assertEquals(List.of("id"), key("""
                SELECT id,
                    total
                   FROM ( SELECT d.id,
                            sum(e.salary) AS total
                           FROM (public.dept d
                             JOIN public.emp e ON ((e.dept_id = d.id)))
                          GROUP BY d.id) s"""));
        // SELECT id FROM emp UNION ALL SELECT id FROM dept
        assertEquals(List.of(), key("""
                SELECT emp.id
                   FROM public.emp
                UNION ALL
                 SELECT dept.id
                   FROM public.dept"""));
    }
}
