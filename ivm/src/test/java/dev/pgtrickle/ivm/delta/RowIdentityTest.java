package dev.pgtrickle.ivm.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class RowIdentityTest {

    @Test
    void hashesTheCanonicalValuesTogether() {
        assertEquals("pg_catalog.sha256(pg_catalog.record_send(ROW(pgtrickle._canon(a.x), pgtrickle._canon(b.y))))",
                RowIdentity.of(List.of("a.x", "b.y")));
    }

    @Test
    void aGlobalAggregateHasOneConstantIdentity() {
        assertEquals(RowIdentity.CONSTANT, RowIdentity.of(List.of()));
    }
}
