package dev.pgtrickle.ivm.front;

import static dev.pgtrickle.ivm.front.FakeCatalog.DEPT;
import static dev.pgtrickle.ivm.front.FakeCatalog.EMP;
import static dev.pgtrickle.ivm.front.Plans.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.delta.ChangeBuffers;
import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Binding;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.JoinKind;
import dev.pgtrickle.ivm.plan.Lookup;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Scalar subqueries and grouped IN subqueries become inputs of their own. */
class SubqueryParsingTest {

    private final FakeCatalog catalog = new FakeCatalog();

    private QueryPlan parse(String sql) throws UnsupportedQueryException {
        return new QueryParser().parse(sql, catalog);
    }

    @Test
    void anUncorrelatedScalarSubqueryOnlyAWhereConjunctTestsIsAOneRowInputSemiJoinedOnIt() throws Exception {
        // SELECT id FROM emp WHERE salary > (SELECT avg(salary) FROM emp)
        Project plan = (Project) parse("""
                 SELECT id
                   FROM public.emp
                  WHERE (salary > ( SELECT avg(emp_1.salary) AS avg
                           FROM public.emp emp_1))""");
        Join join = (Join) plan.input();
        assertEquals(JoinKind.SEMI, join.kind(), "its columns are not output");
        assertEquals(new Scan(EMP, "emp", List.of("id", "salary")), join.left());
        Derived scalar = (Derived) join.right();
        assertEquals("__pgt_subquery_1", scalar.alias());
        Aggregate average = (Aggregate) scalar.query();
        assertTrue(average.groupKeys().isEmpty());
        assertEquals(on("(emp.salary > __pgt_subquery_1.\"avg\")", "emp", "__pgt_subquery_1"), join.condition());
    }

    @Test
    void aHavingConjunctTestingAnUncorrelatedScalarSubquerySemiJoinsTheGroupsWithIt() throws Exception {
        // SELECT dept_id, sum(salary) AS total FROM emp GROUP BY dept_id
        //   HAVING sum(salary) > (SELECT sum(salary) * 0.1 FROM emp) AND count(*) > 1
        Project plan = (Project) parse("""
                 SELECT dept_id,
                    sum(salary) AS total
                   FROM public.emp
                  GROUP BY dept_id
                 HAVING ((sum(salary) > ( SELECT (sum(emp_1.salary) * 0.1)
                           FROM public.emp emp_1)) AND (count(*) > 1))""");
        assertEquals(List.of("dept_id", "total"), plan.columns(), "the hidden operand is not output");
        Join join = (Join) plan.input();
        assertEquals(JoinKind.SEMI, join.kind());
        Derived groups = (Derived) join.left();
        Aggregate grouping = (Aggregate) groups.query();
        assertEquals(List.of("dept_id", "total", "__pgt_having1"), grouping.columns());
        assertEquals("(__pgt_agg_2 > 1)", grouping.having(), "a conjunct without a subquery stays in HAVING");
        assertTrue(((Derived) join.right()).query() instanceof Aggregate average && average.groupKeys().isEmpty());
        assertEquals(Set.of(groups.alias(), "__pgt_subquery_1"), join.condition().aliases());
        assertTrue(join.condition().sql().contains(groups.alias() + ".\"__pgt_having1\" >"), join.condition().sql());
    }

    @Test
    void inUnderOrOverAGroupingReadsTheGroupingAsADerivedTable() throws Exception {
        // SELECT id FROM emp WHERE dept_id IN (SELECT dept_id FROM emp GROUP BY dept_id HAVING count(*) > 2) OR salary > 10
        Project plan = (Project) parse("""
                 SELECT id
                   FROM public.emp
                  WHERE ((dept_id IN ( SELECT emp_1.dept_id
                           FROM public.emp emp_1
                          GROUP BY emp_1.dept_id
                         HAVING (count(*) > 2))) OR (salary > (10)::numeric))""");
        assertTrue(assertReadAsDerivedTable(plan).contains("HAVING"), "the grouping is kept whole");
    }

    @Test
    void existsOverAnAggregateWithoutGroupByHasItsOneRowNotACountOfMatches() throws Exception {
        // SELECT id FROM emp WHERE EXISTS (SELECT count(*) FROM dept WHERE dept.id < 0) OR salary > 10:
        // the subquery always has one row, so EXISTS is true even where no dept qualifies.
        Project plan = (Project) parse("""
                 SELECT id
                   FROM public.emp
                  WHERE ((EXISTS ( SELECT count(*) AS count
                           FROM public.dept
                          WHERE (dept.id < 0))) OR (salary > (10)::numeric))""");
        assertReadAsDerivedTable(plan);
    }

    @Test
    void aConjunctTestingTwoScalarSubqueriesJoinsThem() throws Exception {
        // SELECT id FROM emp WHERE salary >= (SELECT sum(salary) FROM emp) OR salary < (SELECT avg(salary) FROM emp)
        Project plan = (Project) parse("""
                 SELECT id
                   FROM public.emp
                  WHERE ((salary >= ( SELECT sum(emp_1.salary) AS sum
                           FROM public.emp emp_1)) OR (salary < ( SELECT avg(emp_2.salary) AS avg
                           FROM public.emp emp_2)))""");
        Join join = (Join) plan.input();
        assertEquals(JoinKind.INNER, join.kind());
        assertEquals(JoinKind.INNER, ((Join) join.left()).kind());
    }

    @Test
    void scalarSubqueriesInTheSelectListAreCrossJoined() throws Exception {
        // SELECT name, (SELECT count(*) FROM public.dept) AS depts FROM public.emp
        Project plan = (Project) parse("""
                 SELECT name,
                    ( SELECT count(*) AS count
                           FROM public.dept) AS depts
                   FROM public.emp""");
        Join join = (Join) plan.input();
        assertTrue(join.condition().isTrue());
        assertEquals("__pgt_subquery_1.\"count\"", plan.outputs().get(1).expression());
    }

    @Test
    void aCorrelatedScalarSubqueryIsAGroupingLookedUpPerRowOnItsCorrelation() throws Exception {
        // SELECT e.id FROM emp e WHERE e.salary > (SELECT 0.5 * avg(e2.salary) FROM emp e2 WHERE e2.dept_id = e.dept_id)
        Project plan = (Project) parse("""
                 SELECT e.id
                   FROM public.emp e
                  WHERE (e.salary > ( SELECT (0.5 * avg(e2.salary))
                           FROM public.emp e2
                          WHERE ((e2.dept_id = e.dept_id) AND (e2.name <> 'x'::text))))""");
        Filter above = (Filter) plan.input();
        assertEquals(on("(e.salary > (0.5 * __pgt_subquery_1.\"__pgt_value1\"))", "e", "__pgt_subquery_1"), above.condition());
        Join left = (Join) above.input();
        assertEquals(JoinKind.LEFT, left.kind());
        assertEquals(on("(e.dept_id = \"__pgt_subquery_1\".\"__pgt_key1\")", "e", "__pgt_subquery_1"), left.condition());
        Lookup lookup = (Lookup) left.right();
        assertEquals(left.condition(), lookup.correlation(), "read per row of e through the correlation");
        assertEquals(Set.of("dept_id"), lookup.correlation().columnsEquated("e", Set.of("__pgt_subquery_1")),
                "the correlation can probe an index on e.dept_id");
        assertFalse(lookup.indexed(), "no index on emp.dept_id: a lookup would read emp whole");
        Aggregate groups = (Aggregate) lookup.subquery().query();
        assertEquals(List.of("e2.dept_id"), groups.groupKeys());
        assertEquals(new Filter(new Scan(EMP, "e2", List.of("name", "dept_id", "salary")), on("(e2.name <> 'x'::text)", "e2")), groups.input());
    }

    @Test
    void aLookupKnowsWhetherAnIndexOfItsInputServesTheCorrelation() throws Exception {
        Project plan = (Project) parse("""
                 SELECT e.id
                   FROM public.emp e
                  WHERE (e.salary > ( SELECT avg(s.salary)
                           FROM public.staff s
                          WHERE (s.dept_id = e.dept_id)))""");
        Lookup lookup = (Lookup) ((Join) ((Filter) plan.input()).input()).right();
        assertTrue(lookup.indexed(), "staff.dept_id is indexed");
        assertTrue(lookup.probedBy(Set.of("e"), List.of(lookup.correlation())));
        assertTrue(lookup.describe().endsWith("(through an index)"), lookup.describe());
    }

    @Test
    void aCorrelatedCountReadsAsZeroWhereNoGroupMatches() throws Exception {
        Project plan = (Project) parse("""
                 SELECT e.id
                   FROM public.emp e
                  WHERE (e.salary > ( SELECT (count(*) + sum(e2.salary))
                           FROM public.emp e2
                          WHERE (e2.dept_id = e.dept_id)))""");
        Filter above = (Filter) plan.input();
        assertEquals("(e.salary > (COALESCE(__pgt_subquery_1.\"__pgt_value1\", 0) + __pgt_subquery_1.\"__pgt_value2\"))",
                above.condition().sql());
        Aggregate groups = (Aggregate) ((Lookup) ((Join) above.input()).right()).subquery().query();
        assertEquals(List.of("__pgt_key1", "__pgt_value1", "__pgt_value2"), groups.columns());
    }

    @Test
    void existsInsideAnExpressionIsACountAboveZero() throws Exception {
        Project plan = (Project) parse("""
                 SELECT e.id
                   FROM public.emp e
                  WHERE ((e.salary > (10)::numeric) OR (NOT (EXISTS ( SELECT 1
                           FROM public.dept d
                          WHERE ((d.id = e.dept_id) AND (d.name <> 'x'::text))))))""");
        Filter above = (Filter) plan.input();
        assertEquals("((e.salary > (10)::numeric) OR (NOT (COALESCE(__pgt_subquery_1.\"__pgt_value1\", 0) > 0)))",
                above.condition().sql());
        Lookup lookup = (Lookup) ((Join) above.input()).right();
        Aggregate groups = (Aggregate) lookup.subquery().query();
        assertEquals(List.of("d.id"), groups.groupKeys());
        assertEquals(new Filter(new Scan(DEPT, "d", List.of("id", "name")), on("(d.name <> 'x'::text)", "d")), groups.input());
    }

    @Test
    void inInsideAnExpressionIsSpelledOutWithItsNullRule() throws Exception {
        Project plan = (Project) parse("""
                 SELECT e.id,
                    (e.dept_id IN ( SELECT d.id
                           FROM public.dept d
                          WHERE (d.name <> 'x'::text))) AS member
                   FROM public.emp e""");
        String member = plan.outputs().get(1).expression();
        assertEquals("(CASE WHEN COALESCE(__pgt_subquery_1.\"__pgt_value1\", 0) > 0 THEN true"
                + " WHEN NOT __pgt_subquery_2.\"count\" > 0 THEN false"
                + " WHEN (e.dept_id) IS NULL OR __pgt_subquery_3.\"count\" > 0 THEN NULL ELSE false END)", member,
                "a member equal to e.dept_id (correlated, 0 where none); no members; a NULL on either side");
    }

    @Test
    void inInsideAnExpressionTestingAnAliasTheSubqueryReusesIsRefused() {
        UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class, () -> parse("""
                 SELECT d.id,
                    (d.id IN ( SELECT d.dept_id
                           FROM public.emp d)) AS member
                   FROM public.dept d"""));
        assertTrue(e.getMessage().contains("reuses the alias d of the tested expression"), e.getMessage());
    }

    @Test
    void aCorrelatedSubqueryNotAggregatingOrCorrelatedOtherwiseIsRefused() {
        UnsupportedQueryException plain = assertThrows(UnsupportedQueryException.class, () -> parse("""
                 SELECT e.id
                   FROM public.emp e
                  WHERE (e.salary > ( SELECT e2.salary
                           FROM public.emp e2
                          WHERE (e2.id = e.id)))"""));
        assertTrue(plain.getMessage().contains("value aggregates the subquery's rows"), plain.getMessage());
        UnsupportedQueryException inequality = assertThrows(UnsupportedQueryException.class, () -> parse("""
                 SELECT e.id
                   FROM public.emp e
                  WHERE (e.salary > ( SELECT avg(e2.salary) AS avg
                           FROM public.emp e2
                          WHERE (e2.dept_id < e.dept_id)))"""));
        assertTrue(inequality.getMessage().contains("by equality"), inequality.getMessage());
        UnsupportedQueryException rows = assertThrows(UnsupportedQueryException.class, () -> parse("""
                 SELECT e.id, ( SELECT d.name FROM public.dept d WHERE (d.id = 1)) AS n
                   FROM public.emp e"""));
        assertTrue(rows.getMessage().contains("exactly one row"), rows.getMessage());
    }

    @Test
    void inOverAGroupedSubqueryIsASemiJoinWithItsGroups() throws Exception {
        // SELECT name FROM dept WHERE id IN (SELECT dept_id FROM emp GROUP BY dept_id HAVING count(*) > 2)
        Project plan = (Project) parse("""
                 SELECT name
                   FROM public.dept
                  WHERE (id IN ( SELECT emp.dept_id
                           FROM public.emp
                          GROUP BY emp.dept_id
                         HAVING (count(*) > 2)))""");
        Join semi = (Join) plan.input();
        assertEquals(JoinKind.SEMI, semi.kind());
        assertEquals(new Scan(DEPT, "dept", List.of("id", "name")), semi.left());
        Derived groups = (Derived) semi.right();
        assertTrue(groups.query() instanceof Aggregate aggregate && aggregate.having() != null);
        assertEquals(on("(dept.id = \"__pgt_subquery_1\".\"dept_id\")", "dept", "__pgt_subquery_1"), semi.condition());
    }

    @Test
    void notInOverADistinctSubqueryIsAntiJoinedWithItsInput() throws Exception {
        Project plan = (Project) parse("""
                 SELECT d.name
                   FROM public.dept d
                  WHERE (NOT (d.id IN ( SELECT DISTINCT e.dept_id
                           FROM public.emp e
                          WHERE (e.salary > (10)::numeric))))""");
        Join testedNotNull = (Join) plan.input();
        assertEquals("(d.id IS NULL)", testedNotNull.condition().sql());
        Join noneNull = (Join) testedNotNull.left();
        assertEquals("(\"__pgt_subquery_1\".\"dept_id\" IS NULL)", noneNull.condition().sql());
        Join anti = (Join) noneNull.left();
        assertEquals(JoinKind.ANTI, anti.kind());
        assertEquals("(d.id = \"__pgt_subquery_1\".\"dept_id\")", anti.condition().sql());
        assertTrue(((Derived) anti.right()).query().toString().contains("Filter"), "the subquery keeps its WHERE");
    }

    @Test
    void inWithSeveralColumnsIsASemiJoinOnEachPair() throws Exception {
        Project plan = (Project) parse("""
                 SELECT e.name
                   FROM public.emp e
                  WHERE ((e.dept_id, e.name) IN ( SELECT d.id, d.name
                           FROM public.dept d))""");
        Join semi = (Join) plan.input();
        assertEquals(JoinKind.SEMI, semi.kind());
        assertEquals("((e.dept_id = d.id)) AND ((e.name = d.name))", semi.condition().sql());
        assertEquals(Set.of("id", "name"), semi.condition().columnsEquated("d", Set.of("e")),
                "each pair is an equality the join can probe or hash with");
    }

    @Test
    void notInWithSeveralColumnsIsAnAntiJoinOnPairsThatAreNotKnownToDiffer() throws Exception {
        Project plan = (Project) parse("""
                 SELECT e.name
                   FROM public.emp e
                  WHERE (NOT ((e.dept_id, e.name) IN ( SELECT d.id, d.name
                           FROM public.dept d)))""");
        Join anti = (Join) plan.input();
        assertEquals(JoinKind.ANTI, anti.kind());
        assertEquals("(((e.dept_id = d.id) IS NOT FALSE)) AND (((e.name = d.name) IS NOT FALSE))", anti.condition().sql(),
                "a member blocks the row unless some column pair is known to differ");
    }

    @Test
    void inWithMismatchedColumnCountsIsRefused() {
        UnsupportedQueryException count = assertThrows(UnsupportedQueryException.class, () -> parse("""
                 SELECT e.name
                   FROM public.emp e
                  WHERE ((e.dept_id, e.name) IN ( SELECT d.id
                           FROM public.dept d))"""));
        assertTrue(count.getMessage().contains("must return 2 columns"), count.getMessage());
    }

    @Test
    void aCorrelatedGroupedSubqueryIsRefused() {
        UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class, () -> parse("""
                 SELECT d.name
                   FROM public.dept d
                  WHERE (d.id IN ( SELECT e.dept_id
                           FROM public.emp e
                          WHERE (e.dept_id = d.id)
                          GROUP BY e.dept_id))"""));
        assertTrue(e.getMessage().contains("correlated subqueries with GROUP BY"), e.getMessage());
    }

    @Test
    void whereOfAFilteredInputStaysBelowTheScalarJoin() throws Exception {
        Project plan = (Project) parse("""
                 SELECT e.id
                   FROM public.emp e
                  WHERE ((e.dept_id = 3) AND (e.salary > ( SELECT avg(e2.salary) AS avg
                           FROM public.emp e2)))""");
        Join join = (Join) plan.input();
        assertEquals(new Filter(new Scan(EMP, "e", List.of("id", "dept_id", "salary")), on("(e.dept_id = 3)", "e")), join.left());
    }

    @Test
    void columnListsRenameTheColumnsOfCtesAndSubqueries() throws Exception {
        Project fromCte = (Project) parse("""
                WITH c(a, b) AS (
                         SELECT emp.id,
                            emp.name
                           FROM public.emp
                        )
                 SELECT a,
                    b
                   FROM c""");
        assertEquals(List.of(new Binding("c", List.of("a", "b"))), fromCte.input().bindings());
        assertEquals("c.a", fromCte.outputs().get(0).expression());
        Project fromSubquery = (Project) parse("""
                 SELECT s.k
                   FROM ( SELECT emp.dept_id, count(*) AS count
                           FROM public.emp
                          GROUP BY emp.dept_id) s(k)""");
        assertEquals(List.of(new Binding("s", List.of("k", "count"))), fromSubquery.input().bindings());
        DeltaContext context = new DeltaContext(new ChangeBuffers());
        assertTrue(fromSubquery.input().current(context).from().endsWith(") AS \"s\" (\"k\", \"count\")"),
                fromSubquery.input().current(context).from());
    }

    @Test
    void columnListsRenameTheColumnsOfTablesThroughAProjection() throws Exception {
        Project plan = (Project) parse("""
                 SELECT d.x,
                    d.region_id
                   FROM public.dept d(i, x)""");
        Derived renamed = (Derived) plan.input();
        assertEquals(List.of("i", "x", "region_id"), renamed.columns(), "fewer names keep the other columns' own");
        Project columns = (Project) renamed.query();
        assertEquals(new Scan(DEPT, "__pgt_subquery_1"), columns.input());
        assertEquals("\"__pgt_subquery_1\".\"name\"", columns.outputs().get(1).expression());
        assertEquals("d.x", plan.outputs().get(0).expression());
    }

    @Test
    void subqueriesInsideAnInSubqueryAreDecorrelatedIntoIt() throws Exception {
        // TPC-H Q20's shape: an IN and a correlated scalar subquery inside an IN subquery
        Project plan = (Project) parse("""
                 SELECT d.name
                   FROM public.dept d
                  WHERE (d.id IN ( SELECT e.dept_id
                           FROM public.emp e
                          WHERE ((e.name IN ( SELECT d2.name
                                   FROM public.dept d2)) AND (e.salary > ( SELECT (0.5 * sum(e2.salary))
                                   FROM public.emp e2
                                  WHERE (e2.dept_id = e.dept_id))))))""");
        Join outer = (Join) plan.input();
        assertEquals(JoinKind.SEMI, outer.kind());
        assertEquals(new Scan(DEPT, "d", List.of("id", "name")), outer.left());
        // The semi join filters the rows first; the correlated subquery is read for those only.
        Filter overScalar = (Filter) outer.right();
        Join lookup = (Join) overScalar.input();
        assertTrue(lookup.right() instanceof Lookup, overScalar.toString());
        Join nested = (Join) lookup.left();
        assertEquals(JoinKind.SEMI, nested.kind());
        assertEquals(on("(e.name = d2.name)", "e", "d2"), nested.condition());
    }

    @Test
    void aSubqueryCorrelatedWithTheQueryTwoLevelsOutIsRefused() {
        UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class, () -> parse("""
                 SELECT d.name
                   FROM public.dept d
                  WHERE (d.id IN ( SELECT e.dept_id
                           FROM public.emp e
                          WHERE (EXISTS ( SELECT 1
                                   FROM public.dept d2
                                  WHERE ((d2.id = e.dept_id) AND (d2.region_id = d.region_id))))))"""));
        assertTrue(e.getMessage().contains("more than one level out"), e.getMessage());
    }

    @Test
    void aSubqueryInsideACorrelatedScalarSubqueryIsRefusedNotTakenAsText() {
        UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class, () -> parse("""
                 SELECT e.id
                   FROM public.emp e
                  WHERE (e.salary > ( SELECT avg(e2.salary) AS avg
                           FROM public.emp e2
                          WHERE ((e2.dept_id = e.dept_id) AND (e2.name IN ( SELECT d.name
                                   FROM public.dept d)))))"""));
        assertTrue(e.getMessage().contains("subquer"), e.getMessage());
    }

    /** Asserts that {@code plan} reads a subquery as the derived table {@code __pgt_member}; returns its description. */
    private static String assertReadAsDerivedTable(Project plan) {
        String described = describeAll(plan);
        assertTrue(described.contains("Subquery AS __pgt_member"), described);
        return described;
    }

    /** The descriptions of {@code plan} and everything under it, one per line. */
    private static String describeAll(dev.pgtrickle.ivm.plan.Plan plan) {
        StringBuilder lines = new StringBuilder(plan.describe()).append('\n');
        for (dev.pgtrickle.ivm.plan.Plan input : plan.inputs()) {
            lines.append(describeAll(input));
        }
        return lines.toString();
    }
}
