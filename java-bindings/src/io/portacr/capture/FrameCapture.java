package io.portacr.capture;

import io.portacr.Native;

import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads the calling thread's frames with the JDK-internal {@code java.lang.LiveStackFrame}
 * (opened to us by the agent) and types their slots with {@code Native.frameTypes}.
 *
 * <p>Facts this code rests on, measured with distinct 64-bit values on OpenJDK 17.0 (Debian)
 * and Temurin 25, interpreted ({@code -Xint}), C2-compiled (after a warm-up loop, also
 * {@code -XX:-TieredCompilation}) and OSR-compiled frames; java-bindings/capture-test checks
 * them on every run ({@code FrameFacts}):
 * <ul>
 *   <li>Every primitive slot is a 64-bit {@code PrimitiveSlot}. An int or float is in the
 *       low 32 bits (compiled frames may leave junk such as {@code 0xdeaddeaf} in the high
 *       half). A long or double occupying slots (n, n+1) has its 64-bit value in the
 *       <b>second</b> slot, n+1, for locals and operands alike; slot n reads 0 or junk.</li>
 *   <li>{@code getStack()} of a caller frame does <b>not</b> include the arguments of the
 *       call pending at its bci (receiver included), interpreted or compiled. The code still
 *       accepts a stack that includes them (then drops the last C:&lt;n&gt; slots) and fails
 *       the checkpoint on any other length mismatch.</li>
 * </ul>
 */
final class FrameCapture {
    private FrameCapture() {}

    // Value variants (spec/contracts.md §6, enum Value, declaration order).
    static final int V_TOP = 0;
    static final int V_INT = 1;
    static final int V_FLOAT = 2;
    static final int V_LONG = 3;
    static final int V_DOUBLE = 4;
    static final int V_REF = 5;
    static final int V_UNINITIALIZED = 6;
    static final int V_UNINITIALIZED_THIS = 7;
    static final int V_RETURN_ADDRESS = 8;
    static final int V_RAW = 9;

    // FrameKind variants.
    static final int KIND_JAVA = 0;
    static final int KIND_NATIVE = 1;
    static final int KIND_HIDDEN = 2;

    /** One frame as read, before the heap walk gives its objects ids. */
    static final class CapturedFrame {
        Class<?> declaringClass;
        String methodName;
        String descriptor;
        int accessFlags;
        int bci;
        int kind;
        Object[] locals;
        Object[] operands;
        Object[] monitors;
        /** Parsed Native.frameTypes answer, or null when the frame cannot be typed. */
        FrameTypes types;
    }

    /** A frame's typed slots: variant per slot, payload (bits or object id or bci), uninitialized object id. */
    static final class Values {
        final int[] variants;
        final long[] payloads;
        final int[] objects; // Uninitialized: the object id (payload holds new_bci)

        Values(int n) {
            variants = new int[n];
            payloads = new long[n];
            objects = new int[n];
        }

        void encode(BincodeWriter w) {
            w.seq(variants.length);
            for (int i = 0; i < variants.length; i++) {
                w.variant(variants[i]);
                switch (variants[i]) {
                    case V_INT: case V_FLOAT: case V_REF: case V_UNINITIALIZED_THIS: case V_RETURN_ADDRESS:
                        w.u32((int) payloads[i]); break;
                    case V_LONG: case V_DOUBLE: case V_RAW:
                        w.u64(payloads[i]); break;
                    case V_UNINITIALIZED:
                        w.u32((int) payloads[i]).u32(objects[i]); break;
                    default: break;
                }
            }
        }
    }

    /** The answer of Native.frameTypes: "L:<slots>|S:<slots>|C:<n>". */
    static final class FrameTypes {
        final String[] locals;
        final String[] stack;
        final int pendingArgumentSlots;

        FrameTypes(String[] locals, String[] stack, int pendingArgumentSlots) {
            this.locals = locals;
            this.stack = stack;
            this.pendingArgumentSlots = pendingArgumentSlots;
        }

        static FrameTypes parse(String s) {
            String[] parts = s.split("\\|", -1);
            if (parts.length != 3 || !parts[0].startsWith("L:") || !parts[1].startsWith("S:") || !parts[2].startsWith("C:")) {
                throw new IllegalArgumentException("malformed frame types \"" + s + "\"");
            }
            return new FrameTypes(slots(parts[0].substring(2)), slots(parts[1].substring(2)),
                Integer.parseInt(parts[2].substring(2)));
        }

        /** One entry per slot: T I F J D N R W A, or U<bci>; */
        private static String[] slots(String s) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < s.length(); ) {
                char c = s.charAt(i);
                if (c == 'U') {
                    int end = s.indexOf(';', i);
                    if (end < 0) throw new IllegalArgumentException("unterminated U<bci>; in \"" + s + "\"");
                    out.add(s.substring(i, end));
                    i = end + 1;
                } else if ("TIFJDNRWA".indexOf(c) >= 0) {
                    out.add(String.valueOf(c));
                    i++;
                } else {
                    throw new IllegalArgumentException("unknown slot type '" + c + "' in \"" + s + "\"");
                }
            }
            return out.toArray(new String[0]);
        }
    }

    // ---- LiveStackFrame access ------------------------------------------------------

    private static final class Live {
        static final StackWalker WALKER;
        static final Method GET_LOCALS, GET_STACK, GET_MONITORS, SLOT_LONG;
        static final Class<?> PRIMITIVE_SLOT;
        static final Throwable UNAVAILABLE;

        static {
            StackWalker walker = null;
            Method locals = null, stack = null, monitors = null, longValue = null;
            Class<?> slot = null;
            Throwable failure = null;
            try {
                Class<?> lsf = Class.forName("java.lang.LiveStackFrame");
                Method get = lsf.getDeclaredMethod("getStackWalker", Set.class);
                get.setAccessible(true);
                walker = (StackWalker) get.invoke(null, EnumSet.of(StackWalker.Option.RETAIN_CLASS_REFERENCE,
                    StackWalker.Option.SHOW_HIDDEN_FRAMES, StackWalker.Option.SHOW_REFLECT_FRAMES));
                locals = accessible(lsf.getDeclaredMethod("getLocals"));
                stack = accessible(lsf.getDeclaredMethod("getStack"));
                monitors = accessible(lsf.getDeclaredMethod("getMonitors"));
                slot = Class.forName("java.lang.LiveStackFrame$PrimitiveSlot");
                longValue = accessible(slot.getDeclaredMethod("longValue"));
            } catch (Throwable t) {
                failure = t;
            }
            WALKER = walker; GET_LOCALS = locals; GET_STACK = stack; GET_MONITORS = monitors;
            SLOT_LONG = longValue; PRIMITIVE_SLOT = slot; UNAVAILABLE = failure;
        }

        private static Method accessible(Method m) {
            m.setAccessible(true);
            return m;
        }
    }

    static boolean isPrimitiveSlot(Object o) {
        return o != null && Live.PRIMITIVE_SLOT.isInstance(o);
    }

    static long slotBits(Object slot) {
        try {
            return (long) Live.SLOT_LONG.invoke(slot);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("LiveStackFrame.PrimitiveSlot.longValue failed: " + e);
        }
    }

    /** Frames that only forward a call (FrameKind::Hidden): reflection, method handles, lambda forms, lambda proxies. */
    static boolean isForwardingFrame(Class<?> c) {
        return c.isHidden() || isReflectionOrMethodHandleFrame(c);
    }

    /** Core reflection and java.lang.invoke frames (LambdaForms are hidden classes of java.lang.invoke). */
    static boolean isReflectionOrMethodHandleFrame(Class<?> c) {
        String n = c.getName();
        return n.startsWith("jdk.internal.reflect.") || n.startsWith("java.lang.invoke.")
            || c == Method.class || c == Constructor.class;
    }

    private static boolean isCaptureMachinery(Class<?> c) {
        String n = c.getName();
        return n.startsWith("io.portacr.") || n.startsWith("jdk.crac.");
    }

    /**
     * The frames of the calling thread below the capture machinery, bottom (outermost) first.
     * Dropped from the top: frames of io.portacr.* and jdk.crac.*, then the reflection /
     * method-handle frames directly below them (the org.crac facade calls by reflection).
     * An application's lambda proxy there (a method reference {@code Core::checkpointRestore}
     * run as a Runnable) is kept: it is a frame restore re-creates.
     */
    static List<CapturedFrame> captureCurrentThread() throws CaptureFailedException {
        if (Live.UNAVAILABLE != null) {
            throw new CaptureFailedException("java.lang.LiveStackFrame is not accessible (" + Live.UNAVAILABLE
                + "); was java.base/java.lang opened to the boot loader's unnamed module?");
        }
        List<StackWalker.StackFrame> frames = Live.WALKER.walk(s -> s.collect(Collectors.toList()));
        int top = 0;
        while (top < frames.size() && isCaptureMachinery(frames.get(top).getDeclaringClass())) top++;
        int afterMachinery = top;
        while (top < frames.size() && isReflectionOrMethodHandleFrame(frames.get(top).getDeclaringClass())) top++;
        if (top == frames.size()) top = afterMachinery; // nothing but forwarding frames: keep them
        List<CapturedFrame> result = new ArrayList<>();
        for (int i = top; i < frames.size(); i++) result.add(read(frames.get(i)));
        Collections.reverse(result);
        return result;
    }

    private static CapturedFrame read(StackWalker.StackFrame f) throws CaptureFailedException {
        CapturedFrame cf = new CapturedFrame();
        cf.declaringClass = f.getDeclaringClass();
        cf.methodName = f.getMethodName();
        cf.descriptor = f.getDescriptor();
        cf.bci = Math.max(0, f.getByteCodeIndex());
        cf.accessFlags = methodAccessFlags(cf.declaringClass, cf.methodName, cf.descriptor);
        if (f.isNativeMethod()) cf.kind = KIND_NATIVE;
        else if (isForwardingFrame(cf.declaringClass)) cf.kind = KIND_HIDDEN;
        else cf.kind = KIND_JAVA;
        try {
            cf.locals = (Object[]) Live.GET_LOCALS.invoke(f);
            cf.operands = (Object[]) Live.GET_STACK.invoke(f);
            cf.monitors = (Object[]) Live.GET_MONITORS.invoke(f);
        } catch (ReflectiveOperationException e) {
            throw new CaptureFailedException("cannot read frame " + where(cf) + ": " + e.getCause());
        }
        if (cf.kind != KIND_NATIVE) {
            String types = Native.frameTypes(cf.declaringClass, cf.methodName, cf.descriptor, cf.bci);
            if (types != null) {
                try {
                    cf.types = FrameTypes.parse(types);
                } catch (IllegalArgumentException e) {
                    throw new CaptureFailedException("frame " + where(cf) + ": " + e.getMessage());
                }
            }
        }
        return cf;
    }

    static String where(CapturedFrame f) {
        return f.declaringClass.getName() + "." + f.methodName + f.descriptor + " at bci " + f.bci;
    }

    private static int methodAccessFlags(Class<?> c, String name, String descriptor) {
        if (name.equals("<clinit>")) return Modifier.STATIC;
        try {
            if (name.equals("<init>")) {
                for (Constructor<?> k : c.getDeclaredConstructors()) {
                    if (MethodType.methodType(void.class, k.getParameterTypes()).toMethodDescriptorString().equals(descriptor)) {
                        return k.getModifiers() & 0xFFFF;
                    }
                }
            } else {
                for (Method m : c.getDeclaredMethods()) {
                    if (m.getName().equals(name)
                            && MethodType.methodType(m.getReturnType(), m.getParameterTypes()).toMethodDescriptorString().equals(descriptor)) {
                        return m.getModifiers() & 0xFFFF;
                    }
                }
            }
        } catch (LinkageError | RuntimeException e) {
            // Reflection resolves the types of every method of the class; a missing optional
            // dependency in another method's signature fails it. Ask for this method alone.
            return methodAccessFlagsByLookup(c, name, descriptor);
        }
        return 0;
    }

    /** Access flags through a method handle lookup, which resolves only this method's types; 0 if unknown. */
    private static int methodAccessFlagsByLookup(Class<?> c, String name, String descriptor) {
        try {
            java.lang.invoke.MethodHandles.Lookup lookup =
                java.lang.invoke.MethodHandles.privateLookupIn(c, java.lang.invoke.MethodHandles.lookup());
            MethodType type = MethodType.fromMethodDescriptorString(descriptor, c.getClassLoader());
            java.lang.invoke.MethodHandle handle;
            if (name.equals("<init>")) {
                handle = lookup.findConstructor(c, type);
            } else {
                try {
                    handle = lookup.findStatic(c, name, type);
                } catch (IllegalAccessException | NoSuchMethodException notStatic) {
                    handle = lookup.findSpecial(c, name, type, c);
                }
            }
            return lookup.revealDirect(handle).getModifiers() & 0xFFFF;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return 0;
        }
    }

    // ---- typing ---------------------------------------------------------------------

    /** Types the locals of a frame; objects get ids from the walker (they are roots). */
    static Values locals(CapturedFrame f, HeapWalker walker) throws UncarriableObjectException, CaptureFailedException {
        String label = "frame " + f.declaringClass.getName() + "." + f.methodName + " local ";
        if (f.types == null) return untyped(f.locals, f.locals.length, walker, label);
        if (f.types.locals.length > f.locals.length) {
            throw new CaptureFailedException("frame " + where(f) + ": the bytecode has " + f.types.locals.length
                + " local slots, the frame " + f.locals.length);
        }
        return typed(f, f.locals, f.locals.length, f.types.locals, walker, label);
    }

    /** Types the operand stack, without the arguments of the call pending at bci. */
    static Values operands(CapturedFrame f, HeapWalker walker) throws UncarriableObjectException, CaptureFailedException {
        String label = "frame " + f.declaringClass.getName() + "." + f.methodName + " operand ";
        if (f.types == null) return untyped(f.operands, f.operands.length, walker, label);
        int declared = f.types.stack.length;
        int pending = Math.max(0, f.types.pendingArgumentSlots);
        int keep;
        if (f.operands.length == declared - pending) keep = f.operands.length;   // observed on 17 and 25
        else if (f.operands.length == declared) keep = declared - pending;        // stack includes the arguments
        else {
            throw new CaptureFailedException("frame " + where(f) + ": the operand stack has " + f.operands.length
                + " slots, the bytecode says " + declared + " including " + pending + " argument slots of the pending call");
        }
        return typed(f, f.operands, keep, f.types.stack, walker, label);
    }

    private static Values untyped(Object[] slots, int n, HeapWalker walker, String label) throws UncarriableObjectException {
        Values v = new Values(n);
        for (int i = 0; i < n; i++) {
            Object s = slots[i];
            if (isPrimitiveSlot(s)) {
                v.variants[i] = V_RAW;
                v.payloads[i] = slotBits(s);
            } else {
                v.variants[i] = V_REF;
                v.payloads[i] = walker.root(s, label + i);
            }
        }
        return v;
    }

    private static Values typed(CapturedFrame f, Object[] slots, int n, String[] types, HeapWalker walker, String label)
            throws UncarriableObjectException, CaptureFailedException {
        Values v = new Values(n);
        for (int i = 0; i < n; i++) {
            String t = i < types.length ? types[i] : "T";
            Object s = slots[i];
            switch (t.charAt(0)) {
                case 'T':
                    v.variants[i] = V_TOP;
                    break;
                case 'I':
                    v.variants[i] = V_INT;
                    v.payloads[i] = primitive(f, s, i) & 0xFFFF_FFFFL;
                    break;
                case 'F':
                    v.variants[i] = V_FLOAT;
                    v.payloads[i] = primitive(f, s, i) & 0xFFFF_FFFFL;
                    break;
                case 'A':
                    v.variants[i] = V_RETURN_ADDRESS;
                    v.payloads[i] = primitive(f, s, i) & 0xFFFF_FFFFL;
                    break;
                case 'J':
                case 'D': {
                    // The 64-bit value is in the second slot of the pair (see the class comment).
                    if (i + 1 >= n) {
                        throw new CaptureFailedException("frame " + where(f) + ": a long/double starts in the last slot " + i);
                    }
                    v.variants[i] = t.charAt(0) == 'J' ? V_LONG : V_DOUBLE;
                    v.payloads[i] = primitive(f, slots[i + 1], i + 1);
                    v.variants[i + 1] = V_TOP;
                    i++;
                    break;
                }
                case 'N':
                    v.variants[i] = V_REF;
                    break;
                case 'R':
                case 'W':
                case 'U': {
                    // A compiled frame's dead reference may read as a primitive 0: it is null.
                    Object ref = isPrimitiveSlot(s) ? null : s;
                    int id = walker.root(ref, label + i);
                    if (t.charAt(0) == 'R') {
                        v.variants[i] = V_REF;
                        v.payloads[i] = id;
                    } else if (t.charAt(0) == 'W') {
                        v.variants[i] = V_UNINITIALIZED_THIS;
                        v.payloads[i] = id;
                    } else {
                        v.variants[i] = V_UNINITIALIZED;
                        v.payloads[i] = Integer.parseInt(t.substring(1));
                        v.objects[i] = id;
                    }
                    break;
                }
                default:
                    throw new CaptureFailedException("frame " + where(f) + ": unknown slot type " + t);
            }
        }
        return v;
    }

    /** The bits of a primitive slot; a null slot (dead in a compiled frame) reads 0. */
    private static long primitive(CapturedFrame f, Object slot, int i) throws CaptureFailedException {
        if (slot == null) return 0;
        if (!isPrimitiveSlot(slot)) {
            throw new CaptureFailedException("frame " + where(f) + ": slot " + i + " holds an object ("
                + slot.getClass().getName() + ") where the bytecode says a primitive");
        }
        return slotBits(slot);
    }

    /** Monitors held by the frame, re-entries of one object counted (first-entry order). */
    static int[][] monitors(CapturedFrame f, HeapWalker walker) throws UncarriableObjectException {
        List<Object> distinct = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (Object m : f.monitors) {
            int at = -1;
            for (int i = 0; i < distinct.size(); i++) if (distinct.get(i) == m) at = i;
            if (at >= 0) counts.set(at, counts.get(at) + 1);
            else { distinct.add(m); counts.add(1); }
        }
        int[][] result = new int[distinct.size()][2];
        String label = "frame " + f.declaringClass.getName() + "." + f.methodName + " monitor ";
        for (int i = 0; i < distinct.size(); i++) {
            result[i][0] = walker.root(distinct.get(i), label + i);
            result[i][1] = counts.get(i);
        }
        return result;
    }
}
