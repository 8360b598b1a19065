package dev.pgtrickle.ivm.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class RowIdentityTest {

    @Test
    void contentIsTheHashOfTheBinaryRow() {
        assertEquals("pg_catalog.sha256(pg_catalog.record_send(ROW(a.x, b.y)))",
                RowIdentity.content(List.of("a.x", "b.y")));
    }

    @Test
    void aRowNettedWithinOneStatementIsIdentifiedByItsBinaryRowItself() {
        assertEquals("pg_catalog.record_send(ROW(a.x, b.y))", RowIdentity.sentForm(List.of("a.x", "b.y")));
    }

    @Test
    void rowsAreNettedByHashingTheirIdentityAloneWithOneValueOfEachOtherColumn() {
        assertEquals("SELECT __pgt_row_id, pgtrickle._any_value(\"a\") AS \"a\", pgtrickle._any_value(__pgt_c2) AS __pgt_c2,"
                + " (pg_catalog.sum(__pgt_w))::bigint AS __pgt_w FROM rows GROUP BY __pgt_row_id",
                RowIdentity.perIdentity("__pgt_row_id", List.of("__pgt_row_id", "\"a\"", "__pgt_c2"),
                        "pg_catalog.sum(__pgt_w)", "__pgt_w", "rows"));
        assertEquals("SELECT pgtrickle._any_value(__pgt_c1) AS __pgt_c1, (pg_catalog.count(*))::bigint AS n FROM rows"
                + " GROUP BY __pgt_h", RowIdentity.perIdentity("__pgt_h", List.of("__pgt_c1"), "pg_catalog.count(*)", "n", "rows"));
    }

    @Test
    void groupKeysUseTwoSeededEqualityConsistentHashes() {
        String identity = RowIdentity.groupKey(List.of("k"));
        assertEquals("(pg_catalog.int8send(pg_catalog.hash_record_extended(ROW(k, pgtrickle._key_sign(k)), 0)) OPERATOR(pg_catalog.||)"
                + " pg_catalog.int8send(pg_catalog.hash_record_extended(ROW(k, pgtrickle._key_sign(k)), 1)))", identity);
    }

    @Test
    void aGlobalAggregateHasOneConstantIdentity() {
        assertEquals(RowIdentity.CONSTANT, RowIdentity.groupKey(List.of()));
    }
}
