package io.portacr.capture;

/**
 * The capture could not produce an image. The message is one line naming the cause
 * (for an uncarriable object: the reference path from a root to it). When this is
 * thrown the temporary image file has already been discarded and the application
 * may continue.
 */
public final class CaptureFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    public CaptureFailedException(String oneLine) {
        super(oneLine);
    }

    CaptureFailedException(String oneLine, Throwable cause) {
        super(oneLine, cause);
    }
}
