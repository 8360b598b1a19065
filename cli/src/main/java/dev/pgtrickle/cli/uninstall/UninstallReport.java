package dev.pgtrickle.cli.uninstall;

import dev.pgtrickle.cli.uninstall.Installation.Owned;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * What uninstall prints: a heading, then one indented section per kind of object (empty ones
 * left out), the same for what it would remove and for what it removed.
 */
final class UninstallReport {

    private final PrintWriter out;

    UninstallReport(PrintWriter out) {
        this.out = out;
    }

    void line(String text) {
        out.println(text);
        out.flush();
    }

    /** The database objects; the replication slot and the journals are reported on their own. */
    void databaseObjects(Installation found, boolean keepData) {
        section(keepData
                        ? "stream tables, kept as plain tables with their rows (hidden __pgt_ columns and pgtrickle's"
                                + " constraints and triggers removed):"
                        : "stream tables, dropped with their data:",
                found.streamTables().stream().map(Owned::name).toList());
        section("capture triggers:", found.captureTriggers().stream()
                .map(table -> table.table().name() + ": " + String.join(", ", table.triggers())).toList());
        section("change buffers and kept states:", found.changeBuffers());
        section("publications:", found.publications().stream().map(Owned::name).toList());
        section("schemas, with everything in them (catalog, SQL API, definition views, capture functions):",
                found.schemas().stream().map(Owned::name).toList());
    }

    void slot(String slot) {
        section("replication slot:", slot == null ? List.of() : List.of(slot));
    }

    void journals(List<JournalDirectory> journals) {
        section("journal directories:", journals.stream().map(JournalDirectory::describe).toList());
    }

    /** What stays although it came with pgtrickle, and why. */
    void leftInPlace(Installation found, List<JournalDirectory> journals) {
        List<String> left = new ArrayList<>();
        for (String table : found.replicaIdentityFull()) {
            left.add("REPLICA IDENTITY FULL of table " + table + " (pgtrickle does not record the setting it had"
                    + " before WAL capture)");
        }
        journals.forEach(journal -> left.add(journal.whyLeft()));
        list("left in place:", left);
    }

    void obstacles(Obstacles obstacles) {
        list("in the way of uninstall --yes:", obstacles.all());
    }

    private void list(String heading, List<String> items) {
        if (!items.isEmpty()) {
            line(heading);
            items.forEach(item -> line("  " + item));
        }
    }

    private void section(String title, List<String> items) {
        if (!items.isEmpty()) {
            line("  " + title);
            items.forEach(item -> line("    " + item));
        }
    }
}
