package dev.pgtrickle.ivm.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PlaceholdersTest {

    @Test
    void replacesWholePlaceholdersOnly() {
        String out = Placeholders.substitute("COALESCE(__pgt_agg_1, 0) + __pgt_agg_10 || __pgt_key_2",
                key -> "k" + key, agg -> "a" + agg);
        assertEquals("COALESCE((a1), 0) + (a10) || (k2)", out);
    }

    @Test
    void leavesStringLiteralsAndQuotedIdentifiersAlone() {
        String out = Placeholders.substitute("(__pgt_key_1 || ' __pgt_key_1 ''__pgt_agg_1''' || E'\\' __pgt_agg_1 \\'' "
                + "|| \"a __pgt_agg_1\"(__pgt_agg_1))", key -> "k" + key, agg -> "a" + agg);
        assertEquals("((k1) || ' __pgt_key_1 ''__pgt_agg_1''' || E'\\' __pgt_agg_1 \\'' || \"a __pgt_agg_1\"((a1)))", out);
    }
}
