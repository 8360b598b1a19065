package dev.pgtrickle.ivm.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.compile.CompiledPlan;
import dev.pgtrickle.ivm.compile.PlanCompiler;
import dev.pgtrickle.ivm.compile.Strategy;
import dev.pgtrickle.ivm.plan.Source;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The statements of IMMEDIATE mode: the plan's delta rules over a trigger's transition tables,
 * one pair (identities to lock, MERGE) per kind of statement, and the refusals.
 */
class ImmediateStatementsTest {

    private final FakeCatalog catalog = new FakeCatalog();

    private CompiledPlan compile(String sql) throws Exception {
        return compile(sql, "int4");
    }

    /** With every probed expression of type {@code type}. */
    private CompiledPlan compile(String sql, String type) throws Exception {
        return new PlanCompiler(query -> java.util.Collections.nCopies(8, type))
                .compile(new QueryParser().parse(sql, catalog), "q");
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
            // The groups' locks taken first, then the MERGE, as on every server; where the server
            // is PostgreSQL 18, one statement instead: the change added to the stored state in the
            // actions, each group's lock taken in the MERGE's source in the order of the
            // identities, a missing group created only once it is known to be missing.
            assertNotNull(statement.identities());
            assertNull(statement.stamps());
            String relative = statement.relativeApply();
            assertNotNull(relative);
            assertFalse(relative.contains("pgtrickle_changes"), relative);
            assertTrue(relative.contains("MERGE INTO \"__pgt_storage__\""), relative);
            assertTrue(relative.contains("pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended("
                    + "pg_catalog.encode(__pgt_o.__pgt_row_id, 'hex'), \"__pgt_id__\")) AS __pgt_locked FROM (SELECT *"
                    + " FROM __pgt_rel WHERE __pgt_retry IS NULL OR __pgt_row_id = ANY (__pgt_retry)"
                    + " ORDER BY __pgt_row_id) AS __pgt_o"), relative);
            assertTrue(relative.contains("WHEN MATCHED AND __pgt_t.__pgt_count + __pgt_s.__pgt_dcount = 0"
                    + " THEN DELETE"), relative);
            assertTrue(relative.contains("\"headcount\" = ((COALESCE(__pgt_t.__pgt_count, 0) + COALESCE("
                    + "__pgt_s.__pgt_dcount, 0))), __pgt_count = (COALESCE(__pgt_t.__pgt_count, 0)"
                    + " + COALESCE(__pgt_s.__pgt_dcount, 0))"),
                    relative);
            assertTrue(relative.endsWith("WHEN NOT MATCHED AND pgtrickle._immediate_new_group(\"__pgt_id__\","
                    + " __pgt_s.__pgt_row_id, __pgt_s.__pgt_dcount) THEN INSERT (\"dept_id\", \"headcount\","
                    + " __pgt_row_id, __pgt_count) VALUES ((__pgt_s.__pgt_k1), (COALESCE(__pgt_s.__pgt_dcount, 0)),"
                    + " __pgt_s.__pgt_row_id, COALESCE(__pgt_s.__pgt_dcount, 0))"), relative);
        }
    }

    @Test
    void anAggregateWithoutGroupByKeepsItsRowAndOneWithMinOrMaxLocksItsGroupsFirst() throws Exception {
        // SELECT count(*) AS n, sum(salary) AS total FROM emp
        CompiledPlan global = compile("""
                 SELECT count(*) AS n,
                    sum(salary) AS total
                   FROM public.emp""");
        for (CompiledPlan.ImmediateStatement statement : global.immediate()) {
            String relative = statement.relativeApply();
            assertNotNull(relative);
            assertFalse(relative.contains("THEN DELETE"), relative);
            assertTrue(relative.contains("\"total\" = (CASE WHEN (COALESCE(__pgt_t.__pgt_agg_2_n, 0)"
                    + " + COALESCE(__pgt_s.__pgt_dn2, 0)) = 0 THEN NULL ELSE (COALESCE(__pgt_t.__pgt_agg_2_s, 0)"
                    + " + COALESCE(__pgt_s.__pgt_ds2, 0)) END)"), relative);
        }
        // SELECT dept_id, max(salary) AS top FROM emp GROUP BY dept_id: a group that loses its
        // largest value is read again, which needs the stored state as it was.
        CompiledPlan extremes = compile("""
                 SELECT dept_id,
                    max(salary) AS top
                   FROM public.emp
                  GROUP BY dept_id""");
        for (CompiledPlan.ImmediateStatement statement : extremes.immediate()) {
            assertNull(statement.relativeApply());
            // The groups' identities from the changes, locked before any stored row is read.
            assertTrue(statement.identities().endsWith("SELECT DISTINCT __pgt_row_id FROM (SELECT"
                    + " (pg_catalog.int8send(pg_catalog.hash_record_extended(ROW(__pgt_a.__pgt_k1,"
                    + " pgtrickle._key_sign(__pgt_a.__pgt_k1)), 0)) OPERATOR(pg_catalog.||)"
                    + " pg_catalog.int8send(pg_catalog.hash_record_extended(ROW(__pgt_a.__pgt_k1,"
                    + " pgtrickle._key_sign(__pgt_a.__pgt_k1)), 1))) AS __pgt_row_id FROM __pgt_dagg AS __pgt_a)"
                    + " AS __pgt_touched"), statement.identities());
            assertTrue(statement.apply().endsWith("WHEN NOT MATCHED AND __pgt_s.__pgt_op IN ('U', 'D') THEN INSERT"
                    + " (\"__pgt_row_id\") VALUES (pgtrickle._immediate_conflict(__pgt_s.\"__pgt_row_id\"))"),
                    statement.apply());
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
        // A stored row is the source row's with its key: the source's own locks order its writers.
        for (CompiledPlan.ImmediateStatement statement : keyed.immediate()) {
            assertNull(statement.identities());
            assertNull(statement.stamps());
            assertNull(statement.relativeApply());
        }
        // SELECT name FROM emp: equal rows of different writers share an identity, locked first.
        CompiledPlan content = compile("""
                 SELECT name
                   FROM public.emp""");
        assertEquals(Strategy.CONTENT, content.strategy());
        assertEquals(3, content.immediate().size());
        assertTrue(content.immediate().get(0).identities().endsWith("SELECT DISTINCT __pgt_row_id FROM (SELECT __pgt_row_id"
                + " FROM __pgt_src WHERE __pgt_op IS NOT NULL) AS __pgt_touched"), content.immediate().get(0).identities());
    }

    @Test
    void aJoinStampsTheKeysItsChangesReachFromEachTable() throws Exception {
        // SELECT e.name, d.name AS dept, r.name AS region FROM emp e JOIN dept d ON d.id = e.dept_id
        //   LEFT JOIN region r ON r.id = d.region_id
        CompiledPlan join = compile("""
                 SELECT e.name,
                    d.name AS dept,
                    r.name AS region
                   FROM ((public.emp e
                     JOIN public.dept d ON ((d.id = e.dept_id)))
                     LEFT JOIN public.region r ON ((r.id = d.region_id)))""");
        assertNull(join.immediateRefusal());
        assertEquals(List.of(16001L, 16002L, 16003L), join.immediate().stream()
                .map(CompiledPlan.ImmediateStatement::source).distinct().toList());
        assertEquals(9, join.immediate().size());
        CompiledPlan.ImmediateStatement empInsert = join.immediate().get(0);
        // From the inserted employees through their departments to the regions: each row reached
        // stamps the keys of its edges (edge 1: d.region_id = r.id, edge 2: e.dept_id = d.id).
        assertEquals("""
                SELECT __pgt_k.stamp FROM (SELECT * FROM __pgt_newrows) AS "e"
                  LEFT JOIN "public"."dept" AS "d" ON ((e.dept_id = d.id))
                  LEFT JOIN "public"."region" AS "r" ON ((d.region_id = r.id))
                  CROSS JOIN LATERAL (VALUES (CASE WHEN ((e.dept_id)::bigint IS NOT NULL) THEN \
                (pg_catalog.hash_record_extended(ROW((e.dept_id)::bigint), 2) & 65535) END), \
                (CASE WHEN ((d.region_id)::bigint IS NOT NULL) THEN \
                (pg_catalog.hash_record_extended(ROW((d.region_id)::bigint), 1) & 65535) END), \
                (CASE WHEN ((d.id)::bigint IS NOT NULL) THEN \
                (pg_catalog.hash_record_extended(ROW((d.id)::bigint), 2) & 65535) END), \
                (CASE WHEN ((r.id)::bigint IS NOT NULL) THEN \
                (pg_catalog.hash_record_extended(ROW((r.id)::bigint), 1) & 65535) END)) AS __pgt_k(stamp) \
                WHERE __pgt_k.stamp IS NOT NULL""", empInsert.stamps());
        // A region's update reaches the departments, and through them the employees.
        CompiledPlan.ImmediateStatement regionUpdate = join.immediate().get(7);
        assertEquals(16003L, regionUpdate.source());
        assertTrue(regionUpdate.stamps().startsWith("""
                SELECT __pgt_k.stamp FROM (SELECT * FROM __pgt_newrows UNION ALL SELECT * FROM __pgt_oldrows) AS "r"
                  LEFT JOIN "public"."dept" AS "d" ON ((d.region_id = r.id))
                  LEFT JOIN "public"."emp" AS "e" ON ((e.dept_id = d.id))"""), regionUpdate.stamps());
        assertTrue(regionUpdate.apply().contains("\"public\".\"dept\""), regionUpdate.apply());
    }

    @Test
    void aSelfJoinStartsFromEitherSideAndAnEqualityOfUnhashableValuesStampsOneBucket() throws Exception {
        // SELECT a.name, b.name AS boss FROM emp a JOIN emp b ON b.salary = a.salary
        CompiledPlan selfJoin = compile("""
                 SELECT a.name,
                    b.name AS boss
                   FROM (public.emp a
                     JOIN public.emp b ON ((b.salary = a.salary)))""");
        assertNull(selfJoin.immediateRefusal());
        assertEquals(3, selfJoin.immediate().size());
        String stamps = selfJoin.immediate().get(2).stamps();
        assertTrue(stamps.contains("FROM (SELECT * FROM __pgt_oldrows) AS \"a\"\n  LEFT JOIN \"public\".\"emp\" AS \"b\""),
                stamps);
        assertTrue(stamps.contains("\nUNION\nSELECT __pgt_k.stamp FROM (SELECT * FROM __pgt_oldrows) AS \"b\"\n"
                + "  LEFT JOIN \"public\".\"emp\" AS \"a\""), stamps);
        assertTrue(stamps.contains("(pg_catalog.hash_record_extended(ROW(0), 1) & 65535)"), stamps);
    }

    @Test
    void anExistsSubqueryIsFollowedToTheTableItReads() throws Exception {
        // SELECT d.id, d.name FROM dept d WHERE EXISTS (SELECT 1 FROM emp e WHERE e.dept_id = d.id)
        CompiledPlan exists = compile("""
                 SELECT d.id,
                    d.name
                   FROM public.dept d
                  WHERE (EXISTS ( SELECT 1
                           FROM public.emp e
                          WHERE (e.dept_id = d.id)))""");
        assertNull(exists.immediateRefusal());
        // A changed employee reaches its department by the correlation: both stamp the department's id.
        assertEquals("""
                SELECT __pgt_k.stamp FROM (SELECT * FROM __pgt_newrows) AS "e"
                  LEFT JOIN "public"."dept" AS "d" ON ((d.id = e.dept_id))
                  CROSS JOIN LATERAL (VALUES (CASE WHEN ((e.dept_id)::bigint IS NOT NULL) THEN \
                (pg_catalog.hash_record_extended(ROW((e.dept_id)::bigint), 1) & 65535) END), \
                (CASE WHEN ((d.id)::bigint IS NOT NULL) THEN \
                (pg_catalog.hash_record_extended(ROW((d.id)::bigint), 1) & 65535) END)) AS __pgt_k(stamp) \
                WHERE __pgt_k.stamp IS NOT NULL""", exists.immediate().get(3).stamps());
    }

    @Test
    void siblingSubqueriesUnderOneAliasAreTraversedUnderNamesOfTheirOwn() throws Exception {
        // SELECT d.id FROM dept d WHERE EXISTS (SELECT 1 FROM emp x WHERE x.dept_id = d.id AND x.salary > 10)
        //   AND NOT EXISTS (SELECT 1 FROM emp x WHERE x.dept_id = d.id AND x.salary < 0)
        CompiledPlan siblings = compile("""
                 SELECT d.id
                   FROM public.dept d
                  WHERE ((EXISTS ( SELECT 1
                           FROM public.emp x
                          WHERE ((x.dept_id = d.id) AND (x.salary > (10)::numeric)))) AND (NOT (EXISTS ( SELECT 1
                           FROM public.emp x
                          WHERE ((x.dept_id = d.id) AND (x.salary < (0)::numeric))))))""");
        assertNull(siblings.immediateRefusal());
        assertNull(siblings.immediateSerialization());
        // Each x is resolved in its own subquery and bound under a name of its own; d keeps its alias.
        String fromDepartments = siblings.immediate().stream()
                .filter(st -> st.event().equals("DELETE") && st.stamps().contains("AS \"d\"\n")).findFirst()
                .orElseThrow().stamps();
        assertTrue(fromDepartments.contains("LEFT JOIN \"public\".\"emp\" AS \"__pgt_scan2\" ON ((d.id = \"__pgt_scan2\".\"dept_id\"))"),
                fromDepartments);
        assertTrue(fromDepartments.contains("LEFT JOIN \"public\".\"emp\" AS \"__pgt_scan3\" ON ((d.id = \"__pgt_scan3\".\"dept_id\"))"),
                fromDepartments);
        assertFalse(fromDepartments.contains("AS \"x\""), fromDepartments);
    }

    @Test
    void aSubqueryIsFollowedThroughItsProjection() throws Exception {
        // SELECT e.id FROM emp e JOIN (SELECT d.id AS dept FROM dept d WHERE d.region_id = 1) s ON s.dept = e.dept_id
        CompiledPlan in = compile("""
                 SELECT e.id
                   FROM (public.emp e
                     JOIN ( SELECT d.id AS dept
                           FROM public.dept d
                          WHERE (d.region_id = 1)) s ON ((s.dept = e.dept_id)))""");
        assertNull(in.immediateRefusal());
        assertNull(in.immediateSerialization());
        String fromDepartments = in.immediate().get(3).stamps();
        assertTrue(fromDepartments.contains("LEFT JOIN \"public\".\"emp\" AS \"e\""), fromDepartments);
        assertTrue(fromDepartments.contains("hash_record_extended(ROW((\"d\".\"id\")::bigint), 1)")
                && fromDepartments.contains("hash_record_extended(ROW((e.dept_id)::bigint), 1)"), fromDepartments);
    }

    @Test
    void whereNoKeyTellsWhereChangesMeetOneTablesWritersGoOnAndTheOthersTakeTurns() throws Exception {
        // SELECT e.name FROM emp e JOIN dept d ON d.id < e.dept_id
        CompiledPlan theta = compile("""
                 SELECT e.name
                   FROM (public.emp e
                     JOIN public.dept d ON ((d.id < e.dept_id)))""");
        assertNull(theta.immediateRefusal());
        assertNull(theta.immediateSerialization(), "emp's writers go on side by side");
        assertEquals(6, theta.immediate().size());
        assertSides(theta, FakeCatalog.EMP);
        // A cross join, a LEFT JOIN from emp, a join under a grouping at the top: emp's rows reach
        // the result each on its own.
        assertSides(compile("""
                 SELECT e.name,
                    d.name AS dept
                   FROM (public.emp e
                     CROSS JOIN public.dept d)"""), FakeCatalog.EMP);
        assertSides(compile("""
                 SELECT e.name,
                    d.name AS dept
                   FROM (public.emp e
                     LEFT JOIN public.dept d ON ((d.id < e.dept_id)))"""), FakeCatalog.EMP);
        assertSides(compile("""
                 SELECT e.dept_id,
                    count(*) AS n
                   FROM (public.emp e
                     JOIN public.dept d ON ((d.id < e.dept_id)))
                  GROUP BY e.dept_id"""), FakeCatalog.EMP);
        // The padded side of a LEFT JOIN: a new dept row takes the padding away from emp rows.
        assertSides(compile("""
                 SELECT e.name,
                    d.name AS dept
                   FROM (public.dept d
                     LEFT JOIN public.emp e ON ((d.id < e.dept_id)))"""), FakeCatalog.DEPT);
        // Where no table qualifies, all writers take turns: a FULL JOIN pads both sides, a table
        // joined with itself meets its own rows.
        assertEquals("the join (d.id < e.dept_id) has no equality between columns of two tables to lock", compile("""
                 SELECT e.name,
                    d.name AS dept
                   FROM (public.emp e
                     FULL JOIN public.dept d ON ((d.id < e.dept_id)))""").immediateSerialization());
        CompiledPlan self = compile("""
                 SELECT a.name,
                    b.name AS above
                   FROM (public.emp a
                     JOIN public.emp b ON ((a.salary < b.salary)))""");
        assertEquals("the join (a.salary < b.salary) has no equality between columns of two tables to lock",
                self.immediateSerialization());
        for (CompiledPlan.ImmediateStatement statement : self.immediate()) {
            assertEquals("SELECT (-2)::bigint AS stamp", statement.stamps());
            assertNull(statement.turn());
        }
        // SELECT id, salary FROM emp ORDER BY salary DESC LIMIT 3
        CompiledPlan top = compile("""
                 SELECT id,
                    salary
                   FROM public.emp
                  ORDER BY salary DESC
                 LIMIT 3""");
        assertEquals(Strategy.TOP_K, top.strategy());
        assertNull(top.immediateRefusal());
        // Over one table, writers whose changes sort after the last stored row go on: each
        // statement first asks whether its changes reach the first rows; those that do take turns.
        assertNull(top.immediateSerialization());
        for (CompiledPlan.ImmediateStatement statement : top.immediate()) {
            assertNull(statement.stamps());
            assertNull(statement.identities());
            assertTrue(statement.boundary().startsWith("WITH "), statement.boundary());
            assertTrue(statement.boundary().endsWith("\nSELECT __pgt_hit FROM __pgt_hit"), statement.boundary());
            assertFalse(statement.boundary().contains("MERGE"), statement.boundary());
        }
        assertTrue(top.immediate().get(0).boundary().contains("FROM __pgt_newrows"), top.immediate().get(0).boundary());
        // Over a join, a change of one table meets rows of the other that another writer adds
        // unseen: the join keys its changes reach are stamped before the look.
        CompiledPlan joinedTop = compile("""
                 SELECT e.id,
                    d.name
                   FROM (public.emp e
                     JOIN public.dept d ON ((d.id = e.dept_id)))
                  ORDER BY e.id DESC
                 LIMIT 3""");
        assertEquals(Strategy.TOP_K, joinedTop.strategy());
        assertNull(joinedTop.immediateSerialization());
        for (CompiledPlan.ImmediateStatement statement : joinedTop.immediate()) {
            assertTrue(statement.stamps().contains("hash_record_extended"), statement.stamps());
            assertNull(statement.identities());
            assertTrue(statement.boundary().endsWith("\nSELECT __pgt_hit FROM __pgt_hit"), statement.boundary());
        }
        // A join without an equality has no key to stamp: its writers take turns.
        CompiledPlan crossTop = compile("""
                 SELECT e.id,
                    d.name
                   FROM (public.emp e
                     CROSS JOIN public.dept d)
                  ORDER BY e.id DESC, d.name
                 LIMIT 3""");
        assertTrue(crossTop.immediateSerialization().startsWith("a cross join"), crossTop.immediateSerialization());
        assertNull(crossTop.immediate().get(0).boundary());
        assertEquals("SELECT (-2)::bigint AS stamp", crossTop.immediate().get(0).stamps());
        // Over groups told apart by key, the changed rows' groups are stamped before the look.
        CompiledPlan groupedTop = compile("""
                 SELECT dept_id,
                    count(*) AS n
                   FROM public.emp
                  GROUP BY dept_id
                  ORDER BY (count(*)) DESC, dept_id
                 LIMIT 3""");
        assertEquals(Strategy.TOP_K, groupedTop.strategy());
        assertNull(groupedTop.immediateSerialization());
        for (CompiledPlan.ImmediateStatement statement : groupedTop.immediate()) {
            assertTrue(statement.stamps().contains("hash_record_extended"), statement.stamps());
            assertNotNull(statement.boundary());
        }
        // Two writers of one department meet in its group inside the query, whatever the filter
        // above: each changed row, old and new, stamps its department, so writers of other
        // departments go on side by side.
        CompiledPlan nested = compile("""
                 SELECT s.dept_id
                   FROM ( SELECT emp.dept_id,
                            max(emp.salary) AS m
                           FROM public.emp
                          GROUP BY emp.dept_id) s
                  WHERE (s.m > 100)""");
        assertNull(nested.immediateRefusal());
        assertNull(nested.immediateSerialization());
        CompiledPlan.ImmediateStatement nestedUpdate = nested.immediate().get(1);
        assertEquals("SELECT (pg_catalog.hash_record_extended(ROW((\"emp\".\"dept_id\")::bigint), 1) & 65535) AS stamp"
                + " FROM (SELECT * FROM __pgt_newrows UNION ALL SELECT * FROM __pgt_oldrows) AS \"emp\"", nestedUpdate.stamps());
        assertTrue(nestedUpdate.identities() != null, "the stored rows are locked as usual");
        // A grouping whose key is an expression stamps the expression's value, hashed as the type
        // the server infers for it, where that type hashes equal values alike.
        String byExpression = """
                 SELECT s.d
                   FROM ( SELECT (emp.dept_id % 3) AS d,
                            max(emp.salary) AS m
                           FROM public.emp
                          GROUP BY (emp.dept_id % 3)) s
                  WHERE (s.m > 100)""";
        CompiledPlan stamped = compile(byExpression, "int4");
        assertNull(stamped.immediateSerialization());
        assertEquals("SELECT (pg_catalog.hash_record_extended(ROW(((emp.dept_id % 3))), 1) & 65535) AS stamp"
                + " FROM (SELECT * FROM __pgt_newrows) AS \"emp\"", stamped.immediate().get(0).stamps());
        // A grouping of a grouping: each stamped, the outer one by the inner table's column that
        // its key is (a key of the inner grouping).
        CompiledPlan nestedGroupings = compile("""
                 SELECT x.dept_id
                   FROM ( SELECT s.dept_id,
                            count(*) AS n
                           FROM ( SELECT emp.dept_id,
                                    emp.name,
                                    count(*) AS c
                                   FROM public.emp
                                  GROUP BY emp.dept_id, emp.name) s
                          GROUP BY s.dept_id) x
                  WHERE (x.n > 1)""");
        assertNull(nestedGroupings.immediateSerialization());
        assertEquals("SELECT (pg_catalog.hash_record_extended(ROW((\"emp\".\"dept_id\")::bigint), 1) & 65535) AS stamp"
                + " FROM (SELECT * FROM __pgt_oldrows) AS \"emp\"\nUNION ALL\n"
                + "SELECT (pg_catalog.hash_record_extended(ROW((\"emp\".\"dept_id\")::bigint, (\"emp\".\"name\")::text), 2)"
                + " & 65535) AS stamp FROM (SELECT * FROM __pgt_oldrows) AS \"emp\"", nestedGroupings.immediate().get(2).stamps());
        // Of a type whose hash may tell equal values apart (or none the list knows): turns.
        CompiledPlan turns = compile(byExpression, "money");
        assertTrue(turns.immediateSerialization().startsWith("changes meet in the groups of "),
                turns.immediateSerialization());
        assertEquals("SELECT (-2)::bigint AS stamp", turns.immediate().get(0).stamps());
        // SELECT e.id FROM emp e WHERE e.dept_id IN (SELECT DISTINCT d.id FROM dept d)
        CompiledPlan distinct = compile("""
                 SELECT e.id
                   FROM public.emp e
                  WHERE (e.dept_id IN ( SELECT DISTINCT d.id
                           FROM public.dept d))""");
        // Its groups stamped, and the join key it is compared on (followed through DISTINCT).
        assertNull(distinct.immediateSerialization());
        assertEquals(6, distinct.immediate().size());
        // A join on an aggregate's group key: the key followed into the grouped table, whose
        // writers also stamp their groups; writers of other departments go on side by side.
        CompiledPlan joinedGroups = compile("""
                 SELECT d.name,
                    s.n
                   FROM (public.dept d
                     JOIN ( SELECT emp.dept_id,
                            count(*) AS n
                           FROM public.emp
                          GROUP BY emp.dept_id) s ON ((s.dept_id = d.id)))""");
        assertNull(joinedGroups.immediateSerialization());
        CompiledPlan.ImmediateStatement empInsert = joinedGroups.immediate().stream()
                .filter(st -> st.event().equals("INSERT") && st.stamps().contains("AS \"emp\"")
                        && st.stamps().contains("ROW((\"emp\".\"dept_id\")::bigint), 1)"))
                .findFirst().orElseThrow();
        assertTrue(empInsert.stamps().contains("LEFT JOIN \"public\".\"dept\" AS \"d\""), empInsert.stamps());
        // A join on an aggregate's value has no key to follow: dept's writers go on side by side,
        // emp's take turns with them.
        assertSides(compile("""
                 SELECT d.name
                   FROM (public.dept d
                     JOIN ( SELECT emp.dept_id,
                            count(*) AS n
                           FROM public.emp
                          GROUP BY emp.dept_id) s ON ((s.n = d.id)))"""), FakeCatalog.DEPT);
        // Unless dept is read twice: then every writer takes turns.
        CompiledPlan twice = compile("""
                 SELECT d.name
                   FROM ((public.dept d
                     JOIN ( SELECT emp.dept_id,
                            count(*) AS n
                           FROM public.emp
                          GROUP BY emp.dept_id) s ON ((s.n = d.id)))
                     JOIN public.dept d2 ON ((d2.id = d.region_id)))""");
        assertTrue(twice.immediateSerialization().startsWith("changes meet in the groups of "),
                twice.immediateSerialization());
        // A count inside the query, whose state the refreshes keep: recomputed from the rows instead
        // where equal keys are identical; over numeric keys (1.0 and 1.00 are one group) the
        // statements keep the groups' table as the refreshes do, one writer per group at a time:
        // its stamp.
        String counted = """
                 SELECT s.dept_id
                   FROM ( SELECT emp.dept_id,
                            count(*) AS c
                           FROM public.emp
                          GROUP BY emp.dept_id) s
                  WHERE (s.c > 2)""";
        CompiledPlan recomputed = compile(counted);
        assertNull(recomputed.immediateSerialization());
        assertFalse(recomputed.immediate().get(0).apply().contains("__pgt_kept_1__"));
        CompiledPlan keptNumeric = compile(counted, "numeric");
        assertNull(keptNumeric.immediateRefusal());
        assertNull(keptNumeric.immediateSerialization());
        for (CompiledPlan.ImmediateStatement statement : keptNumeric.immediate()) {
            assertTrue(statement.stamps().startsWith("SELECT (pg_catalog.hash_record_extended(ROW((\"emp\".\"dept_id\")::bigint), 1)"),
                    statement.stamps());
            assertNotNull(statement.identities(), "the stored rows are locked as usual");
            assertFalse(statement.identities().contains("\"__pgt_kept_1__\" AS __pgt_t SET")
                    || statement.identities().contains("INSERT INTO"), "the identities only read: " + statement.identities());
            assertTrue(statement.apply().contains("UPDATE \"__pgt_kept_1__\" AS __pgt_t SET"), statement.apply());
            assertTrue(statement.apply().contains("INSERT INTO \"__pgt_kept_1__\""), statement.apply());
        }
        // A join on keys does not serialize its writers.
        CompiledPlan keyed = compile("""
                 SELECT e.name,
                    d.name AS dept
                   FROM (public.emp e
                     JOIN public.dept d ON ((d.id = e.dept_id)))""");
        assertNull(keyed.immediateSerialization());
    }

    /**
     * A walk down a tree: each statement stamps the nodes its changes reach (the changed rows, old
     * and new, their parents, the rows below them in the table) and locks no stored row; a walk
     * that is no tree (started from any row) takes turns.
     */
    @Test
    void aWalkDownATreeStampsTheNodesItsChangesReach() throws Exception {
        CompiledPlan tree = compile(RecursiveQueryTest.CHAIN);
        assertEquals(Strategy.KEYED, tree.strategy());
        assertNull(tree.immediateRefusal());
        assertNull(tree.immediateSerialization());
        assertEquals(3, tree.immediate().size());
        for (CompiledPlan.ImmediateStatement statement : tree.immediate()) {
            assertNull(statement.identities());
            assertNull(statement.relativeApply());
            String stamps = statement.stamps();
            assertTrue(stamps.startsWith("SELECT __pgt_s.stamp FROM (WITH RECURSIVE __pgt_walked (k) AS (SELECT"
                    + " __pgt_c.\"id\" FROM (SELECT * FROM __pgt_"), stamps);
            assertTrue(stamps.contains("\nUNION\nSELECT __pgt_n.\"id\" FROM __pgt_walked AS __pgt_w JOIN \"public\".\"dept\""
                    + " AS __pgt_n ON __pgt_n.\"region_id\" = __pgt_w.k)"), stamps);
            assertTrue(stamps.contains("SELECT (pg_catalog.hash_record_extended(ROW((__pgt_w.k)::bigint), 1) & 65535)"
                    + " AS stamp FROM __pgt_walked AS __pgt_w"), stamps);
            assertTrue(stamps.endsWith("SELECT (pg_catalog.hash_record_extended(ROW((__pgt_c.\"region_id\")::bigint),"
                    + " 1) & 65535) FROM (SELECT * FROM " + (statement.event().equals("UPDATE")
                    ? "__pgt_newrows UNION ALL SELECT * FROM __pgt_oldrows" : statement.event().equals("INSERT")
                    ? "__pgt_newrows" : "__pgt_oldrows") + ") AS __pgt_c WHERE __pgt_c.\"region_id\" IS NOT NULL)"
                    + " AS __pgt_s"), stamps);
        }
        assertEquals("the rows of a recursive query depend on other rows of its tables",
                compile(RecursiveQueryTest.CHAIN.replace("(dept.region_id IS NULL)", "(dept.id = 1)"))
                        .immediateSerialization());
    }

    @Test
    void aSetOperationStampsTheValuesItsChangesTouchOnEachSide() throws Exception {
        // SELECT dept_id AS id FROM emp WHERE salary > 10 EXCEPT SELECT id FROM dept
        CompiledPlan except = compile("""
                 SELECT emp.dept_id AS id
                   FROM public.emp
                  WHERE (emp.salary > 10)
                EXCEPT
                 SELECT dept.id
                   FROM public.dept""");
        assertNull(except.immediateRefusal());
        assertNull(except.immediateSerialization(), "writers of different values go on side by side");
        // A value stamps alike from either side (one grouping number, one type), old rows and new.
        CompiledPlan.ImmediateStatement empUpdate = except.immediate().stream()
                .filter(st -> st.source() == FakeCatalog.EMP.oid() && st.event().equals("UPDATE")).findFirst().orElseThrow();
        assertEquals("SELECT (pg_catalog.hash_record_extended(ROW((\"emp\".\"dept_id\")::bigint), 1) & 65535) AS stamp"
                + " FROM (SELECT * FROM __pgt_newrows UNION ALL SELECT * FROM __pgt_oldrows) AS \"emp\"", empUpdate.stamps());
        CompiledPlan.ImmediateStatement deptDelete = except.immediate().stream()
                .filter(st -> st.source() == FakeCatalog.DEPT.oid() && st.event().equals("DELETE")).findFirst().orElseThrow();
        assertEquals("SELECT (pg_catalog.hash_record_extended(ROW((\"dept\".\"id\")::bigint), 1) & 65535) AS stamp"
                + " FROM (SELECT * FROM __pgt_oldrows) AS \"dept\"", deptDelete.stamps());
        assertNotNull(deptDelete.identities(), "the stored rows are locked as usual");
        // One table on both sides, under one alias: no join key to follow, the values stamped.
        CompiledPlan sameTable = compile("""
                 SELECT emp.name
                   FROM public.emp
                  WHERE (emp.salary > 10)
                UNION
                 SELECT emp.name
                   FROM public.emp
                  WHERE (emp.dept_id = 3)""");
        assertNull(sameTable.immediateSerialization());
        // Values that hash as different types on the two sides (a bigint and a text), or a side
        // that is not a table's columns, cannot be stamped alike: the writers take turns.
        CompiledPlan mixed = compile("""
                 SELECT emp.dept_id
                   FROM public.emp
                UNION
                 SELECT dept.name
                   FROM public.dept""");
        assertEquals("changes meet in the groups of UNION inside the query", mixed.immediateSerialization());
        CompiledPlan expression = compile("""
                 SELECT (emp.dept_id + 1)
                   FROM public.emp
                INTERSECT
                 SELECT dept.id
                   FROM public.dept""");
        assertEquals("changes meet in the groups of INTERSECT inside the query", expression.immediateSerialization());
        // Joined on a set operation's column: the key followed into each side's table.
        CompiledPlan joined = compile("""
                 SELECT e.name
                   FROM (public.emp e
                     JOIN ( SELECT dept.id
                           FROM public.dept
                        UNION
                         SELECT region.id
                           FROM public.region) s ON ((s.id = e.dept_id)))""");
        assertNull(joined.immediateSerialization());
        CompiledPlan.ImmediateStatement empInsert = joined.immediate().stream()
                .filter(st -> st.source() == FakeCatalog.EMP.oid() && st.event().equals("INSERT")).findFirst().orElseThrow();
        assertTrue(empInsert.stamps().contains("LEFT JOIN \"public\".\"dept\" AS \"dept\"")
                && empInsert.stamps().contains("LEFT JOIN \"public\".\"region\" AS \"region\""), empInsert.stamps());
        CompiledPlan.ImmediateStatement regionDelete = joined.immediate().stream()
                .filter(st -> st.source() == FakeCatalog.REGION.oid() && st.event().equals("DELETE")).findFirst().orElseThrow();
        // The value (one grouping for both sides), and the key followed into emp.
        assertTrue(regionDelete.stamps().contains("hash_record_extended(ROW((\"region\".\"id\")::bigint), 1)"),
                regionDelete.stamps());
        assertTrue(regionDelete.stamps().contains("LEFT JOIN \"public\".\"emp\" AS \"e\""), regionDelete.stamps());
    }

    @Test
    void aCorrelatedScalarSubqueryIsFollowedLikeAJoinOnItsGroup() throws Exception {
        // SELECT d.name, (SELECT count(*) FROM emp e WHERE e.dept_id = d.id) AS headcount FROM dept d
        CompiledPlan correlated = compile("""
                 SELECT d.name,
                    ( SELECT count(*) AS count
                           FROM public.emp e
                          WHERE (e.dept_id = d.id)) AS headcount
                   FROM public.dept d""");
        assertNull(correlated.immediateRefusal());
        assertNull(correlated.immediateSerialization(), "writers of different departments go on side by side");
        CompiledPlan.ImmediateStatement empInsert = correlated.immediate().stream()
                .filter(st -> st.source() == FakeCatalog.EMP.oid() && st.event().equals("INSERT")).findFirst().orElseThrow();
        // The department's group, and the correlation followed into dept as a join key.
        assertTrue(empInsert.stamps().contains("hash_record_extended(ROW((\"e\".\"dept_id\")::bigint)"), empInsert.stamps());
        assertTrue(empInsert.stamps().contains("LEFT JOIN \"public\".\"dept\" AS \"d\""), empInsert.stamps());
        CompiledPlan.ImmediateStatement deptUpdate = correlated.immediate().stream()
                .filter(st -> st.source() == FakeCatalog.DEPT.oid() && st.event().equals("UPDATE")).findFirst().orElseThrow();
        assertNotNull(deptUpdate.stamps(), "a department's writers stamp the key its employees are counted by");
        // An uncorrelated one compares every emp row with one value of dept: emp's writers go on
        // side by side, dept's take turns with them.
        assertSides(compile("""
                 SELECT e.name
                   FROM public.emp e
                  WHERE (e.dept_id > ( SELECT min(d.id) AS min
                           FROM public.dept d))"""), FakeCatalog.EMP);
        // Over the same table, the value depends on the rows compared with it: all take turns.
        CompiledPlan sameTable = compile("""
                 SELECT e.name
                   FROM public.emp e
                  WHERE (e.salary > ( SELECT avg(x.salary) AS avg
                           FROM public.emp x))""");
        assertTrue(sameTable.immediateSerialization().startsWith("changes meet in the groups of "),
                sameTable.immediateSerialization());
    }

    @Test
    void aSetReturningFunctionOverAJoinLeavesItsJoinKeysToTheStamps() throws Exception {
        // SELECT e.id, d.name, u.t FROM emp e CROSS JOIN LATERAL unnest(e.tags) u(t) JOIN dept d ON d.id = e.dept_id
        CompiledPlan tagged = compile("""
                 SELECT e.id,
                    d.name,
                    u.t
                   FROM ((public.emp e
                     CROSS JOIN LATERAL unnest(e.tags) u(t))
                     JOIN public.dept d ON ((d.id = e.dept_id)))""");
        assertNull(tagged.immediateSerialization(), "a function's rows follow from its input's row");
        assertNull(compile("""
                 SELECT e.id,
                    d.name,
                    u.t
                   FROM ((public.emp e
                     JOIN public.dept d ON ((d.id = e.dept_id)))
                     CROSS JOIN LATERAL unnest(e.tags) u(t))""").immediateSerialization(), "the function after the join");
        CompiledPlan.ImmediateStatement deptDelete = tagged.immediate().stream()
                .filter(st -> st.source() == FakeCatalog.DEPT.oid() && st.event().equals("DELETE")).findFirst().orElseThrow();
        assertTrue(deptDelete.stamps().contains("LEFT JOIN \"public\".\"emp\" AS \"e\""), deptDelete.stamps());
        // Joined on the function's column alone: no pair of tables whose key would tell.
        CompiledPlan onTheFunction = compile("""
                 SELECT e.id,
                    d.name
                   FROM ((public.emp e
                     CROSS JOIN LATERAL unnest(e.tags) u(t))
                     JOIN public.dept d ON ((d.name = u.t)))""");
        assertSides(onTheFunction, FakeCatalog.EMP);
    }

    /**
     * {@code shared} goes on side by side: its statements take the shared turn, the other sources'
     * the exclusive one; no stamps (no key tells where they meet), the touched rows' locks.
     */
    private static void assertSides(CompiledPlan plan, Source shared) {
        assertNull(plan.immediateSerialization());
        for (CompiledPlan.ImmediateStatement statement : plan.immediate()) {
            assertEquals(statement.source() == shared.oid() ? "shared" : "exclusive", statement.turn(),
                    statement.source() + " " + statement.event());
            assertNull(statement.stamps());
            assertNull(statement.boundary());
            assertNotNull(statement.identities());
        }
    }

    @Test
    void aLateralSubqueryStampsTheKeyItIsCorrelatedOn() throws Exception {
        CompiledPlan top3 = compile(LateralSubqueryTest.TOP3);
        assertNull(top3.immediateSerialization(), "writers of different employees go on side by side");
        CompiledPlan.ImmediateStatement orderDelete = top3.immediate().stream()
                .filter(st -> st.source() == FakeCatalog.ORDERS.oid() && st.event().equals("DELETE")).findFirst().orElseThrow();
        // The employee's first orders (a grouping of the orders by employee), and the key followed into emp.
        assertTrue(orderDelete.stamps().contains("hash_record_extended(ROW((\"o\".\"emp_id\")::bigint), 1)"),
                orderDelete.stamps());
        assertTrue(orderDelete.stamps().contains("LEFT JOIN \"public\".\"emp\" AS \"e\" ON ((\"e\".\"id\" = \"o\".\"emp_id\"))"),
                orderDelete.stamps());
        CompiledPlan.ImmediateStatement empUpdate = top3.immediate().stream()
                .filter(st -> st.source() == FakeCatalog.EMP.oid() && st.event().equals("UPDATE")).findFirst().orElseThrow();
        assertTrue(empUpdate.stamps().contains("LEFT JOIN \"sales\".\"orders\" AS \"o\""), empUpdate.stamps());
    }

    @Test
    void aTableReadForNoColumnStillHasItsWeights() throws Exception {
        // SELECT a.dept_id, count(*) AS c FROM emp a GROUP BY a.dept_id
        //   HAVING count(*) < (SELECT count(*) / 4 FROM dept b2): dept is read for no column.
        CompiledPlan plan = compile("""
                 SELECT a.dept_id,
                    count(*) AS c
                   FROM public.emp a
                  GROUP BY a.dept_id
                 HAVING (count(*) < ( SELECT (count(*) / 4)
                           FROM public.dept b2))""");
        List<String> statements = new java.util.ArrayList<>(List.of(plan.refresh()));
        for (CompiledPlan.ImmediateStatement statement : plan.immediate()) {
            statements.add(statement.apply());
        }
        for (String statement : statements) {
            assertFalse(statement.contains("SELECT ,") || statement.contains("GROUP BY  "), statement);
        }
    }

    @Test
    void recomputedPartitionsAreStampedSoTheirWritersWaitForEachOther() throws Exception {
        // SELECT id, rank() OVER (PARTITION BY dept_id ORDER BY salary) AS r FROM emp
        CompiledPlan window = compile("""
                 SELECT id,
                    rank() OVER (PARTITION BY dept_id ORDER BY salary) AS r
                   FROM public.emp""");
        assertEquals(Strategy.PARTITION_RESCAN, window.strategy());
        assertNull(window.immediateRefusal());
        String stamps = window.immediate().get(1).stamps();
        assertTrue(stamps.startsWith("SELECT (pg_catalog.hashtextextended(pg_catalog.encode(__pgt_i.k, 'hex'), 0)"
                + " & 65535) AS stamp FROM (WITH "), stamps);
        assertTrue(stamps.endsWith("SELECT __pgt_part FROM __pgt_part_ids) AS __pgt_i(k)"), stamps);
    }

    @Test
    void recomputedGroupsAreStampedForRepeatableReadWriters() throws Exception {
        // SELECT dept_id, count(*) AS n FROM emp GROUP BY dept_id HAVING count(*) > 1
        CompiledPlan having = compile("""
                 SELECT dept_id,
                    count(*) AS n
                   FROM public.emp
                  GROUP BY dept_id
                 HAVING (count(*) > 1)""");
        assertEquals(Strategy.GROUP_RESCAN, having.strategy());
        assertNull(having.immediateRefusal());
        CompiledPlan.ImmediateStatement insert = having.immediate().get(0);
        assertTrue(insert.identities().endsWith("SELECT DISTINCT __pgt_row_id FROM (SELECT __pgt_row_id FROM __pgt_ids)"
                + " AS __pgt_touched"), insert.identities());
        assertTrue(insert.stamps().startsWith("SELECT (pg_catalog.hashtextextended(pg_catalog.encode(__pgt_i.k, 'hex'), 0)"
                + " & 65535) AS stamp FROM (WITH "), insert.stamps());
    }
}
