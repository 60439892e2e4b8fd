package io.portacr;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;

/**
 * The {@code jdk.internal.misc.Unsafe} operations the capture (heap walk) and the
 * restore (heap rebuild) use, called directly.
 *
 * <p>Why this and not {@code sun.misc.Unsafe}: the latter refuses fields of records and
 * hidden classes in {@code objectFieldOffset}, and since JDK 24 its memory-access methods
 * print a deprecation warning on first use (JEP 498) — the application would see it.
 * How: the sources are compiled with {@code javac --release 17}, which cannot see the
 * non-exported {@code jdk.internal.misc} package, so they compile against a stub of it
 * (compile-stubs/, left out of the jar); the agent exports the package to the boot loader's
 * unnamed module at VMInit, before any of this runs. Direct calls reach the VM's Unsafe
 * intrinsics in the interpreter, C1 and C2 alike. They replaced constant method handles,
 * which cost the same once C2 had inlined them but ran through lambda forms in the
 * interpreter and C1 code that the walk and the rebuild start in, and made every C2
 * compilation of them bigger. Only {@code arrayBaseOffset}, whose return type changed in
 * JDK 23, stays a method handle; it is never on a hot path. Off-heap reads
 * ({@code get*LE}) are little-endian by contract ({@code bigEndian = false}), whatever the
 * host's byte order.
 */
public final class JdkUnsafe {
    private JdkUnsafe() {}

    private static final jdk.internal.misc.Unsafe U;
    private static final MethodHandle ARRAY_BASE_OFFSET;
    /** Why Unsafe is not usable (jdk.internal.misc not exported to us), or null. */
    public static final Throwable UNAVAILABLE;

    static {
        jdk.internal.misc.Unsafe u = null;
        MethodHandle abo = null;
        Throwable failure = null;
        try {
            u = jdk.internal.misc.Unsafe.getUnsafe();
            Class<?> type = jdk.internal.misc.Unsafe.class;
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            // arrayBaseOffset returns int up to JDK 22 and long since JDK 23 (checked on 17 and 25).
            try {
                abo = lookup.findVirtual(type, "arrayBaseOffset", MethodType.methodType(long.class, Class.class)).bindTo(u);
            } catch (NoSuchMethodException e) {
                abo = lookup.findVirtual(type, "arrayBaseOffset", MethodType.methodType(int.class, Class.class)).bindTo(u)
                    .asType(MethodType.methodType(long.class, Class.class));
            }
        } catch (Throwable t) {
            u = null;
            failure = t;
        }
        U = u;
        ARRAY_BASE_OFFSET = abo;
        UNAVAILABLE = failure;
    }

    /** Native memory, uninitialized; OutOfMemoryError if there is none. */
    public static long allocateMemory(long bytes) { return U.allocateMemory(bytes); }
    public static void setMemory(long address, long bytes, byte value) { U.setMemory(address, bytes, value); }
    public static void freeMemory(long address) { U.freeMemory(address); }
    public static int getInt(long address) { return U.getInt(null, address); }
    public static void putInt(long address, int v) { U.putInt(null, address, v); }
    public static byte getByte(long address) { return U.getByte(null, address); }
    public static byte getByte(Object o, long offset) { return U.getByte(o, offset); }
    public static short getShortLE(long address) { return U.getShortUnaligned(null, address, false); }
    public static int getIntLE(long address) { return U.getIntUnaligned(null, address, false); }
    public static long getLongLE(long address) { return U.getLongUnaligned(null, address, false); }
    public static long getLong(Object o, long offset) { return U.getLong(o, offset); }
    public static void putByte(Object o, long offset, byte v) { U.putByte(o, offset, v); }
    public static void putShort(Object o, long offset, short v) { U.putShort(o, offset, v); }
    public static void putInt(Object o, long offset, int v) { U.putInt(o, offset, v); }
    public static void putLong(Object o, long offset, long v) { U.putLong(o, offset, v); }
    public static void putReference(Object o, long offset, Object v) { U.putReference(o, offset, v); }
    public static Object getReference(Object o, long offset) { return U.getReference(o, offset); }
    public static boolean compareAndSetLong(Object o, long offset, long expected, long value) {
        return U.compareAndSetLong(o, offset, expected, value);
    }
    public static void copyMemory(Object src, long srcOffset, Object dst, long dstOffset, long bytes) {
        U.copyMemory(src, srcOffset, dst, dstOffset, bytes);
    }
    /** A new instance without running a constructor (initializes the class first). */
    public static Object allocateInstance(Class<?> c) {
        try {
            return U.allocateInstance(c);
        } catch (InstantiationException e) {
            throw new IllegalStateException(e);
        }
    }
    /** Offset of an instance field by name; accepts records and hidden classes. Throws if absent. */
    public static long objectFieldOffset(Class<?> c, String name) { return U.objectFieldOffset(c, name); }
    public static Object staticFieldBase(Field f) { return U.staticFieldBase(f); }
    public static long staticFieldOffset(Field f) { return U.staticFieldOffset(f); }
    public static long arrayBaseOffset(Class<?> arrayClass) {
        try {
            return (long) ARRAY_BASE_OFFSET.invokeExact(arrayClass);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
    public static void ensureClassInitialized(Class<?> c) { U.ensureClassInitialized(c); }
    public static short getShort(Object o, long offset) { return U.getShort(o, offset); }
    public static int getInt(Object o, long offset) { return U.getInt(o, offset); }
    public static int arrayIndexScale(Class<?> arrayClass) { return U.arrayIndexScale(arrayClass); }
}
