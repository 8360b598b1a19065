package dev.pgtrickle.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.cli.FunctionCall;
import dev.pgtrickle.cli.PgTrickleCommand;
import org.junit.jupiter.api.Test;

/** Which SQL function each command calls, and with which named arguments. */
class SqlCallsTest {

    private static <T> T parse(Class<T> type, String... args) {
        return type.cast(PgTrickleCommand.newCommandLine().parseArgs(args).subcommand().commandSpec().userObject());
    }

    @Test
    void createPassesOnlyNameAndQueryByDefault() {
        FunctionCall call = parse(CreateCommand.class, "create", "t", "SELECT 1").functionCall();
        assertEquals("SELECT pgtrickle.create_stream_table(name => ?, query => ?)", call.sql());
    }

    @Test
    void createPassesEveryOptionGiven() {
        FunctionCall call = parse(CreateCommand.class, "create", "t", "SELECT 1", "--schedule", "5s",
                "--refresh-mode", "differential", "--no-initialize", "--append-only", "--cdc-mode", "wal")
                .functionCall();
        assertEquals("SELECT pgtrickle.create_stream_table(name => ?, query => ?, schedule => ?,"
                + " refresh_mode => ?, initialize => ?, append_only => ?, cdc_mode => ?)", call.sql());
    }

    @Test
    void createVariants() {
        assertEquals("SELECT pgtrickle.create_stream_table_if_not_exists(name => ?, query => ?)",
                parse(CreateCommand.class, "create", "t", "SELECT 1", "--if-not-exists").functionCall().sql());
        assertEquals("SELECT pgtrickle.create_or_replace_stream_table(name => ?, query => ?)",
                parse(CreateCommand.class, "create", "t", "SELECT 1", "--or-replace").functionCall().sql());
    }

    @Test
    void alterPassesOnlyWhatChanges() {
        FunctionCall call = parse(AlterCommand.class, "alter", "t", "--tier", "COLD", "--status", "suspended")
                .functionCall();
        assertEquals("SELECT pgtrickle.alter_stream_table(name => ?, status => ?, tier => ?)", call.sql());
    }
}
