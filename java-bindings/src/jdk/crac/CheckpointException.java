package jdk.crac;

/**
 * The checkpoint was not taken. Every failure (each exception thrown by a
 * resource's {@code beforeCheckpoint}, or the reason the image could not be
 * written) is one of its {@linkplain #getSuppressed() suppressed exceptions}.
 * The application continues in the original process; {@code afterRestore}
 * has already been called on the resources.
 */
public class CheckpointException extends ExceptionBase {
    private static final long serialVersionUID = 6859967688386143096L;

    /** Creates an exception with no failures yet. */
    public CheckpointException() {
        super();
    }

    /**
     * Creates an exception with a one-line summary of why no checkpoint was
     * taken (portacr addition; CRaC's exception has no message).
     *
     * @param message the summary
     */
    public CheckpointException(String message) {
        super(message);
    }

    /**
     * Creates an exception holding the given failures.
     *
     * @param nested the failures, may be null
     */
    public CheckpointException(Throwable[] nested) {
        super(nested);
    }
}
