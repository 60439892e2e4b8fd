package capturetest;

import java.lang.reflect.Method;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks the two LiveStackFrame facts io.portacr.capture.FrameCapture rests on, with
 * distinct 64-bit values, in the mode the JVM runs in (run.sh runs it with -Xint, with the
 * default tiered compilers, and with C2 only):
 *   1. a long/double in slots (n, n+1) has its 64-bit value in slot n+1;
 *      an int is in the low 32 bits of its slot;
 *   2. getStack() of a caller frame excludes the arguments of the pending call.
 * Measured to hold on OpenJDK 17 and Temurin 25, interpreted, C2 and OSR frames.
 */
public final class FrameFacts {
    static Method getLocals, getStack, longValue;
    static Class<?> slotClass;
    static StackWalker walker;
    static boolean record;
    static Object[] seenLocals, seenStack;
    static String seenMethod;

    static long bits(Object slot) throws Exception {
        if (slot == null || !slotClass.isInstance(slot)) throw new AssertionError("not a primitive slot: " + slot);
        return (long) longValue.invoke(slot);
    }

    /** Called with an argument, so that the caller has a pending call with one int argument slot. */
    static int observe(int marker) throws Exception {
        if (record) {
            StackWalker.StackFrame caller = walker.walk(s -> s.skip(1).findFirst().get());
            seenMethod = caller.getMethodName();
            seenLocals = (Object[]) getLocals.invoke(caller);
            seenStack = (Object[]) getStack.invoke(caller);
        }
        return marker;
    }

    static long use(long v, int w) { return v + w; }

    // Locals: a(0,1) d(2,3) i(4) x(5,6) y(7,8); every value is used after the call, so even
    // a compiled frame keeps them alive.
    static long probe(long a, double d, int i) throws Exception {
        long x = 0x1111222233334444L ^ i;
        double y = Double.longBitsToDouble(0x7ff8000000000abcL);
        long r = use(x, observe(0x99));
        return r + a + x + i + (long) d + Double.doubleToRawLongBits(y);
    }

    static long loop(long a) throws Exception {
        long acc = 0x0101010101010101L;
        long s = 0;
        for (int k = 0; k < 2_000_000; k++) {
            s += k ^ acc;
            if (k == 1_999_999) { record = true; s += use(a, observe(3)); record = false; }
        }
        return s + acc;
    }

    static void checkProbe(String mode, long a, long dBits, int i) throws Exception {
        Check.equal("probe", seenMethod, mode + ": observed frame");
        Check.equal(a, bits(seenLocals[1]), mode + ": long argument in the second slot of its pair");
        Check.equal(dBits, bits(seenLocals[3]), mode + ": double argument in the second slot");
        Check.equal(i, (int) bits(seenLocals[4]), mode + ": int in the low 32 bits");
        Check.equal(0x1111222233334444L ^ i, bits(seenLocals[6]), mode + ": long local in the second slot");
        Check.equal(0x7ff8000000000abcL, bits(seenLocals[8]), mode + ": double local in the second slot");
        Check.equal(2, seenStack.length, mode + ": operand stack holds x only (2 slots), not observe's argument");
        Check.equal(0x1111222233334444L ^ i, bits(seenStack[1]), mode + ": long operand in the second slot");
    }

    public static void main(String[] args) throws Exception {
        Class<?> lsf = Class.forName("java.lang.LiveStackFrame");
        Method get = lsf.getDeclaredMethod("getStackWalker", Set.class);
        get.setAccessible(true);
        walker = (StackWalker) get.invoke(null, EnumSet.of(StackWalker.Option.RETAIN_CLASS_REFERENCE));
        getLocals = lsf.getDeclaredMethod("getLocals");
        getLocals.setAccessible(true);
        getStack = lsf.getDeclaredMethod("getStack");
        getStack.setAccessible(true);
        slotClass = Class.forName("java.lang.LiveStackFrame$PrimitiveSlot");
        longValue = slotClass.getDeclaredMethod("longValue");
        longValue.setAccessible(true);

        String vm = System.getProperty("java.vm.version") + " " + System.getProperty("java.vm.info");
        record = true;
        probe(0xAAAABBBBCCCCDDDDL, Double.longBitsToDouble(0x7ff8000000000123L), 7);
        checkProbe("first call (" + vm + ")", 0xAAAABBBBCCCCDDDDL, 0x7ff8000000000123L, 7);
        record = false;
        long s = 0;
        for (int k = 0; k < 300_000; k++) s += probe(k, 1.0, k);
        record = true;
        probe(0x0F0E0D0C0B0A0908L, Double.longBitsToDouble(0x7ff8000000000456L), 9);
        checkProbe("after warm-up (" + vm + ")", 0x0F0E0D0C0B0A0908L, 0x7ff8000000000456L, 9);
        record = false;
        s += loop(0x7777000077770000L); // OSR-compiled loop observes itself
        Check.equal("loop", seenMethod, "osr: observed frame");
        Check.equal(0x7777000077770000L, bits(seenLocals[1]), "osr: long argument in the second slot");
        Check.equal(0x0101010101010101L, bits(seenLocals[3]), "osr: long local in the second slot");
        Check.equal(4, seenStack.length, "osr: stack holds s and a (4 slots), not observe's argument");
        Check.equal(0x7777000077770000L, bits(seenStack[3]), "osr: long operand in the second slot");
        System.out.println("frame-facts: rules hold on " + vm + " (" + s + ")");
    }
}
