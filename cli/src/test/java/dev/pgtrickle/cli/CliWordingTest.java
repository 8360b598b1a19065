package dev.pgtrickle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CliWordingTest {

    @Test
    void speaksOfFlagsAndCommandsInsteadOfSqlArguments() {
        assertEquals("Use --refresh-mode AUTO (falls back to FULL) or FULL.",
                CliWording.of("Use refresh_mode => 'AUTO' (falls back to FULL) or 'FULL'."));
        assertEquals("Use pgtrickle alter NAME --refresh-mode AUTO (falls back to FULL) or FULL.",
                CliWording.of("Use alter_stream_table(refresh_mode => 'AUTO') (falls back to FULL) or 'FULL'."));
        assertEquals("Drop them first, or use --cascade to drop them too.",
                CliWording.of("Drop them first, or use cascade => true to drop them too."));
        assertEquals("Use pgtrickle create --or-replace or pgtrickle alter to change it.",
                CliWording.of("Use create_or_replace_stream_table() or alter_stream_table() to change it."));
        assertEquals("Names without a schema refer to schema public; pgtrickle status lists the stream tables.",
                CliWording.of("Names without a schema refer to schema public; pgtrickle.pgt_status() lists the stream tables."));
    }

    @Test
    void leavesOtherTextAlone() {
        String text = "relation \"public.x\" does not exist (it's 'quoted')";
        assertEquals(text, CliWording.of(text));
    }
}
