package io.portacr.restore;

import io.portacr.JdkUnsafe;

/**
 * Writes a recorded identity hash into a fresh object's header, so that
 * {@code System.identityHashCode} returns what it returned before the checkpoint and
 * identity-keyed tables stay valid.
 *
 * <p>HotSpot keeps the 31-bit identity hash in the mark word of an unlocked object: bit 8 on
 * JDK 17, bit 11 on JDK 21 and 25 (also with -XX:+UseCompactObjectHeaders, where the class
 * pointer sits above the hash). The position is not hard-coded: it is found at run time by
 * hashing probe objects and locating the hash in their mark words; the restore e2e test
 * compares identity hashes on 17, 21, 25 and fails loudly if a JDK moves it.
 *
 * <p>Only an unlocked mark (low bits {@code 001}) with no hash yet is written, with a
 * compare-and-set so a concurrent header change (a collector's forwarding, a lock) is never
 * overwritten. Anything else (biased or locked header, unknown layout) leaves the object
 * alone and is counted; hash-based collections are then repaired by {@link HashRepair}.
 */
final class IdentityHashes {
    private IdentityHashes() {}

    private static final long HASH_MASK = 0x7FFF_FFFFL;
    /** Bit position of the hash in the mark word, or -1 if the probe failed. */
    static final int SHIFT = probeShift();

    private static int probeShift() {
        if (JdkUnsafe.UNAVAILABLE != null) return -1;
        int found = -1;
        // Several probes: one hash could match at two positions by chance.
        for (int attempt = 0; attempt < 4; attempt++) {
            Object probe = new Object();
            int hash = System.identityHashCode(probe);
            long mark = JdkUnsafe.getLong(probe, 0);
            int at = -1;
            for (int shift = 3; shift <= 33; shift++) {
                if (((mark >>> shift) & HASH_MASK) == (hash & HASH_MASK)) {
                    at = shift;
                    break;
                }
            }
            if (at < 0 || (found >= 0 && found != at)) return -1;
            found = at;
        }
        // Check that writing works: a fresh probe must report the written hash.
        if (found >= 0) {
            Object probe = new Object();
            if (!write(probe, 0x1234567, found) || System.identityHashCode(probe) != 0x1234567) return -1;
        }
        return found;
    }

    private static boolean write(Object o, int hash, int shift) {
        long mark = JdkUnsafe.getLong(o, 0);
        if ((mark & 0b111) != 0b001) return false;
        long present = (mark >>> shift) & HASH_MASK;
        if (present != 0) return present == (hash & HASH_MASK);
        long marked = mark | ((hash & HASH_MASK) << shift);
        return JdkUnsafe.compareAndSetLong(o, 0, mark, marked);
    }

    /** Gives {@code o} the identity hash {@code hash}; false if that was not possible. */
    static boolean set(Object o, int hash) {
        if (SHIFT < 0 || hash == 0) return false;
        return write(o, hash, SHIFT);
    }
}
