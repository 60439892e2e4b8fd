package io.portacr;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * TEST-ONLY stand-in for the agent's io.portacr.Native (spec/contracts.md §9), in pure Java,
 * put first on -Xbootclasspath/a by capture-test/run.sh. It is never part of the product.
 *
 * - loadedClasses: java.lang.instrument (the test's -javaagent sets {@link #instrumentation}).
 * - declaredFields: reflection order (JVMTI GetClassFields order in the real agent).
 * - classStatus: jdk.internal.misc.Unsafe.shouldBeInitialized tells initialized classes.
 * - frameTypes: answers registered by the test ({@link #FRAME_TYPES}), else null.
 * - begin/section*: writes DIR/section-<kind>.bin; with -Dportacr.test.discard=true only counts bytes.
 */
public final class Native {
    private Native() {}

    public static volatile Instrumentation instrumentation;
    /** "binary.Class.method(descriptor)" → "L:..|S:..|C:n". */
    public static final Map<String, String> FRAME_TYPES = new ConcurrentHashMap<>();
    public static volatile String otherThreads;
    public static volatile int aborts;
    public static volatile int commits;
    public static volatile long bytesWritten;
    public static volatile long rematerializeCalls;
    /** Capture attempts (a capture with address keys is made again after a collection during its walk). */
    public static volatile long beginCalls;

    private static File dir;
    private static FileOutputStream section;
    private static boolean discard;

    public static boolean isConfigured() { return true; }
    public static boolean keepRunning() { return true; }
    public static int generation() { return 1; }
    public static long bootTimeMillis() { return 1_700_000_000_000L; }
    public static long restoreTimeMillis() { return 1_700_000_000_000L; }
    public static long cpuFeatures() { return 0x1234L; }
    public static String randomUuid() { return java.util.UUID.randomUUID().toString(); }
    /** 0: the walk keeps ids in hash tables, as when the agent cannot map a direct table. */
    public static long mapTableMemory(long bytes) { return 0; }
    public static void unmapTableMemory(long address, long bytes) { }
    /** Null: the capture lists the string table through the MBean server, as without the agent's native. */
    public static String stringTableDump() { return null; }
    /**
     * Null: the listing is not parsed, so every string gets the exact intern test (the agent's
     * parser is tested in crates/portacr-agent/src/capture/string_table.rs and by the e2e tests).
     */
    public static String[] parseStringTable(String dump) { return null; }

    public static void log(int level, String message) {
        if (Boolean.getBoolean("portacr.test.log")) System.err.println("[native log " + level + "] " + message);
    }

    public static String otherThreadsError() { return otherThreads; }

    public static void rematerializeFrames() { rematerializeCalls++; }

    public static Class<?>[] loadedClasses() {
        if (instrumentation == null) throw new IllegalStateException("test agent not loaded (-javaagent)");
        return instrumentation.getAllLoadedClasses();
    }

    public static Object[] declaredFields(Class<?> c) {
        // Like JVMTI: from the class file, without resolving field types and without
        // reflection's filtering (java.lang.reflect.Field hides all its fields from reflection).
        if (!c.isHidden()) {
            Object[] fromFile = fieldsFromClassFile(c);
            if (fromFile != null) return fromFile;
        }
        Field[] fs = c.getDeclaredFields();
        String[] names = new String[fs.length];
        String[] descs = new String[fs.length];
        int[] flags = new int[fs.length];
        for (int i = 0; i < fs.length; i++) {
            names[i] = fs[i].getName();
            descs[i] = fs[i].getType().descriptorString();
            flags[i] = fs[i].getModifiers();
        }
        return new Object[] {names, descs, flags};
    }

    /** Fields from the class file (test-only: the JVMTI agent does not need this). */
    private static Object[] fieldsFromClassFile(Class<?> c) {
        String resource = "/" + c.getName().replace('.', '/') + ".class";
        try (InputStream in = c.getResourceAsStream(resource)) {
            if (in == null) return null;
            java.io.DataInputStream d = new java.io.DataInputStream(in);
            d.readInt();
            d.readUnsignedShort();
            d.readUnsignedShort();
            int count = d.readUnsignedShort();
            String[] utf8 = new String[count];
            for (int i = 1; i < count; i++) {
                int tag = d.readUnsignedByte();
                switch (tag) {
                    case 1: utf8[i] = d.readUTF(); break;
                    case 3: case 4: d.readInt(); break;
                    case 5: case 6: d.readLong(); i++; break;
                    case 7: case 8: case 16: case 19: case 20: d.readUnsignedShort(); break;
                    case 15: d.readUnsignedByte(); d.readUnsignedShort(); break;
                    default: d.readInt(); break; // 9 10 11 12 17 18
                }
            }
            d.readUnsignedShort();
            d.readUnsignedShort();
            d.readUnsignedShort();
            int interfaces = d.readUnsignedShort();
            for (int i = 0; i < interfaces; i++) d.readUnsignedShort();
            int n = d.readUnsignedShort();
            String[] names = new String[n];
            String[] descs = new String[n];
            int[] flags = new int[n];
            for (int i = 0; i < n; i++) {
                flags[i] = d.readUnsignedShort();
                names[i] = utf8[d.readUnsignedShort()];
                descs[i] = utf8[d.readUnsignedShort()];
                int attributes = d.readUnsignedShort();
                for (int a = 0; a < attributes; a++) {
                    d.readUnsignedShort();
                    d.skipBytes(d.readInt());
                }
            }
            return new Object[] {names, descs, flags};
        } catch (IOException e) {
            throw new IllegalStateException(e.toString());
        }
    }

    private static final Object UNSAFE;
    private static final java.lang.reflect.Method SHOULD_BE_INITIALIZED;
    static {
        try {
            Class<?> u = Class.forName("jdk.internal.misc.Unsafe");
            UNSAFE = u.getMethod("getUnsafe").invoke(null);
            SHOULD_BE_INITIALIZED = u.getMethod("shouldBeInitialized", Class.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public static int classStatus(Class<?> c) {
        if (c.isArray()) return 16;
        try {
            boolean pending = (boolean) SHOULD_BE_INITIALIZED.invoke(UNSAFE, c);
            return 1 | 2 | (pending ? 0 : 4);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    public static int classModifiers(Class<?> c) { return c.getModifiers(); }

    public static byte[] classDigest(Class<?> c) {
        ClassLoader l = c.getClassLoader();
        if (l == null || c.isHidden()) return null;
        try (InputStream in = l.getResourceAsStream(c.getName().replace('.', '/') + ".class")) {
            if (in == null) return null;
            return MessageDigest.getInstance("SHA-256").digest(in.readAllBytes());
        } catch (Exception e) {
            return null;
        }
    }

    public static String frameTypes(Class<?> c, String methodName, String methodDescriptor, int bci) {
        return FRAME_TYPES.get(c.getName() + "." + methodName + methodDescriptor);
    }

    public static String begin(long checkpointTimeMillis, String uuid, long maxHeapBytes) {
        beginCalls++;
        discard = Boolean.getBoolean("portacr.test.discard");
        bytesWritten = 0;
        if (discard) return null;
        String base = System.getProperty("portacr.test.out");
        if (base == null) return "portacr.test.out not set";
        dir = new File(base);
        dir.mkdirs();
        for (File f : dir.listFiles()) f.delete();
        return null;
    }

    public static void sectionBegin(int kind) {
        if (discard) return;
        try {
            section = new FileOutputStream(new File(dir, "section-" + kind + ".bin"));
        } catch (IOException e) {
            throw new IllegalStateException(e.toString());
        }
    }

    public static void sectionWrite(byte[] buf, int off, int len) {
        if (len == 0) return; // nothing, in any state, as the agent (spec/contracts.md)
        bytesWritten += len;
        if (discard) return;
        try {
            section.write(buf, off, len);
        } catch (IOException e) {
            throw new IllegalStateException(e.toString());
        }
    }

    public static void sectionEnd() {
        if (discard) return;
        try {
            section.close();
        } catch (IOException e) {
            throw new IllegalStateException(e.toString());
        }
        section = null;
    }

    public static String commit() {
        commits++;
        return discard ? "(discarded)" : dir.getPath();
    }

    public static void abort() {
        aborts++;
        if (section != null) {
            try { section.close(); } catch (IOException ignored) { }
            section = null;
        }
        if (dir != null && dir.listFiles() != null) for (File f : dir.listFiles()) f.delete();
    }

    // Restore natives: this fake never restores.
    public static String restoreFrom() {
        return null;
    }

    public static java.nio.ByteBuffer restoreSection(int kind) {
        throw new IllegalStateException("this JVM was not started with restoreFrom=");
    }

    public static String restoreClassProblems() {
        throw new IllegalStateException("this JVM was not started with restoreFrom=");
    }

    public static void restoreFinished() {
        throw new IllegalStateException("this JVM was not started with restoreFrom=");
    }
}
