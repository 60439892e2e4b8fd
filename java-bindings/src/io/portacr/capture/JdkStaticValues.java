package io.portacr.capture;

import io.portacr.JdkUnsafe;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The objects that are values of static fields of JDK classes (boot or platform loader),
 * found once per checkpoint. Such an object is bound to the running JDK (System.out,
 * Boolean.TRUE, enum constants of JDK enums, Collections.EMPTY_LIST, the boxing caches)
 * and is written as a symbolic reference ({@code StaticValue}, or
 * {@code StaticArrayElement} for the boxing caches) that restore looks up again.
 *
 * <p>Left out on purpose: Strings (carried by value, interned ones interned again — a
 * constant's field may not exist in another JDK) and instances of application classes
 * (application state that happens to sit in a JDK static, e.g. a default uncaught
 * exception handler, must be carried, not bound to the target's value).
 */
final class JdkStaticValues {
    /** The values found, in order: value i has id i + 1 in {@link #table}. */
    private final List<Object> values = new ArrayList<>();
    /** Value → position in {@link #values}, while scanning (the first field wins). */
    private IdentityHashMap<Object, Integer> positions = new IdentityHashMap<>();
    /** The lookup table, made by {@link #index} once the kind of keys is known; null before. */
    private IdentityTable table;
    private final List<String> classNames = new ArrayList<>();
    private final List<String> fieldNames = new ArrayList<>();
    private final List<Integer> indexes = new ArrayList<>(); // -1 = the field's value itself
    /** The classes of the values: an object of another class is not looked up. */
    private final Set<Class<?>> valueClasses = new HashSet<>();
    /** Names of JDK enum constants seen (always interned: they are literals), for InternedStrings. */
    final List<String> enumNames = new ArrayList<>();
    final long buildNanos;
    final int classesScanned;

    /** The boxing caches: their elements are what valueOf returns, so identity must survive. */
    private static final String[][] BOX_CACHES = {
        {"java.lang.Integer$IntegerCache", "cache"},
        {"java.lang.Long$LongCache", "cache"},
        {"java.lang.Short$ShortCache", "cache"},
        {"java.lang.Byte$ByteCache", "cache"},
        {"java.lang.Character$CharacterCache", "cache"},
    };

    private final ReferenceSlot scratch = new ReferenceSlot();

    /** Scans the loaded JDK classes; {@link #index} must be called before {@link #lookup}. */
    JdkStaticValues(Class<?>[] loaded) {
        long start = System.nanoTime();
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        int scanned = 0;
        for (Class<?> c : loaded) {
            if (!isScanned(c, platform)) continue;
            Field[] fields;
            try {
                fields = c.getDeclaredFields();
            } catch (Throwable t) {
                continue; // a field type that cannot be resolved: nothing of this class is bound
            }
            scanned++;
            String className = ClassTable.internalName(c);
            for (Field f : fields) {
                if (!Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) continue;
                Object value = JdkUnsafe.getReference(JdkUnsafe.staticFieldBase(f), JdkUnsafe.staticFieldOffset(f));
                put(value, className, f.getName(), -1);
            }
        }
        for (String[] cache : BOX_CACHES) addArrayElements(cache[0], cache[1]);
        classesScanned = scanned;
        positions = null;
        buildNanos = System.nanoTime() - start;
    }

    /** Whether the scan reads the static fields of this class: an initialized JDK class. */
    private static boolean isScanned(Class<?> c, ClassLoader platform) {
        if (c.isArray() || c.isPrimitive()) return false;
        ClassLoader l = c.getClassLoader();
        return (l == null || l == platform) && ClassTable.isInitialized(c);
    }

    /**
     * Asks for the declared fields of the class if the scan would read it now, so that the
     * JDK keeps them (Class.reflectionData) and the scan at a checkpoint copies them instead
     * of asking the VM: called by the background warm-up for each loaded class
     * (CaptureWarmup). Measured on HeapBench's checkpoint, JDK 17: the scan of ~950 classes
     * took 21-43 ms of the pause without it.
     */
    static void primeReflection(Class<?> c, ClassLoader platform) {
        try {
            if (isScanned(c, platform)) c.getDeclaredFields();
        } catch (Throwable t) {
            // as in the scan: a field type that cannot be resolved
        }
    }

    /**
     * Makes the lookup table with the keys the walk uses ({@link ObjectKeys}). Address keys
     * are taken here, inside the capture's window without collections; the scan before may
     * run outside it.
     */
    void index(boolean addressKeys) {
        if (table != null) table.release();
        table = new IdentityTable(Math.max(1 << 10, values.size()), addressKeys);
        for (Object v : values) table.add(v, key(v));
    }

    private void addArrayElements(String className, String fieldName) {
        try {
            Class<?> c = Class.forName(className, false, null);
            if (!ClassTable.isInitialized(c)) return;
            Field f = c.getDeclaredField(fieldName);
            Object array = JdkUnsafe.getReference(JdkUnsafe.staticFieldBase(f), JdkUnsafe.staticFieldOffset(f));
            if (!(array instanceof Object[])) return;
            Object[] elements = (Object[]) array;
            String internal = ClassTable.internalName(c);
            for (int i = 0; i < elements.length; i++) {
                Object e = elements[i];
                if (e == null) continue;
                Integer at = positions.get(e);
                if (at != null) {
                    // Prefer the array element: it is what valueOf returns on every JDK.
                    classNames.set(at, internal);
                    fieldNames.set(at, fieldName);
                    indexes.set(at, i);
                } else {
                    put(e, internal, fieldName, i);
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // JDK without this cache layout: its values are carried as plain objects.
        }
    }

    private void put(Object value, String className, String fieldName, int index) {
        if (value == null || value instanceof String) return;
        if (value instanceof Enum && enumNames.size() < 2000) enumNames.add(((Enum<?>) value).name());
        Class<?> vc = value.getClass();
        if (!vc.isArray() && ClassTable.isApplicationClass(vc)) return;
        if (vc.isArray()) {
            Class<?> element = vc;
            while (element.isArray()) element = element.getComponentType();
            if (!element.isPrimitive() && ClassTable.isApplicationClass(element)) return;
        }
        if (positions.putIfAbsent(value, values.size()) != null) return; // first field wins
        values.add(value);
        valueClasses.add(vc);
        classNames.add(className);
        fieldNames.add(fieldName);
        indexes.add(index);
    }

    private int key(Object o) {
        return table.exact ? scratch.compressed(o) : System.identityHashCode(o);
    }

    int size() {
        return values.size();
    }

    /** Frees the lookup table's native memory; {@link #lookup} must not be called afterwards. */
    void release() {
        if (table != null) table.release();
    }

    /**
     * Whether some value is an instance of exactly this class. The walk asks once per class
     * and looks up only the objects of such classes: most objects (every String, every
     * instance of an application class) are of none, and the lookup was ~9 % of the walk's
     * time on HeapBench's 200 MB heap (45 of 500 ms, 3.6 M objects).
     */
    boolean hasValuesOf(Class<?> c) {
        return valueClasses.contains(c);
    }

    /**
     * The symbolic reference for the object, or null if it is not a JDK static value.
     * {@code key}: its key of the kind this table was made with.
     */
    SymbolicRef lookup(Object o, int key) {
        int id = table.find(o, key);
        if (id == 0) return null;
        int index = indexes.get(id - 1);
        return index < 0
            ? SymbolicRef.staticValue(classNames.get(id - 1), fieldNames.get(id - 1))
            : SymbolicRef.staticArrayElement(classNames.get(id - 1), fieldNames.get(id - 1), index);
    }
}
