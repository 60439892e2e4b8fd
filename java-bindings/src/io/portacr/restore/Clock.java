package io.portacr.restore;

/**
 * The program's {@code System.nanoTime()} in a restored JVM (spec/restore.md §5).
 *
 * <p>While a restore is open and for the rest of the process, the agent's class-load hook
 * points every {@code System.nanoTime()} reference of an <b>application</b> class (calls and
 * {@code System::nanoTime} method references) at {@link #nanoTime()}
 * ({@code portacr_classfile::rewrite::redirect_static_calls}). It returns this JVM's clock plus
 * {@link RestoredProcess#nanoTimeOffset()}, so the first value the resumed program reads is at
 * least the one it read before its checkpoint, and the clock keeps running from there.
 *
 * <p>Only the program's classes are redirected: JDK code (timeouts, {@code Thread.sleep},
 * {@code ScheduledExecutorService}, {@code System.nanoTime()} called through reflection or a
 * method handle made by {@code findStatic}) sees the raw clock of this process. A value the
 * program passes to the JDK as a deadline computed from its own clock (rare: the JDK's APIs
 * take durations) would be off by the offset.
 *
 * <p>A checkpoint of a restored program records the program's clock
 * ({@code io.portacr.capture.ProcessFacts} adds {@link #offset()}), so the next restore continues
 * from it and generation 2 stays monotonic too.
 */
public final class Clock {
    private Clock() {}

    /** Added to the raw clock; 0 until a restore has read the image's PLATFORM section. */
    private static volatile long offset;

    /** {@code System.nanoTime()} as the restored program sees it. */
    public static long nanoTime() {
        return System.nanoTime() + offset;
    }

    /** What {@link #nanoTime()} adds to this JVM's {@code System.nanoTime()}. */
    public static long offset() {
        return offset;
    }

    /** Set once by the restore when it has read the checkpoint's clock (and by tests). */
    static void setOffset(long nanos) {
        offset = nanos;
    }
}
