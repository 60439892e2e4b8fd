package io.portacr.capture;

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
 */
final class IdentityTable {
    private Object[] objects;
    private int count;
    private int[] slots;
    private int mask;

    IdentityTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        slots = new int[cap];
        mask = cap - 1;
        objects = new Object[Math.max(16, expected) + 1];
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

    /** The id of the object, or 0 if absent. {@code hash} is its identityHashCode. */
    int find(Object o, int hash) {
        int i = spread(hash) & mask;
        while (true) {
            int id = slots[i];
            if (id == 0) return 0;
            if (objects[id] == o) return id;
            i = (i + 1) & mask;
        }
    }

    /**
     * The id of the object (> 0), or, if absent, {@code -(slot + 1)} where slot is the free
     * slot the probe ended on, for {@link #addAt}: one probe sequence, one cache miss, per
     * new object.
     */
    int findOrSlot(Object o, int hash) {
        int i = spread(hash) & mask;
        while (true) {
            int id = slots[i];
            if (id == 0) return -(i + 1);
            if (objects[id] == o) return id;
            i = (i + 1) & mask;
        }
    }

    /** Adds an absent object at the slot {@link #findOrSlot} returned (no insertion in between). */
    int addAt(Object o, int slotCode) {
        int id = ++count;
        if (id >= objects.length) objects = Arrays.copyOf(objects, objects.length * 2);
        objects[id] = o;
        slots[-slotCode - 1] = id;
        if (count * 2 > slots.length) grow();
        return id;
    }

    /** Adds an object known to be absent; returns its id. */
    int add(Object o, int hash) {
        return addAt(o, findOrSlot(o, hash));
    }

    /** Doubles the table; identityHashCode is cheap (~4 ns) once assigned, so hashes are not kept. */
    private void grow() {
        slots = new int[slots.length * 2];
        mask = slots.length - 1;
        for (int id = 1; id <= count; id++) insert(id, System.identityHashCode(objects[id]));
    }

    private void insert(int id, int hash) {
        int i = spread(hash) & mask;
        while (slots[i] != 0) i = (i + 1) & mask;
        slots[i] = id;
    }
}
