package dev.pgtrickle.ivm.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.compile.CompiledPlan;
import dev.pgtrickle.ivm.compile.PlanCompiler;
import dev.pgtrickle.ivm.compile.Strategy;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Recursive;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * WITH RECURSIVE: the plan of the query and its delta rule. Inputs are what PostgreSQL 18's
 * pg_get_viewdef printed (search_path = pg_catalog) for the query in the comment above them.
 */
class RecursiveQueryTest {

    // WITH RECURSIVE chain AS (SELECT id, name, 1 AS depth FROM dept WHERE region_id IS NULL
    //   UNION ALL SELECT d.id, d.name, c.depth + 1 FROM dept d JOIN chain c ON d.region_id = c.id WHERE c.depth < 5)
    // SELECT id, name, depth FROM chain
    static final String CHAIN = """
             WITH RECURSIVE chain AS (
                     SELECT dept.id,
                        dept.name,
                        1 AS depth
                       FROM public.dept
                      WHERE (dept.region_id IS NULL)
                    UNION ALL
                     SELECT d.id,
                        d.name,
                        (c.depth + 1)
                       FROM (public.dept d
                         JOIN chain c ON ((d.region_id = c.id)))
                      WHERE (c.depth < 5)
                    )
             SELECT id,
                name,
                depth
               FROM chain""";

    private final FakeCatalog catalog = new FakeCatalog();

    private QueryPlan parse(String sql) throws UnsupportedQueryException {
        return new QueryParser().parse(sql, catalog);
    }

    @Test
    void theLastBranchReadingTheQueryIsTheStepAndTheOthersItsBase() throws Exception {
        Project top = assertInstanceOf(Project.class, parse(CHAIN));
        Recursive chain = assertInstanceOf(Recursive.class, assertInstanceOf(Derived.class, top.input()).query());
        assertEquals(List.of("id", "name", "depth"), chain.columns());
        assertEquals("c", chain.self().alias());
        assertEquals(List.of("id", "name", "depth"), chain.self().columns());
        assertTrue(chain.base().describe().startsWith("Project dept.id AS id"), chain.base().describe());
        assertEquals("(c.depth + 1)", chain.step().outputs().get(2).expression());
        assertTrue(chain.old().isEmpty());
    }

    @Test
    void theWholeQueryReadsItsOldResultFromTheStorageTableAndCarriesChangesDownTheRecursion() throws Exception {
        // Started from any row, not a walk down a tree: the changes carried down, weights and all.
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(
                parse(CHAIN.replace("(dept.region_id IS NULL)", "(dept.id = 1)")), "q");
        assertEquals(Strategy.CONTENT, plan.strategy());
        // The query itself fills the table.
        assertTrue(plan.populate().contains("WITH RECURSIVE \"chain\" (\"id\", \"name\", \"depth\") AS (SELECT dept.id"),
                plan.populate());
        String refresh = plan.refresh();
        // The step's changes over the old result: the stored rows under the query's column names.
        assertTrue(refresh.contains("(SELECT \"id\" AS \"id\", \"name\" AS \"name\", \"depth\" AS \"depth\" FROM"
                + " \"__pgt_storage__\") AS \"c\" (\"id\", \"name\", \"depth\")"), refresh);
        // The changes found so far carried down, weights and all, inside the refresh's own CTE
        // (PostgreSQL allows no WITH RECURSIVE on a MERGE).
        assertTrue(refresh.contains("AS (WITH RECURSIVE __pgt_rec1 (\"id\", \"name\", \"depth\", __pgt_w, __pgt_steps)"
                + " AS (SELECT *, 0 FROM"), refresh);
        assertTrue(refresh.contains("(c.depth + 1) AS \"?column?\", \"c\".__pgt_w, \"c\".__pgt_steps + 1 FROM"
                + " \"public\".\"dept\" AS \"d\" JOIN __pgt_rec1 AS \"c\" (\"id\", \"name\", \"depth\")"
                + " ON ((d.region_id = c.id)) AND ((c.depth < 5)) WHERE (\"c\".__pgt_steps < 10000))"), refresh);
        // Changes still carried after that many steps stop the refresh, which then runs FULL.
        assertTrue(refresh.contains("CASE WHEN __pgt_steps >= 10000 THEN pgtrickle._recursion_unsettled(10000)"
                + " ELSE __pgt_w END AS __pgt_w FROM __pgt_rec1"), refresh);
        assertTrue(!refresh.startsWith("WITH RECURSIVE"), refresh);
        // The old result is read by the column the step joins it on.
        assertEquals(List.of(List.of("id")), plan.indexes());
    }

    /**
     * A walk down a tree stored as a whole: the affected nodes (the changed rows and every row
     * below them in the table, walked with UNION) get the walk's rows anew — the roots among them,
     * the changed rows hanging from an unaffected node, from that node's stored row, and what the
     * walk derives from those — and replace their stored rows where they differ. No weighted rows
     * carried around, so no step bound.
     */
    @Test
    void aWalkDownATreeReplacesTheRowsOfTheAffectedNodes() throws Exception {
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(parse(CHAIN), "q");
        assertEquals(Strategy.KEYED, plan.strategy());
        String refresh = plan.refresh();
        assertTrue(refresh.startsWith("WITH __pgt_tree AS (WITH RECURSIVE __pgt_tree_changed1 (k) AS (SELECT DISTINCT"
                + " __pgt_x.__pgt_c1 FROM (SELECT \"id\" AS __pgt_c1, \"name\" AS __pgt_c2, \"region_id\" AS __pgt_c3,"), refresh);
        // region_id has no index here: the walk joins the table.
        assertTrue(refresh.contains("__pgt_tree_affected2 (k) AS (SELECT k FROM __pgt_tree_changed1\nUNION\nSELECT"
                + " __pgt_n.\"id\" FROM __pgt_tree_affected2 AS __pgt_w JOIN \"public\".\"dept\" AS __pgt_n ON"
                + " __pgt_n.\"region_id\" = __pgt_w.k),"), refresh);
        // The stored rows of unaffected parents of changed rows, with the child each is read for.
        assertTrue(refresh.contains("__pgt_tree_seeds3 (\"id\", \"name\", \"depth\", __pgt_child) AS (SELECT __pgt_p.*,"
                + " __pgt_q.c FROM __pgt_tree_changed1 AS __pgt_c, LATERAL (SELECT __pgt_t.\"region_id\" AS k, __pgt_t.\"id\""
                + " AS c FROM \"public\".\"dept\" AS __pgt_t WHERE __pgt_t.\"id\" = __pgt_c.k OFFSET 0) AS __pgt_q, LATERAL"
                + " (SELECT * FROM (SELECT \"id\" AS \"id\", \"name\" AS \"name\", \"depth\" AS \"depth\" FROM"
                + " \"__pgt_storage__\") AS __pgt_s WHERE __pgt_s.\"id\" = __pgt_q.k OFFSET 0) AS __pgt_p WHERE NOT EXISTS"
                + " (SELECT FROM __pgt_tree_affected2 AS __pgt_a WHERE __pgt_a.k = __pgt_q.k)),"), refresh);
        // The roots among the affected nodes.
        assertTrue(refresh.contains("__pgt_tree_rows4 (\"id\", \"name\", \"depth\") AS (SELECT __pgt_b.* FROM (SELECT"
                + " dept.id AS \"id\", dept.name AS \"name\", 1 AS \"depth\" FROM \"public\".\"dept\" AS \"dept\" WHERE"
                + " ((dept.region_id IS NULL))) AS __pgt_b (\"id\", \"name\", \"depth\") WHERE __pgt_b.\"id\" IN"
                + " (SELECT k FROM __pgt_tree_affected2)"), refresh);
        // Each changed row below its unaffected parent's stored row (no index to probe: a join).
        assertTrue(refresh.contains("JOIN __pgt_tree_seeds3 AS \"c\" (\"id\", \"name\", \"depth\") ON ((d.region_id = c.id))"
                + " AND ((c.depth < 5)) WHERE (\"d\".\"id\" = \"c\".__pgt_child)"), refresh);
        // And down from those.
        assertTrue(refresh.contains("JOIN __pgt_tree_rows4 AS \"c\" (\"id\", \"name\", \"depth\") ON ((d.region_id = c.id))"
                + " AND ((c.depth < 5))"), refresh);
        // Each affected node with its row now, or its key alone.
        assertTrue(refresh.contains("\nSELECT __pgt_a.k AS \"id\", __pgt_r.\"name\" AS \"name\", __pgt_r.\"depth\" AS"
                + " \"depth\", __pgt_r.\"id\" IS NOT NULL AS __pgt_present FROM __pgt_tree_affected2 AS __pgt_a LEFT JOIN"
                + " __pgt_tree_rows4 AS __pgt_r ON __pgt_r.\"id\" = __pgt_a.k),"), refresh);
        // Against its stored row, read once (its ctid handed to the MERGE): left out where equal.
        String identity = "(pg_catalog.int8send(pg_catalog.hash_record_extended(ROW(__pgt_t.\"id\","
                + " pgtrickle._key_sign(__pgt_t.\"id\")), 0)) OPERATOR(pg_catalog.||)"
                + " pg_catalog.int8send(pg_catalog.hash_record_extended(ROW(__pgt_t.\"id\","
                + " pgtrickle._key_sign(__pgt_t.\"id\")), 1)))";
        assertTrue(refresh.contains("__pgt_src AS (SELECT CASE WHEN NOT __pgt_n.__pgt_present THEN 'D' WHEN __pgt_o.ctid IS"
                + " NULL THEN 'I' ELSE 'U' END AS __pgt_op, __pgt_n.__pgt_row_id, __pgt_n.\"id\" AS \"id\","
                + " __pgt_n.\"name\" AS \"name\", __pgt_n.\"depth\" AS \"depth\", __pgt_o.ctid AS __pgt_at FROM (SELECT"
                + " __pgt_t.*, " + identity + " AS __pgt_row_id FROM __pgt_tree AS __pgt_t OFFSET 0) AS __pgt_n LEFT JOIN"
                + " LATERAL (SELECT __pgt_k.ctid, pg_catalog.record_send(ROW(__pgt_k.\"id\","
                + " __pgt_k.\"name\", __pgt_k.\"depth\")) AS __pgt_sent FROM \"__pgt_storage__\" AS __pgt_k WHERE"
                + " __pgt_k.__pgt_row_id = __pgt_n.__pgt_row_id OFFSET 0) AS __pgt_o ON true WHERE CASE WHEN"
                + " __pgt_n.__pgt_present THEN __pgt_o.__pgt_sent IS DISTINCT FROM pg_catalog.record_send(ROW(__pgt_n.\"id\","
                + " __pgt_n.\"name\", __pgt_n.\"depth\")) ELSE __pgt_o.ctid IS NOT NULL END),"), refresh);
        assertTrue(refresh.contains("AND __pgt_t.ctid = ANY (ARRAY(SELECT __pgt_at FROM __pgt_src WHERE __pgt_at IS NOT"
                + " NULL))"), refresh);
        assertFalse(refresh.contains("_recursion_unsettled"), refresh);
        assertFalse(refresh.contains("__pgt_tree_gone"), refresh);
    }

    @Test
    void aRecursiveQueryInsideALargerOneKeepsItsResultInATable() throws Exception {
        // WITH RECURSIVE chain AS (…as above…) SELECT c.name, count(*) AS n FROM chain c GROUP BY c.name
        QueryPlan grouped = parse("""
                 WITH RECURSIVE chain AS (
                         SELECT dept.id,
                            dept.name,
                            1 AS depth
                           FROM public.dept
                          WHERE (dept.region_id IS NULL)
                        UNION ALL
                         SELECT d.id,
                            d.name,
                            (c_1.depth + 1)
                           FROM (public.dept d
                             JOIN chain c_1 ON ((d.region_id = c_1.id)))
                          WHERE (c_1.depth < 5)
                        )
                 SELECT name,
                    count(*) AS n
                   FROM chain c
                  GROUP BY name""");
        CompiledPlan plan = new PlanCompiler(query -> List.of()).compile(grouped, "q");
        assertEquals(1, plan.keptStates().size());
        CompiledPlan.KeptState kept = plan.keptStates().get(0);
        // Indexed on the column the step joins the result on (id), filled with the recursion.
        assertEquals(List.of("__pgt_k1"), kept.indexed());
        assertTrue(kept.fill().contains("WITH RECURSIVE"), kept.fill());
        // The delta reads the result as kept, one row per copy, and adds its changes to the table.
        String refresh = plan.refresh();
        assertTrue(refresh.contains("FROM " + kept.table() + " CROSS JOIN LATERAL pg_catalog.generate_series(1, __pgt_count)"),
                refresh);
        assertTrue(refresh.contains("INSERT INTO " + kept.table()), refresh);
        // A walk down a tree: the affected nodes' old rows, the changed ones' kept rows and down from
        // those through unchanged nodes (a changed node below is left to its own kept row), netted
        // against their rows now.
        assertTrue(refresh.contains("__pgt_tree_gone5 (\"id\", \"name\", \"depth\") AS (SELECT __pgt_o.* FROM"
                + " __pgt_tree_changed1 AS __pgt_c, LATERAL (SELECT * FROM (SELECT __pgt_k1 AS \"id\", __pgt_k2 AS \"name\","
                + " __pgt_k3 AS \"depth\" FROM " + kept.table() + " CROSS JOIN LATERAL pg_catalog.generate_series(1,"
                + " __pgt_count) AS __pgt_copy) AS __pgt_s WHERE __pgt_s.\"id\" = __pgt_c.k OFFSET 0) AS __pgt_o\nUNION ALL\n"),
                refresh);
        assertTrue(refresh.contains("JOIN __pgt_tree_gone5 AS \"c_1\" (\"id\", \"name\", \"depth\") ON ((d.region_id ="
                + " c_1.id)) AND ((c_1.depth < 5)) WHERE (NOT COALESCE(\"d\".\"id\" IN (SELECT k FROM __pgt_tree_changed1"
                + " WHERE k IS NOT NULL), false)))"), refresh);
        assertTrue(refresh.contains("\nSELECT __pgt_g.\"id\", __pgt_g.\"name\", __pgt_g.\"depth\", -1::bigint AS __pgt_w"
                + " FROM __pgt_tree_gone5 AS __pgt_g\nUNION ALL\nSELECT __pgt_r.\"id\", __pgt_r.\"name\", __pgt_r.\"depth\","
                + " 1::bigint FROM __pgt_tree_rows4 AS __pgt_r"), refresh);
        // IMMEDIATE mode's statements maintain the same table, their writers taking turns.
        assertNull(plan.immediateRefusal());
        assertEquals("the rows of a recursive query depend on other rows of its tables", plan.immediateSerialization());
        for (CompiledPlan.ImmediateStatement statement : plan.immediate()) {
            assertTrue(statement.apply().contains("INSERT INTO " + kept.table()), statement.apply());
            assertNull(statement.identities());
        }
    }

    // WITH RECURSIVE reach(id) AS (SELECT id FROM region UNION SELECT d.id FROM dept d JOIN reach r
    //   ON d.region_id = r.id) SELECT id FROM reach
    @Test
    void aRecursiveUnionIsASetMaintainedByDeletingAndDerivingAgain() throws Exception {
        QueryPlan plan = parse("""
                 WITH RECURSIVE reach(id) AS (
                         SELECT region.id
                           FROM public.region
                        UNION
                         SELECT d.id
                           FROM (public.dept d
                             JOIN reach r ON ((d.region_id = r.id)))
                        )
                 SELECT id
                   FROM reach""");
        Recursive reach = assertInstanceOf(Recursive.class,
                assertInstanceOf(Derived.class, assertInstanceOf(Project.class, plan).input()).query());
        assertTrue(reach.distinct());
        assertTrue(reach.current(new dev.pgtrickle.ivm.delta.DeltaContext(new dev.pgtrickle.ivm.delta.ChangeBuffers()))
                .contains("\nUNION\n"));
        String refresh = new PlanCompiler(query -> List.of()).compile(plan, "q").refresh();
        // Deleted for the time being, derived again, then inserted: three recursive CTEs with UNION.
        for (String part : List.of("__pgt_set_deleted", "__pgt_set_derived", "__pgt_set_inserted")) {
            assertTrue(refresh.contains(part), part + " in " + refresh);
        }
        assertTrue(!refresh.contains("_recursion_unsettled"), "a set's recursion ends by itself: " + refresh);
    }

    @Test
    void aWalkDownATreeIsKeyedByTheTablesKey() throws Exception {
        Recursive chain = assertInstanceOf(Recursive.class,
                assertInstanceOf(Derived.class, assertInstanceOf(Project.class, parse(CHAIN)).input()).query());
        assertEquals(java.util.Optional.of("id"), chain.treeKey());
        assertEquals(Strategy.KEYED, new PlanCompiler(query -> List.of()).compile(parse(CHAIN), "q").strategy());
        // Started from a row that may also be a child: it may be reached twice, no key.
        Recursive fromAnyRow = assertInstanceOf(Recursive.class, assertInstanceOf(Derived.class,
                assertInstanceOf(Project.class, parse(CHAIN.replace("(dept.region_id IS NULL)", "(dept.id = 1)"))).input())
                .query());
        assertEquals(java.util.Optional.empty(), fromAnyRow.treeKey());
    }
}
