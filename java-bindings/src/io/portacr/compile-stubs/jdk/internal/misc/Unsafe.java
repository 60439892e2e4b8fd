package jdk.internal.misc;

/**
 * COMPILE-TIME STUB, never used at run time. {@code javac --release 17} cannot see the
 * JDK's {@code jdk.internal.misc} (not exported), yet {@link io.portacr.JdkUnsafe} calls
 * its Unsafe directly so that the interpreter and C1 reach the VM's intrinsics without
 * going through method handles. The stub declares only the members JdkUnsafe calls, with
 * the JDK's signatures (checked with javap against JDK 17, 21 and 25; arrayBaseOffset,
 * whose return type changed in JDK 23, is not among them). At run time the package
 * belongs to the module {@code java.base}, so the boot loader always takes the JDK's
 * class and never this one; the build leaves it out of the runtime jar.
 */
public final class Unsafe {
    private Unsafe() {}

    public static Unsafe getUnsafe() { throw new AssertionError("stub"); }

    public native byte getByte(Object o, long offset);
    public native short getShort(Object o, long offset);
    public native int getInt(Object o, long offset);
    public native long getLong(Object o, long offset);
    public native Object getReference(Object o, long offset);
    public native void putByte(Object o, long offset, byte x);
    public native void putShort(Object o, long offset, short x);
    public native void putInt(Object o, long offset, int x);
    public native void putLong(Object o, long offset, long x);
    public native void putReference(Object o, long offset, Object x);
    public final native boolean compareAndSetLong(Object o, long offset, long expected, long x);
    public native Object allocateInstance(Class<?> cls) throws InstantiationException;

    public final short getShortUnaligned(Object o, long offset, boolean bigEndian) { throw new AssertionError("stub"); }
    public final int getIntUnaligned(Object o, long offset, boolean bigEndian) { throw new AssertionError("stub"); }
    public final long getLongUnaligned(Object o, long offset, boolean bigEndian) { throw new AssertionError("stub"); }
    public void copyMemory(Object srcBase, long srcOffset, Object destBase, long destOffset, long bytes) { throw new AssertionError("stub"); }
    public long allocateMemory(long bytes) { throw new AssertionError("stub"); }
    public void setMemory(long address, long bytes, byte value) { throw new AssertionError("stub"); }
    public void freeMemory(long address) { throw new AssertionError("stub"); }
    public void ensureClassInitialized(Class<?> c) { throw new AssertionError("stub"); }
    public long objectFieldOffset(Class<?> c, String name) { throw new AssertionError("stub"); }
    public Object staticFieldBase(java.lang.reflect.Field f) { throw new AssertionError("stub"); }
    public long staticFieldOffset(java.lang.reflect.Field f) { throw new AssertionError("stub"); }
    public int arrayIndexScale(Class<?> arrayClass) { throw new AssertionError("stub"); }
}
