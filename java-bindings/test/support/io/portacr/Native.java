package io.portacr;

import io.portacr.testing.Fake;

/**
 * Test double of the agent's natives (spec/contracts.md §9), pure Java, for
 * running the jdk.crac semantics tests without the agent. Put first on
 * {@code -Xbootclasspath/a:}. Only the configuration queries and the log are
 * meaningful; the capture-side methods throw {@link IllegalStateException}
 * (the fake capture does not use them).
 */
public final class Native {
    private Native() {
    }

    public static boolean isConfigured() {
        return Fake.configured;
    }

    public static boolean keepRunning() {
        return Fake.keepRunning;
    }

    public static int generation() {
        return Fake.generation;
    }

    public static long bootTimeMillis() {
        return Fake.BOOT_TIME_MILLIS;
    }

    public static long restoreTimeMillis() {
        return Fake.restoreTimeMillis;
    }

    public static long cpuFeatures() {
        return 0;
    }

    public static String stringTableDump() {
        return null;
    }

    public static String randomUuid() {
        return java.util.UUID.randomUUID().toString();
    }

    public static void log(int level, String message) {
        Fake.logLine(level, message);
    }

    public static String otherThreadsError() {
        throw fake();
    }

    public static void rematerializeFrames() {
        throw fake();
    }

    public static Class<?>[] loadedClasses() {
        throw fake();
    }

    public static Object[] declaredFields(Class<?> c) {
        throw fake();
    }

    public static int classStatus(Class<?> c) {
        throw fake();
    }

    public static int classModifiers(Class<?> c) {
        throw fake();
    }

    public static byte[] classDigest(Class<?> c) {
        throw fake();
    }

    public static String frameTypes(Class<?> c, String methodName, String methodDescriptor, int bci) {
        throw fake();
    }

    public static String begin(long checkpointTimeMillis, String uuid, long maxHeapBytes) {
        throw fake();
    }

    public static void sectionBegin(int kind) {
        throw fake();
    }

    public static void sectionWrite(byte[] buf, int off, int len) {
        throw fake();
    }

    public static void sectionEnd() {
        throw fake();
    }

    public static String commit() {
        throw fake();
    }

    public static void abort() {
    }

    public static String restoreFrom() {
        return null;
    }

    public static java.nio.ByteBuffer restoreSection(int kind) {
        throw fake();
    }

    public static String restoreClassProblems() {
        throw fake();
    }

    public static void restoreFinished() {
        throw fake();
    }

    private static IllegalStateException fake() {
        return new IllegalStateException("fake io.portacr.Native: not available in the semantics tests");
    }
}
