package dev.pgtrickle.cli.output;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A plain text table: left-aligned columns separated by two spaces, NULL shown as empty. */
public final class TextTable {

    private static final String GAP = "  ";

    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    public TextTable(String... headers) {
        this.headers = List.of(headers);
    }

    public TextTable addRow(String... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("expected " + headers.size() + " cells, got " + cells.length);
        }
        List<String> row = new ArrayList<>(cells.length);
        for (String cell : cells) {
            row.add(clean(cell));
        }
        rows.add(row);
        return this;
    }

    /** The table, one line per row after the header line, each ending with a newline. */
    public String render() {
        int[] widths = new int[headers.size()];
        measure(headers, widths);
        rows.forEach(row -> measure(row, widths));
        StringBuilder out = new StringBuilder();
        line(out, headers, widths);
        rows.forEach(row -> line(out, row, widths));
        return out.toString();
    }

    /** A cell is one line: a multi-line value (an error text, say) would break the columns. */
    private static String clean(String cell) {
        return cell == null ? "" : cell.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    private static void measure(List<String> cells, int[] widths) {
        for (int i = 0; i < widths.length; i++) {
            widths[i] = Math.max(widths[i], width(cells.get(i)));
        }
    }

    private static void line(StringBuilder out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < widths.length; i++) {
            String cell = cells.get(i);
            line.append(cell);
            if (i < widths.length - 1) {
                char[] pad = new char[widths[i] - width(cell)];
                Arrays.fill(pad, ' ');
                line.append(pad).append(GAP);
            }
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    private static int width(String cell) {
        return cell.codePointCount(0, cell.length());
    }
}
