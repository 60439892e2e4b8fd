package io.portacr.capture;

import java.util.List;

/**
 * PLACEHOLDER written by the orchestrator's engineer so that
 * {@code io.portacr.Checkpoints} compiles before the capture exists. The
 * capture engineer's version replaces this file entirely.
 */
public final class ImageCapture {
    private ImageCapture() {
    }

    /**
     * Captures the heap, classes, statics and the calling thread's stack;
     * returns the image directory.
     *
     * @param resourcesInRegistrationOrder the global context's resources
     * @return the image directory
     * @throws CaptureFailedException always, in this placeholder
     */
    public static String checkpoint(List<?> resourcesInRegistrationOrder) throws CaptureFailedException {
        throw new CaptureFailedException("capture not built");
    }
}
