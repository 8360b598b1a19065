package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.scheduler.Daemon;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DDL on the sources of stream tables while the daemon runs: renames and dropped or retyped
 * columns are repaired (capture rebuilt, definition re-read, contents recomputed); a dropped
 * source or definition leaves the stream table in status ERROR instead of failing every pass.
 */
@PostgresTest
class SourceDdlTest {

    private static DaemonService daemon;
    private final TestDatabase db;

    SourceDdlTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void start(TestDatabase db) throws Exception {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
        daemon = DaemonService.start(db::connect, DaemonTest.FAST, null);
        Eventually.await("the daemon to lead", () -> daemon.daemon().role() == Daemon.Role.LEADER);
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    /** A source with a used and an unused column, and a compiled stream table over it. */
    private void source(String table, String streamTable) throws Exception {
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, v int NOT NULL, unused int)");
        db.execute("INSERT INTO " + table + " SELECT g, g, g FROM generate_series(1, 20) g");
        db.execute("SELECT pgtrickle.create_stream_table('" + streamTable + "', $$SELECT id, v FROM " + table
                + " WHERE v % 2 = 0$$, schedule => '1s', refresh_mode => 'DIFFERENTIAL')");
        awaitCompiled(streamTable);
    }

    private void awaitCompiled(String streamTable) throws Exception {
        Eventually.await(streamTable + " to be compiled", () -> "COMPILED".equals(db.queryString(
                "SELECT compile_status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = '" + streamTable + "'")));
    }

    private void awaitRepaired() throws Exception {
        Eventually.await("the daemon to repair the stream tables",
                () -> db.queryLong("SELECT count(*) FROM pgtrickle._source_changes()") == 0);
    }

    private void awaitMatches(String streamTable, String query) throws Exception {
        Eventually.await(streamTable + " to catch up", () -> db.queryLong("SELECT count(*) FROM ((SELECT * FROM ("
                + query + ") q EXCEPT ALL SELECT id, v FROM " + streamTable + ") UNION ALL (SELECT id, v FROM "
                + streamTable + " EXCEPT ALL SELECT * FROM (" + query + ") q)) d") == 0);
        Oracle.assertStreamTableMatchesQuery(db, streamTable, query);
        DifferentialRefreshTest.assertHiddenMultiplicities(db, streamTable);
    }

    private String status(String streamTable) throws SQLException {
        return db.queryString("SELECT status || ': ' || coalesce(last_error, '') FROM pgtrickle.pgt_stream_tables "
                + "WHERE pgt_name = '" + streamTable + "'");
    }

    @Test
    void aRenamedColumnIsFollowed() throws Exception {
        source("ren_col", "ren_col_st");
        db.execute("ALTER TABLE ren_col RENAME COLUMN v TO amount");
        awaitRepaired();
        awaitCompiled("ren_col_st");
        db.execute("INSERT INTO ren_col VALUES (100, 100, 0), (101, 101, 0)");
        db.execute("UPDATE ren_col SET amount = amount + 2 WHERE id <= 4");
        awaitMatches("ren_col_st", "SELECT id, amount AS v FROM ren_col WHERE amount % 2 = 0");
        assertEquals("DIFFERENTIAL", db.queryString(
                "SELECT effective_mode FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'ren_col_st'"));
    }

    @Test
    void aRenamedSourceTableIsFollowed() throws Exception {
        source("ren_table", "ren_table_st");
        db.execute("ALTER TABLE ren_table RENAME TO ren_table_new");
        awaitRepaired();
        db.execute("DELETE FROM ren_table_new WHERE id <= 6");
        awaitMatches("ren_table_st", "SELECT id, v FROM ren_table_new WHERE v % 2 = 0");
    }

    @Test
    void droppedAndRetypedUnusedColumnsRebuildCapture() throws Exception {
        source("unused_col", "unused_col_st");
        db.execute("ALTER TABLE unused_col DROP COLUMN unused");
        awaitRepaired();
        db.execute("INSERT INTO unused_col VALUES (200, 200)");
        db.execute("ALTER TABLE unused_col ADD COLUMN note int");
        db.execute("ALTER TABLE unused_col ALTER COLUMN note TYPE text");
        awaitRepaired();
        db.execute("INSERT INTO unused_col VALUES (202, 202, 'two hundred and two')");
        awaitMatches("unused_col_st", "SELECT id, v FROM unused_col WHERE v % 2 = 0");
    }

    @Test
    void retypingAUsedColumnIsRefusedByPostgres() throws Exception {
        source("retype_used", "retype_used_st");
        SQLException e = assertThrows(SQLException.class,
                () -> db.execute("ALTER TABLE retype_used ALTER COLUMN v TYPE bigint"));
        assertTrue(e.getMessage().contains("cannot alter type of a column used by a view or rule"), e.getMessage());
        assertTrue(e.getMessage().contains("retype_used_st"), e.getMessage());
    }

    @Test
    void aColumnDroppedWithCascadeLeavesTheStreamTableInError() throws Exception {
        source("drop_used", "drop_used_st");
        db.execute("ALTER TABLE drop_used DROP COLUMN v CASCADE");
        Eventually.await("drop_used_st to be in ERROR", () -> status("drop_used_st").startsWith("ERROR"));
        assertTrue(status("drop_used_st").contains("was dropped with a column or object it used"), status("drop_used_st"));
        db.execute("INSERT INTO drop_used VALUES (300)");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables "
                + "st USING (pgt_id) WHERE st.pgt_name = 'drop_used_st' AND h.status = 'FAILED'"));
    }

    @Test
    void aDroppedSourceLeavesTheStreamTableInError() throws Exception {
        source("drop_src", "drop_src_st");
        db.execute("DROP TABLE drop_src CASCADE");
        Eventually.await("drop_src_st to be in ERROR", () -> status("drop_src_st").startsWith("ERROR"));
        assertTrue(status("drop_src_st").contains("source public.drop_src was dropped"), status("drop_src_st"));
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables "
                + "st USING (pgt_id) WHERE st.pgt_name = 'drop_src_st' AND h.status = 'FAILED'"));
        db.execute("SELECT pgtrickle.drop_stream_table('drop_src_st')");
    }

    @Test
    void anAttachedPartitionIsCapturedAndItsRowsCount() throws Exception {
        db.execute("CREATE TABLE parted (id int NOT NULL, v int NOT NULL) PARTITION BY RANGE (id)");
        db.execute("CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100)");
        db.execute("INSERT INTO parted SELECT g, g FROM generate_series(1, 50) g");
        db.execute("SELECT pgtrickle.create_stream_table('parted_st', $$SELECT id, v FROM parted WHERE v % 2 = 0$$, "
                + "schedule => '1s', refresh_mode => 'DIFFERENTIAL')");
        awaitCompiled("parted_st");
        db.execute("CREATE TABLE parted_2 (id int NOT NULL, v int NOT NULL)");
        db.execute("INSERT INTO parted_2 SELECT g, g FROM generate_series(100, 120) g");
        db.execute("ALTER TABLE parted ATTACH PARTITION parted_2 FOR VALUES FROM (100) TO (200)");
        awaitRepaired();
        db.execute("INSERT INTO parted_2 VALUES (150, 150)");
        awaitMatches("parted_st", "SELECT id, v FROM parted WHERE v % 2 = 0");
    }
}
