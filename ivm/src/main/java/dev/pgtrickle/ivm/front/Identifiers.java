package dev.pgtrickle.ivm.front;

import java.util.Locale;

/** The name an identifier spelled in SQL text denotes. */
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
}
