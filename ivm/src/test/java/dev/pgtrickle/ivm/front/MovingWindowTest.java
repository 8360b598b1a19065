package dev.pgtrickle.ivm.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.compile.CompiledPlan;
import dev.pgtrickle.ivm.compile.PlanCompiler;
import dev.pgtrickle.ivm.plan.Clock;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Queries comparing columns with the clock: the clock read as the refresh's time, the delta of
 * the window's move, and the refusal of other readings. Inputs are what PostgreSQL 18's
 * pg_get_viewdef printed (search_path = pg_catalog) for the query in the comment.
 */
class MovingWindowTest {

    private final FakeCatalog catalog = new FakeCatalog();

    /** The clock as the statements read it: once each. */
    private static final String NOW = "(SELECT " + Clock.NOW + ")";
    private static final String OLD = "(SELECT " + Clock.OLD + ")";

    private QueryPlan parse(String sql) throws UnsupportedQueryException {
        return new QueryParser().parse(sql, catalog);
    }

    private CompiledPlan compile(String sql) throws Exception {
        return new PlanCompiler(query -> List.of()).compile(parse(sql), "q");
    }

    // SELECT id, amount FROM sales.orders WHERE created_at > now() - interval '5 minutes'
    private static final String RECENT = """
             SELECT id,
                amount
               FROM sales.orders
              WHERE (created_at > (now() - '00:05:00'::interval))""";

    @Test
    void everyReadingOfTheClockBecomesTheRefreshsTime() throws Exception {
        Project top = assertInstanceOf(Project.class, parse("""
                 SELECT id
                   FROM sales.orders
                  WHERE ((created_at > (now() - '00:05:00'::interval)) AND (created_at <= CURRENT_TIMESTAMP)
                    AND ((created_at)::date >= (CURRENT_DATE - 7)) AND ((created_at)::timestamp without time zone <= LOCALTIMESTAMP)
                    AND (created_at <= transaction_timestamp()))"""));
        String condition = assertInstanceOf(Filter.class, top.input()).condition().sql();
        assertFalse(condition.contains("now()") || condition.contains("CURRENT_") || condition.contains("LOCAL")
                || condition.contains("transaction_timestamp"), condition);
        assertTrue(condition.contains("CAST(" + Clock.NOW + " AS date) - 7"), condition);
        assertTrue(condition.contains("CAST(" + Clock.NOW + " AS timestamp)"), condition);
        assertEquals(5, condition.split(java.util.regex.Pattern.quote(Clock.NOW), -1).length - 1, condition);
    }

    @Test
    void theDeltaAddsTheRowsTheWindowsMoveBroughtInAndTookOut() throws Exception {
        CompiledPlan plan = compile(RECENT);
        assertTrue(plan.readsClock());
        assertTrue(plan.populate().contains("orders.created_at > (" + NOW + " - '00:05:00'::interval)"), plan.populate());
        String refresh = plan.refresh();
        // The changes are filtered as at the old time, the stored rows were.
        assertTrue(refresh.contains("orders.created_at > (" + OLD + " - '00:05:00'::interval)"), refresh);
        // The rows between the old and the new bound, an index range, flipped one way or the other.
        assertTrue(refresh.contains("orders.created_at >= LEAST((" + OLD + " - '00:05:00'::interval), ("
                + NOW + " - '00:05:00'::interval))"), refresh);
        assertTrue(refresh.contains("IS TRUE) <> (((orders.created_at > (" + OLD), refresh);
        assertTrue(refresh.contains("THEN 1 ELSE -1 END)::bigint AS __pgt_w"), refresh);
    }

    @Test
    void theNextRowToLeaveDecidesWhenTheWindowNeedsARefresh() throws Exception {
        String due = compile(RECENT).clockDue();
        assertTrue(due.startsWith("SELECT LEAST((SELECT pg_catalog.min((orders.created_at)::timestamptz) - ((" + NOW
                + " - '00:05:00'::interval) - " + NOW + ")"), due);
        assertTrue(due.contains("orders.created_at >= (" + NOW + " - '00:05:00'::interval)"), due);
    }

    @Test
    void aDateWindowIsMaintainedButRefreshedOnEverySchedule() throws Exception {
        // SELECT id FROM sales.orders WHERE created_at::date >= current_date - 7
        CompiledPlan plan = compile("""
                 SELECT id
                   FROM sales.orders
                  WHERE ((created_at)::date >= (CURRENT_DATE - 7))""");
        assertTrue(plan.readsClock());
        assertNull(plan.clockDue());
    }

    @Test
    void aQueryWithoutTheClockHasNoWindow() throws Exception {
        CompiledPlan plan = compile("""
                 SELECT id
                   FROM sales.orders
                  WHERE (amount > 10)""");
        assertFalse(plan.readsClock());
        assertNull(plan.clockDue());
    }

    @Test
    void otherReadingsOfTheClockAreRefusedWithTheReason() {
        for (String query : List.of(
                // SELECT id, now() AS seen FROM sales.orders
                "SELECT id, now() AS seen FROM sales.orders",
                // ... WHERE created_at > date_trunc('hour', now())
                "SELECT id FROM sales.orders WHERE (created_at > date_trunc('hour'::text, now()))",
                // ... WHERE created_at > now() OR amount > 10
                "SELECT id FROM sales.orders WHERE ((created_at > now()) OR (amount > 10))",
                // ... GROUP BY created_at > now()
                "SELECT (created_at > now()) AS recent, count(*) AS count FROM sales.orders GROUP BY (created_at > now())",
                // ... FROM emp e, sales.orders o WHERE o.emp_id = e.id AND o.created_at + (e.hired - e.hired) > now()
                "SELECT o.id FROM public.emp e, sales.orders o WHERE ((o.emp_id = e.id)"
                        + " AND ((o.created_at + (e.hired - e.hired)) > now()))",
                // ... LEFT JOIN ... ON ... AND o.created_at > now()
                "SELECT e.id FROM (public.emp e LEFT JOIN sales.orders o ON (((o.emp_id = e.id) AND (o.created_at > now()))))")) {
            UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class, () -> compile(query), query);
            assertTrue(e.getMessage().contains("the clock"), e.getMessage());
        }
        UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class,
                () -> parse("SELECT id FROM sales.orders WHERE ((created_at)::time without time zone > CURRENT_TIME)"));
        assertTrue(e.getMessage().contains("time of day"), e.getMessage());
    }

    @Test
    void aLiteralSpellingTheClockIsData() {
        String sql = "x > " + Clock.NOW + " AND y = '" + Clock.NOW + "' AND \"" + Clock.NOW + "\" = 1";
        assertEquals("x > " + Clock.OLD + " AND y = '" + Clock.NOW + "' AND \"" + Clock.NOW + "\" = 1", Clock.old(sql));
        assertFalse(Clock.reads("y = '" + Clock.NOW + "'"));
    }
}
