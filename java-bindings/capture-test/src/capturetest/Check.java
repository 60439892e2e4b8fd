package capturetest;

/** Assertions that count and fail the run loudly. */
final class Check {
    private Check() {}

    static int passed;

    static void that(boolean condition, String what) {
        if (!condition) throw new AssertionError("FAILED: " + what);
        passed++;
    }

    static void equal(Object expected, Object actual, String what) {
        if (!java.util.Objects.equals(expected, actual)) {
            throw new AssertionError("FAILED: " + what + ": expected <" + expected + "> but was <" + actual + ">");
        }
        passed++;
    }
}
