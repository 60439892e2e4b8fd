package io.portacr.capture;

import java.util.List;

import io.portacr.testing.Fake;

/**
 * Test double of the capture: records the call, optionally takes time or
 * fails, writes nothing.
 */
public final class ImageCapture {
    private ImageCapture() {
    }

    public static String checkpoint(List<?> resourcesInRegistrationOrder) throws CaptureFailedException {
        Fake.captureStarted(resourcesInRegistrationOrder);
        try {
            long millis = Fake.captureMillis;
            if (millis > 0) {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            String failure = Fake.failNextCapture;
            if (failure != null) {
                Fake.failNextCapture = null;
                throw new CaptureFailedException(failure);
            }
            return "/fake/image";
        } finally {
            Fake.captureEnded();
        }
    }
}
