package dev.pgtrickle.scheduler.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pgtrickle.scheduler.catalog.StreamTableState;
import dev.pgtrickle.scheduler.schedule.Schedule;
import dev.pgtrickle.scheduler.schedule.Tier;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RefreshPlannerTest {

    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
    private final RefreshPlanner planner = new RefreshPlanner(Duration.ofSeconds(1), ZoneOffset.UTC);

    private static StreamTableState table(long id, String schedule, Duration sinceRefresh, Long... upstream) {
        return table(id, schedule, Tier.HOT, "ACTIVE", sinceRefresh, upstream);
    }

    private static StreamTableState table(long id, String schedule, Tier tier, String status, Duration sinceRefresh,
                                          Long... upstream) {
        return new StreamTableState(id, "st" + id, Schedule.parse(schedule), tier, status,
                sinceRefresh == null ? null : NOW.minus(sinceRefresh), 0, "owner", Set.of(upstream), "COMPILED", null, false, false);
    }

    private List<Long> due(List<StreamTableState> tables) {
        return planner.plan(tables, NOW, id -> false, id -> false).due().stream().map(StreamTableState::id).toList();
    }

    @Test
    void aTableIsDueWhenItsIntervalHasElapsed() {
        assertEquals(List.of(1L), due(List.of(table(1, "10s", Duration.ofSeconds(10)), table(2, "10s", Duration.ofSeconds(9)))));
    }

    @Test
    void theNextDueMomentIsTheEarliestOwnClockAfterThisPass() {
        List<StreamTableState> tables = List.of(
                table(1, "10s", Duration.ofSeconds(4)),                 // due in 6 s
                table(2, "250ms", Duration.ofMillis(100)),              // due in 150 ms
                table(3, null, Duration.ofSeconds(5)),                  // calculated, pulled in by 4: no clock of its own
                table(4, "1s", Duration.ofSeconds(1), 3L));             // due now: refreshed now, due in 1 s
        assertEquals(Optional.of(NOW.plusMillis(150)), planner.plan(tables, NOW, id -> false, id -> false).nextDue());
        assertEquals(Optional.of(NOW.plusSeconds(1)), planner.plan(tables, NOW, id -> id == 2, id -> false).nextDue());
        assertEquals(Optional.of(NOW.plusMillis(250)), planner.plan(List.of(table(5, "250ms", null)), NOW, id -> false, id -> false).nextDue(),
                "a table never refreshed is refreshed in this pass");
        assertEquals(Optional.empty(), planner.plan(List.of(table(6, "1s", Tier.FROZEN, "ACTIVE", Duration.ofSeconds(9))),
                NOW, id -> false, id -> false).nextDue());
    }

    /** A chain is as fresh as its first stage: its cadence counts from the start of its pass. */
    @Test
    void aTableIsDueWhenTheCalculatedTablesItPullsInAreAsOldAsItsSchedule() {
        List<StreamTableState> chain = List.of(
                table(1, null, Duration.ofMillis(1200)),
                table(2, null, Duration.ofMillis(1100), 1L),
                table(3, "1s", Duration.ofMillis(900), 2L));
        assertEquals(List.of(1L, 2L, 3L), due(chain));
        List<StreamTableState> fresher = List.of(
                table(1, null, Duration.ofMillis(700)),
                table(2, null, Duration.ofMillis(650), 1L),
                table(3, "1s", Duration.ofMillis(600), 2L));
        assertEquals(List.of(), due(fresher));
        assertEquals(Optional.of(NOW.plusMillis(300)), planner.plan(fresher, NOW, id -> false, id -> false).nextDue());
        // A stage backing off after a failure is not pulled in, so it does not hold the chain's clock back.
        assertEquals(List.of(), planner.plan(List.of(table(1, null, Duration.ofMinutes(5)), table(3, "1s",
                Duration.ofMillis(600), 1L)), NOW, id -> id == 1, id -> false).due().stream().map(StreamTableState::id).toList());
    }

    @Test
    void aNeverPopulatedTableIsDueAtOnce() {
        assertEquals(List.of(1L), due(List.of(table(1, "1h", null))));
    }

    @Test
    void tiersStretchTheScheduleAndFrozenIsNeverDue() {
        List<StreamTableState> tables = List.of(
                table(1, "10s", Tier.WARM, "ACTIVE", Duration.ofSeconds(15)),
                table(2, "10s", Tier.WARM, "ACTIVE", Duration.ofSeconds(20)),
                table(3, "10s", Tier.COLD, "ACTIVE", Duration.ofSeconds(99)),
                table(4, "10s", Tier.COLD, "ACTIVE", Duration.ofSeconds(100)),
                table(5, "10s", Tier.FROZEN, "ACTIVE", Duration.ofDays(300)));
        assertEquals(List.of(2L, 4L), due(tables));
    }

    @Test
    void suspendedErroredAndBackingOffTablesAreLeftOut() {
        List<StreamTableState> tables = List.of(
                table(1, "1s", Tier.HOT, "SUSPENDED", Duration.ofMinutes(1)),
                table(2, "1s", Tier.HOT, "ERROR", Duration.ofMinutes(1)),
                table(3, "1s", Duration.ofMinutes(1)),
                table(4, "1s", Duration.ofMinutes(1)));
        assertEquals(List.of(4L), planner.plan(tables, NOW, id -> id == 3, id -> false).due().stream().map(StreamTableState::id).toList());
    }

    /** Tables holding the WAL back, or asked for from SQL, are refreshed now, still never when suspended. */
    @Test
    void urgentTablesAreDueWhateverTheirScheduleWithTheirCalculatedUpstream() {
        List<StreamTableState> tables = List.of(
                table(1, "1h", Duration.ofSeconds(5), 3L),
                table(2, "1h", Tier.HOT, "SUSPENDED", Duration.ofSeconds(5)),
                table(3, null, Duration.ofSeconds(1)),
                table(4, "1h", Duration.ofSeconds(5)));
        assertEquals(List.of(3L, 1L), planner.plan(tables, NOW, id -> false, id -> id == 1 || id == 2).due()
                .stream().map(StreamTableState::id).toList());
    }

    @Test
    void aDueTablePullsInItsCalculatedUpstreamInTopologicalOrder() {
        // 3 reads 2 reads 1; only 3 has a schedule. 4 has its own schedule and is not due.
        List<StreamTableState> tables = List.of(
                table(3, "5s", Duration.ofSeconds(5), 2L, 4L),
                table(2, null, Duration.ofSeconds(1), 1L),
                table(1, null, Duration.ofSeconds(1)),
                table(4, "1h", Duration.ofSeconds(1)));
        assertEquals(List.of(1L, 2L, 3L), due(tables));
    }

    @Test
    void aCalculatedTableThatIsReadIsRefreshedOnlyWithItsConsumers() {
        // 1 is calculated, due by the isolated interval were it alone, but 2 and 3 read it and neither is due.
        List<StreamTableState> quiet = List.of(
                table(1, null, Duration.ofSeconds(2)),
                table(2, "1m", Duration.ofSeconds(1), 1L),
                table(3, "5s", Duration.ofSeconds(1), 1L));
        assertEquals(List.of(), due(quiet));
        List<StreamTableState> consumerDue = List.of(
                table(1, null, Duration.ofMillis(10)),
                table(2, "1m", Duration.ofSeconds(1), 1L),
                table(3, "5s", Duration.ofSeconds(5), 1L));
        assertEquals(List.of(1L, 3L), due(consumerDue));
    }

    @Test
    void aCalculatedTableWhoseConsumersAreInactiveRunsOnItsOwn() {
        List<StreamTableState> tables = List.of(
                table(1, null, Duration.ofSeconds(2)),
                table(2, "1s", Tier.HOT, "SUSPENDED", Duration.ofMinutes(1), 1L),
                table(3, "1s", Tier.FROZEN, "ACTIVE", Duration.ofMinutes(1), 1L));
        assertEquals(List.of(1L), due(tables));
    }

    @Test
    void anIsolatedCalculatedTableIsCheckedAtTheIsolatedInterval() {
        assertEquals(List.of(1L), due(List.of(table(1, null, Duration.ofSeconds(1)), table(2, null, Duration.ofMillis(500)))));
    }

    @Test
    void cronSchedulesFireAtTheirNextTime() {
        // Now is 12:00:00: after a refresh at 11:56 a five-minute cron fires at 12:00, after one
        // at 12:00:00 only at 12:05; the six-field form fires every 10 seconds.
        assertEquals(List.of(1L, 3L), due(List.of(
                table(1, "*/5 * * * *", Duration.ofMinutes(4)),
                table(2, "*/5 * * * *", Duration.ZERO),
                table(3, "*/10 * * * * *", Duration.ofSeconds(1)),
                table(4, "*/10 * * * * *", Duration.ZERO))));
    }

    @Test
    void independentTablesComeInIdOrderAndDiamondsAfterBothParents() {
        List<StreamTableState> tables = List.of(
                table(4, "1s", Duration.ofSeconds(2), 2L, 3L),
                table(3, null, Duration.ofSeconds(2), 1L),
                table(2, null, Duration.ofSeconds(2), 1L),
                table(1, null, Duration.ofSeconds(2)));
        assertEquals(List.of(1L, 2L, 3L, 4L), due(tables));
    }

    @Test
    void aCycleInTheCatalogIsReported() {
        List<StreamTableState> tables = List.of(table(1, "1s", Duration.ofSeconds(2), 2L), table(2, null, Duration.ofSeconds(2), 1L));
        assertThrows(IllegalStateException.class, () -> due(tables));
    }

    @Test
    void aDueTableOfAnAtomicGroupBringsTheOthersAlong() {
        StreamTableState side = new StreamTableState(2, "st2", Schedule.parse("10s"), Tier.HOT, "ACTIVE",
                NOW.minus(Duration.ofSeconds(10)), 0, "owner", Set.of(1L), "COMPILED", null, false, false);
        StreamTableState other = new StreamTableState(3, "st3", Schedule.parse("1h"), Tier.HOT, "ACTIVE",
                NOW.minus(Duration.ofSeconds(10)), 0, "owner", Set.of(1L), "COMPILED", null, false, false);
        StreamTableState atomic = new StreamTableState(4, "st4", Schedule.parse("1h"), Tier.HOT, "ACTIVE",
                NOW.minus(Duration.ofSeconds(10)), 0, "owner", Set.of(2L, 3L), "COMPILED", null, true, false);
        StreamTableState source = table(1, "1h", Duration.ofSeconds(10));
        assertEquals(List.of(2L, 3L, 4L), due(List.of(source, side, other, atomic)));
        StreamTableState plain = new StreamTableState(4, "st4", Schedule.parse("1h"), Tier.HOT, "ACTIVE",
                NOW.minus(Duration.ofSeconds(10)), 0, "owner", Set.of(2L, 3L), "COMPILED", null, false, false);
        assertEquals(List.of(2L), due(List.of(source, side, other, plain)));
    }
}
