package capturetest;

import io.portacr.Native;
import io.portacr.capture.ImageCapture;

import java.nio.file.Path;
import java.util.List;

/**
 * Frames of the checkpointing thread: typed locals and operands (long/double as one value in
 * the first slot of the pair), the pending call's arguments excluded, uninitialized objects,
 * monitors with re-entry counts. The fake Native answers frameTypes with the types written
 * by hand below (javac's layout of these methods).
 */
public final class FramesScenario {
    static final class Holder {
        final String s;
        Holder(String s) { this.s = s; }
    }

    static final long A = 0xAAAABBBBCCCCDDDDL;
    static final long D_BITS = 0x7ff8000000000123L;
    static final int I = 0x5A5A5A5A;
    static final long X = 0x1111222233334444L;
    static final long Y_BITS = 0x7ff8000000000abcL;
    static final Object LOCK = new Object();
    static Object intArray;

    static String combine(long v, double w, String s) { return s + v + w; }

    static String probe(long a, double d, int i) throws Exception {
        long x = X;
        double y = Double.longBitsToDouble(Y_BITS);
        Object o = new int[] {42};
        intArray = o;
        return combine(x + a, y, ImageCapture.checkpoint(List.of()));
    }

    static Holder uninit() throws Exception {
        return new Holder(probe(A, Double.longBitsToDouble(D_BITS), I));
    }

    static Holder outer() throws Exception {
        synchronized (LOCK) {
            synchronized (LOCK) {
                return uninit();
            }
        }
    }

    static String lastDir;

    /** checkpoint reached through Method.invoke (dropped) from a lambda proxy (kept, Hidden). */
    static void viaReflectionAndLambda() throws Exception {
        java.util.concurrent.Callable<Object> viaProxy = FramesScenario::reflective;
        viaProxy.call();
    }

    static Object reflective() throws Exception {
        java.lang.reflect.Method m = ImageCapture.class.getMethod("checkpoint", List.class);
        lastDir = (String) m.invoke(null, List.of());
        return lastDir;
    }

    public static void main(String[] args) throws Exception {
        // Locals a(J T) d(D T) i(I) x(J T) y(D T) o(R); stack x+a(J T) y(D T) List(R), the
        // List being the argument of the pending checkpoint call (C:1).
        Native.FRAME_TYPES.put("capturetest.FramesScenario.probe(JDI)Ljava/lang/String;", "L:JTDTIJTDTR|S:JTDTR|C:1");
        // new Holder; dup; then probe's arguments (J T D T I = 5 slots) pending.
        Native.FRAME_TYPES.put("capturetest.FramesScenario.uninit()Lcapturetest/FramesScenario$Holder;", "L:|S:U0;U0;JTDTI|C:5");
        Holder h = outer();
        String dir = h.s.substring(0, h.s.length() - (String.valueOf(X + A) + Double.longBitsToDouble(Y_BITS)).length());
        System.out.println("frames: image in " + dir);
        ImageReader r = new ImageReader(Path.of(dir));
        CommonChecks.all(r);
        // Once per capture attempt: a collection during a walk with address keys makes the
        // capture again (spec/semantics.md §2.3), frames included.
        Check.equal(true, Native.beginCalls >= 1, "the capture began");
        Check.equal(Native.beginCalls, Native.rematerializeCalls, "rematerializeFrames called before reading frames, once per attempt");

        int n = r.frames.size();
        ImageReader.Frame probe = r.frames.get(n - 1), uninit = r.frames.get(n - 2), outer = r.frames.get(n - 3);
        Check.equal("probe", probe.method, "top frame");
        Check.equal(0x8, probe.access & 0x8, "probe is static");
        Check.equal(10, probe.locals.size(), "probe local count");
        Check.equal("Long(0x" + Long.toHexString(A) + ")", probe.locals.get(0).toString(), "long argument in the first slot");
        Check.equal("Top(0x0)", probe.locals.get(1).toString(), "second slot of a long is Top");
        Check.equal("Double(0x" + Long.toHexString(D_BITS) + ")", probe.locals.get(2).toString(), "double argument, NaN payload");
        Check.equal("Int(0x" + Integer.toHexString(I) + ")", probe.locals.get(4).toString(), "int argument");
        Check.equal("Long(0x" + Long.toHexString(X) + ")", probe.locals.get(5).toString(), "long local");
        Check.equal("Double(0x" + Long.toHexString(Y_BITS) + ")", probe.locals.get(7).toString(), "double local");
        Check.equal(5, probe.locals.get(9).variant, "reference local");
        Check.equal(r.staticValue("capturetest/FramesScenario", "intArray"), probe.locals.get(9).payload, "reference local id");
        Check.equal(4, probe.operands.size(), "operands exclude the pending call's argument");
        Check.equal("Long(0x" + Long.toHexString(X + A) + ")", probe.operands.get(0).toString(), "long operand");
        Check.equal("Double(0x" + Long.toHexString(Y_BITS) + ")", probe.operands.get(2).toString(), "double operand");

        Check.equal("uninit", uninit.method, "frame below");
        Check.equal(2, uninit.operands.size(), "uninit operands exclude probe's 5 argument slots");
        ImageReader.Value u0 = uninit.operands.get(0), u1 = uninit.operands.get(1);
        Check.that(u0.variant == 6 && u1.variant == 6 && u0.object == u1.object && u0.object != 0, "two Uninitialized slots, one object: " + u0 + " " + u1);
        Check.equal("capturetest/FramesScenario$Holder", r.className(r.object(u0.object)), "uninitialized object's class");
        Check.equal(0L, r.object(u0.object).fields.get("s"), "constructor not run");

        Check.equal("outer", outer.method, "outer frame");
        Check.equal(1, outer.monitors.size(), "one monitor object");
        Check.equal(2, outer.monitors.get(0)[1], "re-entered twice");
        Check.equal(r.staticValue("capturetest/FramesScenario", "LOCK"), (long) outer.monitors.get(0)[0], "monitor object id");
        for (ImageReader.Value v : outer.locals) Check.that(v.variant == 5 || v.variant == 9, "untyped frame: Ref or Raw");
        Check.equal("main", r.frames.get(0).method, "bottom frame");

        viaReflectionAndLambda(); // a second checkpoint, into the same directory
        ImageReader r2 = new ImageReader(Path.of(lastDir));
        int m = r2.frames.size();
        ImageReader.Frame reflectiveFrame = r2.frames.get(m - 1);
        Check.equal("reflective", reflectiveFrame.method, "top frame: the caller of Method.invoke (reflection frames dropped)");
        ImageReader.Frame proxy = r2.frames.get(m - 2);
        Check.equal(2, proxy.kind, "lambda proxy frame is Hidden: " + r2.classes.get(proxy.classIndex).name);
        Check.equal("call", proxy.method, "lambda proxy method");
        Check.equal("viaReflectionAndLambda", r2.frames.get(m - 3).method, "caller of the proxy");
    }
}
