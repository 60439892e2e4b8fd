package io.portacr.capture;

/**
 * What the capture knows about one class: how to classify its instances, its instance
 * layout (spec/contracts.md §3) with Unsafe offsets, and — once the class is in the image's
 * class table — its index. Computed once per class per checkpoint.
 */
final class ClassInfo {
    // How instances are recorded (decided per class, refined per object where noted).
    static final int PLAIN = 0;
    static final int STRING = 1;
    static final int CLASS_MIRROR = 2;
    static final int CLASS_LOADER = 3;   // built-in loaders symbolic, custom ones plain
    static final int MODULE = 4;
    static final int THREAD = 5;         // current thread symbolic, live ones uncarriable, others plain
    static final int THREAD_GROUP = 6;
    static final int PRIM_ARRAY = 7;
    static final int REF_ARRAY = 8;

    // Field kinds, by the size of the raw encoding (spec/contracts.md §2).
    static final byte K_BYTE = 1;   // Z B
    static final byte K_SHORT = 2;  // C S
    static final byte K_INT = 4;    // I F (float as raw bits)
    static final byte K_LONG = 8;   // J D (double as raw bits)
    static final byte K_REF = 'L';  // L [
    /** A reference field written as null and not followed (ClassTable.isCutField). */
    static final byte K_CUT = 'N';

    final Class<?> type;
    final int handling;
    /** Uncarriable-object check to run on each new instance (Uncarriable.NONE if none). */
    final int uncarriable;

    /** Index in the CLASSES section, or -1 until the class is needed by a record. */
    int index = -1;
    /** Position in {@link ClassTable#bySlot}, given when the class is first seen; kept per object id by the walk. */
    int slot;
    /** Object id of a custom defining loader (LoaderRef::Object), 0 otherwise. */
    int loaderObject;
    /**
     * Whether some value of a JDK static field is an instance of exactly this class
     * ({@link JdkStaticValues#hasValuesOf}): JDK_STATIC_UNKNOWN until the walk first asks.
     */
    byte jdkStaticValues;
    static final byte JDK_STATIC_UNKNOWN = 0;
    static final byte JDK_STATIC_NONE = 1;
    static final byte JDK_STATIC_SOME = 2;

    // Declared fields, JVMTI GetClassFields order (null until indexed or laid out).
    String[] fieldNames;
    String[] fieldDescriptors;
    int[] fieldFlags;

    // Instance layout: superclass chain top-down, non-static fields only.
    byte[] layoutKinds;
    long[] layoutOffsets;
    String[] layoutNames;
    String[] layoutOwners; // simple names of the declaring classes, for reference paths
    /** Offsets of the followed reference fields (K_REF), in layout order: what the walk prepares. */
    long[] refOffsets;

    // Arrays.
    int elementSize;
    long arrayBase;

    ClassInfo(Class<?> type, int handling, int uncarriable) {
        this.type = type;
        this.handling = handling;
        this.uncarriable = uncarriable;
    }

    static byte kindOf(String descriptor) {
        switch (descriptor.charAt(0)) {
            case 'Z': case 'B': return K_BYTE;
            case 'C': case 'S': return K_SHORT;
            case 'I': case 'F': return K_INT;
            case 'J': case 'D': return K_LONG;
            case 'L': case '[': return K_REF;
            default: throw new IllegalArgumentException("bad field descriptor " + descriptor);
        }
    }
}
