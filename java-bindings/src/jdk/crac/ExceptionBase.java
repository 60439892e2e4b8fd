package jdk.crac;

/**
 * Common base of {@link CheckpointException} and {@link RestoreException}:
 * an aggregate of every failure of one checkpoint or restore.
 *
 * <p>The failures are the exception's {@linkplain #getSuppressed() suppressed
 * exceptions}, as in the first CRaC releases (JDK 17), which is also what the
 * {@code org.crac} facade reads. Later CRaC releases call them "nested
 * exceptions"; {@link #getNestedExceptions()} and
 * {@link #addNestedException(Throwable)} are the same list under that name, so
 * code written against either API works.
 */
public abstract class ExceptionBase extends Exception {
    private static final long serialVersionUID = 1L;

    ExceptionBase() {
        super();
    }

    ExceptionBase(String message) {
        super(message);
    }

    ExceptionBase(Throwable[] nested) {
        super();
        if (nested != null) {
            for (Throwable t : nested) {
                addSuppressed(t);
            }
        }
    }

    /**
     * Adds a failure to this aggregate; the same as {@link #addSuppressed(Throwable)}.
     *
     * @param throwable the failure
     */
    public void addNestedException(Throwable throwable) {
        addSuppressed(throwable);
    }

    /**
     * The failures collected in this aggregate; the same as {@link #getSuppressed()}.
     *
     * @return a new array, possibly empty
     */
    public Throwable[] getNestedExceptions() {
        return getSuppressed();
    }
}
