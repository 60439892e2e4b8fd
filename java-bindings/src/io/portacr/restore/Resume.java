package io.portacr.restore;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The runtime side of resume prologues and replaced static initializers.
 *
 * <p>At restore, every method that has a frame in the image is rewritten
 * (crates/portacr-classfile, {@code rewrite::add_resume_prologues}) so that it
 * starts by calling {@link #point(int)} with its method token. When the call is
 * the resumption of a saved frame, {@code point} returns the index of the
 * frame's resume point and the prologue then takes the frame's values from this
 * class, in this order: one value per local slot that is not unused (a long or
 * double is one value; {@code uninitializedThis} takes none), one
 * {@link #a()} per monitor the frame held, one value per operand below the
 * pending call's arguments (bottom first), and one {@link #a()} for the pending
 * call's receiver when it has one. Slots holding {@code uninitializedThis} or
 * an object under construction ({@code new X(a, f())} waiting in {@code f})
 * take nothing: the prologue uses {@code this} as it is and allocates a fresh
 * object. Primitive values ({@link #i()},
 * {@link #j()}, {@link #f()}, {@link #d()}) and references ({@link #a()}) are
 * read from two separate lists, each in that order.
 *
 * <p>The restore code (another part of {@code io.portacr}) installs the frames
 * of the calling thread with {@link #begin(Frame[])}, bottom frame first, calls
 * the bottom frame's method, and each prologue re-makes the call of the next
 * frame. A call whose method token is not the next frame's is a normal call
 * ({@code point} returns -1), so code run between two resumptions (class
 * loading, for example) is not disturbed.
 *
 * <p>A class that was initialized at checkpoint gets a {@code <clinit>} that
 * only calls {@link #statics(Class)}; the restore code sets the static fields
 * from the image in the handler it installs with {@link #setStaticsHandler}.
 *
 * <p>This class is on the boot class path (the agent appends the runtime jar),
 * so the prologues of application classes resolve it through any loader.
 */
public final class Resume {
    private Resume() {}

    /** One frame to resume: its method's token, its point, its values. */
    public static final class Frame {
        final int token;
        final int point;
        final long[] primitives;
        final Object[] references;

        /**
         * @param token {@link #token} of the frame's method
         * @param point index of the frame's resume point among its method's points
         * @param primitives int and float as their 32-bit patterns (float: raw bits),
         *     long, double (raw bits), in prologue order
         * @param references references in prologue order
         */
        public Frame(int token, int point, long[] primitives, Object[] references) {
            this.token = token;
            this.point = point;
            this.primitives = primitives.clone();
            this.references = references.clone();
        }
    }

    /** The resumption under way on one thread. */
    private static final class Resumption {
        final Frame[] frames;
        int nextFrame;
        Frame current;
        int nextPrimitive;
        int nextReference;

        Resumption(Frame[] frames) {
            this.frames = frames;
        }
    }

    private static final ThreadLocal<Resumption> RESUMPTION = new ThreadLocal<>();
    /**
     * Threads with a resumption under way; lets normal calls skip the ThreadLocal. Most
     * classes keep their prologues after the restore (spec/restore.md §7.3), so this check is
     * what every later call of a rewritten method pays: a plain field, not a volatile one, so
     * that the JIT may hoist it out of a loop into which it inlined such a method (on aarch64
     * a volatile read is a load-acquire too). A stale read is harmless: only the thread that
     * called {@link #begin} has a resumption, and it sees its own write; another thread that
     * still sees a stale non-zero value only looks at its ThreadLocal and finds nothing.
     */
    private static int active;
    private static volatile Consumer<Class<?>> staticsHandler;

    /**
     * The method token the rewriter gives a method: FNV-1a (32 bit) of the UTF-8
     * bytes of {@code className + "." + methodName + descriptor}, top bit cleared,
     * where {@code className} is the internal name ({@code demo/Main$Inner}).
     * Must stay equal to {@code portacr_classfile::method_token}.
     */
    public static int token(String className, String methodName, String descriptor) {
        int hash = 0x811C9DC5;
        byte[] key = (className + "." + methodName + descriptor).getBytes(StandardCharsets.UTF_8);
        for (byte b : key) {
            hash ^= b & 0xFF;
            hash *= 0x01000193;
        }
        return hash & 0x7FFFFFFF;
    }

    /**
     * Installs the frames the calling thread is to resume, bottom (outermost)
     * first. The caller then calls the bottom frame's method and must call
     * {@link #finish()} afterwards (in a {@code finally}), also when it throws.
     */
    public static void begin(Frame[] frames) {
        if (RESUMPTION.get() != null) {
            throw new IllegalStateException("a resumption is already under way on this thread");
        }
        RESUMPTION.set(new Resumption(frames.clone()));
        synchronized (Resume.class) {
            active++;
        }
    }

    /**
     * Ends the calling thread's resumption. Returns null when every frame was
     * resumed and every value taken, else one line saying what was left.
     */
    public static String finish() {
        Resumption r = RESUMPTION.get();
        if (r == null) {
            return "no resumption under way on this thread";
        }
        RESUMPTION.remove();
        synchronized (Resume.class) {
            active--;
        }
        if (r.nextFrame < r.frames.length) {
            return (r.frames.length - r.nextFrame) + " of " + r.frames.length + " frames not resumed";
        }
        if (r.current != null && !usedUp(r)) {
            return "frame " + (r.nextFrame - 1) + " left values unused";
        }
        return null;
    }

    /** Called first by every rewritten method: its point index, or -1 for a normal call. */
    public static int point(int methodToken) {
        if (active == 0) {
            return -1;
        }
        Resumption r = RESUMPTION.get();
        if (r == null || r.nextFrame >= r.frames.length) {
            return -1;
        }
        Frame next = r.frames[r.nextFrame];
        if (next.token != methodToken) {
            return -1;
        }
        if (r.current != null && !usedUp(r)) {
            throw new IllegalStateException("frame " + (r.nextFrame - 1) + " left values unused");
        }
        r.nextFrame++;
        r.current = next;
        r.nextPrimitive = 0;
        r.nextReference = 0;
        return next.point;
    }

    private static boolean usedUp(Resumption r) {
        return r.nextPrimitive == r.current.primitives.length
            && r.nextReference == r.current.references.length;
    }

    private static Resumption current() {
        Resumption r = RESUMPTION.get();
        if (r == null || r.current == null) {
            throw new IllegalStateException("no frame is being resumed on this thread");
        }
        return r;
    }

    private static long nextPrimitive() {
        Resumption r = current();
        if (r.nextPrimitive >= r.current.primitives.length) {
            throw new IllegalStateException("frame " + (r.nextFrame - 1) + " has no more primitive values");
        }
        return r.current.primitives[r.nextPrimitive++];
    }

    /** The next saved int (also boolean, byte, char, short). */
    public static int i() {
        return (int) nextPrimitive();
    }

    /** The next saved long. */
    public static long j() {
        return nextPrimitive();
    }

    /** The next saved float (raw bits: NaN payloads kept). */
    public static float f() {
        return Float.intBitsToFloat((int) nextPrimitive());
    }

    /** The next saved double (raw bits). */
    public static double d() {
        return Double.longBitsToDouble(nextPrimitive());
    }

    /** The next saved reference. */
    public static Object a() {
        Resumption r = current();
        if (r.nextReference >= r.current.references.length) {
            throw new IllegalStateException("frame " + (r.nextFrame - 1) + " has no more references");
        }
        return r.current.references[r.nextReference++];
    }

    /** Installs the code that sets a class's static fields from the image (null removes it). */
    public static void setStaticsHandler(Consumer<Class<?>> handler) {
        staticsHandler = handler;
    }

    /** The replaced {@code <clinit>} of {@code c}: its static fields come from the image. */
    public static void statics(Class<?> c) {
        Consumer<Class<?>> handler = staticsHandler;
        if (handler == null) {
            throw new IllegalStateException("portacr: no static values for " + c.getName() + ": no restore under way");
        }
        handler.accept(c);
    }
}
