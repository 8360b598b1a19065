package dev.pgtrickle.ivm.compile;

/**
 * What compiling one stream table did.
 *
 * @param name the stream table
 * @param outcome what happened
 * @param detail the strategy when compiled, the reason otherwise
 */
public record CompileResult(String name, Outcome outcome, String detail) {

    public enum Outcome {
        /** A differential plan was installed and the contents recomputed. */
        COMPILED,
        /** The query cannot be refreshed differentially; it is refreshed FULL (AUTO) and says why. */
        UNSUPPORTED,
        /**
         * The query cannot be refreshed differentially although DIFFERENTIAL was asked for: the
         * stream table is in status ERROR until its mode or query changes.
         */
        REFUSED,
        /** Nothing to compile: refresh mode FULL, or volatile functions. */
        NOT_NEEDED
    }

    public String describe() {
        return switch (outcome) {
            case COMPILED -> name + ": compiled (" + detail + ")";
            case UNSUPPORTED -> name + ": refreshed FULL, not differentiable: " + detail;
            case REFUSED -> name + ": cannot be refreshed DIFFERENTIAL: " + detail
                    + " (status ERROR until its refresh mode is AUTO or FULL, or its query changes)";
            case NOT_NEEDED -> name + ": nothing to compile (" + detail + ")";
        };
    }
}
