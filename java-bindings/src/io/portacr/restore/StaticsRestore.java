package io.portacr.restore;

import io.portacr.JdkUnsafe;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

/**
 * The STATICS section (spec/contracts.md §5): the static fields of every application class
 * captured as initialized, set from the image once the heap exists, then the classes are
 * initialized superclass first. Their {@code <clinit>} was replaced at load
 * (crates/portacr-agent/src/restore/class_hook.rs) by a call to {@link Resume#statics},
 * whose handler sets the class's statics again (idempotent), so no program initializer runs.
 */
final class StaticsRestore {
    private final Payload statics;
    private final RestoredClasses classes;
    private final HeapRebuild heap;
    /** Per class index: payload offset of its entry's values, -1 if none. */
    private final long[] entryAt;
    int values;

    StaticsRestore(Payload statics, RestoredClasses classes, HeapRebuild heap) throws RestoreFailedException {
        this.statics = statics;
        this.classes = classes;
        this.heap = heap;
        this.entryAt = new long[classes.count];
        java.util.Arrays.fill(entryAt, -1);
        Payload p = statics;
        p.pos = 0;
        int count = p.u32();
        for (int e = 0; e < count; e++) {
            int ci = p.u32();
            if (ci < 0 || ci >= classes.count) throw p.defect(p.pos - 4, "entry " + e + ": class index " + Integer.toUnsignedString(ci) + " out of range");
            if (entryAt[ci] >= 0) throw p.defect(p.pos - 4, "entry " + e + ": class " + classes.names[ci] + " has two entries");
            int n = p.u32();
            int expected = 0;
            long bytes = 0;
            for (int f = 0; f < classes.fieldNames[ci].length; f++) {
                if ((classes.fieldFlags[ci][f] & Modifier.STATIC) == 0) continue;
                expected++;
                bytes += size(classes.fieldDescriptors[ci][f]);
            }
            if (n != expected) throw p.defect(p.pos - 4, "entry " + e + ": " + n + " static values for class " + classes.names[ci] + ", which has " + expected);
            entryAt[ci] = p.pos;
            p.skip(bytes);
        }
        p.end();
    }

    private static int size(String desc) {
        switch (desc.charAt(0)) {
            case 'Z': case 'B': return 1;
            case 'C': case 'S': return 2;
            case 'J': case 'D': return 8;
            default: return 4;
        }
    }

    /** Sets the statics of every class that has an entry. */
    void setAll() throws RestoreFailedException {
        for (int ci = 0; ci < classes.count; ci++) if (entryAt[ci] >= 0) set(ci);
    }

    /** Sets the statics of {@code c} if the image has an entry for it (the Resume.statics handler). */
    void setFor(Class<?> c) throws RestoreFailedException {
        for (int ci = 0; ci < classes.count; ci++) {
            if (classes.types[ci] == c && entryAt[ci] >= 0) set(ci);
        }
    }

    private void set(int ci) throws RestoreFailedException {
        // An entry without values (a lambda class has one) needs no class: a hidden class
        // the rebuild leaves out is only refused when something needs it.
        boolean hasStatics = false;
        for (int f = 0; f < classes.fieldNames[ci].length; f++) {
            if ((classes.fieldFlags[ci][f] & Modifier.STATIC) != 0) hasStatics = true;
        }
        if (!hasStatics) return;
        Class<?> c = classes.require(ci, "STATICS");
        long pos = entryAt[ci];
        for (int f = 0; f < classes.fieldNames[ci].length; f++) {
            if ((classes.fieldFlags[ci][f] & Modifier.STATIC) == 0) continue;
            String name = classes.fieldNames[ci][f];
            String desc = classes.fieldDescriptors[ci][f];
            long a = statics.base + pos;
            pos += size(desc);
            Field field;
            try {
                field = c.getDeclaredField(name);
            } catch (NoSuchFieldException e) {
                // Application classes have the image's digest, so this is a JDK-side surprise.
                throw new RestoreFailedException("static field " + c.getName() + "." + name + " does not exist in this JVM");
            }
            Object base = JdkUnsafe.staticFieldBase(field);
            long off = JdkUnsafe.staticFieldOffset(field);
            switch (desc.charAt(0)) {
                case 'Z': JdkUnsafe.putByte(base, off, (byte) (JdkUnsafe.getByte(a) != 0 ? 1 : 0)); break;
                case 'B': JdkUnsafe.putByte(base, off, JdkUnsafe.getByte(a)); break;
                case 'C': case 'S': JdkUnsafe.putShort(base, off, JdkUnsafe.getShortLE(a)); break;
                case 'I': case 'F': JdkUnsafe.putInt(base, off, JdkUnsafe.getIntLE(a)); break;
                case 'J': case 'D': JdkUnsafe.putLong(base, off, JdkUnsafe.getLongLE(a)); break;
                default: {
                    int ref = JdkUnsafe.getIntLE(a);
                    Object v = heap.ref(ref, 0);
                    if (v != null && !field.getType().isInstance(v)) {
                        throw new RestoreFailedException("static " + c.getName() + "." + name + ": value " + ref + " is a "
                            + v.getClass().getName() + ", not a " + field.getType().getName());
                    }
                    JdkUnsafe.putReference(base, off, v);
                }
            }
            values++;
        }
    }

    /** Initializes every class captured as initialized, in index order (superclasses first). */
    int initializeAll() throws RestoreFailedException {
        int n = 0;
        for (int ci = 0; ci < classes.count; ci++) {
            if (classes.initState[ci] != RestoredClasses.INITIALIZED || classes.types[ci] == null) continue;
            if (classes.types[ci].isArray() || classes.types[ci].isPrimitive()) continue;
            try {
                JdkUnsafe.ensureClassInitialized(classes.types[ci]);
            } catch (Throwable t) {
                throw new RestoreFailedException("cannot initialize " + classes.types[ci].getName() + ": " + t);
            }
            n++;
        }
        return n;
    }
}
