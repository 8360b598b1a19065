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
