package io.portacr.restore;

import io.portacr.JdkUnsafe;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hash-based collections whose placement depends on hashes that differ in this VM: keys
 * bound to this VM's objects (Class objects, JDK enum constants, {@code Boolean.TRUE}: their
 * identity hashes are this VM's), keys whose identity hash could not be written back
 * ({@link IdentityHashes}), and the immutable {@code Set.of}/{@code Map.of} tables, whose
 * probe order depends on a per-VM random salt. Such a table is rebuilt in place once the
 * whole heap and every static exist: its entries are taken in iteration order and put back,
 * so the object keeps its identity and a LinkedHashMap its order.
 *
 * <p>A table is rebuilt only when one of its keys is not found where it is stored, which
 * calls the keys' {@code hashCode}/{@code equals} — program code, as Java deserialization
 * also runs when it reads a HashMap. Other tables (TreeMap, EnumMap) do not depend on
 * hashes.
 */
final class HashRepair {
    private HashRepair() {}

    private static final Class<?> SET_N = jdkClass("java.util.ImmutableCollections$SetN");
    private static final Class<?> MAP_N = jdkClass("java.util.ImmutableCollections$MapN");

    private static Class<?> jdkClass(String name) {
        try {
            return Class.forName(name, false, null);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    static boolean mayNeedRepair(Class<?> c) {
        return HashMap.class.isAssignableFrom(c) || Hashtable.class.isAssignableFrom(c)
            || WeakHashMap.class.isAssignableFrom(c) || IdentityHashMap.class.isAssignableFrom(c)
            || ConcurrentHashMap.class.isAssignableFrom(c) || c == SET_N || c == MAP_N;
    }

    /** Checks and, where needed, rebuilds the candidates; returns how many were rebuilt. */
    static int repair(HeapRebuild heap) {
        int rebuilt = 0;
        for (int i = 0; i < heap.repairCount; i++) {
            Object o = heap.byId[heap.repairIds[i]];
            try {
                if (o.getClass() == SET_N) {
                    if (repairSetN((Set<?>) o)) rebuilt++;
                } else if (o.getClass() == MAP_N) {
                    if (repairMapN((Map<?, ?>) o)) rebuilt++;
                } else if (o instanceof Map && repairMap((Map<?, ?>) o)) {
                    rebuilt++;
                }
            } catch (RuntimeException e) {
                Log.warn("cannot check the hash table " + o.getClass().getName() + " (object " + heap.repairIds[i] + "): " + e);
            }
        }
        return rebuilt;
    }

    /**
     * Key classes whose {@code hashCode} the Java SE API specifies from their value (String's
     * polynomial, the boxes' values, Boolean's 1231/1237): the same in every JVM, so such a
     * key is where this VM would put it and needs no lookup. Skipping them saves hashing every
     * restored String key twice (here and again in the program).
     */
    private static boolean hashIsSpecified(Class<?> c) {
        return c == String.class || c == Integer.class || c == Long.class || c == Short.class
            || c == Byte.class || c == Character.class || c == Boolean.class;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static boolean repairMap(Map m) {
        boolean consistent = true;
        // IdentityHashMap places by identity hash whatever the key's class.
        boolean byValue = !(m instanceof IdentityHashMap);
        for (Object k : m.keySet()) {
            if (byValue && k != null && hashIsSpecified(k.getClass())) continue;
            if (!m.containsKey(k)) {
                consistent = false;
                break;
            }
        }
        if (consistent) return false;
        List<Object> keys = new ArrayList<>(m.size());
        List<Object> values = new ArrayList<>(m.size());
        for (Object e : m.entrySet()) {
            keys.add(((Map.Entry) e).getKey());
            values.add(((Map.Entry) e).getValue());
        }
        m.clear();
        for (int i = 0; i < keys.size(); i++) m.put(keys.get(i), values.get(i));
        return true;
    }

    /** Set.of with more than two elements: take the table this VM's salt gives. */
    private static boolean repairSetN(Set<?> s) {
        Object[] elements = s.toArray();
        boolean consistent = true;
        for (Object e : elements) if (!s.contains(e)) consistent = false;
        if (consistent) return false;
        Set<?> fresh = Set.of(elements);
        copyField(SET_N, "elements", fresh, s);
        return true;
    }

    private static boolean repairMapN(Map<?, ?> m) {
        List<Map.Entry<?, ?>> entries = new ArrayList<>();
        boolean consistent = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            entries.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue()));
            if (!m.containsKey(e.getKey())) consistent = false;
        }
        if (consistent) return false;
        Map<?, ?> fresh = Map.ofEntries(entries.toArray(new Map.Entry[0]));
        copyField(MAP_N, "table", fresh, m);
        return true;
    }

    private static void copyField(Class<?> c, String field, Object from, Object to) {
        long offset = JdkUnsafe.objectFieldOffset(c, field);
        JdkUnsafe.putReference(to, offset, JdkUnsafe.getReference(from, offset));
    }
}
