package io.portacr.restore;

/** The restore cannot go on; the message is one line, printed as {@code portacr: error: <message>}. */
public final class RestoreFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    public RestoreFailedException(String message) {
        super(message.replace('\n', ' '));
    }
}
