package dev.pgtrickle.scheduler.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.scheduler.catalog.StreamTableState;
import dev.pgtrickle.scheduler.schedule.Schedule;
import dev.pgtrickle.scheduler.schedule.Tier;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AtomicGroupsTest {

    private static StreamTableState table(long id, boolean atomic, Long... upstream) {
        return new StreamTableState(id, "st" + id, Schedule.parse(null), Tier.HOT, "ACTIVE", null, 0, "owner",
                Set.of(upstream), "COMPILED", null, atomic, false);
    }

    private static List<List<Long>> groups(StreamTableState... topologicalOrder) {
        return AtomicGroups.of(List.of(topologicalOrder)).stream()
                .map(group -> group.stream().map(StreamTableState::id).toList()).toList();
    }

    @Test
    void anAtomicTableIsRefreshedWithTheSidesOfItsDiamond() {
        // 2 and 3 read 1; 4 reads 2 and 3.
        assertEquals(List.of(List.of(2L, 3L, 4L)), groups(table(1, false), table(2, false, 1L), table(3, false, 1L),
                table(4, true, 2L, 3L)));
        assertEquals(List.of(), groups(table(1, false), table(2, false, 1L), table(3, false, 1L), table(4, false, 2L, 3L)),
                "without diamond_consistency => 'atomic'");
        assertEquals(List.of(), groups(table(1, false), table(2, true, 1L)), "reading one stream table is no diamond");
    }

    @Test
    void aTableBetweenMembersJoinsSoThatNothingWaitsForItself() {
        // 4 reads 2 and 3; 3 reads 6, which reads 5, which reads 2: 5 and 6 lie between members.
        assertEquals(List.of(List.of(2L, 5L, 6L, 3L, 4L)), groups(table(1, false), table(2, false, 1L), table(5, false, 2L),
                table(6, false, 5L), table(3, false, 6L), table(4, true, 2L, 3L)));
        // 7 reads member 2 but no member reads it: it waits for the group, outside it.
        assertEquals(List.of(List.of(2L, 3L, 4L)), groups(table(1, false), table(2, false, 1L), table(3, false, 1L),
                table(4, true, 2L, 3L), table(7, false, 2L)));
    }

    @Test
    void groupsSharingATableAreOne() {
        assertEquals(List.of(List.of(2L, 3L, 4L, 5L, 6L)), groups(table(1, false), table(2, false, 1L), table(3, false, 1L),
                table(4, false, 1L), table(5, true, 2L, 3L), table(6, true, 3L, 4L)));
    }
}
