package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.plan.UnionAll;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.pgtrickle.ivm.front.FakeCatalog.DEPT;
import static dev.pgtrickle.ivm.front.FakeCatalog.DEPT_TOTALS;
import static dev.pgtrickle.ivm.front.FakeCatalog.DOTTED;
import static dev.pgtrickle.ivm.front.FakeCatalog.EMP;
import static dev.pgtrickle.ivm.front.FakeCatalog.REGION;
import static dev.pgtrickle.ivm.front.FakeCatalog.TEMP;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Query shapes without aggregates. Each input is what PostgreSQL 18's pg_get_viewdef printed for
 * the query in the comment above it (search_path = pg_catalog); "PostgreSQL 15" inputs show the
 * older format, which qualifies columns even in single-table queries and starts with a space.
 */
class QueryParserTest {

    private final FakeCatalog catalog = new FakeCatalog();

    private Plan parse(String sql) throws UnsupportedQueryException {
        return new QueryParser().parse(sql, catalog);
    }

    private static List<OutputColumn> outputs(String... nameExpressionPairs) {
        List<OutputColumn> outputs = new java.util.ArrayList<>();
        for (int i = 0; i < nameExpressionPairs.length; i += 2) {
            outputs.add(new OutputColumn(nameExpressionPairs[i], nameExpressionPairs[i + 1]));
        }
        return outputs;
    }

    /** Everything {@code public.emp} restricted like the view public.high_paid. */
    private static Plan highPaid() {
        return new Project(new Filter(new Scan(EMP, "emp"), "(salary > (100000)::numeric)"),
                outputs("id", "id", "name", "name", "dept_id", "dept_id"));
    }

    @Test
    void filterAndProject() throws Exception {
        // SELECT id, name, salary * 2 AS double_salary FROM emp WHERE salary > 1000 AND dept_id IS NOT NULL
        Plan plan = parse("""
                SELECT id,
                    name,
                    (salary * (2)::numeric) AS double_salary
                   FROM public.emp
                  WHERE ((salary > (1000)::numeric) AND (dept_id IS NOT NULL))""");
        assertEquals(new Project(
                new Filter(new Scan(EMP, "emp"), "((salary > (1000)::numeric) AND (dept_id IS NOT NULL))"),
                outputs("id", "id", "name", "name", "double_salary", "(salary * (2)::numeric)")), plan);
        assertEquals(List.of("id", "name", "double_salary"), plan.columns());
    }

    @Test
    void filterAndProjectInPostgres15Format() throws Exception {
        Plan plan = parse("""
                 SELECT emp.id,
                    emp.name,
                    (emp.salary * (2)::numeric) AS double_salary
                   FROM public.emp
                  WHERE ((emp.salary > (1000)::numeric) AND (emp.dept_id IS NOT NULL))""");
        assertEquals(new Project(
                new Filter(new Scan(EMP, "emp"), "((emp.salary > (1000)::numeric) AND (emp.dept_id IS NOT NULL))"),
                outputs("id", "emp.id", "name", "emp.name", "double_salary", "(emp.salary * (2)::numeric)")), plan);
    }

    @Test
    void quotedNamesWithDotsKeepTheirMeaning() throws Exception {
        // SELECT t."x.y" AS "p.q", t.id, t."w.v" AS w FROM "a.b"."c.d" t JOIN emp "e.f"
        //   ON "e.f".id = t."x.y" WHERE t."x.y" > 1
        Plan plan = parse("""
                SELECT t."x.y" AS "p.q",
                    t.id,
                    t."w.v" AS w
                   FROM ("a.b"."c.d" t
                     JOIN public.emp "e.f" ON (("e.f".id = t."x.y")))
                  WHERE (t."x.y" > 1)""");
        assertEquals(new Project(
                new Filter(new Join(List.of(new Scan(DOTTED, "t"), new Scan(EMP, "e.f")), List.of("(\"e.f\".id = t.\"x.y\")")),
                        "(t.\"x.y\" > 1)"),
                outputs("p.q", "t.\"x.y\"", "id", "t.id", "w", "t.\"w.v\"")), plan);
    }

    @Test
    void twoWayJoin() throws Exception {
        // SELECT e.name, d.name AS dept FROM emp e JOIN dept d ON e.dept_id = d.id
        Plan plan = parse("""
                SELECT e.name,
                    d.name AS dept
                   FROM (public.emp e
                     JOIN public.dept d ON ((e.dept_id = d.id)))""");
        assertEquals(new Project(
                new Join(List.of(new Scan(EMP, "e"), new Scan(DEPT, "d")), List.of("(e.dept_id = d.id)")),
                outputs("name", "e.name", "dept", "d.name")), plan);
    }

    @Test
    void threeWayJoinNestedToTheLeftFlattens() throws Exception {
        // SELECT e.name, d.name AS dept, r.name AS region FROM emp e JOIN dept d ON e.dept_id = d.id
        //   JOIN region r ON r.id = d.region_id WHERE r.name <> 'EU'
        Plan plan = parse("""
                SELECT e.name,
                    d.name AS dept,
                    r.name AS region
                   FROM ((public.emp e
                     JOIN public.dept d ON ((e.dept_id = d.id)))
                     JOIN public.region r ON ((r.id = d.region_id)))
                  WHERE (r.name <> 'EU'::text)""");
        assertEquals(new Project(
                new Filter(new Join(List.of(new Scan(EMP, "e"), new Scan(DEPT, "d"), new Scan(REGION, "r")),
                        List.of("(e.dept_id = d.id)", "(r.id = d.region_id)")), "(r.name <> 'EU'::text)"),
                outputs("name", "e.name", "dept", "d.name", "region", "r.name")), plan);
    }

    @Test
    void threeWayJoinNestedToTheRightFlattens() throws Exception {
        // SELECT a.name FROM emp a JOIN (dept b JOIN region c ON c.id = b.region_id) ON b.id = a.dept_id
        Plan plan = parse("""
                SELECT a.name
                   FROM (public.emp a
                     JOIN (public.dept b
                     JOIN public.region c ON ((c.id = b.region_id))) ON ((b.id = a.dept_id)))""");
        assertEquals(new Project(
                new Join(List.of(new Scan(EMP, "a"), new Scan(DEPT, "b"), new Scan(REGION, "c")),
                        List.of("(c.id = b.region_id)", "(b.id = a.dept_id)")),
                outputs("name", "a.name")), plan);
    }

    @Test
    void commaJoinKeepsItsConditionInWhere() throws Exception {
        // SELECT e.name, d.name AS dept FROM emp e, dept d WHERE e.dept_id = d.id AND e.salary > 10
        Plan plan = parse("""
                SELECT e.name,
                    d.name AS dept
                   FROM public.emp e,
                    public.dept d
                  WHERE ((e.dept_id = d.id) AND (e.salary > (10)::numeric))""");
        assertEquals(new Project(
                new Filter(new Join(List.of(new Scan(EMP, "e"), new Scan(DEPT, "d")), List.of()),
                        "((e.dept_id = d.id) AND (e.salary > (10)::numeric))"),
                outputs("name", "e.name", "dept", "d.name")), plan);
    }

    @Test
    void crossJoinHasNoCondition() throws Exception {
        // SELECT e.name, r.name AS region FROM emp e CROSS JOIN region r
        Plan plan = parse("""
                SELECT e.name,
                    r.name AS region
                   FROM (public.emp e
                     CROSS JOIN public.region r)""");
        assertEquals(new Join(List.of(new Scan(EMP, "e"), new Scan(REGION, "r")), List.of()),
                plan.inputs().get(0));
    }

    @Test
    void joinUsingBecomesAnOnCondition() throws Exception {
        // SELECT id, e.name, d.name AS dname FROM emp e JOIN dept d USING (id)
        Plan plan = parse("""
                SELECT e.id,
                    e.name,
                    d.name AS dname
                   FROM (public.emp e
                     JOIN public.dept d USING (id))""");
        assertEquals(new Project(
                new Join(List.of(new Scan(EMP, "e"), new Scan(DEPT, "d")), List.of("(e.id = d.id)")),
                outputs("id", "e.id", "name", "e.name", "dname", "d.name")), plan);
    }

    @Test
    void naturalJoinArrivesAsUsingAndIsConverted() throws Exception {
        // SELECT e.name FROM emp e NATURAL JOIN dept d: PostgreSQL prints the USING list it implies.
        Plan plan = parse("""
                SELECT e.name
                   FROM (public.emp e
                     JOIN public.dept d USING (id, name))""");
        assertEquals(new Join(List.of(new Scan(EMP, "e"), new Scan(DEPT, "d")),
                List.of("(e.id = d.id)", "(e.name = d.name)")), plan.inputs().get(0));
    }

    @Test
    void usingAfterAJoinFindsTheOnlyLeftInputWithTheColumn() throws Exception {
        // SELECT e.name, t.total FROM emp e JOIN region r ON r.id = e.id JOIN dept_totals t USING (dept_id)
        Plan plan = parse("""
                SELECT e.name,
                    t.total
                   FROM ((public.emp e
                     JOIN public.region r ON ((r.id = e.id)))
                     JOIN public.dept_totals t USING (dept_id))""");
        assertEquals(new Join(List.of(new Scan(EMP, "e"), new Scan(REGION, "r"), new Scan(DEPT_TOTALS, "t")),
                List.of("(r.id = e.id)", "(e.dept_id = t.dept_id)")), plan.inputs().get(0));
    }

    @Test
    void distinct() throws Exception {
        // SELECT DISTINCT dept_id, name FROM emp
        Plan plan = parse("""
                SELECT DISTINCT dept_id,
                    name
                   FROM public.emp""");
        assertEquals(new Distinct(new Project(new Scan(EMP, "emp"), outputs("dept_id", "dept_id", "name", "name"))),
                plan);
    }

    @Test
    void orderByWithoutLimitIsDropped() throws Exception {
        // SELECT id, name FROM emp ORDER BY name
        Plan plan = parse("""
                SELECT id,
                    name
                   FROM public.emp
                  ORDER BY name""");
        assertEquals(new Project(new Scan(EMP, "emp"), outputs("id", "id", "name", "name")), plan);
    }

    @Test
    void unionAllOfTwo() throws Exception {
        // SELECT id, name FROM emp UNION ALL SELECT id, name FROM dept
        Plan plan = parse("""
                SELECT emp.id,
                    emp.name
                   FROM public.emp
                UNION ALL
                 SELECT dept.id,
                    dept.name
                   FROM public.dept""");
        assertEquals(new UnionAll(List.of(
                new Project(new Scan(EMP, "emp"), outputs("id", "emp.id", "name", "emp.name")),
                new Project(new Scan(DEPT, "dept"), outputs("id", "dept.id", "name", "dept.name")))), plan);
    }

    @Test
    void unionAllOfThreeWithOrderBy() throws Exception {
        // SELECT id, name FROM emp UNION ALL SELECT id, name FROM dept UNION ALL SELECT id, name FROM region ORDER BY 1
        Plan plan = parse("""
                SELECT emp.id,
                    emp.name
                   FROM public.emp
                UNION ALL
                 SELECT dept.id,
                    dept.name
                   FROM public.dept
                UNION ALL
                 SELECT region.id,
                    region.name
                   FROM public.region
                  ORDER BY 1""");
        assertEquals(new UnionAll(List.of(
                new Project(new Scan(EMP, "emp"), outputs("id", "emp.id", "name", "emp.name")),
                new Project(new Scan(DEPT, "dept"), outputs("id", "dept.id", "name", "dept.name")),
                new Project(new Scan(REGION, "region"), outputs("id", "region.id", "name", "region.name")))), plan);
    }

    @Test
    void parenthesizedUnionAllBranchIsFlattened() throws Exception {
        Plan plan = parse("""
                SELECT emp.id
                   FROM public.emp
                UNION ALL (
                         SELECT dept.id
                           FROM public.dept
                        UNION ALL
                         SELECT region.id
                           FROM public.region
                )""");
        assertEquals(3, ((UnionAll) plan).branches().size());
    }

    @Test
    void parenthesizedQuery() throws Exception {
        // Hand-written: PostgreSQL drops the parentheses.
        assertEquals(new Project(new Scan(EMP, "emp"), outputs("id", "id")), parse("(SELECT id FROM public.emp)"));
    }

    @Test
    void viewIsExpandedUnderItsAlias() throws Exception {
        // SELECT h.name, d.name AS dept FROM high_paid h JOIN dept d ON d.id = h.dept_id
        Plan plan = parse("""
                SELECT h.name,
                    d.name AS dept
                   FROM (public.high_paid h
                     JOIN public.dept d ON ((d.id = h.dept_id)))""");
        assertEquals(new Project(
                new Join(List.of(new Derived(highPaid(), "h"), new Scan(DEPT, "d")), List.of("(d.id = h.dept_id)")),
                outputs("name", "h.name", "dept", "d.name")), plan);
    }

    @Test
    void viewsAreExpandedRecursively() throws Exception {
        // SELECT name FROM high_paid_names, a view over the view high_paid
        Plan plan = parse("""
                SELECT name
                   FROM public.high_paid_names""");
        assertEquals(new Project(
                new Derived(new Project(new Derived(highPaid(), "h"), outputs("name", "name")), "high_paid_names"),
                outputs("name", "name")), plan);
    }

    @Test
    void subqueryInFrom() throws Exception {
        // SELECT s.dept_id, s.name FROM (SELECT dept_id, name FROM emp WHERE salary > 10) s WHERE s.dept_id > 1
        Plan plan = parse("""
                SELECT dept_id,
                    name
                   FROM ( SELECT emp.dept_id,
                            emp.name
                           FROM public.emp
                          WHERE (emp.salary > (10)::numeric)) s
                  WHERE (dept_id > 1)""");
        Plan subquery = new Project(new Filter(new Scan(EMP, "emp"), "(emp.salary > (10)::numeric)"),
                outputs("dept_id", "emp.dept_id", "name", "emp.name"));
        assertEquals(new Project(new Filter(new Derived(subquery, "s"), "(dept_id > 1)"),
                outputs("dept_id", "dept_id", "name", "name")), plan);
    }

    @Test
    void cteIsInlinedUnderEachReferencingAlias() throws Exception {
        // WITH big AS (SELECT id, name FROM emp WHERE salary > 10) SELECT b1.name FROM big b1 JOIN big b2 ON b1.id = b2.id
        Plan plan = parse("""
                WITH big AS (
                         SELECT emp.id,
                            emp.name
                           FROM public.emp
                          WHERE (emp.salary > (10)::numeric)
                        )
                 SELECT b1.name
                   FROM (big b1
                     JOIN big b2 ON ((b1.id = b2.id)))""");
        Plan big = new Project(new Filter(new Scan(EMP, "emp"), "(emp.salary > (10)::numeric)"),
                outputs("id", "emp.id", "name", "emp.name"));
        assertEquals(new Project(
                new Join(List.of(new Derived(big, "b1"), new Derived(big, "b2")), List.of("(b1.id = b2.id)")),
                outputs("name", "b1.name")), plan);
        assertEquals(List.of("public.emp"), catalog.lookups(), "translated once; the CTE's name is no relation");
    }

    @Test
    void cteSeenByEveryUnionBranchAndByLaterCtes() throws Exception {
        Plan plan = parse("""
                WITH a AS (
                         SELECT emp.id
                           FROM public.emp
                        ), b AS (
                         SELECT a.id
                           FROM a
                        )
                 SELECT b.id
                   FROM b
                UNION ALL
                 SELECT a.id
                   FROM a""");
        Plan a = new Project(new Scan(EMP, "emp"), outputs("id", "emp.id"));
        assertEquals(new UnionAll(List.of(
                new Project(new Derived(new Project(new Derived(a, "a"), outputs("id", "a.id")), "b"), outputs("id", "b.id")),
                new Project(new Derived(a, "a"), outputs("id", "a.id")))), plan);
    }

    @Test
    void cteInsideASubquery() throws Exception {
        // SELECT s.id FROM (WITH inner_c AS (SELECT id FROM emp) SELECT id FROM inner_c) s
        Plan plan = parse("""
                SELECT id
                   FROM ( WITH inner_c AS (
                                 SELECT emp.id
                                   FROM public.emp
                                )
                         SELECT inner_c.id
                           FROM inner_c) s""");
        Plan inner = new Project(new Derived(new Project(new Scan(EMP, "emp"), outputs("id", "emp.id")), "inner_c"),
                outputs("id", "inner_c.id"));
        assertEquals(new Project(new Derived(inner, "s"), outputs("id", "id")), plan);
    }

    @Test
    void streamTableSource() throws Exception {
        // SELECT dept_id, total FROM dept_totals WHERE total > 0
        Plan plan = parse("""
                SELECT dept_id,
                    total
                   FROM public.dept_totals
                  WHERE (total > (0)::numeric)""");
        Scan scan = (Scan) plan.inputs().get(0).inputs().get(0);
        assertEquals(new Scan(DEPT_TOTALS, "dept_totals"), scan);
        assertEquals(Source.Kind.STREAM_TABLE, scan.source().kind());
    }

    @Test
    void unqualifiedNameIsResolvedUnqualified() throws Exception {
        // A temporary table: the only kind of source canonical text leaves unqualified.
        Plan plan = parse("""
                SELECT tt.a
                   FROM (tt
                     JOIN public.emp e ON ((e.id = tt.a)))""");
        assertEquals(new Join(List.of(new Scan(TEMP, "tt"), new Scan(EMP, "e")), List.of("(e.id = tt.a)")),
                plan.inputs().get(0));
        assertEquals(List.of("tt", "public.emp"), catalog.lookups());
    }

    @Test
    void quotedIdentifiersAndAliasesAreUnquotedInNames() throws Exception {
        // SELECT "Mixed Case" AS "Weird Name", name AS "select" FROM emp "E x"
        Plan plan = parse("""
                SELECT "Mixed Case" AS "Weird Name",
                    name AS "select"
                   FROM public.emp "E x\"""");
        assertEquals(new Project(new Scan(EMP, "E x"),
                outputs("Weird Name", "\"Mixed Case\"", "select", "name")), plan);
    }

    @Test
    void quotedAliasInPostgres15Format() throws Exception {
        Plan plan = parse("""
                 SELECT "E x"."Mixed Case" AS "Weird Name",
                    "E x".name AS "select"
                   FROM public.emp "E x\"""");
        assertEquals(new Project(new Scan(EMP, "E x"),
                outputs("Weird Name", "\"E x\".\"Mixed Case\"", "select", "\"E x\".name")), plan);
    }

    @Test
    void outputNamesWithoutAlias() throws Exception {
        Plan plan = parse("SELECT e.\"Mixed Case\", upper(e.name), (e.id + 1) FROM public.emp e");
        assertEquals(List.of("Mixed Case", "upper", "?column?"), plan.columns());
    }

    @Test
    void starIsExpandedFromTheCatalog() throws Exception {
        Plan plan = parse("SELECT *, d.* FROM public.emp e JOIN public.dept d ON d.id = e.dept_id");
        assertEquals(List.of("id", "name", "dept_id", "salary", "hired", "tags", "data", "Mixed Case",
                "id", "name", "region_id", "id", "name", "region_id"), plan.columns());
        assertEquals(new OutputColumn("Mixed Case", "\"e\".\"Mixed Case\""), ((Project) plan).outputs().get(7));
    }

    @Test
    void jsqlparserReservedWordsAsIdentifiers() throws Exception {
        // SELECT top.id AS minus, top.name AS sample FROM emp top: PostgreSQL prints these words
        // unquoted, JSqlParser 5.4 reserves them.
        assertEquals(new Project(new Scan(EMP, "top"), outputs("minus", "id", "sample", "name")), parse("""
                SELECT id AS minus,
                    name AS sample
                   FROM public.emp top"""));
        assertEquals(new Project(new Scan(EMP, "top"), outputs("minus", "\"top\".id", "sample", "\"top\".name")),
                parse("""
                         SELECT top.id AS minus,
                            top.name AS sample
                           FROM public.emp top"""));
    }
}
