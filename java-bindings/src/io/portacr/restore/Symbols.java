package io.portacr.restore;

import io.portacr.JdkUnsafe;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SYMREFS section bound to this VM's own objects (spec/semantics.md §2.3): class
 * mirrors, primitive classes, values of JDK static fields (System.out, Boolean.TRUE, JDK
 * enum constants, the boxing caches' elements), the built-in loaders, modules, the current
 * thread and thread groups. A JDK static field that does not exist in this JDK refuses the
 * restore, naming it; every such field is listed at once.
 */
final class Symbols {
    private Symbols() {}

    static Object[] bind(Payload p, RestoredClasses classes) throws RestoreFailedException {
        p.pos = 0;
        int n = p.length("symref list");
        Object[] bound = new Object[n];
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int variant = p.u32();
            try {
                switch (variant) {
                    case 0: bound[i] = classes.require(p.u32(), "symbolic reference " + i); break;
                    case 1: bound[i] = primitive(p.u8()); break;
                    case 2: bound[i] = staticValue(p.string(), p.string()); break;
                    case 3: {
                        String c = p.string(), f = p.string();
                        int index = p.u32();
                        Object array = staticValue(c, f);
                        if (!(array instanceof Object[]) || index < 0 || index >= ((Object[]) array).length) {
                            throw new RestoreFailedException("JDK static " + RestoredClasses.javaName(c) + "." + f
                                + " has no element " + Integer.toUnsignedString(index) + " in this JDK");
                        }
                        bound[i] = ((Object[]) array)[index];
                        break;
                    }
                    case 4: bound[i] = RestoredClasses.loaderOf(loaderRef(p)); break;
                    case 5: {
                        String name = p.string();
                        Optional<Module> m = ModuleLayer.boot().findModule(name);
                        if (m.isEmpty()) throw new RestoreFailedException("module " + name + " does not exist in this JDK");
                        bound[i] = m.get();
                        break;
                    }
                    case 6: {
                        ClassLoader l = RestoredClasses.loaderOf(loaderRef(p));
                        // The boot loader's unnamed module is where this runtime's own classes live.
                        bound[i] = l == null ? Symbols.class.getModule() : l.getUnnamedModule();
                        break;
                    }
                    case 7: bound[i] = Thread.currentThread(); break;
                    case 8: bound[i] = threadGroup(p.string()); break;
                    default: throw p.defect(p.pos - 4, "symref " + i + ": variant " + variant);
                }
            } catch (RestoreFailedException e) {
                if (e.getMessage().startsWith("section ")) throw e; // the payload is damaged: stop
                problems.add(e.getMessage());
            }
        }
        p.end();
        if (!problems.isEmpty()) {
            throw new RestoreFailedException("the image refers to JDK objects this JVM lacks: " + String.join("; ", problems));
        }
        return bound;
    }

    private static int loaderRef(Payload p) throws RestoreFailedException {
        int v = p.u32();
        if (v == RestoredClasses.LOADER_OBJECT) {
            p.u32();
            throw new RestoreFailedException("custom class loaders cannot be restored yet");
        }
        if (v > RestoredClasses.LOADER_OBJECT) throw p.defect(p.pos - 4, "loader variant " + v);
        return v;
    }

    static Class<?> primitive(int descriptor) throws RestoreFailedException {
        switch (descriptor) {
            case 'I': return int.class;
            case 'J': return long.class;
            case 'Z': return boolean.class;
            case 'B': return byte.class;
            case 'C': return char.class;
            case 'S': return short.class;
            case 'F': return float.class;
            case 'D': return double.class;
            case 'V': return void.class;
            default: throw new RestoreFailedException("unknown primitive class descriptor " + descriptor);
        }
    }

    /** The value of a JDK class's static field in this VM (the class is initialized first). */
    static Object staticValue(String internalClass, String field) throws RestoreFailedException {
        String name = RestoredClasses.javaName(internalClass);
        Class<?> c;
        try {
            c = Class.forName(name, true, null);
        } catch (ClassNotFoundException e) {
            try {
                c = Class.forName(name, true, ClassLoader.getPlatformClassLoader());
            } catch (ClassNotFoundException e2) {
                throw new RestoreFailedException("JDK class " + name + " (of static " + name + "." + field + ") does not exist in this JDK");
            }
        }
        Field f;
        try {
            f = c.getDeclaredField(field);
        } catch (NoSuchFieldException e) {
            throw new RestoreFailedException("JDK static field " + name + "." + field + " does not exist in this JDK");
        }
        if (!Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
            throw new RestoreFailedException("JDK field " + name + "." + field + " is not a static reference field in this JDK");
        }
        return JdkUnsafe.getReference(JdkUnsafe.staticFieldBase(f), JdkUnsafe.staticFieldOffset(f));
    }

    private static ThreadGroup threadGroup(String name) throws RestoreFailedException {
        for (ThreadGroup g = Thread.currentThread().getThreadGroup(); g != null; g = g.getParent()) {
            if (g.getName().equals(name)) return g;
        }
        throw new RestoreFailedException("thread group " + name + " does not exist in this JVM");
    }
}
