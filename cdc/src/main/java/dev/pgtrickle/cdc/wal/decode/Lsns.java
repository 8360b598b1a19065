package dev.pgtrickle.cdc.wal.decode;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * PostgreSQL's text form of an LSN: two hexadecimal 32-bit halves, "16/B374D848".
 *
 * <p>pgjdbc's {@code LogSequenceNumber} formats the same way but parses malformed text as 0/0,
 * which could confirm a slot to the wrong place; this parser rejects it.
 */
public final class Lsns {

    private static final Pattern TEXT = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");

    private Lsns() {
    }

    public static String format(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase(Locale.ROOT) + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException unless {@code text} is two 1–8 digit hex numbers around a '/' */
    public static long parse(String text) {
        if (text == null || !TEXT.matcher(text).matches()) {
            throw new IllegalArgumentException("Not an LSN (expected e.g. 16/B374D848): " + text);
        }
        int slash = text.indexOf('/');
        return Long.parseLong(text.substring(0, slash), 16) << 32 | Long.parseLong(text.substring(slash + 1), 16);
    }
}
