package dev.pgtrickle.cli;

/** A runtime failure whose message is meant for the user as is (exit code 1, no stack trace). */
public final class CliException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CliException(String message) {
        super(message);
    }
}
