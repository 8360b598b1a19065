package dev.pgtrickle.ivm.front;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.ivm.plan.Lineage;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Output columns to source columns, over canonical texts PostgreSQL 18 prints (query in the comment). */
class LineageTest {

    private final FakeCatalog catalog = new FakeCatalog();

    /** Each output column's sources as sorted "schema.table.column" strings. */
    private Map<String, Set<String>> lineage(String canonical) throws UnsupportedQueryException {
        Map<String, Set<String>> lineage = new LinkedHashMap<>();
        Lineage.of(new QueryParser().parse(canonical, catalog)).forEach((column, sources) -> {
            Set<String> names = new TreeSet<>();
            sources.forEach(s -> names.add(s.schema() + "." + s.table() + "." + s.column()));
            lineage.put(column, names);
        });
        return lineage;
    }

    @Test
    void expressionsJoinsAndAggregatesLeadToTheirSourceColumns() throws Exception {
        // SELECT e.id, e.salary * 2 AS doubled, d.name AS dept FROM emp e JOIN dept d ON d.id = e.dept_id
        assertEquals(Map.of("id", Set.of("public.emp.id"), "doubled", Set.of("public.emp.salary"),
                        "dept", Set.of("public.dept.name")),
                lineage("""
                        SELECT e.id,
                            (e.salary * (2)::numeric) AS doubled,
                            d.name AS dept
                           FROM (public.emp e
                             JOIN public.dept d ON ((d.id = e.dept_id)))"""));
        // SELECT d.name, count(*) AS n, sum(e.salary) AS total FROM dept d JOIN emp e ON e.dept_id = d.id GROUP BY d.name
        assertEquals(Map.of("name", Set.of("public.dept.name"), "n", Set.of(), "total", Set.of("public.emp.salary")),
                lineage("""
                        SELECT d.name,
                            count(*) AS n,
                            sum(e.salary) AS total
                           FROM (public.dept d
                             JOIN public.emp e ON ((e.dept_id = d.id)))
                          GROUP BY d.name"""));
    }

    @Test
    void subqueriesViewsAndUnionsAreFollowed() throws Exception {
        // SELECT s.id, s.total FROM (SELECT d.id, sum(e.salary) AS total FROM dept d JOIN emp e ON e.dept_id = d.id GROUP BY d.id) s
        assertEquals(Map.of("id", Set.of("public.dept.id"), "total", Set.of("public.emp.salary")), lineage("""
                SELECT id,
                    total
                   FROM ( SELECT d.id,
                            sum(e.salary) AS total
                           FROM (public.dept d
                             JOIN public.emp e ON ((e.dept_id = d.id)))
                          GROUP BY d.id) s"""));
        // SELECT name FROM high_paid (a view over emp)
        assertEquals(Map.of("name", Set.of("public.emp.name")), lineage("""
                SELECT name
                   FROM public.high_paid"""));
        // SELECT id FROM emp UNION ALL SELECT id FROM dept
        assertEquals(Map.of("id", Set.of("public.emp.id", "public.dept.id")), lineage("""
                SELECT emp.id
                   FROM public.emp
                UNION ALL
                 SELECT dept.id
                   FROM public.dept"""));
        assertEquals(List.of("id", "doubled"), List.copyOf(lineage("""
                SELECT e.id,
                    (e.salary * (2)::numeric) AS doubled
                   FROM public.emp e""").keySet()), "in output order");
    }
}
