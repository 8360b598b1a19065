package dev.pgtrickle.ivm.plan;

/**
 * The defining query uses a construct outside the set that can be refreshed differentially.
 *
 * @see #construct()
 */
public final class UnsupportedQueryException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String construct;

    /**
     * @param construct the construct itself, as it appears in the query (e.g. {@code LEFT JOIN},
     *     {@code min(x)}, {@code ORDER BY ... LIMIT 10})
     * @param reason why it is not supported, for users
     */
    public UnsupportedQueryException(String construct, String reason) {
        super(construct + ": " + reason);
        this.construct = construct;
    }

    public String construct() {
        return construct;
    }
}
