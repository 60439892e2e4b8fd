package io.portacr.restore;

import io.portacr.JdkUnsafe;
import io.portacr.WarmupSample;

import java.nio.charset.StandardCharsets;

/**
 * Runs the heap rebuild ({@link HeapRebuild}, both passes) over small images of its own, on
 * a thread the agent starts at VMInit, so that the real rebuild starts in compiled code
 * (spec/restore.md §4.4).
 *
 * <p>Why: the rebuild runs once per JVM, and on a 200 MB heap about a third of it ran in the
 * interpreter and C1's profiled code while C2 compiled the record methods (JDK 17, perf:
 * 9 % of the process's samples in the interpreter). At VMInit the agent waits for OBJECTS to
 * be decoded and then scans it, on one core; the other core is free for this and the
 * compiler. The warm-up's records take every branch of the real ones: instances of a class
 * and its superclass with fields of every kind, primitive arrays of every element type,
 * reference arrays, Latin-1, UTF-16 and interned strings, symbolic records, recorded
 * identity hashes, in runs of one kind as an image has them.
 *
 * <p>It writes only its own objects (garbage when it ends, ~4 MiB) and native memory it
 * frees; the only trace it leaves are four strings of its own in the string table
 * ("portacr warm-up 1" and the like: interned strings the table lacks at first).
 * {@link #finish} stops it between two rounds and waits for it before the real rebuild
 * starts, so it never runs beside program code. Any
 * failure only means a colder rebuild; the info line {@code rebuild warm-up: N round(s)}
 * names it.
 * {@code -Dportacr.restore.warmup=false} turns it off.
 */
public final class RebuildWarmup {
    /**
     * Groups of records in the image, rebuilt once a round. Small: the image is written by
     * plain Java code, which must stay cold: written for 1,500 groups, C2 spent 400 ms of a
     * starved core on compiling the writer while the rebuild's own methods waited in its
     * queue. Rounds until C2 has compiled the record methods, or until {@link #finish}.
     */
    private static final int GROUPS = 100;
    private static final int ROUNDS = 32;

    private static volatile RebuildWarmup running;
    /** Test hook: {@code -Dportacr.test.restoreWarmupComplete=true} (see {@link #finish}). */
    static final String COMPLETE_PROPERTY = "portacr.test.restoreWarmupComplete";

    private final Thread thread;
    private volatile boolean stop;
    private int rounds;
    private long nanos;
    /** Why the warm-up stopped early, reported by {@link #finish}; null if it did not. */
    private Throwable failure;

    private RebuildWarmup() {
        thread = new Thread(null, this::run, "portacr-restore-warmup", 0, false);
        thread.setDaemon(true);
    }

    /** Called by the agent at VMInit of a restore; returns at once. */
    public static void start() {
        if ("false".equals(System.getProperty("portacr.restore.warmup"))) return;
        try {
            RebuildWarmup w = new RebuildWarmup();
            running = w;
            w.thread.start();
        } catch (Throwable t) {
            running = null;
        }
    }

    /** Stops the warm-up between two rounds and waits for it (no-op if none runs). */
    static void finish() {
        RebuildWarmup w = running;
        running = null;
        if (w == null) return;
        // Test hook: every round runs (the suite's images are too small for one otherwise).
        if (!Boolean.getBoolean(COMPLETE_PROPERTY)) w.stop = true;
        io.portacr.Threads.joinUninterruptibly(w.thread);
        Log.info("rebuild warm-up: " + w.rounds + " round(s) in " + w.nanos / 1_000_000 + " ms, "
            + (w.allocated >> 10) + " KiB allocated" + (w.failure == null ? "" : " (stopped: " + w.failure + ")"));
    }

    /** Bytes this thread allocated (the garbage it leaves in the young generation), -1 if unknown. */
    private long allocated = -1;

    private void run() {
        long t0 = System.nanoTime();
        long a0 = allocatedBytes();
        try {
            Image image = new Image();
            try {
                for (int round = 0; round < ROUNDS && !stop; round++) {
                    // Every other round splits pass 1 between the two walkers large images use
                    // (HeapRebuild.helperThreads): their branches must be compiled too.
                    image.rebuild(round % 2 == 1);
                    rounds++;
                }
            } finally {
                image.free();
            }
        } catch (Throwable t) {
            failure = t;
        }
        nanos = System.nanoTime() - t0;
        long a1 = allocatedBytes();
        allocated = a0 < 0 || a1 < 0 ? -1 : a1 - a0;
    }

    private static long allocatedBytes() {
        try {
            java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
            if (bean instanceof com.sun.management.ThreadMXBean) {
                return ((com.sun.management.ThreadMXBean) bean).getCurrentThreadAllocatedBytes();
            }
        } catch (Throwable t) {
            // not available: reported as unknown
        }
        return -1;
    }

    /** A map: the rebuild notes instances of hash-based classes for repair. */
    static final class SampleMap extends java.util.HashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
    }


    /**
     * One image of warm-up records: OBJECTS, the reference stream of pass 2 and the control
     * block, in native memory, laid out as the agent lays them out (restore/heap_payload.rs).
     */
    private static final class Image {
        // Class indexes of the warm-up's class table.
        private static final int OBJECT = 0, BASE = 1, SAMPLE = 2, OBJECT_ARRAY = 3, STRING_ARRAY = 4, ABSTRACT_MAP = 5,
            HASH_MAP = 6, SAMPLE_MAP = 7, PAIR = 8, SAMPLE_ARRAY = 9, FIRST_PRIM = 10;
        private static final String[] PRIM_ARRAYS = {"[Z", "[B", "[C", "[S", "[I", "[F", "[J", "[D"};
        private static final String LITERAL = "portacr restore warm-up literal";
        /** Records a group writes (see {@link #write}). */
        private static final int PER_GROUP = 15;

        private final RestoredClasses classes;
        private final Object[] symbols = {Boolean.TRUE, Boolean.FALSE, Integer.valueOf(7)};
        private final Writer objects = new Writer(), refs = new Writer();
        private final long objectsAt, refsAt, controlAt;
        private final long objectsLength, refsLength, controlLength;
        private int count;

        Image() throws RestoreFailedException {
            Class<?>[] types = new Class<?>[FIRST_PRIM + PRIM_ARRAYS.length];
            types[OBJECT] = Object.class;
            types[BASE] = io.portacr.WarmupBase.class;
            types[SAMPLE] = WarmupSample.class;
            types[OBJECT_ARRAY] = Object[].class;
            types[STRING_ARRAY] = String[].class;
            types[ABSTRACT_MAP] = java.util.AbstractMap.class;
            types[HASH_MAP] = java.util.HashMap.class;
            types[SAMPLE_MAP] = SampleMap.class;
            types[PAIR] = io.portacr.WarmupPair.class;
            types[SAMPLE_ARRAY] = WarmupSample[].class;
            for (int k = 0; k < PRIM_ARRAYS.length; k++) types[FIRST_PRIM + k] = HeapRebuild.primitiveArray(PRIM_ARRAYS[k].charAt(1), 0).getClass();
            int[] superClass = new int[types.length];
            java.util.Arrays.fill(superClass, -1);
            superClass[BASE] = OBJECT;
            superClass[SAMPLE] = BASE;
            superClass[ABSTRACT_MAP] = OBJECT;
            superClass[HASH_MAP] = ABSTRACT_MAP;
            superClass[SAMPLE_MAP] = HASH_MAP;
            superClass[PAIR] = OBJECT;
            classes = RestoredClasses.forWarmup(types, superClass);
            write();
            objectsLength = objects.size;
            refsLength = refs.size;
            objectsAt = objects.copyOut();
            refsAt = refs.copyOut();
            // Control block: consumed marks, done, object count, decoded end, failed, records
            // with ids (format 2.x), one chunk.
            controlLength = 8L * (7 + 3);
            controlAt = JdkUnsafe.allocateMemory(controlLength);
            JdkUnsafe.setMemory(controlAt, controlLength, (byte) 0);
            JdkUnsafe.putLong(null, controlAt + 8L * 3, count);
            JdkUnsafe.putLong(null, controlAt + 8L * 4, refsLength);
            JdkUnsafe.putLong(null, controlAt + 8L * 6, 1);
            JdkUnsafe.putLong(null, controlAt + 8L * 7, 1);
            JdkUnsafe.putLong(null, controlAt + 8L * 8, 0);
            JdkUnsafe.putLong(null, controlAt + 8L * 9, refsLength);
        }

        /** One rebuild of the image, both passes, as HeapRestore runs them. */
        void rebuild(boolean split) throws RestoreFailedException {
            // The control block's marks are set again by every round.
            JdkUnsafe.putLong(null, controlAt, 0);
            JdkUnsafe.putLong(null, controlAt + 8, 0);
            JdkUnsafe.putLong(null, controlAt + 16, 0);
            HeapRebuild heap = new HeapRebuild(Payload.ofMemory(objectsAt, objectsLength, "warm-up OBJECTS"),
                Payload.ofMemory(refsAt, refsLength, "warm-up references"),
                Payload.ofMemory(controlAt, controlLength, "warm-up control"), classes, symbols);
            heap.quiet = true;
            // Chunks smaller than the image, as a real image's are: the loop's exits at the
            // chunk's last id and at the image's end both occur.
            heap.chunk = 512;
            heap.warmupSplit = split;
            try {
                heap.allocateAll();
                heap.fillAll();
            } finally {
                heap.done();
            }
            if (heap.count != count || !(heap.byId[1] instanceof WarmupSample)) {
                throw new IllegalStateException("warm-up image rebuilt wrongly (" + heap.count + " of " + count + " objects)");
            }
        }

        void free() {
            JdkUnsafe.freeMemory(objectsAt);
            JdkUnsafe.freeMemory(refsAt);
            JdkUnsafe.freeMemory(controlAt);
        }

        /**
         * The records: groups of runs of one kind (instances, then strings, then arrays of
         * one type, ...), referring to each other so that pass 2 sets every kind of slot.
         */
        private void write() {
            // Groups in the order 0, 2, 4, ..., then 1, 3, 5, ...: records name their ids
            // (format 2.x), and the steps between groups take one and two bytes, as the
            // steps of a depth-first capture do.
            for (int g0 = 0; g0 < 2 * GROUPS; g0 += 2) {
                int g = g0 < GROUPS ? g0 : g0 - GROUPS + 1;
                if (g >= GROUPS) continue;
                count = g * PER_GROUP;
                int first = count + 1;
                // ids: first..first+3 samples, +4..+5 strings, +6 prim array, +7 object array,
                // +8 string array, +9 symbolic, +10 sample, +11 string, +12 map, +13 pair (no
                // primitive fields), +14 sample array (a third array type for the store checks)
                for (int k = 0; k < 4; k++) instance(SAMPLE, first + k, g, k, first);
                string(g, false);
                string(g, true);
                primArray(g);
                objectArray(first, g);
                stringArray(first, g);
                symbolic(g);
                instance(SAMPLE, first + 10, g, 4, first);
                string(g + 1, g % 3 == 0);
                instance(SAMPLE_MAP, first + 12, g, 5, first);
                instance(PAIR, first + 13, g, 6, first);
                sampleArray(first, g);
                if (count != first + PER_GROUP - 1) throw new IllegalStateException("warm-up record count");
            }
            count = GROUPS * PER_GROUP;
        }

        private int previousId;

        /** The record's step to its id (spec/image-format.md §7), for id {@code count + 1}. */
        private void step() {
            int id = count + 1;
            int z = zigzag(id - previousId - 1);
            while ((z & ~0x7F) != 0) {
                objects.u8((z & 0x7F) | 0x80);
                z >>>= 7;
            }
            objects.u8(z);
            previousId = id;
        }

        private int tag(int kind, int g, int k) {
            return (g + k) % 5 == 0 ? kind | 0x80 : kind;
        }

        private void header(int kind, int g, int k) {
            int tag = tag(kind, g, k);
            objects.u8(tag);
            step();
            if ((tag & 0x80) != 0) objects.u32(0x1234567 + 31 * count);
            count++;
        }

        /** An instance of class ci: its superclasses' fields first, in the image's layout order. */
        private void instance(int ci, int id, int g, int k, int first) {
            header(1, g, k);
            objects.u32(ci);
            int depth = 0;
            for (int c = ci; c >= 0; c = classes.superClass[c]) depth++;
            int[] chain = new int[depth];
            for (int c = ci, d = depth - 1; c >= 0; c = classes.superClass[c]) chain[d--] = c;
            int refIndex = 0;
            int[] targets = new int[64];
            for (int c : chain) {
                int ci2 = c;
                for (int f = 0; f < classes.fieldNames[ci2].length; f++) {
                    if ((classes.fieldFlags[ci2][f] & java.lang.reflect.Modifier.STATIC) != 0) continue;
                    String name = classes.fieldNames[ci2][f];
                    switch (classes.fieldDescriptors[ci2][f].charAt(0)) {
                        case 'Z': objects.u8((g + k) & 1); break;
                        case 'B': objects.u8(g); break;
                        case 'C': case 'S': objects.u16(g * 7 + k); break;
                        case 'I': objects.u32(g * 31 + k); break;
                        case 'F': objects.u32(Float.floatToRawIntBits(g / 3f)); break;
                        case 'J': objects.u64(g * 1_000_003L + k); break;
                        case 'D': objects.u64(Double.doubleToRawLongBits(g / 7.0)); break;
                        default: {
                            int target = ci == SAMPLE ? refTarget(name, id, g, k, first)
                                : ci == PAIR ? (name.equals("first") ? first : first + 4) : 0;
                            targets[refIndex++] = target;
                            objects.u32(target);
                        }
                    }
                }
            }
            refs.u32(id);
            refs.u32(ci);
            for (int r = 0; r < refIndex; r++) refs.u32(targets[r] == 0 ? 0 : zigzag(targets[r] - id) + 1);
        }

        /** What field {@code name} of sample {@code id} refers to (0: null). */
        private int refTarget(String name, int id, int g, int k, int first) {
            switch (name) {
                case "name": return k == 3 ? 0 : first + 4 + (k & 1);
                case "data": return g % PRIM_ARRAYS.length == 4 && k != 1 ? first + 6 : 0; // the group's int[]
                case "link": return k == 0 ? first + 9 : k == 1 ? first + 7 : first + 11;
                case "next": return k == 0 ? (g == 0 ? 0 : first - PER_GROUP + 10) : k == 4 ? first + 3 : id - 1;
                case "more": return k == 2 ? first + 8 : 0;
                case "owner": return k == 1 ? first + 10 : 0;
                default: return 0;
            }
        }

        private void string(int g, boolean utf16) {
            header(4, g, 1);
            // Interned: the literal (in this VM's table: intern gives another object) and a
            // few strings the table lacks until the first round interns them.
            String s = g % 9 == 0 ? LITERAL : (utf16 ? "portacr разминка " : "portacr warm-up ") + g;
            boolean interned = s == LITERAL || g % 50 == 1;
            objects.u8((interned ? 1 : 0) | (utf16 ? 2 : 0));
            objects.u32(s.length());
            if (utf16) {
                for (int i = 0; i < s.length(); i++) objects.u16(s.charAt(i));
            } else {
                byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
                for (byte x : b) objects.u8(x);
            }
        }

        private void primArray(int g) {
            int k = g % PRIM_ARRAYS.length;
            header(2, g, 2);
            objects.u32(FIRST_PRIM + k);
            int n = g % 11;
            objects.u32(n);
            char elem = PRIM_ARRAYS[k].charAt(1);
            for (int i = 0; i < n * HeapRebuild.elementSize(elem); i++) objects.u8(elem == 'Z' ? i & 1 : i + g);
        }

        private void objectArray(int first, int g) {
            int[] targets = new int[1 + g % 6];
            for (int i = 0; i < targets.length; i++) targets[i] = i % 3 == 2 ? 0 : first + (i % 12);
            refArray(OBJECT_ARRAY, g, 3, targets);
        }

        private void sampleArray(int first, int g) {
            refArray(SAMPLE_ARRAY, g, 5, new int[] {first, g % 3 == 0 ? 0 : first + 1});
        }

        private void stringArray(int first, int g) {
            refArray(STRING_ARRAY, g, 4, new int[] {first + 4, g % 2 == 0 ? 0 : first + 5});
        }

        /** A REF_ARRAY record of class {@code ci} and its entry of the reference stream (0: null). */
        private void refArray(int ci, int g, int k, int[] targets) {
            int id = count + 1;
            header(3, g, k);
            objects.u32(ci);
            objects.u32(targets.length);
            refs.u32(id);
            refs.u32(0x8000_0000 | targets.length);
            for (int t : targets) {
                objects.u32(t);
                refs.u32(t == 0 ? 0 : zigzag(t - id) + 1);
            }
        }

        private void symbolic(int g) {
            objects.u8(5);
            step();
            count++;
            objects.u32(g % symbols.length);
        }

        private static int zigzag(int v) {
            return (v << 1) ^ (v >> 31);
        }
    }

    /** Little-endian bytes into a growing array, copied to native memory at the end. */
    private static final class Writer {
        private byte[] bytes = new byte[1 << 16];
        int size;

        void u8(int v) {
            if (size == bytes.length) bytes = java.util.Arrays.copyOf(bytes, size * 2);
            bytes[size++] = (byte) v;
        }

        void u16(int v) {
            u8(v);
            u8(v >>> 8);
        }

        void u32(int v) {
            u16(v);
            u16(v >>> 16);
        }

        void u64(long v) {
            u32((int) v);
            u32((int) (v >>> 32));
        }

        long copyOut() {
            long at = JdkUnsafe.allocateMemory(Math.max(1, size));
            JdkUnsafe.copyMemory(bytes, JdkUnsafe.arrayBaseOffset(byte[].class), null, at, size);
            return at;
        }
    }
}
