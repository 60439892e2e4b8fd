package io.portacr;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;

/**
 * The {@code jdk.internal.misc.Unsafe} operations the capture (heap walk) and the
 * restore (heap rebuild) use, as constant method handles.
 *
 * <p>Why this and not {@code sun.misc.Unsafe}: the latter refuses fields of records and
 * hidden classes in {@code objectFieldOffset}, and since JDK 24 its memory-access methods
 * print a deprecation warning on first use (JEP 498) — the application would see it.
 * Why method handles: the sources are compiled with {@code javac --release 17}, which
 * cannot see the non-exported {@code jdk.internal.misc} package. The agent exports it to
 * the boot loader's unnamed module at VMInit; the handles are {@code static final}, so C2
 * folds them and a call costs what a plain Unsafe intrinsic costs. Off-heap reads
 * ({@code get*LE}) are little-endian by contract ({@code bigEndian = false}), whatever the
 * host's byte order.
 */
public final class JdkUnsafe {
    private JdkUnsafe() {}

    private static final MethodHandle GET_BYTE, GET_SHORT, GET_INT, GET_LONG, GET_REFERENCE;
    private static final MethodHandle GET_SHORT_LE, GET_INT_LE, GET_LONG_LE;
    private static final MethodHandle PUT_BYTE, PUT_SHORT, PUT_INT, PUT_LONG, PUT_REFERENCE;
    private static final MethodHandle CAS_LONG, COPY_MEMORY, ALLOCATE_INSTANCE, ENSURE_INITIALIZED;
    private static final MethodHandle OBJECT_FIELD_OFFSET, STATIC_FIELD_BASE, STATIC_FIELD_OFFSET;
    private static final MethodHandle ARRAY_BASE_OFFSET, ARRAY_INDEX_SCALE;
    private static final MethodHandle ALLOCATE_MEMORY, SET_MEMORY, FREE_MEMORY;
    /** Why the handles could not be made (jdk.internal.misc not exported to us), or null. */
    public static final Throwable UNAVAILABLE;

    static {
        MethodHandle gb = null, gs = null, gi = null, gl = null, gr = null, gsl = null, gil = null, gll = null;
        MethodHandle pb = null, ps = null, pi = null, pl = null, pr = null;
        MethodHandle cas = null, cm = null, ai = null, ens = null, ofo = null, sfb = null, sfo = null, abo = null, ais = null;
        MethodHandle am = null, sm = null, fm = null;
        Throwable failure = null;
        try {
            Class<?> u = Class.forName("jdk.internal.misc.Unsafe");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Object unsafe = lookup.findStatic(u, "getUnsafe", MethodType.methodType(u)).invoke();
            gb = bound(lookup, u, unsafe, "getByte", byte.class, Object.class, long.class);
            gs = bound(lookup, u, unsafe, "getShort", short.class, Object.class, long.class);
            gi = bound(lookup, u, unsafe, "getInt", int.class, Object.class, long.class);
            gl = bound(lookup, u, unsafe, "getLong", long.class, Object.class, long.class);
            gr = bound(lookup, u, unsafe, "getReference", Object.class, Object.class, long.class);
            gsl = bound(lookup, u, unsafe, "getShortUnaligned", short.class, Object.class, long.class, boolean.class);
            gil = bound(lookup, u, unsafe, "getIntUnaligned", int.class, Object.class, long.class, boolean.class);
            gll = bound(lookup, u, unsafe, "getLongUnaligned", long.class, Object.class, long.class, boolean.class);
            pb = bound(lookup, u, unsafe, "putByte", void.class, Object.class, long.class, byte.class);
            ps = bound(lookup, u, unsafe, "putShort", void.class, Object.class, long.class, short.class);
            pi = bound(lookup, u, unsafe, "putInt", void.class, Object.class, long.class, int.class);
            pl = bound(lookup, u, unsafe, "putLong", void.class, Object.class, long.class, long.class);
            pr = bound(lookup, u, unsafe, "putReference", void.class, Object.class, long.class, Object.class);
            cas = bound(lookup, u, unsafe, "compareAndSetLong", boolean.class, Object.class, long.class, long.class, long.class);
            cm = bound(lookup, u, unsafe, "copyMemory", void.class, Object.class, long.class, Object.class, long.class, long.class);
            ai = bound(lookup, u, unsafe, "allocateInstance", Object.class, Class.class);
            ens = bound(lookup, u, unsafe, "ensureClassInitialized", void.class, Class.class);
            ofo = bound(lookup, u, unsafe, "objectFieldOffset", long.class, Class.class, String.class);
            sfb = bound(lookup, u, unsafe, "staticFieldBase", Object.class, Field.class);
            sfo = bound(lookup, u, unsafe, "staticFieldOffset", long.class, Field.class);
            ais = bound(lookup, u, unsafe, "arrayIndexScale", int.class, Class.class);
            am = bound(lookup, u, unsafe, "allocateMemory", long.class, long.class);
            sm = bound(lookup, u, unsafe, "setMemory", void.class, long.class, long.class, byte.class);
            fm = bound(lookup, u, unsafe, "freeMemory", void.class, long.class);
            // arrayBaseOffset returns int up to JDK 22 and long since JDK 23 (checked on 17 and 25).
            try {
                abo = bound(lookup, u, unsafe, "arrayBaseOffset", long.class, Class.class);
            } catch (NoSuchMethodException e) {
                abo = bound(lookup, u, unsafe, "arrayBaseOffset", int.class, Class.class)
                    .asType(MethodType.methodType(long.class, Class.class));
            }
        } catch (Throwable t) {
            failure = t;
        }
        GET_BYTE = gb; GET_SHORT = gs; GET_INT = gi; GET_LONG = gl; GET_REFERENCE = gr;
        GET_SHORT_LE = gsl; GET_INT_LE = gil; GET_LONG_LE = gll;
        PUT_BYTE = pb; PUT_SHORT = ps; PUT_INT = pi; PUT_LONG = pl; PUT_REFERENCE = pr;
        CAS_LONG = cas; COPY_MEMORY = cm; ALLOCATE_INSTANCE = ai; ENSURE_INITIALIZED = ens;
        OBJECT_FIELD_OFFSET = ofo; STATIC_FIELD_BASE = sfb; STATIC_FIELD_OFFSET = sfo;
        ARRAY_BASE_OFFSET = abo; ARRAY_INDEX_SCALE = ais;
        ALLOCATE_MEMORY = am; SET_MEMORY = sm; FREE_MEMORY = fm;
        UNAVAILABLE = failure;
    }

    private static MethodHandle bound(MethodHandles.Lookup lookup, Class<?> u, Object unsafe, String name,
                                      Class<?> ret, Class<?>... params) throws ReflectiveOperationException {
        return lookup.findVirtual(u, name, MethodType.methodType(ret, params)).bindTo(unsafe);
    }

    /** Native memory, uninitialized; OutOfMemoryError if there is none. */
    public static long allocateMemory(long bytes) {
        try { return (long) ALLOCATE_MEMORY.invokeExact(bytes); } catch (Throwable t) { throw rethrow(t); }
    }
    public static void setMemory(long address, long bytes, byte value) {
        try { SET_MEMORY.invokeExact(address, bytes, value); } catch (Throwable t) { throw rethrow(t); }
    }
    public static void freeMemory(long address) {
        try { FREE_MEMORY.invokeExact(address); } catch (Throwable t) { throw rethrow(t); }
    }
    public static int getInt(long address) {
        try { return (int) GET_INT.invokeExact((Object) null, address); } catch (Throwable t) { throw rethrow(t); }
    }
    public static void putInt(long address, int v) {
        try { PUT_INT.invokeExact((Object) null, address, v); } catch (Throwable t) { throw rethrow(t); }
    }
    public static byte getByte(long address) {
        try { return (byte) GET_BYTE.invokeExact((Object) null, address); } catch (Throwable t) { throw rethrow(t); }
    }
    public static byte getByte(Object o, long offset) {
        try { return (byte) GET_BYTE.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }
    public static short getShortLE(long address) {
        try { return (short) GET_SHORT_LE.invokeExact((Object) null, address, false); } catch (Throwable t) { throw rethrow(t); }
    }
    public static int getIntLE(long address) {
        try { return (int) GET_INT_LE.invokeExact((Object) null, address, false); } catch (Throwable t) { throw rethrow(t); }
    }
    public static long getLongLE(long address) {
        try { return (long) GET_LONG_LE.invokeExact((Object) null, address, false); } catch (Throwable t) { throw rethrow(t); }
    }
    public static long getLong(Object o, long offset) {
        try { return (long) GET_LONG.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }
    public static void putByte(Object o, long offset, byte v) {
        try { PUT_BYTE.invokeExact(o, offset, v); } catch (Throwable t) { throw rethrow(t); }
    }
    public static void putShort(Object o, long offset, short v) {
        try { PUT_SHORT.invokeExact(o, offset, v); } catch (Throwable t) { throw rethrow(t); }
    }
    public static void putInt(Object o, long offset, int v) {
        try { PUT_INT.invokeExact(o, offset, v); } catch (Throwable t) { throw rethrow(t); }
    }
    public static void putLong(Object o, long offset, long v) {
        try { PUT_LONG.invokeExact(o, offset, v); } catch (Throwable t) { throw rethrow(t); }
    }
    public static void putReference(Object o, long offset, Object v) {
        try { PUT_REFERENCE.invokeExact(o, offset, v); } catch (Throwable t) { throw rethrow(t); }
    }
    public static Object getReference(Object o, long offset) {
        try { return (Object) GET_REFERENCE.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }
    public static boolean compareAndSetLong(Object o, long offset, long expected, long value) {
        try { return (boolean) CAS_LONG.invokeExact(o, offset, expected, value); } catch (Throwable t) { throw rethrow(t); }
    }
    public static void copyMemory(Object src, long srcOffset, Object dst, long dstOffset, long bytes) {
        try { COPY_MEMORY.invokeExact(src, srcOffset, dst, dstOffset, bytes); } catch (Throwable t) { throw rethrow(t); }
    }
    /** A new instance without running a constructor (initializes the class first). */
    public static Object allocateInstance(Class<?> c) {
        try { return (Object) ALLOCATE_INSTANCE.invokeExact(c); } catch (Throwable t) { throw rethrow(t); }
    }
    /** Offset of an instance field by name; accepts records and hidden classes. Throws if absent. */
    public static long objectFieldOffset(Class<?> c, String name) {
        try { return (long) OBJECT_FIELD_OFFSET.invokeExact(c, name); } catch (Throwable t) { throw rethrow(t); }
    }
    public static Object staticFieldBase(Field f) {
        try { return (Object) STATIC_FIELD_BASE.invokeExact(f); } catch (Throwable t) { throw rethrow(t); }
    }
    public static long staticFieldOffset(Field f) {
        try { return (long) STATIC_FIELD_OFFSET.invokeExact(f); } catch (Throwable t) { throw rethrow(t); }
    }
    public static long arrayBaseOffset(Class<?> arrayClass) {
        try { return (long) ARRAY_BASE_OFFSET.invokeExact(arrayClass); } catch (Throwable t) { throw rethrow(t); }
    }
    public static void ensureClassInitialized(Class<?> c) {
        try { ENSURE_INITIALIZED.invokeExact(c); } catch (Throwable t) { throw rethrow(t); }
    }
    public static short getShort(Object o, long offset) {
        try { return (short) GET_SHORT.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }
    public static int getInt(Object o, long offset) {
        try { return (int) GET_INT.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }
    public static int arrayIndexScale(Class<?> arrayClass) {
        try { return (int) ARRAY_INDEX_SCALE.invokeExact(arrayClass); } catch (Throwable t) { throw rethrow(t); }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException) return (RuntimeException) t;
        if (t instanceof Error) throw (Error) t;
        return new IllegalStateException(t);
    }
}
