package io.portacr.capture;

import io.portacr.JdkUnsafe;

/**
 * A one-element array through which an object's reference can be read as the heap stores
 * it: its compressed reference, or its address without compressed references.
 *
 * <p>The array is read through a field typed {@code Object}: C2 does not compile
 * {@code Unsafe.getInt} or {@code getLong} of a slot it knows holds a reference (an element
 * of a known {@code Object[]}) into a load but into a call of the native method, some 20 ns
 * each (seen with -XX:+PrintInlining: "failed to inline (intrinsic)").
 */
final class ReferenceSlot {
    private static final long BASE = JdkUnsafe.arrayBaseOffset(Object[].class);
    static final boolean COMPRESSED = JdkUnsafe.arrayIndexScale(Object[].class) == 4;

    private final Object[] slot = new Object[1];
    /** The same array, typed Object for the reads (see above). */
    private final Object memory = slot;

    /** The compressed reference of o (0 for null); only with compressed references. */
    int compressed(Object o) {
        slot[0] = o;
        int bits = JdkUnsafe.getInt(memory, BASE);
        slot[0] = null;
        return bits;
    }

    /** The reference of o as stored, unsigned; ordered like addresses. */
    long bits(Object o) {
        if (COMPRESSED) return compressed(o) & 0xFFFF_FFFFL;
        slot[0] = o;
        long bits = JdkUnsafe.getLong(memory, BASE);
        slot[0] = null;
        return bits;
    }
}
