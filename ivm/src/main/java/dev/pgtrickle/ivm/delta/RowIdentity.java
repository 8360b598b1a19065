package dev.pgtrickle.ivm.delta;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Row identities (I5): SHA-256 of the binary send form of the canonicalized values, so values
 * equal by their type's equality (numeric 1.0 = 1.00) share an identity and independent rows
 * collide with negligible probability (256 bits, where 64-bit hashes collided in practice).
 */
public final class RowIdentity {

    /** Identity of the single row of an aggregate without GROUP BY. */
    public static final String CONSTANT = "'\\x00'::bytea";

    private RowIdentity() {
    }

    /** Identity of a row with the given values (SQL expressions); {@link #CONSTANT} for none. */
    public static String of(List<String> expressions) {
        if (expressions.isEmpty()) {
            return CONSTANT;
        }
        return expressions.stream()
                .map(expression -> "pgtrickle._canon(" + expression + ")")
                .collect(Collectors.joining(", ",
                        "pg_catalog.sha256(pg_catalog.record_send(ROW(", ")))"));
    }
}
