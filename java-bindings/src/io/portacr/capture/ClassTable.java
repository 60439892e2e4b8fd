package io.portacr.capture;

import io.portacr.JdkUnsafe;

import io.portacr.Native;

import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * The image's class table (CLASSES section, spec/contracts.md §6) and the per-class cache
 * of the heap walk. A class gets an index the first time a record needs it; its superclass
 * is indexed first, so a superclass always has the smaller index (contracts §3).
 */
final class ClassTable {
    // LoaderRef variants (contracts §6, declaration order).
    static final int LOADER_BOOT = 0;
    static final int LOADER_PLATFORM = 1;
    static final int LOADER_APP = 2;
    static final int LOADER_OBJECT = 3;

    // CLASS_FLAG_* (contracts §6).
    static final int FLAG_APPLICATION = 1;
    static final int FLAG_ARRAY = 2;
    static final int FLAG_INTERFACE = 4;
    static final int FLAG_ENUM = 8;
    static final int FLAG_RECORD = 16;
    static final int FLAG_HIDDEN = 32;
    static final int FLAG_HAS_STATICS = 64;

    // JVMTI class status bits.
    static final int STATUS_VERIFIED = 1;
    static final int STATUS_PREPARED = 2;
    static final int STATUS_INITIALIZED = 4;
    static final int STATUS_ERROR = 8;
    static final int STATUS_ARRAY = 16;

    /** Resolves a custom class loader to the object id the walk gave it. */
    interface LoaderObjects {
        int idOfLoader(ClassLoader loader, Class<?> definedClass) throws UncarriableObjectException;
    }

    private static final ClassLoader PLATFORM_LOADER = ClassLoader.getPlatformClassLoader();

    private final IdentityHashMap<Class<?>, ClassInfo> byClass = new IdentityHashMap<>();
    private final List<ClassInfo> indexed = new ArrayList<>();
    private final LoaderObjects loaders;
    private Class<?> lastClass;
    private ClassInfo lastInfo;
    /** Every ClassInfo made, by {@link ClassInfo#slot}. */
    private ClassInfo[] bySlot = new ClassInfo[64];
    private int slots;

    ClassTable(LoaderObjects loaders) {
        this.loaders = loaders;
    }

    static int loaderKind(ClassLoader l) {
        if (l == null) return LOADER_BOOT;
        if (l == PLATFORM_LOADER) return LOADER_PLATFORM;
        // The built-in application loader; a custom -Djava.system.class.loader is an
        // ordinary object of the image (its parent is this one).
        if (l.getClass().getName().equals("jdk.internal.loader.ClassLoaders$AppClassLoader")) return LOADER_APP;
        return LOADER_OBJECT;
    }

    static boolean isApplicationClass(Class<?> c) {
        ClassLoader l = c.getClassLoader();
        int k = loaderKind(l);
        if (k == LOADER_BOOT || k == LOADER_PLATFORM) return false;
        // Up to JDK 21 core reflection spins GeneratedMethodAccessorN classes, each in its own
        // jdk.internal.reflect.DelegatingClassLoader: JDK machinery, not application state.
        return !(k == LOADER_OBJECT && l.getClass().getName().equals("jdk.internal.reflect.DelegatingClassLoader"));
    }

    /** The internal name of a class: {@code java/util/HashMap}, arrays as descriptors {@code [Ljava/lang/String;}. */
    static String internalName(Class<?> c) {
        return c.getName().replace('.', '/');
    }

    int size() {
        return indexed.size();
    }

    List<ClassInfo> indexedClasses() {
        return indexed;
    }

    /** The cached information on a class, without putting it in the table. */
    ClassInfo info(Class<?> c) {
        if (c == lastClass) return lastInfo;
        ClassInfo ci = byClass.get(c);
        if (ci == null) {
            ci = new ClassInfo(c, handlingOf(c), Uncarriable.checkFor(c));
            byClass.put(c, ci);
            if (slots == bySlot.length) bySlot = java.util.Arrays.copyOf(bySlot, slots * 2);
            ci.slot = slots;
            bySlot[slots++] = ci;
        }
        lastClass = c;
        lastInfo = ci;
        return ci;
    }

    /** The ClassInfo of a slot that {@link #info} gave. */
    ClassInfo bySlot(int slot) {
        return bySlot[slot];
    }

    private static int handlingOf(Class<?> c) {
        if (c.isArray()) return c.getComponentType().isPrimitive() ? ClassInfo.PRIM_ARRAY : ClassInfo.REF_ARRAY;
        if (c == String.class) return ClassInfo.STRING;
        if (c == Class.class) return ClassInfo.CLASS_MIRROR;
        if (c == Module.class) return ClassInfo.MODULE;
        if (ClassLoader.class.isAssignableFrom(c)) return ClassInfo.CLASS_LOADER;
        if (Thread.class.isAssignableFrom(c)) return ClassInfo.THREAD;
        if (c == ThreadGroup.class) return ClassInfo.THREAD_GROUP;
        return ClassInfo.PLAIN;
    }

    /** Puts the class (and its superclass chain) in the table and returns its index. */
    int indexOf(Class<?> c) throws UncarriableObjectException {
        ClassInfo ci = info(c);
        if (ci.index >= 0) return ci.index;
        Class<?> sup = c.getSuperclass();
        ClassInfo superInfo = null;
        if (sup != null) {
            indexOf(sup);
            superInfo = info(sup);
        }
        layOut(ci, superInfo);
        if (loaderKind(c.getClassLoader()) == LOADER_OBJECT) {
            ci.loaderObject = loaders.idOfLoader(c.getClassLoader(), c);
        }
        ci.index = indexed.size();
        indexed.add(ci);
        // Restore the one-entry cache: the recursion above replaced it.
        lastClass = c;
        lastInfo = ci;
        return ci.index;
    }

    /** The instance layout of the class: its superclass's, then its own non-static fields. */
    private static void layOut(ClassInfo ci, ClassInfo superInfo) {
        Class<?> c = ci.type;
        if (c.isArray()) {
            ci.fieldNames = new String[0];
            ci.fieldDescriptors = new String[0];
            ci.fieldFlags = new int[0];
            ci.layoutKinds = new byte[0];
            ci.layoutOffsets = new long[0];
            ci.layoutNames = new String[0];
            ci.layoutOwners = new String[0];
            ci.refOffsets = new long[0];
            if (c.getComponentType().isPrimitive()) {
                ci.elementSize = primitiveSize(c.getComponentType());
            }
            ci.arrayBase = JdkUnsafe.arrayBaseOffset(c);
            return;
        }
        Object[] declared = Native.declaredFields(c);
        ci.fieldNames = (String[]) declared[0];
        ci.fieldDescriptors = (String[]) declared[1];
        ci.fieldFlags = (int[]) declared[2];
        int inherited = superInfo == null ? 0 : superInfo.layoutKinds.length;
        int own = 0;
        for (int f : ci.fieldFlags) if ((f & Modifier.STATIC) == 0) own++;
        int n = inherited + own;
        ci.layoutKinds = new byte[n];
        ci.layoutOffsets = new long[n];
        ci.layoutNames = new String[n];
        ci.layoutOwners = new String[n];
        if (superInfo != null) {
            System.arraycopy(superInfo.layoutKinds, 0, ci.layoutKinds, 0, inherited);
            System.arraycopy(superInfo.layoutOffsets, 0, ci.layoutOffsets, 0, inherited);
            System.arraycopy(superInfo.layoutNames, 0, ci.layoutNames, 0, inherited);
            System.arraycopy(superInfo.layoutOwners, 0, ci.layoutOwners, 0, inherited);
        }
        String simple = simpleName(c);
        if (isCleanable(c)) cutReferenceQueueLinks(ci, inherited);
        int at = inherited;
        for (int i = 0; i < ci.fieldNames.length; i++) {
            if ((ci.fieldFlags[i] & Modifier.STATIC) != 0) continue;
            byte kind = ClassInfo.kindOf(ci.fieldDescriptors[i]);
            if (kind == ClassInfo.K_REF && isCutField(c, ci.fieldNames[i])) kind = ClassInfo.K_CUT;
            ci.layoutKinds[at] = kind;
            ci.layoutOffsets[at] = JdkUnsafe.objectFieldOffset(c, ci.fieldNames[i]);
            ci.layoutNames[at] = ci.fieldNames[i];
            ci.layoutOwners[at] = simple;
            at++;
        }
        int refs = 0;
        for (byte k : ci.layoutKinds) if (k == ClassInfo.K_REF) refs++;
        ci.refOffsets = new long[refs];
        refs = 0;
        for (int i = 0; i < n; i++) if (ci.layoutKinds[i] == ClassInfo.K_REF) ci.refOffsets[refs++] = ci.layoutOffsets[i];
    }

    /**
     * Reference fields that are bookkeeping of this JVM, written as null and not followed:
     * <ul>
     *   <li>{@code java.lang.ref.Reference.discovered}: owned by the garbage collector.</li>
     *   <li>the fields {@code jdk.internal.ref.PhantomCleanable} declares ({@code prev},
     *       {@code next}, {@code list} on JDK 17; {@code list}, {@code node} on 25): they link
     *       every cleanable of a Cleaner into one list, so following them from any object with
     *       a Cleaner registration (an Inflater, a file stream) would reach every other
     *       registration in the process — open files of the JDK included — while the
     *       Common-Cleaner thread keeps changing that list. Restore registers a restored
     *       cleanable with the target's Cleaner again.</li>
     *   <li>the cached accessors of {@code java.lang.reflect.Method}, {@code Field} and
     *       {@code Constructor} ({@code methodAccessor}, {@code fieldAccessor},
     *       {@code overrideFieldAccessor}, {@code constructorAccessor}) and their {@code root}:
     *       accessors hold field offsets or generated classes of this JVM; a reflection object
     *       without them makes new ones on first use.</li>
     * </ul>
     */
    static boolean isCutField(Class<?> declaringClass, String field) {
        switch (declaringClass.getName()) {
            case "java.lang.ref.Reference":
                return field.equals("discovered");
            case "jdk.internal.ref.PhantomCleanable":
                return true;
            case "java.lang.reflect.Method":
            case "java.lang.reflect.Field":
            case "java.lang.reflect.Constructor":
                return field.equals("root") || field.endsWith("Accessor");
            default:
                return false;
        }
    }

    private static boolean isCleanable(Class<?> c) {
        for (Class<?> k = c.getSuperclass(); k != null; k = k.getSuperclass()) {
            if (k.getName().equals("jdk.internal.ref.PhantomCleanable")) return true;
        }
        return false;
    }

    /**
     * A cleanable's {@code Reference.queue} is its Cleaner's queue and {@code Reference.next}
     * links it to the other enqueued references: through them the walk reaches the Cleaner's
     * thread (on JDK 21 the queue's lock lists its waiting thread). Cut like the list links.
     * Only the slots of java.lang.ref.Reference itself, which come first in the inherited part.
     */
    private static void cutReferenceQueueLinks(ClassInfo ci, int inherited) {
        for (int i = 0; i < inherited; i++) {
            if (ci.layoutKinds[i] == ClassInfo.K_REF && ci.layoutOwners[i].equals("Reference")
                    && (ci.layoutNames[i].equals("queue") || ci.layoutNames[i].equals("next"))) {
                ci.layoutKinds[i] = ClassInfo.K_CUT;
            }
        }
    }

    static int primitiveSize(Class<?> p) {
        if (p == boolean.class || p == byte.class) return 1;
        if (p == char.class || p == short.class) return 2;
        if (p == int.class || p == float.class) return 4;
        return 8;
    }

    /** Simple class name for reference paths: {@code HashMap$Node} → {@code Node}, lambdas keep their name. */
    static String simpleName(Class<?> c) {
        if (c.isArray()) return simpleName(c.getComponentType()) + "[]";
        String n = c.getName();
        int slash = n.indexOf('/'); // hidden class suffix
        String base = slash >= 0 ? n.substring(0, slash) : n;
        base = base.substring(base.lastIndexOf('.') + 1);
        if (!c.isHidden()) {
            int dollar = base.lastIndexOf('$');
            if (dollar >= 0 && dollar + 1 < base.length() && !Character.isDigit(base.charAt(dollar + 1))) {
                base = base.substring(dollar + 1);
            }
        }
        return base;
    }

    // ---- CLASSES section ------------------------------------------------------------

    void encode(BincodeWriter w) {
        w.seq(indexed.size());
        for (ClassInfo ci : indexed) encodeRecord(w, ci);
    }

    private void encodeRecord(BincodeWriter w, ClassInfo ci) {
        Class<?> c = ci.type;
        w.string(internalName(c));
        ClassLoader definingLoader = c.getClassLoader();
        int lk = loaderKind(definingLoader);
        w.variant(lk);
        if (lk == LOADER_OBJECT) w.u32(ci.loaderObject);

        boolean application = isApplicationClass(c);
        boolean hasStatics = false;
        for (int f : ci.fieldFlags) if ((f & Modifier.STATIC) != 0) hasStatics = true;
        int flags = 0;
        if (application) flags |= FLAG_APPLICATION;
        if (c.isArray()) flags |= FLAG_ARRAY;
        if (c.isInterface()) flags |= FLAG_INTERFACE;
        if (c.isEnum()) flags |= FLAG_ENUM;
        if (c.isRecord()) flags |= FLAG_RECORD;
        if (c.isHidden()) flags |= FLAG_HIDDEN;
        if (hasStatics) flags |= FLAG_HAS_STATICS;
        w.u32(flags);
        w.u16(Native.classModifiers(c) & 0xFFFF);

        byte[] digest = application && !c.isArray() ? Native.classDigest(c) : null;
        if (digest != null && digest.length == 32) w.some().fixedBytes(digest); else w.none();

        Class<?> sup = c.getSuperclass();
        if (sup != null) w.some().u32(info(sup).index); else w.none();

        Class<?>[] interfaces = c.getInterfaces();
        w.seq(interfaces.length);
        for (Class<?> i : interfaces) w.string(internalName(i));

        w.seq(ci.fieldNames.length);
        for (int i = 0; i < ci.fieldNames.length; i++) {
            w.string(ci.fieldNames[i]).string(ci.fieldDescriptors[i]).u16(ci.fieldFlags[i] & 0xFFFF);
        }
        w.variant(initState(c));
    }

    /** InitState variant (contracts §6: Loaded, Linked, Initialized, Erroneous) from JVMTI status bits. */
    static int initState(Class<?> c) {
        int status = Native.classStatus(c);
        if ((status & STATUS_ERROR) != 0) return 3;
        // Array classes are never initialized by the JVM; they are usable as soon as they exist.
        if ((status & (STATUS_INITIALIZED | STATUS_ARRAY)) != 0 || c.isArray()) return 2;
        if ((status & (STATUS_PREPARED | STATUS_VERIFIED)) != 0) return 1;
        return 0;
    }

    static boolean isInitialized(Class<?> c) {
        return initState(c) == 2;
    }
}
