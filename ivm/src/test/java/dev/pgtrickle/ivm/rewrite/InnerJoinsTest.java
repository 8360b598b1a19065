package dev.pgtrickle.ivm.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.JoinKind;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.Source;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InnerJoinsTest {

    private static final Scan A = scan(1, "a");
    private static final Scan B = scan(2, "b");
    private static final Scan C = scan(3, "c");

    private static Scan scan(long oid, String alias) {
        return new Scan(new Source(oid, "s", "t" + oid, Source.Kind.TABLE, List.of("k", "g")), alias);
    }

    private static Condition on(String sql, String... aliases) {
        return new Condition(sql, Set.of(aliases));
    }

    private static Join cross(FromPlan left, FromPlan right) {
        return new Join(JoinKind.INNER, left, right, Condition.TRUE);
    }

    @Test
    void whereConditionsOfACommaJoinBecomeJoinConditions() {
        Condition ab = on("a.k = b.k", "a", "b");
        assertEquals(new Join(JoinKind.INNER, A, B, ab), InnerJoins.place(cross(A, B), List.of(ab)));
    }

    @Test
    void inputsAreOrderedSoThatEveryJoinHasAConnectingCondition() {
        Condition ac = on("a.k = c.k", "a", "c");
        Condition bc = on("b.g = c.g", "b", "c");
        FromPlan placed = InnerJoins.place(cross(cross(A, B), C), List.of(ac, bc));
        assertEquals(new Join(JoinKind.INNER, new Join(JoinKind.INNER, A, C, ac), B, bc), placed);
    }

    @Test
    void aConditionOnOneInputFiltersThatInputAndConstantsGoToTheFirstJoin() {
        Condition ab = on("a.k = b.k", "a", "b");
        Condition bOnly = on("b.g > 1", "b");
        Condition constant = on("1 = 1");
        FromPlan placed = InnerJoins.place(new Join(JoinKind.INNER, A, B, ab), List.of(bOnly, constant));
        assertEquals(new Join(JoinKind.INNER, A, new Filter(B, bOnly), Condition.all(List.of(constant, ab))), placed);
        assertEquals(new Filter(A, constant), InnerJoins.place(A, List.of(constant)));
    }

    @Test
    void conditionsOnAnOuterJoinStayAboveIt() {
        Condition ab = on("a.k = b.k", "a", "b");
        Join left = new Join(JoinKind.LEFT, A, B, ab);
        Condition unmatched = on("b.k IS NULL", "b");
        Condition ac = on("a.g = c.g", "a", "c");
        FromPlan placed = InnerJoins.place(cross(left, C), List.of(unmatched, ac));
        assertEquals(new Join(JoinKind.INNER, new Filter(left, unmatched), C, ac), placed);
    }

    @Test
    void inputsOfOuterJoinsAreRebuiltOnTheirOwn() {
        Condition ab = on("a.k = b.k", "a", "b");
        Condition bc = on("b.g = c.g", "b", "c");
        Join nested = new Join(JoinKind.FULL, A, new Filter(cross(B, C), bc), ab);
        assertEquals(new Join(JoinKind.FULL, A, new Join(JoinKind.INNER, B, C, bc), ab),
                InnerJoins.place(nested, List.of()));
    }
}
