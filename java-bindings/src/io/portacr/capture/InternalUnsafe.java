package io.portacr.capture;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;

/**
 * Access to {@code jdk.internal.misc.Unsafe} through constant method handles.
 *
 * <p>Why this and not {@code sun.misc.Unsafe}: the latter refuses fields of records and
 * hidden classes in {@code objectFieldOffset}, and since JDK 24 its memory-access methods
 * print a deprecation warning on first use (JEP 498) — the application would see it.
 * Why method handles: the sources are compiled with {@code javac --release 17}, which
 * cannot see the non-exported {@code jdk.internal.misc} package. The agent exports it to
 * the boot loader's unnamed module at VMInit; the handles are {@code static final}, so C2
 * folds them and the heap walk pays the cost of a plain Unsafe call.
 */
final class InternalUnsafe {
    private InternalUnsafe() {}

    static final MethodHandle GET_BYTE;      // (Object, long) byte
    static final MethodHandle GET_SHORT;     // (Object, long) short
    static final MethodHandle GET_INT;       // (Object, long) int
    static final MethodHandle GET_LONG;      // (Object, long) long
    static final MethodHandle GET_REFERENCE; // (Object, long) Object
    static final MethodHandle COPY_MEMORY;   // (Object, long, Object, long, long) void
    static final MethodHandle OBJECT_FIELD_OFFSET; // (Class, String) long
    static final MethodHandle STATIC_FIELD_BASE;   // (Field) Object
    static final MethodHandle STATIC_FIELD_OFFSET; // (Field) long
    static final MethodHandle ARRAY_BASE_OFFSET;   // (Class) long
    static final MethodHandle ARRAY_INDEX_SCALE;   // (Class) int
    static final Throwable UNAVAILABLE;

    static {
        MethodHandle gb = null, gs = null, gi = null, gl = null, gr = null, cm = null;
        MethodHandle ofo = null, sfb = null, sfo = null, abo = null, ais = null;
        Throwable failure = null;
        try {
            Class<?> unsafeClass = Class.forName("jdk.internal.misc.Unsafe");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Object unsafe = lookup.findStatic(unsafeClass, "getUnsafe", MethodType.methodType(unsafeClass)).invoke();
            gb = bound(lookup, unsafeClass, unsafe, "getByte", byte.class, Object.class, long.class);
            gs = bound(lookup, unsafeClass, unsafe, "getShort", short.class, Object.class, long.class);
            gi = bound(lookup, unsafeClass, unsafe, "getInt", int.class, Object.class, long.class);
            gl = bound(lookup, unsafeClass, unsafe, "getLong", long.class, Object.class, long.class);
            gr = bound(lookup, unsafeClass, unsafe, "getReference", Object.class, Object.class, long.class);
            cm = bound(lookup, unsafeClass, unsafe, "copyMemory", void.class, Object.class, long.class, Object.class, long.class, long.class);
            ofo = bound(lookup, unsafeClass, unsafe, "objectFieldOffset", long.class, Class.class, String.class);
            sfb = bound(lookup, unsafeClass, unsafe, "staticFieldBase", Object.class, Field.class);
            sfo = bound(lookup, unsafeClass, unsafe, "staticFieldOffset", long.class, Field.class);
            ais = bound(lookup, unsafeClass, unsafe, "arrayIndexScale", int.class, Class.class);
            // arrayBaseOffset returns int up to JDK 22 and long since JDK 23 (checked on 17 and 25).
            try {
                abo = bound(lookup, unsafeClass, unsafe, "arrayBaseOffset", long.class, Class.class);
            } catch (NoSuchMethodException e) {
                abo = bound(lookup, unsafeClass, unsafe, "arrayBaseOffset", int.class, Class.class)
                    .asType(MethodType.methodType(long.class, Class.class));
            }
        } catch (Throwable t) {
            failure = t;
        }
        GET_BYTE = gb; GET_SHORT = gs; GET_INT = gi; GET_LONG = gl; GET_REFERENCE = gr; COPY_MEMORY = cm;
        OBJECT_FIELD_OFFSET = ofo; STATIC_FIELD_BASE = sfb; STATIC_FIELD_OFFSET = sfo; ARRAY_BASE_OFFSET = abo; ARRAY_INDEX_SCALE = ais;
        UNAVAILABLE = failure;
    }

    private static MethodHandle bound(MethodHandles.Lookup lookup, Class<?> unsafeClass, Object unsafe,
                                      String name, Class<?> ret, Class<?>... params) throws ReflectiveOperationException {
        return lookup.findVirtual(unsafeClass, name, MethodType.methodType(ret, params)).bindTo(unsafe);
    }

    /** Throws a one-line failure when the agent did not export jdk.internal.misc to us. */
    static void requireAvailable() throws CaptureFailedException {
        if (UNAVAILABLE != null) {
            throw new CaptureFailedException("jdk.internal.misc.Unsafe is not accessible to the capture code ("
                + UNAVAILABLE + "); was java.base/jdk.internal.misc exported to the boot loader's unnamed module?");
        }
    }

    static byte getByte(Object o, long offset) {
        try { return (byte) GET_BYTE.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }

    static short getShort(Object o, long offset) {
        try { return (short) GET_SHORT.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }

    static int getInt(Object o, long offset) {
        try { return (int) GET_INT.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }

    static long getLong(Object o, long offset) {
        try { return (long) GET_LONG.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }

    static Object getReference(Object o, long offset) {
        try { return (Object) GET_REFERENCE.invokeExact(o, offset); } catch (Throwable t) { throw rethrow(t); }
    }

    static void copyMemory(Object src, long srcOffset, Object dst, long dstOffset, long bytes) {
        try { COPY_MEMORY.invokeExact(src, srcOffset, dst, dstOffset, bytes); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Offset of an instance field; unlike sun.misc.Unsafe this accepts records and hidden classes. */
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

    static int arrayIndexScale(Class<?> arrayClass) {
        try { return (int) ARRAY_INDEX_SCALE.invokeExact(arrayClass); } catch (Throwable t) { throw rethrow(t); }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException) return (RuntimeException) t;
        if (t instanceof Error) throw (Error) t;
        return new IllegalStateException(t);
    }
}
