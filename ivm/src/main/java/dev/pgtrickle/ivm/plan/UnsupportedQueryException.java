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

    /** An operator maintained only as the top of a defining query met below it. */
    public static UnsupportedQueryException onlyAtTop(String operator) {
        return new UnsupportedQueryException(operator,
                operator + " is only supported at the top of the defining query, not inside a subquery or UNION ALL");
    }

    public String construct() {
        return construct;
    }
}
