package dev.pgtrickle.subscribe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.subscribe.StreamedChange.Operation;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KnownRowsTest {

    private static StreamedChange change(Operation operation, Map<String, Object> before, Map<String, Object> after) {
        return new StreamedChange(operation, "public.t", 1L, "DIFFERENTIAL", before, after, 1L, null);
    }

    @Test
    void updatesAndDeletesGetTheWholeRowBeforeThemWhereItWasSeen() {
        KnownRows known = new KnownRows(List.of("id"));
        known.follow(change(Operation.READ, null, Map.of("id", 1, "v", "a")));
        assertEquals(Map.of("id", 1, "v", "a"),
                known.follow(change(Operation.UPDATE, Map.of("id", 1), Map.of("id", 1, "v", "b"))).before());
        assertEquals(Map.of("id", 1, "v", "b"), known.follow(change(Operation.DELETE, Map.of("id", 1), null)).before(),
                "the row as the update left it");
        assertEquals(Map.of("id", 2), known.follow(change(Operation.UPDATE, Map.of("id", 2), Map.of("id", 2, "v", "c"))).before(),
                "a row never seen: the key is all there is");
        known.follow(change(Operation.TRUNCATE, null, null));
        assertEquals(Map.of("id", 2), known.follow(change(Operation.DELETE, Map.of("id", 2), null)).before(),
                "forgotten with the truncation");
    }
}
