package dev.pgtrickle.ivm.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.JoinKind;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.Source;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which table's writers go on side by side in a join on no equality (IMMEDIATE mode). */
class ImmediateSidesTest {

    private static Scan scan(long oid, String name, String alias, long bytes) {
        return new Scan(new Source(oid, "public", name, Source.Kind.TABLE, List.of("id", "t"), Set.of(), Set.of(),
                List.of(), Set.of(), Map.of(), bytes), alias);
    }

    /** SELECT a.id, b.id FROM a <kind> JOIN b ON a.t < b.t */
    private static Project join(JoinKind kind, FromPlan left, FromPlan right) {
        Set<String> aliases = new HashSet<>(left.aliases());
        aliases.addAll(right.aliases());
        return new Project(new Join(kind, left, right, new Condition(left.aliases().iterator().next() + ".t < "
                + right.aliases().iterator().next() + ".t", aliases)), List.of(new OutputColumn("id", "1")));
    }

    private static ImmediateSides.Turn turnOf(Project query, long source) {
        return ImmediateSides.of(query).orElseThrow().turn(source);
    }

    @Test
    void theLargestTableThatQualifiesGoesOnSideBySide() {
        Scan small = scan(1, "periods", "p", 8192);
        Scan large = scan(2, "orders", "o", 819200);
        Project inner = join(JoinKind.INNER, small, large);
        assertEquals(ImmediateSides.Turn.SHARED, turnOf(inner, 2));
        assertEquals(ImmediateSides.Turn.EXCLUSIVE, turnOf(inner, 1));
        // Among equals (sizes unknown), the first in the query.
        Project unknown = join(JoinKind.INNER, scan(1, "periods", "p", 0), scan(2, "orders", "o", 0));
        assertEquals(ImmediateSides.Turn.SHARED, turnOf(unknown, 1));
        // The padded side of an outer join never does, however large.
        Project left = join(JoinKind.LEFT, small, large);
        assertEquals(ImmediateSides.Turn.SHARED, turnOf(left, 1));
        Project right = join(JoinKind.RIGHT, large, small);
        assertEquals(ImmediateSides.Turn.SHARED, turnOf(right, 1));
    }

    @Test
    void noTableQualifiesWhereEveryOneMeetsItsOwnRows() {
        Scan a = scan(1, "periods", "p", 8192);
        Scan b = scan(2, "orders", "o", 819200);
        assertTrue(ImmediateSides.of(join(JoinKind.FULL, a, b)).isEmpty(), "a FULL JOIN pads both sides");
        assertTrue(ImmediateSides.of(join(JoinKind.INNER, scan(2, "orders", "x", 819200), b)).isEmpty(),
                "a table joined with itself");
        assertTrue(ImmediateSides.of(join(JoinKind.SEMI, a, scan(1, "periods", "q", 8192))).isEmpty(),
                "the table is on both sides of EXISTS");
    }
}
