package dev.pgtrickle.cdc.load;

/**
 * The journal's changes of a source no longer fit its change buffer (a captured column was
 * dropped or renamed): nothing can be loaded until the capture is rebuilt, which the daemon's
 * source repair does on its own.
 */
public final class StaleCaptureException extends RuntimeException {

    public StaleCaptureException(String message) {
        super(message);
    }
}
