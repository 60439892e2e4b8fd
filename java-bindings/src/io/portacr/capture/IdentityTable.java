package io.portacr.capture;

import io.portacr.JdkUnsafe;

import java.lang.ref.Cleaner;
import java.util.Arrays;

/**
 * Object → dense id (1..n), by identity.
 *
 * <p>Why not IdentityHashMap: under G1, storing references at random positions of a large
 * {@code Object[]} costs ~400 ns a store (post-write barrier, card marking), against
 * ~30 ns under Parallel GC (DESIGN.md §4). Here references are only appended to
 * {@link #objects}, filled sequentially in id order; the hash table holds {@code int} ids
 * keyed by {@code System.identityHashCode}, with open addressing and linear probing, and a
 * probe confirms a candidate with {@code ==} against the id list.
 *
 * <p>A slot holds the id in its low 28 bits and 4 bits of the identity hash above them: a
 * probe passing an occupied slot of another object skips it on those bits 15 times out of
 * 16 instead of loading that object's entry of the id list (a cache miss each, and a new
 * object meets ~1.5 occupied slots at load ≤ 0.5). Hence at most {@link #MAX_OBJECTS} objects.
 *
 * <p>The slots are native memory, not an {@code int[]}: at 1 GB of live heap they are 256 MB,
 * and as a humongous Java array they pushed G1's occupancy over its concurrent-start
 * threshold, so a concurrent mark of the whole heap ran during the walk (measured: 1.0 s of
 * GC-thread CPU in an 8.2 s checkpoint, HeapBench 1 GB, -Xmx3g). {@link #release} frees them
 * when the capture ends; a Cleaner frees them if a table is dropped unreleased.
 */
final class IdentityTable {
    private static final Cleaner CLEANER = Cleaner.create();

    static final int ID_BITS = 28;
    static final int MAX_OBJECTS = (1 << ID_BITS) - 1;
    private static final int ID_MASK = MAX_OBJECTS;

    private Object[] objects;
    private int count;
    /** Address of the slots, {@code mask + 1} ints; 0 once released. */
    private long slots;
    private int mask;
    private final NativeSlots memory;

    IdentityTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        objects = new Object[Math.max(16, expected) + 1];
        memory = new NativeSlots();
        CLEANER.register(this, memory);
        slots = memory.allocate(cap);
        mask = cap - 1;
    }

    /** The native slot memory of one table, freed once (by {@link #release} or the Cleaner). */
    private static final class NativeSlots implements Runnable {
        private long address;

        /** Zeroed memory for cap slots, replacing (and freeing) the previous. */
        synchronized long allocate(int cap) {
            long bytes = (long) cap * Integer.BYTES;
            long fresh = JdkUnsafe.allocateMemory(bytes);
            JdkUnsafe.setMemory(fresh, bytes, (byte) 0);
            run();
            address = fresh;
            return fresh;
        }

        @Override
        public synchronized void run() {
            if (address != 0) JdkUnsafe.freeMemory(address);
            address = 0;
        }
    }

    /** Frees the slots; the table must not be used afterwards. */
    void release() {
        slots = 0;
        memory.run();
    }

    private int slot(int i) {
        return JdkUnsafe.getInt(slots + ((long) i << 2));
    }

    private void setSlot(int i, int value) {
        JdkUnsafe.putInt(slots + ((long) i << 2), value);
    }

    int size() {
        return count;
    }

    Object get(int id) {
        return objects[id];
    }

    /** Spreads identity hashes, whose low bits may be poorly distributed. */
    private static int spread(int h) {
        return (h * 0x9E3779B9) ^ (h >>> 16);
    }

    /** The 4 fingerprint bits of a hash, in slot position (taken from bits the index does not use much). */
    private static int fingerprint(int h) {
        return (h >>> 27) << ID_BITS;
    }

    /** The id of the object, or 0 if absent. {@code hash} is its identityHashCode. */
    int find(Object o, int hash) {
        int found = findOrSlot(o, hash);
        return found > 0 ? found : 0;
    }

    /**
     * The id of the object (> 0), or, if absent, {@code -(slot + 1)} where slot is the free
     * slot the probe ended on, for {@link #addAt}: one probe sequence, one cache miss, per
     * new object.
     */
    int findOrSlot(Object o, int hash) {
        int i = spread(hash) & mask;
        int fp = fingerprint(hash);
        while (true) {
            int slot = slot(i);
            if (slot == 0) return -(i + 1);
            if ((slot & ~ID_MASK) == fp) {
                int id = slot & ID_MASK;
                if (objects[id] == o) return id;
            }
            i = (i + 1) & mask;
        }
    }

    /**
     * Loads what {@link #findOrSlot} will load first for this hash — the slot, and the id
     * list's entry if the slot's fingerprint matches — and returns a value depending on
     * them. Called for a batch of hashes before they are looked up, so that the cache
     * misses of the batch overlap instead of coming one after the other (Java has no
     * prefetch instruction; a load whose result is used is one).
     */
    int touch(int hash) {
        int slot = slot(spread(hash) & mask);
        if (slot != 0 && (slot & ~ID_MASK) == fingerprint(hash)) {
            return objects[slot & ID_MASK] == null ? 1 : 2;
        }
        return slot;
    }

    /** Adds an absent object at the slot {@link #findOrSlot} returned (no insertion in between). */
    int addAt(Object o, int slotCode) {
        return addAt(o, slotCode, System.identityHashCode(o));
    }

    /** {@link #addAt(Object, int)} when the caller has the object's identity hash. */
    int addAt(Object o, int slotCode, int hash) {
        if (count == MAX_OBJECTS) throw new TooManyObjectsException();
        int id = ++count;
        if (id >= objects.length) objects = Arrays.copyOf(objects, objects.length * 2);
        objects[id] = o;
        setSlot(-slotCode - 1, id | fingerprint(hash));
        if (count * 2 > mask + 1) grow();
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
    int add(Object o, int hash) {
        return addAt(o, findOrSlot(o, hash));
    }

    /** Doubles the table; identityHashCode is cheap (~4 ns) once assigned, so hashes are not kept. */
    private void grow() {
        int cap = (mask + 1) * 2;
        slots = memory.allocate(cap); // frees the old slots: the objects give the hashes again
        mask = cap - 1;
        for (int id = 1; id <= count; id++) insert(id, System.identityHashCode(objects[id]));
    }

    private void insert(int id, int hash) {
        int i = spread(hash) & mask;
        while (slot(i) != 0) i = (i + 1) & mask;
        setSlot(i, id | fingerprint(hash));
    }
}
