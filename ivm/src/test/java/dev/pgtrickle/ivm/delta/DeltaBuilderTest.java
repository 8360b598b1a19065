package dev.pgtrickle.ivm.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.Source;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeltaBuilderTest {

    private static Scan scan(long oid, String alias) {
        return new Scan(new Source(oid, "public", "t" + oid, Source.Kind.TABLE, List.of("id", "v")), alias);
    }

    private static Plan join(int inputs) {
        List<Plan> scans = new ArrayList<>();
        for (int i = 1; i <= inputs; i++) {
            scans.add(scan(i, "a" + i));
        }
        return new Join(scans, List.of("a1.id = a2.id"));
    }

    private static List<String> terms(String delta) {
        return List.of(delta.split("\nUNION ALL\n"));
    }

    @Test
    void aSingleInputHasOneTermReadingItsBuffer() throws Exception {
        DeltaBuilder builder = new DeltaBuilder();
        String delta = builder.delta(Block.of(new Filter(scan(42, "t"), "t.v > 1")), List.of("t.id AS \"id\""));
        assertEquals(1, terms(delta).size());
        assertTrue(delta.contains("FROM __pgt_d1 AS \"t\" WHERE (t.v > 1)"), delta);
        assertEquals(1, builder.ctes().size());
        assertTrue(builder.ctes().get(0).contains("pgtrickle_changes.\"changes_42\""), builder.ctes().get(0));
        assertTrue(builder.ctes().get(0).contains("NOT pgtrickle._covered(__pgt_xid, __pgt_seq, $1, $2, $3)"));
    }

    @Test
    void joinsUpToFourInputsUseInclusionExclusionWithAlternatingSigns() throws Exception {
        for (int n = 2; n <= 4; n++) {
            List<String> terms = terms(new DeltaBuilder().delta(Block.of(join(n)), List.of("a1.id AS \"id\"")));
            assertEquals((1 << n) - 1, terms.size(), "terms for " + n + " inputs");
            long negative = terms.stream().filter(t -> t.contains("(-\"")).count();
            // Subsets of even size are subtracted: 2^(n-1) - 1 of them.
            assertEquals((1 << (n - 1)) - 1, negative, "negative terms for " + n + " inputs");
        }
    }

    @Test
    void largerJoinsTelescopeWithOldStates() throws Exception {
        List<String> terms = terms(new DeltaBuilder().delta(Block.of(join(5)), List.of("a1.id AS \"id\"")));
        assertEquals(5, terms.size());
        assertTrue(terms.get(4).contains("UNION ALL SELECT"), "old states are current state minus delta");
        assertTrue(terms.get(0).contains("\"public\".\"t5\" AS \"a5\""), "later inputs are read as they are now");
    }

    @Test
    void truncationIsCheckedOnEveryBufferTheDeltaReads() throws Exception {
        DeltaBuilder builder = new DeltaBuilder();
        assertEquals("false", builder.truncatedSinceFrontier());
        builder.delta(Block.of(join(2)), List.of("a1.id AS \"id\""));
        String truncated = builder.truncatedSinceFrontier();
        assertTrue(truncated.contains("changes_1") && truncated.contains("changes_2"), truncated);
        assertEquals(2, builder.sources().size());
    }
}
