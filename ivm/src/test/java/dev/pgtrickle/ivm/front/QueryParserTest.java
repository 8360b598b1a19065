package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.plan.TopK;
import dev.pgtrickle.ivm.plan.UnionAll;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import static dev.pgtrickle.ivm.front.FakeCatalog.DEPT;
import static dev.pgtrickle.ivm.front.FakeCatalog.DEPT_TOTALS;
import static dev.pgtrickle.ivm.front.FakeCatalog.DOTTED;
import static dev.pgtrickle.ivm.front.FakeCatalog.EMP;
import static dev.pgtrickle.ivm.front.FakeCatalog.REGION;
import static dev.pgtrickle.ivm.front.FakeCatalog.TEMP;
import static dev.pgtrickle.ivm.front.Plans.and;
import static dev.pgtrickle.ivm.front.Plans.on;
import static dev.pgtrickle.ivm.front.Plans.outputs;
import static dev.pgtrickle.ivm.plan.JoinKind.ANTI;
import static dev.pgtrickle.ivm.plan.JoinKind.FULL;
import static dev.pgtrickle.ivm.plan.JoinKind.INNER;
import static dev.pgtrickle.ivm.plan.JoinKind.LEFT;
import static dev.pgtrickle.ivm.plan.JoinKind.RIGHT;
import static dev.pgtrickle.ivm.plan.JoinKind.SEMI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Query shapes without aggregates. Each input is what PostgreSQL 18's pg_get_viewdef printed for
 * the query in the comment above it (search_path = pg_catalog); "PostgreSQL 15" inputs show the
 * older format, which qualifies columns even in single-table queries and starts with a space.
 */
class QueryParserTest {

    private final FakeCatalog catalog = new FakeCatalog();

    private QueryPlan parse(String sql) throws UnsupportedQueryException {
        return new QueryParser().parse(sql, catalog);
    }

    /** Everything {@code public.emp} restricted like the view public.high_paid. */
    private static QueryPlan highPaid() {
        return new Project(new Filter(new Scan(EMP, "emp", List.of("id", "name", "dept_id", "salary")), on("(emp.salary > (100000)::numeric)", "emp")),
                outputs("id", "emp.id", "name", "emp.name", "dept_id", "emp.dept_id"));
    }

    @Test
    void filterAndProject() throws Exception {
        // SELECT id, name, salary * 2 AS double_salary FROM emp WHERE salary > 1000 AND dept_id IS NOT NULL
        QueryPlan plan = parse("""
                SELECT id,
                    name,
                    (salary * (2)::numeric) AS double_salary
                   FROM public.emp
                  WHERE ((salary > (1000)::numeric) AND (dept_id IS NOT NULL))""");
        assertEquals(new Project(
                new Filter(new Scan(EMP, "emp", List.of("id", "name", "dept_id", "salary")), and(on("(emp.salary > (1000)::numeric)", "emp"),
                        on("(emp.dept_id IS NOT NULL)", "emp"))),
                outputs("id", "emp.id", "name", "emp.name",
                        "double_salary", "(emp.salary * (2)::numeric)")),
                plan);
        assertEquals(List.of("id", "name", "double_salary"), plan.columns());
    }

    @Test
    void filterAndProjectInPostgres15Format() throws Exception {
        QueryPlan plan = parse("""
                 SELECT emp.id,
                    emp.name,
                    (emp.salary * (2)::numeric) AS double_salary
                   FROM public.emp
                  WHERE ((emp.salary > (1000)::numeric) AND (emp.dept_id IS NOT NULL))""");
        assertEquals(new Project(
                new Filter(new Scan(EMP, "emp", List.of("id", "name", "dept_id", "salary")),
                        and(on("(emp.salary > (1000)::numeric)", "emp"), on("(emp.dept_id IS NOT NULL)", "emp"))),
                outputs("id", "emp.id", "name", "emp.name", "double_salary", "(emp.salary * (2)::numeric)")), plan);
    }

    @Test
    void quotedNamesWithDotsKeepTheirMeaning() throws Exception {
        // SELECT t."x.y" AS "p.q", t.id, t."w.v" AS w FROM "a.b"."c.d" t JOIN emp "e.f"
        //   ON "e.f".id = t."x.y" WHERE t."x.y" > 1
        QueryPlan plan = parse("""
                SELECT t."x.y" AS "p.q",
                    t.id,
                    t."w.v" AS w
                   FROM ("a.b"."c.d" t
                     JOIN public.emp "e.f" ON (("e.f".id = t."x.y")))
                  WHERE (t."x.y" > 1)""");
        assertEquals(new Project(
                new Join(INNER, new Filter(new Scan(DOTTED, "t"), on("(t.\"x.y\" > 1)", "t")), new Scan(EMP, "e.f", List.of("id")),
                        on("(\"e.f\".id = t.\"x.y\")", "e.f", "t")),
                outputs("p.q", "t.\"x.y\"", "id", "t.id", "w", "t.\"w.v\"")), plan);
    }

    @Test
    void twoWayJoin() throws Exception {
        // SELECT e.name, d.name AS dept FROM emp e JOIN dept d ON e.dept_id = d.id
        QueryPlan plan = parse("""
                SELECT e.name,
                    d.name AS dept
                   FROM (public.emp e
                     JOIN public.dept d ON ((e.dept_id = d.id)))""");
        assertEquals(new Project(
                new Join(INNER, new Scan(EMP, "e", List.of("name", "dept_id")), new Scan(DEPT, "d", List.of("id", "name")), on("(e.dept_id = d.id)", "e", "d")),
                outputs("name", "e.name", "dept", "d.name")), plan);
    }

    @Test
    void threeWayJoinNestedToTheLeftStaysLeftDeepWithTheWhereConditionOnItsInput() throws Exception {
        // SELECT e.name, d.name AS dept, r.name AS region FROM emp e JOIN dept d ON e.dept_id = d.id
        //   JOIN region r ON r.id = d.region_id WHERE r.name <> 'EU'
        QueryPlan plan = parse("""
                SELECT e.name,
                    d.name AS dept,
                    r.name AS region
                   FROM ((public.emp e
                     JOIN public.dept d ON ((e.dept_id = d.id)))
                     JOIN public.region r ON ((r.id = d.region_id)))
                  WHERE (r.name <> 'EU'::text)""");
        assertEquals(new Project(
                new Join(INNER,
                        new Join(INNER, new Scan(EMP, "e", List.of("name", "dept_id")), new Scan(DEPT, "d"), on("(e.dept_id = d.id)", "e", "d")),
                        new Filter(new Scan(REGION, "r"), on("(r.name <> 'EU'::text)", "r")),
                        on("(r.id = d.region_id)", "r", "d")),
                outputs("name", "e.name", "dept", "d.name", "region", "r.name")), plan);
    }

    @Test
    void threeWayJoinNestedToTheRightIsRebuiltLeftDeep() throws Exception {
        // SELECT a.name FROM emp a JOIN (dept b JOIN region c ON c.id = b.region_id) ON b.id = a.dept_id
        QueryPlan plan = parse("""
                SELECT a.name
                   FROM (public.emp a
                     JOIN (public.dept b
                     JOIN public.region c ON ((c.id = b.region_id))) ON ((b.id = a.dept_id)))""");
        assertEquals(new Project(
                new Join(INNER,
                        new Join(INNER, new Scan(EMP, "a", List.of("name", "dept_id")), new Scan(DEPT, "b", List.of("id", "region_id")), on("(b.id = a.dept_id)", "b", "a")),
                        new Scan(REGION, "c", List.of("id")), on("(c.id = b.region_id)", "c", "b")),
                outputs("name", "a.name")), plan);
    }

    @Test
    void commaJoinTakesItsConditionFromWhere() throws Exception {
        // SELECT e.name, d.name AS dept FROM emp e, dept d WHERE e.dept_id = d.id AND e.salary > 10
        QueryPlan plan = parse("""
                SELECT e.name,
                    d.name AS dept
                   FROM public.emp e,
                    public.dept d
                  WHERE ((e.dept_id = d.id) AND (e.salary > (10)::numeric))""");
        assertEquals(new Project(
                new Join(INNER, new Filter(new Scan(EMP, "e", List.of("name", "dept_id", "salary")), on("(e.salary > (10)::numeric)", "e")),
                        new Scan(DEPT, "d", List.of("id", "name")), on("(e.dept_id = d.id)", "e", "d")),
                outputs("name", "e.name", "dept", "d.name")), plan);
    }

    @Test
    void anOrOverTwoInputsAlsoPlacesWhatItImpliesOnEachInputAndTheirSharedEquality() throws Exception {
        QueryPlan plan = parse("""
                SELECT e.name
                   FROM public.emp e,
                    public.dept d
                  WHERE ((((e.dept_id = d.id) AND (d.name = 'a'::text)) AND (e.salary > (1)::numeric))
                     OR (((e.dept_id = d.id) AND (d.name = 'b'::text)) AND (e.salary < (5)::numeric)))""");
        Join join = (Join) plan.inputs().get(0);
        assertEquals(new Filter(new Scan(EMP, "e", List.of("name", "dept_id", "salary")),
                on("((e.salary > (1)::numeric) OR (e.salary < (5)::numeric))", "e")), join.left());
        assertEquals(new Filter(new Scan(DEPT, "d", List.of("id", "name")),
                on("((d.name = 'a'::text) OR (d.name = 'b'::text))", "d")), join.right());
        // The equality every branch has is a join key; the OR itself stays at the join.
        assertEquals(Set.of("id"), join.condition().columnsEquated("d", Set.of("e")));
        assertTrue(join.condition().sql().contains(" OR "), join.condition().sql());
    }

    @Test
    void commaJoinIsRebuiltSoThatNoJoinIsACrossProduct() throws Exception {
        // SELECT e.name, r.name AS region FROM emp e, region r, dept d WHERE e.dept_id = d.id AND d.region_id = r.id
        QueryPlan plan = parse("""
                SELECT e.name,
                    r.name AS region
                   FROM public.emp e,
                    public.region r,
                    public.dept d
                  WHERE ((e.dept_id = d.id) AND (d.region_id = r.id))""");
        assertEquals(new Join(INNER,
                new Join(INNER, new Scan(EMP, "e", List.of("name", "dept_id")), new Scan(DEPT, "d", List.of("id", "region_id")), on("(e.dept_id = d.id)", "e", "d")),
                new Scan(REGION, "r"), on("(d.region_id = r.id)", "d", "r")), plan.inputs().get(0));
    }

    @Test
    void crossJoinHasNoCondition() throws Exception {
        // SELECT e.name, r.name AS region FROM emp e CROSS JOIN region r
        QueryPlan plan = parse("""
                SELECT e.name,
                    r.name AS region
                   FROM (public.emp e
                     CROSS JOIN public.region r)""");
        assertEquals(new Join(INNER, new Scan(EMP, "e", List.of("name")), new Scan(REGION, "r", List.of("name")), Condition.TRUE),
                plan.inputs().get(0));
    }

    @Test
    void joinUsingBecomesAnOnCondition() throws Exception {
        // SELECT id, e.name, d.name AS dname FROM emp e JOIN dept d USING (id)
        QueryPlan plan = parse("""
                SELECT e.id,
                    e.name,
                    d.name AS dname
                   FROM (public.emp e
                     JOIN public.dept d USING (id))""");
        assertEquals(new Project(
                new Join(INNER, new Scan(EMP, "e", List.of("id", "name")), new Scan(DEPT, "d", List.of("id", "name")), on("(e.id = d.id)", "e", "d")),
                outputs("id", "e.id", "name", "e.name", "dname", "d.name")), plan);
    }

    @Test
    void naturalJoinArrivesAsUsingAndIsConverted() throws Exception {
        // SELECT e.name FROM emp e NATURAL JOIN dept d: PostgreSQL prints the USING list it implies.
        QueryPlan plan = parse("""
                SELECT e.name
                   FROM (public.emp e
                     JOIN public.dept d USING (id, name))""");
        assertEquals(new Join(INNER, new Scan(EMP, "e", List.of("id", "name")), new Scan(DEPT, "d", List.of("id", "name")),
                and(on("(e.id = d.id)", "e", "d"), on("(e.name = d.name)", "e", "d"))), plan.inputs().get(0));
    }

    @Test
    void usingAfterAJoinFindsTheOnlyLeftInputWithTheColumn() throws Exception {
        // SELECT e.name, t.total FROM emp e JOIN region r ON r.id = e.id JOIN dept_totals t USING (dept_id)
        QueryPlan plan = parse("""
                SELECT e.name,
                    t.total
                   FROM ((public.emp e
                     JOIN public.region r ON ((r.id = e.id)))
                     JOIN public.dept_totals t USING (dept_id))""");
        assertEquals(new Join(INNER,
                new Join(INNER, new Scan(EMP, "e", List.of("id", "name", "dept_id")), new Scan(REGION, "r", List.of("id")), on("(r.id = e.id)", "r", "e")),
                new Scan(DEPT_TOTALS, "t"), on("(e.dept_id = t.dept_id)", "e", "t")), plan.inputs().get(0));
    }

    @Test
    void distinct() throws Exception {
        // SELECT DISTINCT dept_id, name FROM emp
        QueryPlan plan = parse("""
                SELECT DISTINCT dept_id,
                    name
                   FROM public.emp""");
        assertEquals(new Distinct(new Project(new Scan(EMP, "emp", List.of("name", "dept_id")),
                outputs("dept_id", "emp.dept_id", "name", "emp.name"))), plan);
    }

    @Test
    void orderByWithoutLimitIsDropped() throws Exception {
        // SELECT id, name FROM emp ORDER BY name
        QueryPlan plan = parse("""
                SELECT id,
                    name
                   FROM public.emp
                  ORDER BY name""");
        assertEquals(new Project(new Scan(EMP, "emp", List.of("id", "name")), outputs("id", "emp.id", "name", "emp.name")), plan);
    }

    @Test
    void unionAllOfTwo() throws Exception {
        // SELECT id, name FROM emp UNION ALL SELECT id, name FROM dept
        QueryPlan plan = parse("""
                SELECT emp.id,
                    emp.name
                   FROM public.emp
                UNION ALL
                 SELECT dept.id,
                    dept.name
                   FROM public.dept""");
        assertEquals(new UnionAll(List.of(
                new Project(new Scan(EMP, "emp", List.of("id", "name")), outputs("id", "emp.id", "name", "emp.name")),
                new Project(new Scan(DEPT, "dept", List.of("id", "name")), outputs("id", "dept.id", "name", "dept.name")))), plan);
    }

    @Test
    void unionAllOfThreeWithOrderBy() throws Exception {
        // SELECT id, name FROM emp UNION ALL SELECT id, name FROM dept UNION ALL SELECT id, name FROM region ORDER BY 1
        QueryPlan plan = parse("""
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
                new Project(new Scan(EMP, "emp", List.of("id", "name")), outputs("id", "emp.id", "name", "emp.name")),
                new Project(new Scan(DEPT, "dept", List.of("id", "name")), outputs("id", "dept.id", "name", "dept.name")),
                new Project(new Scan(REGION, "region"), outputs("id", "region.id", "name", "region.name")))), plan);
    }

    @Test
    void parenthesizedUnionAllBranchIsFlattened() throws Exception {
        QueryPlan plan = parse("""
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
        assertEquals(new Project(new Scan(EMP, "emp", List.of("id")), outputs("id", "emp.id")), parse("(SELECT id FROM public.emp)"));
    }

    @Test
    void viewIsExpandedUnderItsAlias() throws Exception {
        // SELECT h.name, d.name AS dept FROM high_paid h JOIN dept d ON d.id = h.dept_id
        QueryPlan plan = parse("""
                SELECT h.name,
                    d.name AS dept
                   FROM (public.high_paid h
                     JOIN public.dept d ON ((d.id = h.dept_id)))""");
        assertEquals(new Project(
                new Join(INNER, new Derived(highPaid(), "h"), new Scan(DEPT, "d", List.of("id", "name")), on("(d.id = h.dept_id)", "d", "h")),
                outputs("name", "h.name", "dept", "d.name")), plan);
    }

    @Test
    void viewsAreExpandedRecursively() throws Exception {
        // SELECT name FROM high_paid_names, a view over the view high_paid
        QueryPlan plan = parse("""
                SELECT name
                   FROM public.high_paid_names""");
        assertEquals(new Project(
                new Derived(new Project(new Derived(highPaid(), "h"), outputs("name", "h.name")),
                        "high_paid_names"),
                outputs("name", "high_paid_names.name")), plan);
    }

    @Test
    void subqueryInFrom() throws Exception {
        // SELECT s.dept_id, s.name FROM (SELECT dept_id, name FROM emp WHERE salary > 10) s WHERE s.dept_id > 1
        QueryPlan plan = parse("""
                SELECT dept_id,
                    name
                   FROM ( SELECT emp.dept_id,
                            emp.name
                           FROM public.emp
                          WHERE (emp.salary > (10)::numeric)) s
                  WHERE (dept_id > 1)""");
        QueryPlan subquery = new Project(new Filter(new Scan(EMP, "emp", List.of("name", "dept_id", "salary")), on("(emp.salary > (10)::numeric)", "emp")),
                outputs("dept_id", "emp.dept_id", "name", "emp.name"));
        assertEquals(new Project(new Filter(new Derived(subquery, "s"), on("(s.dept_id > 1)", "s")),
                outputs("dept_id", "s.dept_id", "name", "s.name")), plan);
    }

    @Test
    void cteIsInlinedUnderEachReferencingAlias() throws Exception {
        // WITH big AS (SELECT id, name FROM emp WHERE salary > 10) SELECT b1.name FROM big b1 JOIN big b2 ON b1.id = b2.id
        QueryPlan plan = parse("""
                WITH big AS (
                         SELECT emp.id,
                            emp.name
                           FROM public.emp
                          WHERE (emp.salary > (10)::numeric)
                        )
                 SELECT b1.name
                   FROM (big b1
                     JOIN big b2 ON ((b1.id = b2.id)))""");
        QueryPlan big = new Project(new Filter(new Scan(EMP, "emp", List.of("id", "name", "salary")), on("(emp.salary > (10)::numeric)", "emp")),
                outputs("id", "emp.id", "name", "emp.name"));
        assertEquals(new Project(
                new Join(INNER, new Derived(big, "b1"), new Derived(big, "b2"), on("(b1.id = b2.id)", "b1", "b2")),
                outputs("name", "b1.name")), plan);
        assertEquals(List.of("public.emp"), catalog.lookups(), "translated once; the CTE's name is no relation");
    }

    @Test
    void cteSeenByEveryUnionBranchAndByLaterCtes() throws Exception {
        QueryPlan plan = parse("""
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
        QueryPlan a = new Project(new Scan(EMP, "emp", List.of("id")), outputs("id", "emp.id"));
        assertEquals(new UnionAll(List.of(
                new Project(new Derived(new Project(new Derived(a, "a"), outputs("id", "a.id")), "b"), outputs("id", "b.id")),
                new Project(new Derived(a, "a"), outputs("id", "a.id")))), plan);
    }

    @Test
    void cteInsideASubquery() throws Exception {
        // SELECT s.id FROM (WITH inner_c AS (SELECT id FROM emp) SELECT id FROM inner_c) s
        QueryPlan plan = parse("""
                SELECT id
                   FROM ( WITH inner_c AS (
                                 SELECT emp.id
                                   FROM public.emp
                                )
                         SELECT inner_c.id
                           FROM inner_c) s""");
        QueryPlan inner = new Project(new Derived(new Project(new Scan(EMP, "emp", List.of("id")), outputs("id", "emp.id")), "inner_c"),
                outputs("id", "inner_c.id"));
        assertEquals(new Project(new Derived(inner, "s"), outputs("id", "s.id")), plan);
    }

    @Test
    void streamTableSource() throws Exception {
        // SELECT dept_id, total FROM dept_totals WHERE total > 0
        QueryPlan plan = parse("""
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
        QueryPlan plan = parse("""
                SELECT tt.a
                   FROM (tt
                     JOIN public.emp e ON ((e.id = tt.a)))""");
        assertEquals(new Join(INNER, new Scan(TEMP, "tt"), new Scan(EMP, "e", List.of("id")), on("(e.id = tt.a)", "e", "tt")),
                plan.inputs().get(0));
        assertEquals(List.of("tt", "public.emp"), catalog.lookups());
    }

    @Test
    void quotedIdentifiersAndAliasesAreUnquotedInNames() throws Exception {
        // SELECT "Mixed Case" AS "Weird Name", name AS "select" FROM emp "E x"
        QueryPlan plan = parse("""
                SELECT "Mixed Case" AS "Weird Name",
                    name AS "select"
                   FROM public.emp "E x\"""");
        assertEquals(new Project(new Scan(EMP, "E x", List.of("name", "Mixed Case")),
                outputs("Weird Name", "\"E x\".\"Mixed Case\"", "select", "\"E x\".name")), plan);
    }

    @Test
    void quotedAliasInPostgres15Format() throws Exception {
        QueryPlan plan = parse("""
                 SELECT "E x"."Mixed Case" AS "Weird Name",
                    "E x".name AS "select"
                   FROM public.emp "E x\"""");
        assertEquals(new Project(new Scan(EMP, "E x", List.of("name", "Mixed Case")),
                outputs("Weird Name", "\"E x\".\"Mixed Case\"", "select", "\"E x\".name")), plan);
    }

    @Test
    void outputNamesWithoutAlias() throws Exception {
        QueryPlan plan = parse("SELECT e.\"Mixed Case\", upper(e.name), (e.id + 1) FROM public.emp e");
        assertEquals(List.of("Mixed Case", "upper", "?column?"), plan.columns());
    }

    @Test
    void starIsExpandedFromTheCatalog() throws Exception {
        QueryPlan plan = parse("SELECT *, d.* FROM public.emp e JOIN public.dept d ON d.id = e.dept_id");
        assertEquals(List.of("id", "name", "dept_id", "salary", "hired", "tags", "data", "Mixed Case",
                "id", "name", "region_id", "id", "name", "region_id"), plan.columns());
        assertEquals(new OutputColumn("Mixed Case", "\"e\".\"Mixed Case\""), ((Project) plan).outputs().get(7));
    }

    @Test
    void jsqlparserReservedWordsAsIdentifiers() throws Exception {
        // SELECT top.id AS minus, top.name AS sample FROM emp top: PostgreSQL prints these words
        // unquoted, JSqlParser 5.4 reserves them (the qualifier added to the unqualified columns is
        // the alias as the parser is given it: quoted, as the reserved word is everywhere).
        assertEquals(new Project(new Scan(EMP, "top", List.of("id", "name")), outputs("minus", "\"top\".id", "sample", "\"top\".name")),
                parse("""
                        SELECT id AS minus,
                            name AS sample
                           FROM public.emp top"""));
        assertEquals(new Project(new Scan(EMP, "top", List.of("id", "name")), outputs("minus", "\"top\".id", "sample", "\"top\".name")),
                parse("""
                         SELECT top.id AS minus,
                            top.name AS sample
                           FROM public.emp top"""));
    }

    @Test
    void leftJoinKeepsItsOnConditionAndWhereStaysAboveIt() throws Exception {
        // SELECT e.name, d.name AS dept FROM emp e LEFT JOIN dept d ON e.dept_id = d.id AND d.region_id = 1
        //   WHERE e.salary > 10 AND d.id IS NULL
        QueryPlan plan = parse("""
                SELECT e.name,
                    d.name AS dept
                   FROM (public.emp e
                     LEFT JOIN public.dept d ON (((e.dept_id = d.id) AND (d.region_id = 1))))
                  WHERE ((e.salary > (10)::numeric) AND (d.id IS NULL))""");
        assertEquals(new Project(
                new Filter(new Join(LEFT, new Scan(EMP, "e", List.of("name", "dept_id", "salary")), new Scan(DEPT, "d"),
                        on("((e.dept_id = d.id) AND (d.region_id = 1))", "e", "d")),
                        and(on("(e.salary > (10)::numeric)", "e"), on("(d.id IS NULL)", "d"))),
                outputs("name", "e.name", "dept", "d.name")), plan);
    }

    @Test
    void rightJoinOverAnInnerJoinPlacesTheInnerJoinsConditionsOnTheirOwn() throws Exception {
        // SELECT e.name, r.name AS region FROM emp e RIGHT JOIN (dept d JOIN region r ON r.id = d.region_id)
        //   ON d.id = e.dept_id WHERE r.name <> 'EU'
        QueryPlan plan = parse("""
                SELECT e.name,
                    r.name AS region
                   FROM (public.emp e
                     RIGHT JOIN (public.dept d
                     JOIN public.region r ON ((r.id = d.region_id))) ON ((d.id = e.dept_id)))
                  WHERE (r.name <> 'EU'::text)""");
        assertEquals(new Filter(
                new Join(RIGHT, new Scan(EMP, "e", List.of("name", "dept_id")),
                        new Join(INNER, new Scan(DEPT, "d", List.of("id", "region_id")), new Scan(REGION, "r"), on("(r.id = d.region_id)", "r", "d")),
                        on("(d.id = e.dept_id)", "d", "e")),
                on("(r.name <> 'EU'::text)", "r")), plan.inputs().get(0));
    }

    @Test
    void fullJoin() throws Exception {
        // SELECT e.name, d.name AS dept FROM emp e FULL JOIN dept d ON e.dept_id = d.id
        QueryPlan plan = parse("""
                SELECT e.name,
                    d.name AS dept
                   FROM (public.emp e
                     FULL JOIN public.dept d ON ((e.dept_id = d.id)))""");
        assertEquals(new Project(
                new Join(FULL, new Scan(EMP, "e", List.of("name", "dept_id")), new Scan(DEPT, "d", List.of("id", "name")), on("(e.dept_id = d.id)", "e", "d")),
                outputs("name", "e.name", "dept", "d.name")), plan);
    }

    @Test
    void aColumnMergedByFullJoinUsingIsTheCoalesceOfBothSides() throws Exception {
        // SELECT id, e.name, count(*) AS n FROM emp e FULL JOIN dept d USING (id) WHERE id > 1 GROUP BY id, e.name
        QueryPlan plan = parse("""
                SELECT id,
                    e.name,
                    count(*) AS n
                   FROM (public.emp e
                     FULL JOIN public.dept d USING (id))
                  WHERE (id > 1)
                  GROUP BY id, e.name""");
        assertTrue(plan.describe().contains("COALESCE(e.id, d.id)"),
                "the group key is the merged column, as PostgreSQL computes it: " + plan.describe());
        assertEquals(new Filter(new Join(FULL, new Scan(EMP, "e", List.of("id", "name")), new Scan(DEPT, "d", List.of("id")),
                on("(e.id = d.id)", "e", "d")), on("(COALESCE(e.id, d.id) > 1)", "e", "d")), plan.inputs().get(0));
    }

    @Test
    void existsBecomesASemiJoinOnItsCorrelationWithItsLocalConditionInside() throws Exception {
        // SELECT id FROM emp e WHERE salary > 10 AND EXISTS (SELECT 1 FROM dept d WHERE d.id = e.dept_id
        //   AND d.region_id = 3)
        QueryPlan plan = parse("""
                SELECT id
                   FROM public.emp e
                  WHERE ((salary > (10)::numeric) AND (EXISTS ( SELECT 1
                           FROM public.dept d
                          WHERE ((d.id = e.dept_id) AND (d.region_id = 3)))))""");
        assertEquals(new Project(
                new Join(SEMI, new Filter(new Scan(EMP, "e", List.of("id", "dept_id", "salary")), on("(e.salary > (10)::numeric)", "e")),
                        new Filter(new Scan(DEPT, "d", List.of("id", "region_id")), on("(d.region_id = 3)", "d")),
                        on("(d.id = e.dept_id)", "d", "e")),
                outputs("id", "e.id")), plan);
    }

    @Test
    void notExistsBecomesAnAntiJoin() throws Exception {
        // SELECT id FROM emp e WHERE NOT EXISTS (SELECT 1 FROM dept d WHERE d.id = e.dept_id)
        QueryPlan plan = parse("""
                SELECT id
                   FROM public.emp e
                  WHERE (NOT (EXISTS ( SELECT 1
                           FROM public.dept d
                          WHERE (d.id = e.dept_id))))""");
        assertEquals(new Project(
                new Join(ANTI, new Scan(EMP, "e", List.of("id", "dept_id")), new Scan(DEPT, "d", List.of("id")), on("(d.id = e.dept_id)", "d", "e")),
                outputs("id", "e.id")), plan);
    }

    @Test
    void inSubqueryBecomesASemiJoinOnEquality() throws Exception {
        // SELECT id FROM emp WHERE dept_id IN (SELECT id FROM dept), and the same written = ANY (SELECT ...)
        QueryPlan plan = parse("""
                SELECT id
                   FROM public.emp
                  WHERE (dept_id IN ( SELECT dept.id
                           FROM public.dept))""");
        assertEquals(new Project(
                new Join(SEMI, new Scan(EMP, "emp", List.of("id", "dept_id")), new Scan(DEPT, "dept", List.of("id")),
                        on("(emp.dept_id = dept.id)", "emp", "dept")),
                outputs("id", "emp.id")), plan);
    }

    @Test
    void notInSubqueryIsThreeAntiJoinsForEqualityAndEachSidesNulls() throws Exception {
        // SELECT id FROM emp e WHERE dept_id NOT IN (SELECT d.id FROM dept d WHERE d.region_id = 3)
        QueryPlan plan = parse("""
                SELECT id
                   FROM public.emp e
                  WHERE (NOT (dept_id IN ( SELECT d.id
                           FROM public.dept d
                          WHERE (d.region_id = 3))))""");
        Filter depts = new Filter(new Scan(DEPT, "d", List.of("id", "region_id")), on("(d.region_id = 3)", "d"));
        Join noneEqual = new Join(ANTI, new Scan(EMP, "e", List.of("id", "dept_id")), depts, on("(e.dept_id = d.id)", "e", "d"));
        Join noneNull = new Join(ANTI, noneEqual, depts, on("(d.id IS NULL)", "d"));
        Join testedNotNull = new Join(ANTI, noneNull, depts, on("(e.dept_id IS NULL)", "e"));
        assertEquals(new Project(testedNotNull, outputs("id", "e.id")), plan);
    }

    @Test
    void orderByLimitAtTheTopIsATopKOverOutputColumns() throws Exception {
        // SELECT dept_id, sum(salary) AS total FROM emp GROUP BY dept_id ORDER BY sum(salary) DESC, dept_id LIMIT 5 OFFSET 1
        QueryPlan plan = parse("""
                SELECT dept_id,
                    sum(salary) AS total
                   FROM public.emp
                  GROUP BY dept_id
                  ORDER BY (sum(salary)) DESC, dept_id
                 OFFSET 1
                 LIMIT 5""");
        TopK topK = (TopK) plan;
        assertEquals(List.of(new TopK.SortKey("total", true, true), new TopK.SortKey("dept_id", false, false)),
                topK.order());
        assertEquals(5L, topK.limit());
        assertEquals(1L, topK.offset());
        assertEquals(List.of("dept_id", "total"), topK.columns());
        assertTrue(topK.input() instanceof dev.pgtrickle.ivm.plan.Aggregate, topK.input().toString());
        assertEquals(" ORDER BY \"total\" DESC NULLS FIRST, \"dept_id\" ASC NULLS LAST OFFSET 1 LIMIT 5",
                topK.orderBy(null) + topK.window());

        // SELECT id, name FROM emp UNION ALL SELECT id, name FROM dept ORDER BY 2 NULLS FIRST FETCH FIRST 3 ROWS WITH TIES
        TopK union = (TopK) parse("""
                SELECT emp.id,
                    emp.name
                   FROM public.emp
                UNION ALL
                 SELECT dept.id,
                    dept.name
                   FROM public.dept
                  ORDER BY 2 NULLS FIRST
                 FETCH FIRST 3 ROWS WITH TIES""");
        assertEquals(List.of(new TopK.SortKey("name", false, true)), union.order());
        assertTrue(union.withTies());
        assertTrue(union.input() instanceof UnionAll);
    }

    @Test
    void distinctOnKeepsItsKeysAndOrderOverTheInput() throws Exception {
        // SELECT DISTINCT ON (dept_id) dept_id, name, salary FROM emp ORDER BY dept_id, salary DESC
        QueryPlan plan = parse("""
                SELECT DISTINCT ON (dept_id) dept_id,
                    name,
                    salary
                   FROM public.emp
                  ORDER BY dept_id, salary DESC""");
        assertEquals(new dev.pgtrickle.ivm.plan.DistinctOn(new Scan(EMP, "emp", List.of("name", "dept_id", "salary")),
                List.of("emp.dept_id"), outputs("dept_id", "emp.dept_id", "name", "emp.name", "salary", "emp.salary"),
                List.of("emp.dept_id ASC NULLS LAST", "emp.salary DESC NULLS FIRST"),
                Optional.of(List.of(new dev.pgtrickle.ivm.plan.TopK.SortKey("salary", true, true)))), plan);
    }

    @Test
    void setOperationsApplyLeftToRightAndUnionAllBranchesJoinOneList() throws Exception {
        // SELECT id FROM emp INTERSECT ALL SELECT id FROM dept UNION ALL SELECT id FROM region EXCEPT SELECT id FROM emp
        QueryPlan plan = parse("""
                (( SELECT emp.id
                           FROM public.emp
                        INTERSECT ALL
                         SELECT dept.id
                           FROM public.dept)
                UNION ALL
                 SELECT region.id
                   FROM public.region)
                EXCEPT
                 SELECT emp.id
                   FROM public.emp""");
        dev.pgtrickle.ivm.plan.SetOperation except = (dev.pgtrickle.ivm.plan.SetOperation) plan;
        assertEquals(dev.pgtrickle.ivm.plan.SetOperation.Kind.EXCEPT, except.kind());
        assertTrue(!except.all());
        UnionAll union = (UnionAll) except.left();
        dev.pgtrickle.ivm.plan.SetOperation intersect = (dev.pgtrickle.ivm.plan.SetOperation) union.branches().get(0);
        assertEquals(dev.pgtrickle.ivm.plan.SetOperation.Kind.INTERSECT, intersect.kind());
        assertTrue(intersect.all());
        assertEquals(List.of("id"), plan.columns());
    }

    @Test
    void windowFunctionsArePartitionedByTheKeysEveryWindowShares() throws Exception {
        // SELECT id, rank() OVER (PARTITION BY dept_id, name ORDER BY salary DESC) AS r,
        //   sum(salary) OVER (PARTITION BY dept_id ORDER BY id) AS running FROM emp
        QueryPlan plan = parse("""
                SELECT id,
                    rank() OVER (PARTITION BY dept_id, name ORDER BY salary DESC) AS r,
                    sum(salary) OVER (PARTITION BY dept_id ORDER BY id) AS running
                   FROM public.emp""");
        dev.pgtrickle.ivm.plan.Window window = (dev.pgtrickle.ivm.plan.Window) plan;
        assertEquals(List.of("emp.dept_id"), window.partitionKeys());
        assertEquals(outputs("id", "emp.id", "r", "(rank() OVER (PARTITION BY emp.dept_id, emp.name ORDER BY emp.salary DESC))",
                "running", "(sum(emp.salary) OVER (PARTITION BY emp.dept_id ORDER BY emp.id))"), window.outputs());
        assertEquals(List.of("r", "running"), window.windowed());
    }

    @Test
    void aNamedWindowIsWrittenOutInEachCall() throws Exception {
        // SELECT id, sum(salary) OVER w AS s, rank() OVER w AS r FROM emp WINDOW w AS (PARTITION BY dept_id ORDER BY salary)
        QueryPlan plan = parse("""
                SELECT id,
                    sum(salary) OVER w AS s,
                    rank() OVER w AS r
                   FROM public.emp
                  WINDOW w AS (PARTITION BY dept_id ORDER BY salary)""");
        dev.pgtrickle.ivm.plan.Window window = (dev.pgtrickle.ivm.plan.Window) plan;
        assertEquals(List.of("emp.dept_id"), window.partitionKeys());
        assertEquals(outputs("id", "emp.id", "s", "(sum(emp.salary) OVER (PARTITION BY emp.dept_id ORDER BY emp.salary))",
                "r", "(rank() OVER (PARTITION BY emp.dept_id ORDER BY emp.salary))"), window.outputs());
    }
}
