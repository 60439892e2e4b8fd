package jdk.crac;

/**
 * One or more resources failed in {@code afterRestore}. Every failure is one
 * of its {@linkplain #getSuppressed() suppressed exceptions}. The checkpoint
 * itself succeeded (or, with portacr's {@code keepRunning=true}, the image was
 * written) and every resource has been notified.
 */
public class RestoreException extends ExceptionBase {
    private static final long serialVersionUID = 5235110069347569896L;

    /** Creates an exception with no failures yet. */
    public RestoreException() {
        super();
    }

    /**
     * Creates an exception with a one-line summary (portacr addition; CRaC's
     * exception has no message).
     *
     * @param message the summary
     */
    public RestoreException(String message) {
        super(message);
    }

    /**
     * Creates an exception holding the given failures.
     *
     * @param nested the failures, may be null
     */
    public RestoreException(Throwable[] nested) {
        super(nested);
    }
}
