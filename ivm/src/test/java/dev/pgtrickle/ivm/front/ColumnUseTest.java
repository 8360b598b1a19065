package dev.pgtrickle.ivm.front;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ColumnUseTest {

    private static final List<String> ORDERS = List.of("id", "customer", "amount", "note", "Mixed Case");

    private static List<String> used(String sql, String alias) {
        return ColumnUse.of(sql).used(alias, ORDERS);
    }

    @Test
    void qualifiedReferencesCountForTheirAliasOnly() {
        String sql = "SELECT o.id, c.amount FROM s.orders o JOIN s.orders c ON c.customer = o.id";
        assertEquals(List.of("id"), used(sql, "o"));
        assertEquals(List.of("customer", "amount"), used(sql, "c"));
    }

    @Test
    void bareNamesCountForEveryAlias() {
        // PostgreSQL prints a block with one FROM item without qualifiers.
        assertEquals(List.of("id", "amount"), used("SELECT id, sum(amount) AS total FROM s.orders GROUP BY id", "orders"));
    }

    @Test
    void wholeRowReferenceAndStarSelectItemKeepEveryColumn() {
        assertEquals(ORDERS, used("SELECT row_to_json(o.*) AS j FROM s.orders o", "o"));
        assertEquals(ORDERS, used("SELECT * FROM s.orders o", "o"));
        assertEquals(ORDERS, used("SELECT o.id, * FROM s.orders o", "o"));
    }

    @Test
    void aProductIsNotAStar() {
        assertEquals(List.of("id", "amount"), used("SELECT o.id, (o.amount * 2) AS a, count(*) AS n FROM s.orders o GROUP BY o.id", "o"));
    }

    @Test
    void quotedNamesAreUnquotedAndLiteralsAreNotReferences() {
        assertEquals(List.of("note", "Mixed Case"),
                used("SELECT o.\"Mixed Case\" FROM s.orders o WHERE (o.note <> 'o.amount id'::text)", "o"));
        assertEquals(List.of("amount"), used("SELECT o.amount FROM s.orders o WHERE (o.amount > E'o.id\\' x')", "o"));
    }

    @Test
    void aQueryReadingNoColumnKeepsNone() {
        assertEquals(List.of(), used("SELECT count(*) AS n FROM s.orders o", "o"));
    }

    @Test
    void thePlainSelectListOfAnExistsReadsNothing() {
        // PostgreSQL prints EXISTS (SELECT * ...) with the star expanded.
        String exists = "SELECT c.id FROM s.c c WHERE (NOT (EXISTS ( SELECT o.id, o.customer, o.amount, o.note,"
                + " o.\"Mixed Case\" FROM s.orders o WHERE (o.customer = c.id))))";
        assertEquals(List.of("customer"), used(exists, "o"));
        assertEquals(List.of(), used("SELECT 1 AS x FROM s.c c WHERE EXISTS (SELECT 1, 'a', * FROM s.orders o)", "o"));
        // A quoted name is a column, never the keyword it spells.
        assertEquals(List.of("customer"), used("SELECT 1 AS x FROM s.c c WHERE EXISTS (SELECT o.\"distinct\", o.amount"
                + " FROM s.orders o WHERE o.customer = c.id AND o.\"group\" IS NULL)", "o"));
    }

    @Test
    void anExistsSelectListThatComputesOrAGroupedBodyStillCounts() {
        assertEquals(List.of("amount"), used("SELECT 1 AS x FROM s.c c WHERE EXISTS (SELECT sum(o.amount) FROM s.orders o)", "o"));
        assertEquals(List.of("amount"), used("SELECT 1 AS x FROM s.c c WHERE EXISTS (SELECT o.amount::text FROM s.orders o)", "o"));
        assertEquals(List.of("id", "amount"), used("SELECT 1 AS x FROM s.c c WHERE EXISTS (SELECT o.amount FROM s.orders o"
                + " GROUP BY o.amount, o.id)", "o"));
        assertEquals(List.of("amount"), used("SELECT 1 AS x FROM s.c c WHERE EXISTS (SELECT DISTINCT o.amount FROM s.orders o)", "o"));
        assertEquals(List.of("id", "amount"), used("SELECT 1 AS x FROM s.c c WHERE EXISTS (SELECT o.amount FROM s.orders o"
                + " WHERE o.id IS DISTINCT FROM c.id)", "o"));
        assertEquals(List.of("id", "amount"), used("SELECT 1 AS x FROM s.c c WHERE EXISTS (SELECT o.amount FROM s.orders o"
                + " UNION SELECT o.id FROM s.orders o)", "o"));
    }
}
