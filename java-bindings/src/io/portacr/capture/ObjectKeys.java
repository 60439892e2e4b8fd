package io.portacr.capture;

import io.portacr.JdkUnsafe;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Set;

/**
 * The key under which the walk's identity tables ({@link IdentityTable}) know an object
 * (spec/semantics.md §2.3).
 *
 * <p><em>Address keys</em>, the default where they are safe: the object's compressed
 * reference as the heap holds it, read with {@code Unsafe.getInt} from the field or array
 * slot that refers to it. Unique as long as no collection moves objects. They cost one load
 * from memory the walk already reads, where an identity hash costs a load of the referred
 * object's header, a runtime call and a locked write into that header the first time (the
 * walk used to hash every object it met, the application's objects kept those hashes after
 * a {@code keepRunning} checkpoint). Used when references are compressed (4-byte slots) and
 * every collector of this VM moves objects only in stop-the-world pauses, each counted by
 * its {@link GarbageCollectorMXBean}: Serial, Parallel and G1. The capture reads the
 * collection count before the first key and after the walk ({@link #collections}); if it
 * changed, keys may name moved objects, and the capture is discarded and made again with
 * identity hashes.
 *
 * <p><em>Identity hashes</em> otherwise (ZGC and Shenandoah move objects concurrently,
 * without compressed references there is no 32-bit address), and for a capture made again:
 * {@code System.identityHashCode}, confirmed with {@code ==} on a match.
 *
 * <p>{@code -Dportacr.capture.addressKeys=false} turns address keys off (tests of the
 * other path).
 */
final class ObjectKeys {
    private ObjectKeys() {}

    /** Collectors whose every object move happens in a pause that their bean counts. */
    private static final Set<String> PAUSE_MOVING = Set.of(
        "Copy", "MarkSweepCompact",                                  // Serial
        "PS Scavenge", "PS MarkSweep",                               // Parallel
        "G1 Young Generation", "G1 Old Generation", "G1 Concurrent GC"); // G1 (the last since JDK 20)

    private static final long OBJECT_ARRAY_BASE = JdkUnsafe.arrayBaseOffset(Object[].class);

    /**
     * How far an address key is shifted right to number the <em>granules</em> of the direct
     * id table ({@link IdentityTable}): the largest power-of-two size in which no two objects
     * can start, 16 bytes when every object takes at least 16 (an instance of
     * {@code Object} is the smallest object there is, and the collectors' fillers are no
     * smaller), else 8, the objects' alignment. Keys are byte addresses when compressed
     * references are not shifted (a heap below 4 GB) and count 8-byte units when they are:
     * the shift is 4 or 3 for the former, 1 or 0 for the latter. Found once, from the keys
     * of objects allocated one after the other: unshifted keys are all multiples of 8
     * (shifted ones of small objects side by side never are), and the smallest distance
     * between two of them is the size of an {@code Object}. Any doubt gives the smaller
     * granule, which is always exact.
     */
    static final int GRANULE_SHIFT = granuleShift();
    /** The length of a direct id table ({@link IdentityTable}): 4 bytes a granule of the 32-bit key space. */
    static final long DIRECT_TABLE_BYTES = 4L << (32 - GRANULE_SHIFT);

    private static int granuleShift() {
        try {
            if (!ReferenceSlot.COMPRESSED) return 0;
            Object[] probe = new Object[64];
            for (int i = 0; i < probe.length; i++) probe[i] = new Object();
            int or = 0;
            long[] steps = new long[probe.length - 1];
            long smallest = Long.MAX_VALUE;
            long previous = 0;
            for (int i = 0; i < probe.length; i++) {
                int key = JdkUnsafe.getInt(probe, elementOffset(i));
                or |= key;
                long unsigned = Integer.toUnsignedLong(key);
                if (i > 0) {
                    long step = unsigned - previous;
                    steps[i - 1] = step;
                    if (step > 0) smallest = Math.min(smallest, step);
                }
                previous = unsigned;
            }
            boolean byteKeys = or != 0 && (or & 7) == 0;
            int adjacent = 0; // objects right after each other: the step is an Object's size
            for (long step : steps) if (step == smallest) adjacent++;
            long objectBytes = byteKeys ? smallest : smallest * 8;
            int granule = objectBytes == 16 && adjacent >= steps.length / 2 ? 4 : 3; // log2 of its bytes
            return byteKeys ? granule : granule - 3;
        } catch (Throwable e) {
            return 0;
        }
    }

    /** Whether this VM's walks may use address keys (decided once). */
    static final boolean ADDRESS_KEYS_SUPPORTED = addressKeysSupported();

    private static boolean addressKeysSupported() {
        if ("false".equals(System.getProperty("portacr.capture.addressKeys"))) return false;
        try {
            if (!ReferenceSlot.COMPRESSED) return false;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (!PAUSE_MOVING.contains(gc.getName())) return false;
            }
            return true;
        } catch (Throwable e) {
            return false;
        }
    }

    /**
     * Collections so far, of all collectors; -1 if a count is unavailable. With address keys
     * the capture compares the value before and after the walk.
     */
    static long collections() {
        long total = 0;
        List<GarbageCollectorMXBean> beans = ManagementFactory.getGarbageCollectorMXBeans();
        for (GarbageCollectorMXBean gc : beans) {
            long n = gc.getCollectionCount();
            if (n < 0) return -1;
            total += n;
        }
        return total;
    }

    /** Byte offset of element i of a reference array (compressed references). */
    static long elementOffset(int i) {
        return OBJECT_ARRAY_BASE + ((long) i << 2);
    }

    /** Thrown when a collection ran during a walk with address keys: the capture is made again. */
    static final class ObjectsMovedException extends Exception {
        private static final long serialVersionUID = 1L;

        ObjectsMovedException() {
            super("a garbage collection moved objects during the walk", null, false, false);
        }
    }
}
