package dev.pgtrickle.it;

import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;

/** What test classes that share one database between their tests remove after each. */
final class Teardown {

    private Teardown() {
    }

    /**
     * Drops every stream table, the newest first: a stream table reads only tables that existed
     * when it was created (no test here alters a query to read a newer one), so each goes before
     * the stream tables it reads, which refuse to be dropped while read. In the catalog's physical
     * order, which every refresh changes, a dependent could come second.
     */
    static void dropStreamTables(TestDatabase db) throws SQLException {
        db.execute("DO $$DECLARE v_name name; BEGIN"
                + " FOR v_name IN SELECT pgt_name FROM pgtrickle.pgt_stream_tables ORDER BY pgt_id DESC LOOP"
                + " PERFORM pgtrickle.drop_stream_table(v_name); END LOOP; END$$");
    }
}
