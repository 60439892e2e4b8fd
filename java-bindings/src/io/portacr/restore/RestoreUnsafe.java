package io.portacr.restore;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;

/**
 * The {@code jdk.internal.misc.Unsafe} operations the rebuild uses, as constant method
 * handles (the sources compile with {@code --release 17}, which hides the package; the agent
 * exports it to the boot loader's unnamed module at VMInit). {@code static final} handles
 * called with {@code invokeExact} are folded by C2 into plain Unsafe intrinsics.
 *
 * <p>Why the internal Unsafe: {@code sun.misc.Unsafe.objectFieldOffset} refuses fields of
 * records and hidden classes, and since JDK 24 its memory methods warn on first use.
 * Off-heap reads are little-endian by contract ({@code bigEndian = false}), whatever the
 * host's byte order.
 */
final class RestoreUnsafe {
    private RestoreUnsafe() {}

    private static final MethodHandle GET_BYTE, GET_SHORT_LE, GET_INT_LE, GET_LONG_LE, GET_LONG;
    private static final MethodHandle PUT_BYTE, PUT_SHORT, PUT_INT, PUT_LONG, PUT_REFERENCE;
    private static final MethodHandle GET_REFERENCE, CAS_LONG, COPY_MEMORY, ALLOCATE_INSTANCE;
    private static final MethodHandle OBJECT_FIELD_OFFSET, STATIC_FIELD_BASE, STATIC_FIELD_OFFSET;
    private static final MethodHandle ARRAY_BASE_OFFSET, ENSURE_INITIALIZED;
    /** Why the handles could not be made, or null. */
    static final Throwable UNAVAILABLE;

    static {
        MethodHandle gb = null, gs = null, gi = null, gl = null, gla = null, pb = null, ps = null, pi = null,
            pl = null, pr = null, gr = null, cas = null, cm = null, ai = null, ofo = null, sfb = null,
            sfo = null, abo = null, ens = null;
        Throwable failure = null;
        try {
            Class<?> u = Class.forName("jdk.internal.misc.Unsafe");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Object unsafe = lookup.findStatic(u, "getUnsafe", MethodType.methodType(u)).invoke();
            gb = bound(lookup, u, unsafe, "getByte", byte.class, Object.class, long.class);
            gs = bound(lookup, u, unsafe, "getShortUnaligned", short.class, Object.class, long.class, boolean.class);
            gi = bound(lookup, u, unsafe, "getIntUnaligned", int.class, Object.class, long.class, boolean.class);
            gl = bound(lookup, u, unsafe, "getLongUnaligned", long.class, Object.class, long.class, boolean.class);
            gla = bound(lookup, u, unsafe, "getLong", long.class, Object.class, long.class);
            pb = bound(lookup, u, unsafe, "putByte", void.class, Object.class, long.class, byte.class);
            ps = bound(lookup, u, unsafe, "putShort", void.class, Object.class, long.class, short.class);
            pi = bound(lookup, u, unsafe, "putInt", void.class, Object.class, long.class, int.class);
            pl = bound(lookup, u, unsafe, "putLong", void.class, Object.class, long.class, long.class);
            pr = bound(lookup, u, unsafe, "putReference", void.class, Object.class, long.class, Object.class);
            gr = bound(lookup, u, unsafe, "getReference", Object.class, Object.class, long.class);
            cas = bound(lookup, u, unsafe, "compareAndSetLong", boolean.class, Object.class, long.class, long.class, long.class);
            cm = bound(lookup, u, unsafe, "copyMemory", void.class, Object.class, long.class, Object.class, long.class, long.class);
            ai = bound(lookup, u, unsafe, "allocateInstance", Object.class, Class.class);
            ofo = bound(lookup, u, unsafe, "objectFieldOffset", long.class, Class.class, String.class);
            sfb = bound(lookup, u, unsafe, "staticFieldBase", Object.class, Field.class);
            sfo = bound(lookup, u, unsafe, "staticFieldOffset", long.class, Field.class);
            ens = bound(lookup, u, unsafe, "ensureClassInitialized", void.class, Class.class);
            // arrayBaseOffset returns int up to JDK 22 and long since JDK 23.
            try {
                abo = bound(lookup, u, unsafe, "arrayBaseOffset", long.class, Class.class);
            } catch (NoSuchMethodException e) {
                abo = bound(lookup, u, unsafe, "arrayBaseOffset", int.class, Class.class)
                    .asType(MethodType.methodType(long.class, Class.class));
            }
        } catch (Throwable t) {
            failure = t;
        }
        GET_BYTE = gb; GET_SHORT_LE = gs; GET_INT_LE = gi; GET_LONG_LE = gl; GET_LONG = gla;
        PUT_BYTE = pb; PUT_SHORT = ps; PUT_INT = pi; PUT_LONG = pl; PUT_REFERENCE = pr;
        GET_REFERENCE = gr; CAS_LONG = cas; COPY_MEMORY = cm; ALLOCATE_INSTANCE = ai;
        OBJECT_FIELD_OFFSET = ofo; STATIC_FIELD_BASE = sfb; STATIC_FIELD_OFFSET = sfo;
        ARRAY_BASE_OFFSET = abo; ENSURE_INITIALIZED = ens;
        UNAVAILABLE = failure;
    }

    private static MethodHandle bound(MethodHandles.Lookup lookup, Class<?> u, Object unsafe, String name,
                                      Class<?> ret, Class<?>... params) throws ReflectiveOperationException {
        return lookup.findVirtual(u, name, MethodType.methodType(ret, params)).bindTo(unsafe);
    }

    static byte getByte(long address) {
        try { return (byte) GET_BYTE.invokeExact((Object) null, address); } catch (Throwable t) { throw rethrow(t); }
    }

    static byte getByte(Object o, long offset) {
        try { return (byte) GET_BYTE.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }

    static short getShortLE(long address) {
        try { return (short) GET_SHORT_LE.invokeExact((Object) null, address, false); } catch (Throwable t) { throw rethrow(t); }
    }

    static int getIntLE(long address) {
        try { return (int) GET_INT_LE.invokeExact((Object) null, address, false); } catch (Throwable t) { throw rethrow(t); }
    }

    static long getLongLE(long address) {
        try { return (long) GET_LONG_LE.invokeExact((Object) null, address, false); } catch (Throwable t) { throw rethrow(t); }
    }

    static long getLong(Object o, long offset) {
        try { return (long) GET_LONG.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }

    static void putByte(Object o, long offset, byte v) {
        try { PUT_BYTE.invokeExact(o, offset, v); } catch (Throwable t) { throw rethrow(t); }
    }

    static void putShort(Object o, long offset, short v) {
        try { PUT_SHORT.invokeExact(o, offset, v); } catch (Throwable t) { throw rethrow(t); }
    }

    static void putInt(Object o, long offset, int v) {
        try { PUT_INT.invokeExact(o, offset, v); } catch (Throwable t) { throw rethrow(t); }
    }

    static void putLong(Object o, long offset, long v) {
        try { PUT_LONG.invokeExact(o, offset, v); } catch (Throwable t) { throw rethrow(t); }
    }

    static void putReference(Object o, long offset, Object v) {
        try { PUT_REFERENCE.invokeExact(o, offset, v); } catch (Throwable t) { throw rethrow(t); }
    }

    static Object getReference(Object o, long offset) {
        try { return (Object) GET_REFERENCE.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }

    static boolean compareAndSetLong(Object o, long offset, long expected, long value) {
        try { return (boolean) CAS_LONG.invokeExact(o, offset, expected, value); } catch (Throwable t) { throw rethrow(t); }
    }

    static void copyMemory(Object src, long srcOffset, Object dst, long dstOffset, long bytes) {
        try { COPY_MEMORY.invokeExact(src, srcOffset, dst, dstOffset, bytes); } catch (Throwable t) { throw rethrow(t); }
    }

    /** A new instance without running a constructor (initializes the class first). */
    static Object allocateInstance(Class<?> c) {
        try { return (Object) ALLOCATE_INSTANCE.invokeExact(c); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Offset of an instance field by name; accepts records and hidden classes. Throws if absent. */
    static long objectFieldOffset(Class<?> c, String name) {
        try { return (long) OBJECT_FIELD_OFFSET.invokeExact(c, name); } catch (Throwable t) { throw rethrow(t); }
    }

    static Object staticFieldBase(Field f) {
        try { return (Object) STATIC_FIELD_BASE.invokeExact(f); } catch (Throwable t) { throw rethrow(t); }
    }

    static long staticFieldOffset(Field f) {
        try { return (long) STATIC_FIELD_OFFSET.invokeExact(f); } catch (Throwable t) { throw rethrow(t); }
    }

    static long arrayBaseOffset(Class<?> arrayClass) {
        try { return (long) ARRAY_BASE_OFFSET.invokeExact(arrayClass); } catch (Throwable t) { throw rethrow(t); }
    }

    static void ensureClassInitialized(Class<?> c) {
        try { ENSURE_INITIALIZED.invokeExact(c); } catch (Throwable t) { throw rethrow(t); }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException) return (RuntimeException) t;
        if (t instanceof Error) throw (Error) t;
        return new IllegalStateException(t);
    }
}
