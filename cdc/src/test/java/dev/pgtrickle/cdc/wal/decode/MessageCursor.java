package dev.pgtrickle.cdc.wal.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

/** Walks a decoded message stream in order, asserting each message as it goes. */
final class MessageCursor {

    /** 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix seconds. */
    private static final long PG_EPOCH_SECONDS = 946_684_800L;

    private final List<PgOutputMessage> messages;
    private final Instant earliest;
    private final Instant latest;
    private int next;
    private Begin begin;

    MessageCursor(List<PgOutputMessage> messages, Instant earliest, Instant latest) {
        this.messages = messages;
        this.earliest = earliest;
        this.latest = latest;
    }

    /** A Begin of the transaction whose full xid was {@code fullXid}, committed during the test. */
    Begin begin(long fullXid) {
        begin = take(Begin.class);
        assertEquals((int) fullXid, begin.xid(), "xid of " + begin);
        Instant committed = instant(begin.commitTimeMicros());
        assertTrue(!committed.isBefore(earliest) && !committed.isAfter(latest), committed + " outside the test run");
        return begin;
    }

    void expect(PgOutputMessage expected) {
        assertEquals(expected, take(PgOutputMessage.class));
    }

    <T extends PgOutputMessage> T take(Class<T> type) {
        assertTrue(next < messages.size(), "stream ended, expected a " + type.getSimpleName());
        PgOutputMessage message = messages.get(next++);
        return assertInstanceOf(type, message, "message " + (next - 1));
    }

    /** The Commit matching the last Begin. */
    Commit commit() {
        Commit commit = take(Commit.class);
        assertEquals(0, commit.flags());
        assertEquals(begin.finalLsn(), commit.commitLsn(), "commit LSN");
        assertTrue(Long.compareUnsigned(commit.endLsn(), commit.commitLsn()) > 0, "end LSN past commit LSN");
        assertEquals(begin.commitTimeMicros(), commit.commitTimeMicros(), "commit time");
        return commit;
    }

    void end() {
        assertEquals(messages.size(), next, "unexpected messages: " + messages.subList(next, messages.size()));
    }

    private static Instant instant(long pgMicros) {
        return Instant.ofEpochSecond(PG_EPOCH_SECONDS).plusNanos(pgMicros * 1_000L);
    }
}
