package io.portacr.capture;

import io.portacr.JdkUnsafe;

/**
 * Tells whether the application had assigned an object's identity hash, by reading the
 * mark word before the capture calls {@link System#identityHashCode} (which assigns one).
 *
 * <p>HotSpot keeps the identity hash, 31 bits, in the mark word of an unlocked object:
 * at bit 8 on JDK 17 and bit 11 on JDK 25 (also with -XX:+UseCompactObjectHeaders),
 * measured on this machine (DESIGN.md §4). The position is not hard-coded: it is found at
 * run time by hashing a probe object and locating the hash in its mark word; the test in
 * java-bindings/capture-test fails loudly if a JDK moves it elsewhere.
 *
 * <p>Lock states: the low three bits of an unlocked, unbiased mark are {@code 001}
 * (lock bits 01, bit 2 is the biased bit on JDK 17 and the self-forwarded bit on JDK 25,
 * both zero in a normal unlocked object). Any other state (stack-locked, inflated,
 * biased) moves or hides the hash, so such an object is <em>treated as hashed</em>: its
 * hash is taken from {@code identityHashCode} and recorded. The worst case is recording
 * a hash the application never asked for, which is harmless after restore.
 */
final class HeaderHash {
    private HeaderHash() {}

    private static final int UNKNOWN = -1;
    /** Bit position of the hash in the mark word, or UNKNOWN if the probe failed. */
    static final int SHIFT = probeShift();
    private static final long HASH_MASK = 0x7FFF_FFFFL;

    private static int probeShift() {
        if (JdkUnsafe.UNAVAILABLE != null) return UNKNOWN;
        // Several probes: a single hash could match at two positions by chance.
        int found = UNKNOWN;
        for (int attempt = 0; attempt < 4; attempt++) {
            Object probe = new Object();
            int hash = System.identityHashCode(probe);
            long mark = JdkUnsafe.getLong(probe, 0);
            int at = UNKNOWN;
            for (int shift = 3; shift <= 33; shift++) {
                if (((mark >>> shift) & HASH_MASK) == (hash & HASH_MASK)) {
                    at = shift;
                    break;
                }
            }
            if (at == UNKNOWN || (found != UNKNOWN && found != at)) return UNKNOWN;
            found = at;
        }
        return found;
    }

    /** True if the mark word says the object already has an identity hash (or cannot say). */
    static boolean wasHashed(Object o) {
        return wasHashed(JdkUnsafe.getLong(o, 0));
    }

    /** {@link #wasHashed(Object)} of an object whose mark word is {@code mark}. */
    static boolean wasHashed(long mark) {
        if (SHIFT == UNKNOWN) return true;
        if ((mark & 0b111) != 0b001) return true;
        return ((mark >>> SHIFT) & HASH_MASK) != 0;
    }

    /**
     * The identity hash held in an unlocked mark word, or 0 when there is none or it cannot
     * be read there (HotSpot never assigns 0 as an identity hash). Equal to
     * {@code System.identityHashCode} whenever it is not 0, without the call.
     */
    static int hashInMark(long mark) {
        if (SHIFT == UNKNOWN || (mark & 0b111) != 0b001) return 0;
        return (int) ((mark >>> SHIFT) & HASH_MASK);
    }
}
