package io.portacr.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * State of the test doubles of {@code io.portacr.Native} and
 * {@code io.portacr.capture.ImageCapture} (java-bindings/test/support), which
 * stand in for the agent when the semantics tests run without it. Initial
 * values come from system properties {@code portacr.fake.configured},
 * {@code portacr.fake.keepRunning}, {@code portacr.fake.generation},
 * {@code portacr.fake.restoreTime}; tests change them at run time.
 */
public final class Fake {
    private Fake() {
    }

    public static volatile boolean configured;
    public static volatile boolean keepRunning;
    public static volatile int generation;
    public static volatile long restoreTimeMillis;
    public static final long BOOT_TIME_MILLIS = System.currentTimeMillis();

    /** When non-null, the next capture fails with this message (then it is cleared). */
    public static volatile String failNextCapture;
    /** How long a capture takes, so that overlapping callers would be seen. */
    public static volatile long captureMillis;

    private static final Object LOCK = new Object();
    private static int captures;
    private static int capturesRunning;
    private static int maxCapturesRunning;
    private static List<Object> lastResources = List.of();
    private static final List<String> log = new ArrayList<>();

    static {
        reset();
    }

    /** Back to the configuration given by the system properties; counters cleared. */
    public static void reset() {
        configured = Boolean.parseBoolean(System.getProperty("portacr.fake.configured", "true"));
        keepRunning = Boolean.parseBoolean(System.getProperty("portacr.fake.keepRunning", "true"));
        generation = Integer.getInteger("portacr.fake.generation", 1);
        restoreTimeMillis = Long.getLong("portacr.fake.restoreTime", BOOT_TIME_MILLIS);
        failNextCapture = null;
        captureMillis = 0;
        synchronized (LOCK) {
            captures = 0;
            capturesRunning = 0;
            maxCapturesRunning = 0;
            lastResources = List.of();
            log.clear();
        }
    }

    /** Called by the fake capture when it starts. */
    public static void captureStarted(List<?> resources) {
        synchronized (LOCK) {
            captures++;
            capturesRunning++;
            maxCapturesRunning = Math.max(maxCapturesRunning, capturesRunning);
            lastResources = new ArrayList<>(resources);
        }
    }

    /** Called by the fake capture when it ends, successfully or not. */
    public static void captureEnded() {
        synchronized (LOCK) {
            capturesRunning--;
        }
    }

    public static int captures() {
        synchronized (LOCK) {
            return captures;
        }
    }

    public static int maxCapturesRunning() {
        synchronized (LOCK) {
            return maxCapturesRunning;
        }
    }

    /** The resources the last capture was given. */
    public static List<Object> lastResources() {
        synchronized (LOCK) {
            return lastResources;
        }
    }

    /** Lines given to {@code Native.log}, as "level message". */
    public static List<String> log() {
        synchronized (LOCK) {
            return new ArrayList<>(log);
        }
    }

    /** Called by the fake {@code Native.log}. */
    public static void logLine(int level, String message) {
        synchronized (LOCK) {
            log.add(level + " " + message);
        }
    }
}
