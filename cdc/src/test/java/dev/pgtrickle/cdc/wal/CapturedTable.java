package dev.pgtrickle.cdc.wal;

import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A test table in the database's publication, with the slot created: what the decoder tests
 * decode. Closing drops the slot (it would hold WAL back) and the publication.
 */
final class CapturedTable implements AutoCloseable {

    final TestDatabase db;
    final PublicationAndSlot names;
    final long oid;

    private CapturedTable(TestDatabase db, PublicationAndSlot names, long oid) {
        this.db = db;
        this.names = names;
        this.oid = oid;
    }

    /** Creates {@code table} with {@code columns}, REPLICA IDENTITY FULL, in the publication. */
    static CapturedTable create(TestDatabase db, String table, String columns) throws SQLException {
        db.execute("CREATE TABLE " + table + " (" + columns + ")");
        db.execute("ALTER TABLE " + table + " REPLICA IDENTITY FULL");
        long oid = db.queryLong("SELECT '" + table + "'::regclass::oid");
        try (Connection c = db.connect()) {
            PublicationAndSlot names = PublicationAndSlot.of(c);
            names.ensure(c);
            names.addTable(c, oid);
            return new CapturedTable(db, names, oid);
        }
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = db.connect()) {
            names.drop(c);
        }
    }
}
