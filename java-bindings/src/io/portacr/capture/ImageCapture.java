package io.portacr.capture;

import io.portacr.JdkUnsafe;

import io.portacr.Native;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Captures the application's state into an image: the calling thread's frames, the
 * objects reachable from the roots, the classes, the statics, and the process facts
 * (spec/semantics.md §2). Every section payload is encoded here (spec/contracts.md §4–§8)
 * and handed to the agent, which frames, compresses and writes it.
 *
 * <p>Order: other threads are checked, frames are read (after the agent rematerialized
 * compiled frames), the image file is begun, then the heap is walked once while OBJECTS is
 * streamed; the metadata sections, known fully only after the walk, follow.
 */
public final class ImageCapture {
    private ImageCapture() {}

    // Section kinds (spec/contracts.md §7).
    static final int PLATFORM = 1;
    static final int LAUNCH = 2;
    static final int CLASSES = 3;
    static final int SYMREFS = 4;
    static final int OBJECTS = 5;
    static final int STATICS = 6;
    static final int THREADS = 7;
    static final int RESOURCES = 8;

    /** JVMTI thread state of the checkpointing thread: ALIVE | RUNNABLE. */
    static final int THREAD_STATE_RUNNABLE = 0x5;

    /** Counters of the last successful capture, for logs and benchmarks. */
    public static volatile String lastStatistics = "";

    /**
     * Captures the heap, classes, statics and the calling thread's stack; returns the image directory.
     * On failure the temporary image is discarded ({@code Native.abort()}) and the application
     * can continue; the exception's message is one line.
     */
    public static String checkpoint(List<?> resourcesInRegistrationOrder) throws CaptureFailedException {
        try {
            try {
                return capture(resourcesInRegistrationOrder, ObjectKeys.ADDRESS_KEYS_SUPPORTED);
            } catch (ObjectKeys.ObjectsMovedException e) {
                // Rare: a collection during the walk (spec/semantics.md §2.3). Nothing of the
                // first attempt is kept; identity-hash keys need no quiet heap.
                abortQuietly();
                Native.log(3, "capture: " + e.getMessage() + "; capturing again with identity-hash keys");
                return capture(resourcesInRegistrationOrder, false);
            }
        } catch (CaptureFailedException e) {
            abortQuietly();
            throw e;
        } catch (OutOfMemoryError e) {
            abortQuietly();
            throw new CaptureFailedException("out of memory while capturing the image (the walk needs about "
                + "12 bytes of Java heap and 8-16 bytes of native memory per object); raise -Xmx or free memory: "
                + oneLine(String.valueOf(e.getMessage())), e);
        } catch (Throwable t) {
            abortQuietly();
            throw new CaptureFailedException("capture failed: " + oneLine(String.valueOf(t)), t);
        }
    }

    private static void abortQuietly() {
        try {
            Native.abort();
        } catch (Throwable ignored) {
            // abort is best effort: the failure being reported matters more
        }
    }

    static String oneLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The static field values of one initialized application class, read at root time. */
    private static final class StaticValues {
        final int classIndex;
        final byte[] kinds;
        final long[] values; // raw bits, or the object id for references

        StaticValues(int classIndex, int n) {
            this.classIndex = classIndex;
            this.kinds = new byte[n];
            this.values = new long[n];
        }
    }

    /** @param addressKeys key objects by address ({@link ObjectKeys}), else by identity hash */
    private static String capture(List<?> resources, boolean addressKeys) throws Throwable {
        long t0 = System.nanoTime();
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long c0 = cpu.getCurrentThreadCpuTime();
        if (JdkUnsafe.UNAVAILABLE != null) {
            throw new CaptureFailedException("jdk.internal.misc.Unsafe is not accessible to the capture code ("
                + JdkUnsafe.UNAVAILABLE + "); was java.base/jdk.internal.misc exported to the boot loader's unnamed module?");
        }
        String others = Native.otherThreadsError();
        if (others != null) throw new CaptureFailedException(oneLine(others));

        // Compiled frames read scalar-replaced objects as null unless HotSpot's escape
        // barrier reallocates them first (spec/semantics.md §2.1); dead locals read 0/null.
        Native.rematerializeFrames();
        List<FrameCapture.CapturedFrame> frames = FrameCapture.captureCurrentThread();
        // Compiles the walk on the other core while this thread prepares; joined before the
        // walk. Started after the frames are read: rematerializing is one VM operation per
        // slot (111 safepoints for HeapBench's main frame), and each handoff to the VM
        // thread waited for a CPU while the warm-up ran (remat 10-14 ms -> 140-320 ms).
        int expectedObjects = expectedObjects();
        CaptureWarmup warmup = CaptureWarmup.start(expectedObjects, addressKeys);
        try {
            return capture(resources, t0, cpu, c0, frames, warmup, expectedObjects, addressKeys);
        } finally {
            if (warmup != null) warmup.stopAndJoin(); // no thread outlives the capture, failed or not
        }
    }

    private static String capture(List<?> resources, long t0, java.lang.management.ThreadMXBean cpu, long c0,
                                  List<FrameCapture.CapturedFrame> frames, CaptureWarmup warmup, int expectedObjects,
                                  boolean addressKeys) throws Throwable {
        Thread current = Thread.currentThread();

        long now = System.currentTimeMillis();
        long nanoTime = System.nanoTime();
        // From the agent: UUID.randomUUID()'s first call initializes SecureRandom's
        // providers (45 ms of the preparation, JDK 17).
        String random = Native.randomUuid();
        UUID uuid = random != null ? UUID.fromString(random) : UUID.randomUUID();
        String beginError = Native.begin(now, uuid.toString(), ProcessFacts.maxHeap());
        if (beginError != null) throw new CaptureFailedException(oneLine(beginError));

        Class<?>[] loaded = Native.loadedClasses();
        JdkStaticValues jdkStatics = new JdkStaticValues(loaded);
        HeapWalker.Tables[] tables = new HeapWalker.Tables[1];
        try {
            return walkAndEncode(resources, t0, cpu, c0, frames, warmup, expectedObjects, current, now, nanoTime, uuid,
                loaded, jdkStatics, tables, addressKeys);
        } finally {
            // Native memory of the identity tables; nothing looks objects up after this.
            jdkStatics.release();
            // Tables the warm-up made but the walk never took are left to the Cleaner.
            if (tables[0] != null) tables[0].ids.release();
        }
    }

    /** Walks the heap while OBJECTS is written, then encodes the other sections and commits. */
    private static String walkAndEncode(List<?> resources, long t0, java.lang.management.ThreadMXBean cpu, long c0,
                                  List<FrameCapture.CapturedFrame> frames, CaptureWarmup warmup, int expectedObjects,
                                  Thread current, long now, long nanoTime, UUID uuid, Class<?>[] loaded,
                                  JdkStaticValues jdkStatics, HeapWalker.Tables[] tablesUsed, boolean addressKeys)
            throws Throwable {
        InternedStrings interned = new InternedStrings(jdkStatics.enumNames);
        long t1 = System.nanoTime();
        long c1 = cpu.getCurrentThreadCpuTime();

        long tw = System.nanoTime();
        HeapWalker.Tables tables = CaptureWarmup.finish(warmup, expectedObjects, addressKeys);
        tablesUsed[0] = tables;
        long warmupWaitMs = (System.nanoTime() - tw) / 1_000_000;
        SectionWriter out = new SectionWriter();
        HeapWalker walker = new HeapWalker(out, jdkStatics, interned, current, tables);
        // With address keys, the window without collections starts here (the walk allocates
        // little) and ends after the walk; the first key is taken by index().
        long collections = addressKeys ? ObjectKeys.collections() : -1;
        if (addressKeys && collections < 0) throw new ObjectKeys.ObjectsMovedException();
        jdkStatics.index(addressKeys);
        List<StaticValues> statics = new ArrayList<>();
        List<FrameCapture.Values[]> frameValues = new ArrayList<>();
        List<int[][]> frameMonitors = new ArrayList<>();
        int[] frameClasses = new int[frames.size()];
        int threadObject;
        int[] resourceIds = new int[resources.size()];

        out.begin(OBJECTS);
        try {
            // Roots, in this order: application classes (their custom loaders), their statics,
            // the frames, the thread, the resources.
            List<Class<?>> appClasses = new ArrayList<>();
            for (Class<?> c : loaded) {
                if (c.isArray() || c.isPrimitive() || !ClassTable.isApplicationClass(c)) continue;
                appClasses.add(c);
                walker.classes.indexOf(c);
            }
            for (Class<?> c : appClasses) {
                if (ClassTable.isInitialized(c)) statics.add(readStatics(c, walker));
            }
            for (int i = 0; i < frames.size(); i++) {
                FrameCapture.CapturedFrame f = frames.get(i);
                frameClasses[i] = walker.classes.indexOf(f.declaringClass);
                frameValues.add(new FrameCapture.Values[] {FrameCapture.locals(f, walker), FrameCapture.operands(f, walker)});
                frameMonitors.add(FrameCapture.monitors(f, walker));
            }
            threadObject = walker.root(current, "thread " + current.getName());
            for (int i = 0; i < resourceIds.length; i++) {
                resourceIds[i] = walker.root(resources.get(i), "resource " + i);
            }
            walker.drain();
        } catch (UncarriableObjectException e) {
            if (addressKeys && ObjectKeys.collections() != collections) {
                throw new ObjectKeys.ObjectsMovedException(); // the path may be wrong too
            }
            throw new CaptureFailedException(walker.referencePath(e));
        }
        if (addressKeys && ObjectKeys.collections() != collections) throw new ObjectKeys.ObjectsMovedException();
        long objectBytes = out.size();
        out.end();
        long t2 = System.nanoTime();
        long c2 = cpu.getCurrentThreadCpuTime();

        out.begin(STATICS);
        out.u32(statics.size());
        for (StaticValues s : statics) {
            out.u32(s.classIndex);
            out.u32(s.kinds.length);
            for (int i = 0; i < s.kinds.length; i++) {
                long v = s.values[i];
                switch (s.kinds[i]) {
                    case ClassInfo.K_BYTE: out.u8((int) v); break;
                    case ClassInfo.K_SHORT: out.u16((int) v); break;
                    case ClassInfo.K_LONG: out.u64(v); break;
                    default: out.u32((int) v); break; // K_INT and K_REF (object id)
                }
            }
        }
        out.end();

        BincodeWriter w = new BincodeWriter(out);
        out.begin(CLASSES);
        walker.classes.encode(w);
        out.end();

        out.begin(SYMREFS);
        w.seq(walker.symrefs.size());
        for (SymbolicRef r : walker.symrefs) r.encode(w);
        out.end();

        out.begin(THREADS);
        w.seq(1);
        w.string(current.getName()).u32(threadObject).bool(current.isDaemon()).i32(current.getPriority())
            .u32(THREAD_STATE_RUNNABLE);
        w.seq(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            FrameCapture.CapturedFrame f = frames.get(i);
            w.u32(frameClasses[i]).string(f.methodName).string(f.descriptor).u16(f.accessFlags).u32(f.bci);
            frameValues.get(i)[0].encode(w);
            frameValues.get(i)[1].encode(w);
            int[][] monitors = frameMonitors.get(i);
            w.seq(monitors.length);
            for (int[] m : monitors) w.u32(m[0]).u32(m[1]);
            w.variant(f.kind);
        }
        out.end();

        out.begin(RESOURCES);
        w.seq(resourceIds.length);
        for (int id : resourceIds) w.u32(id);
        out.end();

        out.begin(PLATFORM);
        ProcessFacts.encodePlatform(w, now, nanoTime, uuid);
        out.end();

        out.begin(LAUNCH);
        ProcessFacts.encodeLaunch(w);
        out.end();

        long tc = System.nanoTime();
        String dir = Native.commit();
        long t3 = System.nanoTime();
        long c3 = cpu.getCurrentThreadCpuTime();
        lastStatistics = "objects=" + walker.objectCount() + " objectBytes=" + objectBytes
            + " classes=" + walker.classes.size() + " symrefs=" + walker.symrefs.size()
            + " strings=" + walker.strings + " (exact intern checks " + interned.exactChecks + ", "
            + interned.describe() + ")" + " frames=" + frames.size()
            + " jdkStatics=" + jdkStatics.size() + " (" + jdkStatics.classesScanned + " classes, "
            + (jdkStatics.buildNanos / 1_000_000) + " ms)"
            + " expectedObjects=" + expectedObjects + " keys=" + (addressKeys ? "address" : "identityHash") + " ids=" + walker.idTableKind()
            + " prepareMs=" + (t1 - t0) / 1_000_000 + " warmup=" + CaptureWarmup.lastWarmup + " warmupWaitMs=" + warmupWaitMs + " walkMs=" + (t2 - t1) / 1_000_000
            + " commitMs=" + (t3 - tc) / 1_000_000 + " totalMs=" + (t3 - t0) / 1_000_000
            + " (thread CPU: prepareMs=" + (c1 - c0) / 1_000_000 + " walkMs=" + (c2 - c1) / 1_000_000
            + " totalMs=" + (c3 - c0) / 1_000_000 + ")";
        Native.log(3, "portacr capture: " + lastStatistics);
        return dir;
    }

    /**
     * Reads a static field when reflection cannot give its Field. A reference field whose type
     * cannot be resolved from the class's loader holds null: no object of that type can exist.
     */
    private static long readStaticWithoutReflection(Class<?> c, String name, String descriptor, byte kind, HeapWalker walker)
            throws UncarriableObjectException, CaptureFailedException {
        Class<?> type;
        try {
            type = java.lang.invoke.MethodType.fromMethodDescriptorString("()" + descriptor, c.getClassLoader()).returnType();
        } catch (TypeNotPresentException | IllegalArgumentException | LinkageError e) {
            if (kind == ClassInfo.K_REF) return 0;
            throw new CaptureFailedException("cannot read static field " + c.getName() + "." + name + ": " + e);
        }
        Object value;
        try {
            java.lang.invoke.MethodHandles.Lookup lookup =
                java.lang.invoke.MethodHandles.privateLookupIn(c, java.lang.invoke.MethodHandles.lookup());
            value = lookup.findStaticVarHandle(c, name, type).get();
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            throw new CaptureFailedException("cannot read static field " + c.getName() + "." + name + ": " + e);
        }
        if (kind == ClassInfo.K_REF) return walker.root(value, "static " + c.getName() + "." + name);
        if (value instanceof Boolean) return (Boolean) value ? 1 : 0;
        if (value instanceof Character) return (Character) value;
        if (value instanceof Float) return Float.floatToRawIntBits((Float) value);
        if (value instanceof Double) return Double.doubleToRawLongBits((Double) value);
        return ((Number) value).longValue();
    }

    /**
     * A first guess of the number of objects, for the walk's tables ({@link HeapWalker.Tables}).
     * A guess too low costs twice: every table is copied when it fills, the identity table
     * re-inserts every object (a cache miss each: 16.7 M of them at 1 GB), and the branch
     * that grows them, first taken in the middle of the walk, throws its compiled code away.
     * A guess too high costs zeroed memory, allocated by the warm-up thread in parallel.
     *
     * <p>Used heap includes garbage, but right after a full GC (as in a heap-dump comparison)
     * it does not; mixed heaps average 40–60 bytes an object (HeapBench: 53, DESIGN.md §4:
     * 39), so 48 bytes an object, unless the tables (about 28 bytes per expected object)
     * would take more than a third of the free heap: then 96 bytes an object, the old guess.
     */
    static int expectedObjects() {
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        long free = rt.maxMemory() - used;
        long guess = used / 48;
        if (guess * 28 > free / 3) guess = used / 96;
        return (int) Math.max(1 << 16, Math.min(1 << 26, guess));
    }

    /** Reads the statics of an initialized application class; reference values are roots. */
    private static StaticValues readStatics(Class<?> c, HeapWalker walker) throws UncarriableObjectException, CaptureFailedException {
        ClassInfo ci = walker.classes.info(c);
        int n = 0;
        for (int f : ci.fieldFlags) if ((f & Modifier.STATIC) != 0) n++;
        StaticValues s = new StaticValues(ci.index, n);
        int at = 0;
        for (int i = 0; i < ci.fieldNames.length; i++) {
            if ((ci.fieldFlags[i] & Modifier.STATIC) == 0) continue;
            String name = ci.fieldNames[i];
            byte kind = ClassInfo.kindOf(ci.fieldDescriptors[i]);
            s.kinds[at] = kind;
            Field field;
            try {
                field = c.getDeclaredField(name);
            } catch (NoSuchFieldException | LinkageError e) {
                // Reflection resolves the types of all fields of the class; one missing optional
                // dependency fails it for every field. Read this one through a VarHandle.
                s.values[at] = readStaticWithoutReflection(c, name, ci.fieldDescriptors[i], kind, walker);
                at++;
                continue;
            }
            Object base = JdkUnsafe.staticFieldBase(field);
            long offset = JdkUnsafe.staticFieldOffset(field);
            switch (kind) {
                case ClassInfo.K_BYTE: s.values[at] = JdkUnsafe.getByte(base, offset); break;
                case ClassInfo.K_SHORT: s.values[at] = JdkUnsafe.getShort(base, offset); break;
                case ClassInfo.K_INT: s.values[at] = JdkUnsafe.getInt(base, offset); break;
                case ClassInfo.K_LONG: s.values[at] = JdkUnsafe.getLong(base, offset); break;
                default:
                    s.values[at] = walker.root(JdkUnsafe.getReference(base, offset), "static " + c.getName() + "." + name);
                    break;
            }
            at++;
        }
        return s;
    }
}
