package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.pgtrickle.scheduler.catalog.CatalogReader;
import dev.pgtrickle.scheduler.catalog.StreamTableState;
import dev.pgtrickle.scheduler.run.RefreshOutcome;
import dev.pgtrickle.scheduler.run.RefreshWorker;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import org.junit.jupiter.api.Test;

/**
 * A daemon refresh that runs after a source was renamed and before the repair step redefined the
 * stream table (the DDL committed between the two steps of a pass) meets an undefined table: it
 * is skipped, not recorded as a failure of the stream table, and the repair step handles the
 * rename next.
 */
@PostgresTest
class SourceDdlRaceTest {

    @Test
    void aRefreshBetweenASourceRenameAndTheRepairIsSkippedNotFailed(TestDatabase db) throws Exception {
        DifferentialRefreshTest.install(db);
        db.execute("CREATE TABLE race_src (id int PRIMARY KEY, v int); INSERT INTO race_src VALUES (1, 1), (2, 2);"
                + " CREATE TABLE race_other (id int PRIMARY KEY, w int); INSERT INTO race_other VALUES (1, 1)");
        DifferentialRefreshTest.createCompiledDifferential(db, "race_st",
                "SELECT a.id, a.v, b.w FROM race_src a JOIN race_other b ON b.id = a.id", "KEYED");
        // The delta of race_other's change reads race_src by name.
        db.execute("INSERT INTO race_other VALUES (2, 2)");
        db.execute("ALTER TABLE race_src RENAME TO race_renamed");

        StreamTableState table;
        try (Connection c = db.connect()) {
            table = CatalogReader.load(c).stream().filter(t -> t.name().endsWith("race_st")).findFirst().orElseThrow();
        }
        try (RefreshWorker worker = new RefreshWorker("race test worker", db::connect, 3, null)) {
            RefreshOutcome outcome = worker.refresh(table);
            RefreshOutcome.Skipped skipped = assertInstanceOf(RefreshOutcome.Skipped.class, outcome, outcome::toString);
            assertEquals(true, skipped.reason().startsWith("a source changed ("), skipped::reason);
        }
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE status = 'FAILED'"));
        assertEquals(0, db.queryLong("SELECT consecutive_errors FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'race_st'"));
    }
}
