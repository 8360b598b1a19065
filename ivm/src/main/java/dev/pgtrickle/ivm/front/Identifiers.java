package dev.pgtrickle.ivm.front;

import java.util.Locale;

/** Identifiers as spelled in SQL text versus the names they denote. */
final class Identifiers {

    private Identifiers() {
    }

    /** The name an identifier denotes: quotes removed, or folded to lower case like PostgreSQL does. */
    static String unquote(String spelled) {
        if (spelled.length() >= 2 && spelled.startsWith("\"") && spelled.endsWith("\"")) {
            return spelled.substring(1, spelled.length() - 1).replace("\"\"", "\"");
        }
        return spelled.toLowerCase(Locale.ROOT);
    }

    /** Spells a name as a quoted identifier, valid whatever the name. */
    static String quote(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }
}
