package dev.pgtrickle.cli.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TextTableTest {

    @Test
    void alignsColumnsToTheWidestCell() {
        String table = new TextTable("NAME", "STATUS", "ERRORS")
                .addRow("public.orders_by_day", "ACTIVE", "0")
                .addRow("x", "SUSPENDED", "12")
                .render();
        assertEquals(""
                + "NAME                  STATUS     ERRORS\n"
                + "public.orders_by_day  ACTIVE     0\n"
                + "x                     SUSPENDED  12\n", table);
    }

    @Test
    void showsNullAsEmptyWithoutTrailingSpaces() {
        String table = new TextTable("A", "B", "C").addRow("1", null, null).render();
        assertEquals("A  B  C\n1\n", table);
    }

    @Test
    void keepsMultiLineValuesOnOneLine() {
        String table = new TextTable("NAME", "LAST ERROR")
                .addRow("t", "division by zero\n  CONTEXT: SQL function\r\nline 2")
                .render();
        assertEquals("NAME  LAST ERROR\nt     division by zero CONTEXT: SQL function line 2\n", table);
    }

    @Test
    void measuresCodePointsNotChars() {
        String table = new TextTable("X", "Y").addRow("\uD83D\uDE00", "a").addRow("bb", "b").render();
        assertEquals("X   Y\n\uD83D\uDE00   a\nbb  b\n", table);
    }

    @Test
    void rejectsRowsOfTheWrongWidth() {
        assertThrows(IllegalArgumentException.class, () -> new TextTable("A", "B").addRow("1"));
    }
}
