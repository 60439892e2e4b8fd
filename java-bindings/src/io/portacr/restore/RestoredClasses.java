package io.portacr.restore;

import io.portacr.Native;

import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The CLASSES section and the target's classes it names. Every class is loaded by name
 * through its loader without being initialized; the digest of every application class's
 * bytes (recorded by the agent's ClassFileLoadHook, on the original bytes) must equal the
 * image's, and every mismatching or missing application class is listed in one error.
 */
final class RestoredClasses {
    // LoaderRef variants, InitState variants, CLASS_FLAG_* (spec/contracts.md §6).
    static final int LOADER_BOOT = 0, LOADER_PLATFORM = 1, LOADER_APP = 2, LOADER_OBJECT = 3;
    static final int INITIALIZED = 2;
    static final int FLAG_APPLICATION = 1, FLAG_ARRAY = 2, FLAG_HIDDEN = 32;

    final int count;
    final String[] names;          // internal names
    final int[] loaders;
    final int[] flags;
    final byte[][] digests;
    final int[] superClass;        // -1: none
    final int[] initState;
    final String[][] fieldNames;
    final String[][] fieldDescriptors;
    final int[][] fieldFlags;
    /** The target's classes; null where a JDK class does not exist here (fails at first use). */
    final Class<?>[] types;
    final String[] missingReason;

    private RestoredClasses(int n) {
        count = n;
        names = new String[n];
        loaders = new int[n];
        flags = new int[n];
        digests = new byte[n][];
        superClass = new int[n];
        initState = new int[n];
        fieldNames = new String[n][];
        fieldDescriptors = new String[n][];
        fieldFlags = new int[n][];
        types = new Class<?>[n];
        missingReason = new String[n];
    }

    static RestoredClasses read(Payload p) throws RestoreFailedException {
        p.pos = 0;
        int n = p.length("class list");
        RestoredClasses c = new RestoredClasses(n);
        for (int i = 0; i < n; i++) {
            c.names[i] = p.string();
            c.loaders[i] = p.u32();
            if (c.loaders[i] == LOADER_OBJECT) p.u32();
            else if (c.loaders[i] > LOADER_OBJECT) throw p.defect(p.pos - 4, "class " + i + ": loader variant " + c.loaders[i]);
            c.flags[i] = p.u32();
            p.u16(); // access flags
            if (p.option()) {
                p.need(p.pos, 32, "digest");
                c.digests[i] = new byte[32];
                for (int k = 0; k < 32; k++) c.digests[i][k] = (byte) p.u8();
            }
            c.superClass[i] = p.option() ? p.u32() : -1;
            if (c.superClass[i] >= i) throw p.defect(p.pos - 4, "class " + i + ": superclass index " + c.superClass[i] + " is not below its own");
            int interfaces = p.length("interface list");
            for (int k = 0; k < interfaces; k++) p.string();
            int fields = p.length("field list");
            c.fieldNames[i] = new String[fields];
            c.fieldDescriptors[i] = new String[fields];
            c.fieldFlags[i] = new int[fields];
            for (int k = 0; k < fields; k++) {
                c.fieldNames[i][k] = p.string();
                c.fieldDescriptors[i][k] = p.string();
                c.fieldFlags[i][k] = p.u16();
            }
            c.initState[i] = p.u32();
        }
        p.end();
        return c;
    }

    /**
     * A class table of the given loaded classes ({@link RebuildWarmup}): boot loader, not
     * application classes, initialized, fields as this VM declares them (JVMTI order).
     * {@code superClass[i]} is an index into {@code types} or -1.
     */
    static RestoredClasses forWarmup(Class<?>[] types, int[] superClass) {
        RestoredClasses c = new RestoredClasses(types.length);
        for (int i = 0; i < types.length; i++) {
            Class<?> t = types[i];
            c.types[i] = t;
            c.names[i] = t.getName().replace('.', '/');
            c.loaders[i] = LOADER_BOOT;
            c.flags[i] = t.isArray() ? FLAG_ARRAY : 0;
            c.superClass[i] = superClass[i];
            c.initState[i] = INITIALIZED;
            if (t.isArray() || t == Object.class) {
                c.fieldNames[i] = new String[0];
                c.fieldDescriptors[i] = new String[0];
                c.fieldFlags[i] = new int[0];
            } else {
                Object[] fields = targetFields(t);
                c.fieldNames[i] = (String[]) fields[0];
                c.fieldDescriptors[i] = (String[]) fields[1];
                c.fieldFlags[i] = (int[]) fields[2];
            }
        }
        return c;
    }

    static String javaName(String internal) {
        return internal.replace('/', '.');
    }

    boolean isApplication(int i) {
        return (flags[i] & FLAG_APPLICATION) != 0 && (flags[i] & FLAG_ARRAY) == 0;
    }

    static ClassLoader loaderOf(int variant) {
        switch (variant) {
            case LOADER_BOOT: return null;
            case LOADER_PLATFORM: return ClassLoader.getPlatformClassLoader();
            default: return ClassLoader.getSystemClassLoader();
        }
    }

    /**
     * Loads every class (not initialized) and checks the application classes' digests.
     * Custom loaders were refused by the agent at load. Hidden classes (lambdas) have no name
     * to load by: they are left out, and {@link #require} fails naming one if the heap needs it.
     */
    void load() throws RestoreFailedException {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = javaName(names[i]);
            if ((flags[i] & FLAG_HIDDEN) != 0) {
                missingReason[i] = "a hidden class (lambda or method handle), which cannot be restored yet";
                continue;
            }
            Class<?> c;
            try {
                c = Class.forName(name, false, loaderOf(loaders[i]));
            } catch (ClassNotFoundException e) {
                missingReason[i] = "not found";
                if (isApplication(i)) problems.add(name + " (not found)");
                continue;
            } catch (LinkageError e) {
                missingReason[i] = e.toString();
                if (isApplication(i)) problems.add(name + " (" + e + ")");
                continue;
            }
            types[i] = c;
            if (!isApplication(i)) continue;
            byte[] now = Native.classDigest(c);
            if (digests[i] == null) {
                problems.add(name + " (the image has no digest for it)");
            } else if (now == null) {
                problems.add(name + " (its bytes were not seen when it loaded)");
            } else if (!Arrays.equals(now, digests[i])) {
                problems.add(name + " (class file differs)");
            }
        }
        if (!problems.isEmpty()) {
            throw new RestoreFailedException(problems.size() + " application class"
                + (problems.size() == 1 ? "" : "es") + " differ from the image: " + String.join(", ", problems));
        }
        String clinit = Native.restoreClassProblems();
        if (clinit != null) throw new RestoreFailedException(clinit);
    }

    /** The target class of record i, or a failure naming what needs it. */
    Class<?> require(int i, String neededBy) throws RestoreFailedException {
        if (i < 0 || i >= count) throw new RestoreFailedException("class index " + i + " out of range (0.." + count + ") in " + neededBy);
        Class<?> c = types[i];
        if (c == null) {
            throw new RestoreFailedException("class " + javaName(names[i]) + " does not exist in this JDK ("
                + missingReason[i] + "), needed by " + neededBy);
        }
        return c;
    }

    /** The declared fields of a target class, JVMTI order: names, descriptors, flags. */
    static Object[] targetFields(Class<?> c) {
        // JVMTI GetClassFields needs a prepared class; loading by name does not link.
        // Asking reflection for the constructors links it (HotSpot links in
        // JVM_GetClassDeclaredConstructors) without initializing it.
        if ((Native.classStatus(c) & STATUS_PREPARED) == 0) {
            try {
                c.getDeclaredConstructors();
            } catch (Throwable t) {
                // Linking failed (verification): GetClassFields reports it below.
            }
        }
        return Native.declaredFields(c);
    }

    /** JVMTI_CLASS_STATUS_PREPARED. */
    private static final int STATUS_PREPARED = 2;

    /** Index of the non-static field {@code name} with descriptor {@code desc} in a {@link #targetFields} result, or -1. */
    static int findField(Object[] target, String name, String desc, boolean isStatic) {
        String[] n = (String[]) target[0];
        String[] d = (String[]) target[1];
        int[] f = (int[]) target[2];
        for (int k = 0; k < n.length; k++) {
            if (n[k].equals(name) && d[k].equals(desc) && ((f[k] & Modifier.STATIC) != 0) == isStatic) return k;
        }
        return -1;
    }
}
