package io.portacr.capture;

import io.portacr.JdkUnsafe;
import io.portacr.Native;

import java.lang.ref.Cleaner;
import java.util.Arrays;

/**
 * Object → dense id (1..n), by identity, under one of two kinds of key ({@link ObjectKeys}):
 * <ul>
 *   <li><em>address keys</em> (exact): the object's compressed reference, unique while no
 *       collection moves objects, which the capture checks after the walk
 *       ({@link ObjectKeys#collections}). A probe needs the key only;</li>
 *   <li><em>identity hashes</em>: {@code System.identityHashCode}, which may collide, so a
 *       probe whose key matches confirms the candidate with {@code ==} against the id list.</li>
 * </ul>
 *
 * <p>Why not IdentityHashMap: under G1, storing references at random positions of a large
 * {@code Object[]} costs ~400 ns a store (post-write barrier, card marking), against
 * ~30 ns under Parallel GC (DESIGN.md §4). Here references are only appended to
 * {@link #objects}, filled sequentially in id order; the hash table holds primitive slots,
 * open addressing with linear probing. A slot is a {@code long}: the key in the high 32
 * bits, the id in the low 32 (0: empty; keys are never 0, ids start at 1).
 *
 * <p>The slots are native memory, not a Java array: at 1 GB of live heap they are 256 MB,
 * and as a humongous Java array they pushed G1's occupancy over its concurrent-start
 * threshold, so a concurrent mark of the whole heap ran during the walk (measured: 1.0 s of
 * GC-thread CPU in an 8.2 s checkpoint, HeapBench 1 GB, -Xmx3g). {@link #release} frees them
 * when the capture ends; a Cleaner frees them if a table is dropped unreleased.
 *
 * <p>The walk's own table, with address keys, is a <em>direct</em> table instead of a hash
 * table where the agent can map one ({@link #granuleOffset}): no probing, and the ids of
 * neighbouring objects are neighbours (spec/semantics.md §2.3).
 */
final class IdentityTable {
    private static final Cleaner CLEANER = Cleaner.create();

    static final int MAX_OBJECTS = (1 << 28) - 1;

    /** Address keys: a matching key is the object. */
    final boolean exact;
    /**
     * With address keys, the ids may be kept in a <em>direct</em> table instead of the hash
     * table: one int per possible object start (a granule of the compressed address space,
     * {@link ObjectKeys#GRANULE_SHIFT}), at this address; 0 if hashed. See
     * {@link #granuleOffset}.
     */
    private final long direct;
    private Object[] objects;
    private int count;
    /** Address of the slots, {@code mask + 1} longs; 0 once released. */
    private long slots;
    private int mask;
    private final NativeSlots memory;

    /** A hash table for about {@code expected} objects (it grows past them). */
    IdentityTable(int expected, boolean exact) {
        this(expected, exact, false);
    }

    /**
     * A table for about {@code expected} objects; with address keys and {@code direct}, a
     * direct table if the agent can map one ({@link #granuleOffset}), else a hash table.
     */
    IdentityTable(int expected, boolean exact, boolean direct) {
        this.exact = exact;
        memory = new NativeSlots();
        CLEANER.register(this, memory);
        objects = new Object[Math.max(16, expected) + 1];
        long table = exact && direct ? memory.map(ObjectKeys.DIRECT_TABLE_BYTES) : 0;
        this.direct = table;
        if (table != 0) return;
        // The power of two at or above 1.5 x expected: 8-16 bytes an expected object, as the
        // 4-byte slots at 2 x expected were; grown when three quarters full.
        long wanted = Math.max(16L, expected + (long) expected / 2);
        int cap = (int) Math.min(1L << 30, Long.highestOneBit(wanted - 1) << 1);
        slots = memory.allocate(cap);
        mask = cap - 1;
    }

    /** The native slot memory of one table, freed once (by {@link #release} or the Cleaner). */
    private static final class NativeSlots implements Runnable {
        private long address;
        /** Address and length of the mapping {@link #map} made (0: none). */
        private long mapped, mappedBytes;

        /** A zeroed mapping of this length from the agent, 0 if it cannot make one. */
        synchronized long map(long bytes) {
            long at = Native.mapTableMemory(bytes);
            if (at != 0) {
                mapped = at;
                mappedBytes = bytes;
            }
            return at;
        }

        /** Zeroed memory for cap slots; the previous memory is freed by {@link #run} when the caller is done with it. */
        synchronized long allocate(int cap) {
            long bytes = (long) cap * Long.BYTES;
            long fresh = JdkUnsafe.allocateMemory(bytes);
            JdkUnsafe.setMemory(fresh, bytes, (byte) 0);
            address = fresh;
            return fresh;
        }

        synchronized void free(long old) {
            if (old != 0 && old != address) JdkUnsafe.freeMemory(old);
        }

        @Override
        public synchronized void run() {
            if (address != 0) JdkUnsafe.freeMemory(address);
            address = 0;
            if (mapped != 0) Native.unmapTableMemory(mapped, mappedBytes);
            mapped = 0;
        }
    }

    /** Frees the slots; the table must not be used afterwards. */
    void release() {
        slots = 0;
        memory.run();
    }

    private long slot(int i) {
        return JdkUnsafe.getLong(null, slots + ((long) i << 3));
    }

    int size() {
        return count;
    }

    /** For the capture's statistics: {@code direct(keyShift=N)} or {@code hash}. */
    String kind() {
        return direct != 0 ? "direct(keyShift=" + ObjectKeys.GRANULE_SHIFT + ")" : "hash";
    }

    Object get(int id) {
        return objects[id];
    }

    /**
     * Byte offset of a key's entry in the direct table. The direct table keeps ids where
     * the objects are: one int per granule (16 or 8 bytes) of the compressed address space, so that
     * objects next to each other in the heap have their ids next to each other, and the
     * walk, which meets objects mostly in the heap's own order, finds most entries in the
     * cache. In the hash table each probe was a cache miss: with a 64 MB table,
     * {@code perf} put ~85 % of the walk's preparing samples on the slot load (HeapBench
     * 200 MB, spec/semantics.md §4). The mapping is virtual (1 to 16 GB, never reserved);
     * only pages under the heap's occupied range get touched (a quarter or half its size),
     * in transparent huge pages.
     */
    private static long granuleOffset(int key) {
        return (Integer.toUnsignedLong(key) >>> ObjectKeys.GRANULE_SHIFT) << 2;
    }

    /** Spreads keys: identity hashes may have poorly distributed low bits, addresses have aligned ones. */
    private static int spread(int key) {
        int h = key * 0x9E3779B9;
        return h ^ (h >>> 15);
    }

    /** The id of the object, or 0 if absent. */
    int find(Object o, int key) {
        int found = findOrSlot(o, key);
        return found > 0 ? found : 0;
    }

    /**
     * The id of the object (> 0), or, if absent, a negative code for {@link #addAt}: in a
     * direct table -1 (the key is the place); in a hash table {@code -(slot + 1)} where slot is the free
     * slot the probe ended on, for {@link #addAt}: one probe sequence, one cache miss, per
     * new object. With address keys {@code o} is not looked at.
     */
    int findOrSlot(Object o, int key) {
        if (direct != 0) {
            int id = JdkUnsafe.getInt(null, direct + granuleOffset(key));
            return id != 0 ? id : -1;
        }
        int i = spread(key) & mask;
        while (true) {
            long slot = slot(i);
            if (slot == 0) return -(i + 1);
            if ((int) (slot >>> 32) == key) {
                int id = (int) slot;
                if (exact || objects[id] == o) return id;
            }
            i = (i + 1) & mask;
        }
    }

    /**
     * Loads what {@link #findOrSlot} will load first for this key — the slot, and with
     * identity hashes the id list's entry if the key matches — and returns a value depending
     * on them. Called for a batch of keys before they are looked up, so that the cache misses
     * of the batch overlap instead of coming one after the other (Java has no prefetch
     * instruction; a load whose result is used is one).
     */
    long touch(int key) {
        if (direct != 0) return JdkUnsafe.getInt(null, direct + granuleOffset(key));
        long slot = slot(spread(key) & mask);
        if (!exact && slot != 0 && (int) (slot >>> 32) == key) {
            return objects[(int) slot] == null ? 1 : 2;
        }
        return slot;
    }

    /** Adds an absent object at the slot {@link #findOrSlot} returned (no insertion in between). */
    int addAt(Object o, int slotCode, int key) {
        if (count == MAX_OBJECTS) throw new TooManyObjectsException();
        int id = ++count;
        if (id >= objects.length) objects = Arrays.copyOf(objects, objects.length * 2);
        objects[id] = o;
        if (direct != 0) {
            JdkUnsafe.putInt(null, direct + granuleOffset(key), id);
            return id;
        }
        JdkUnsafe.putLong(null, slots + ((long) (-slotCode - 1) << 3), ((long) key << 32) | id);
        if (count > (mask + 1) / 4 * 3) grow();
        return id;
    }

    /** More objects than a slot can name. */
    static final class TooManyObjectsException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooManyObjectsException() {
            super("more than " + MAX_OBJECTS + " objects reachable: the image's object table is full", null, false, false);
        }
    }

    /** Adds an object known to be absent; returns its id. */
    int add(Object o, int key) {
        return addAt(o, findOrSlot(o, key), key);
    }

    /** Doubles the table, moving every slot (the keys are in the slots). */
    private void grow() {
        int oldCap = mask + 1;
        long old = slots;
        int cap = oldCap * 2;
        slots = memory.allocate(cap);
        mask = cap - 1;
        for (int i = 0; i < oldCap; i++) {
            long slot = JdkUnsafe.getLong(null, old + ((long) i << 3));
            if (slot == 0) continue;
            int at = spread((int) (slot >>> 32)) & mask;
            while (slot(at) != 0) at = (at + 1) & mask;
            JdkUnsafe.putLong(null, slots + ((long) at << 3), slot);
        }
        memory.free(old);
    }
}
