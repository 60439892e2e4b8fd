package io.portacr.restore;

import io.portacr.JdkUnsafe;
import io.portacr.Threads;

import java.lang.reflect.Array;
import java.util.Arrays;

/**
 * Rebuilds the OBJECTS section (spec/contracts.md §4) in this VM, in two passes over memory
 * the agent gives back as they read it (spec/restore.md §4.1, §4.4):
 * <ol>
 *   <li>every object is made in record order (the capture's depth-first order, so the
 *       rebuilt heap keeps objects next to what they refer to; id order for a format 1.x
 *       image) and put into {@link #byId} at its id: instances with
 *       {@code Unsafe.allocateInstance} (no constructor) and their primitive fields set,
 *       primitive arrays filled in bulk, strings with their content (interned ones interned
 *       again so {@code ==} with literals holds), symbolic records bound to this VM's
 *       objects; recorded identity hashes are written into the fresh headers. With two
 *       cores a helper makes the arrays and strings while this thread makes the rest;</li>
 *   <li>reference fields and reference-array elements are set from the agent's reference
 *       stream, references from {@code byId} (so cycles need nothing special).</li>
 * </ol>
 * Fields are matched by name and descriptor through a per-class plan: a field of the image
 * that this JDK's class lacks is dropped (debug log), a field new in this JDK keeps its
 * default (spec/semantics.md §2.2). References stored into fields are type-checked against
 * the field's type, so a damaged image cannot make a field hold an object of the wrong class.
 * Why Java and not JNI: DESIGN.md §4 (per-object JNI tops out near 5 M objects/s).
 */
final class HeapRebuild {
    private static final int KIND_INSTANCE = 1, KIND_PRIM_ARRAY = 2, KIND_REF_ARRAY = 3, KIND_STRING = 4, KIND_SYMBOLIC = 5;
    // Field value kinds by the image's descriptor; sizes in SIZE.
    private static final byte K_BOOL = 1, K_BYTE = 2, K_SHORT = 3, K_INT = 4, K_LONG = 5, K_REF = 6;
    private static final int[] SIZE = {0, 1, 1, 2, 4, 8, 4};

    private static final long STRING_VALUE = JdkUnsafe.objectFieldOffset(String.class, "value");
    private static final long STRING_CODER = JdkUnsafe.objectFieldOffset(String.class, "coder");
    private static final boolean COMPACT_STRINGS = compactStrings();

    /** Per class index: the plan for its instances (built on first use). */
    private static final class InstancePlan {
        Class<?> type;
        byte[] kinds;
        long[] offsets;       // -1: the field is dropped
        Class<?>[] refTypes;  // per K_REF value: the field's type (null: no check needed)
        int recordBytes;
        boolean repairHash;
        /** Primitive fields this VM has: kind, offset, position in the record (pass 1 sets them). */
        byte[] primKinds;
        long[] primOffsets;
        int[] primPositions;
        /** Per reference slot of the image's layout: offset here (-1: dropped) and store check (pass 2). */
        long[] refOffsets;
        Class<?>[] refChecks;
    }

    private final Payload objects;
    /** The agent's reference stream (pass 2) and the control block of read marks. */
    private final Payload refs, control;
    private final RestoredClasses classes;
    private final Object[] symbols;
    private final InstancePlan[] plans;
    /** Per class index: the element kind of a primitive array class, 0 if not one. */
    private final byte[] primArrayKind;
    /** Per primitive-array class index: element descriptor, log2 of its size, base offset. */
    private final char[] primArrayElem;
    private final byte[] primArrayShift;
    private final long[] primArrayBase;
    /** Per reference-array class index: its component type once checked. */
    private final Class<?>[] refArrayComponents;
    /** Per class index: bytes of an instance record's values in the image's layout. */
    private final int[] recordBytes;
    Object[] byId = new Object[1];
    /** A warm-up's rebuild ({@link RebuildWarmup}): no timing in the log. */
    boolean quiet;
    /** Records per chunk of pass 1: {@link #CHUNK}; smaller in a warm-up, whose image is. */
    int chunk = CHUNK;
    /**
     * A warm-up's rebuild: pass 1 split between the two walkers of a large image (instances,
     * then arrays and strings), run one after the other on this thread. No thread is started:
     * each new thread would take a fresh allocation buffer of eden and leave most of it
     * unused when it ends (measured: enough to make Parallel collect during the real pass 1).
     */
    boolean warmupSplit;
    int count;
    int hashesRecorded, hashesNotSet, dropped;
    /** Ids of instances whose class may need {@link HashRepair}. */
    int[] repairIds = new int[16];
    int repairCount;

    /**
     * Whether OBJECTS records name their ids (image format 2.x: records in the capture's
     * depth-first order, each with a step to its id); else record k is object k+1 (1.x).
     * The agent has checked that the ids are 1..N, each once (restore/objects_scan.rs).
     */
    private final boolean namedIds;

    HeapRebuild(Payload objects, Payload refs, Payload control, RestoredClasses classes, Object[] symbols) {
        this.namedIds = control.word(OBJECTS_NAME_IDS) != 0;
        this.objects = objects;
        this.refs = refs;
        this.control = control;
        this.classes = classes;
        this.symbols = symbols;
        this.plans = new InstancePlan[classes.count];
        this.primArrayKind = new byte[classes.count];
        this.primArrayElem = new char[classes.count];
        this.primArrayShift = new byte[classes.count];
        this.primArrayBase = new long[classes.count];
        this.refArrayComponents = new Class<?>[classes.count];
        this.recordBytes = new int[classes.count];
        for (int i = 0; i < classes.count; i++) recordBytes[i] = layoutBytes(i);
        for (int i = 0; i < classes.count; i++) {
            String n = classes.names[i];
            if (n.length() == 2 && n.charAt(0) == '[') {
                primArrayKind[i] = kindOf(n.substring(1));
                if (primArrayKind[i] == K_REF) continue;
                char elem = n.charAt(1);
                primArrayElem[i] = elem;
                primArrayShift[i] = (byte) Integer.numberOfTrailingZeros(elementSize(elem));
                // Asked once per class: arrayBaseOffset is a native call when the class is not a constant.
                primArrayBase[i] = JdkUnsafe.arrayBaseOffset(primitiveArray(elem, 0).getClass());
            }
        }
    }

    static byte kindOf(String descriptor) {
        switch (descriptor.charAt(0)) {
            case 'Z': return K_BOOL;
            case 'B': return K_BYTE;
            case 'C': case 'S': return K_SHORT;
            case 'I': case 'F': return K_INT;
            case 'J': case 'D': return K_LONG;
            default: return K_REF;
        }
    }

    private static boolean compactStrings() {
        try {
            java.lang.reflect.Field f = String.class.getDeclaredField("COMPACT_STRINGS");
            return JdkUnsafe.getByte(JdkUnsafe.staticFieldBase(f), JdkUnsafe.staticFieldOffset(f)) != 0;
        } catch (Throwable t) {
            return false;
        }
    }

    // ---- pass 1 ---------------------------------------------------------------------

    /**
     * Records per chunk of both passes. The passes call one method per chunk instead of
     * running one loop over millions of records: a method invoked hundreds of times gets a
     * normal C2 compilation with its callees inlined, where one long loop only gets an
     * on-stack-replacement compilation late (spec/restore.md §4.4).
     */
    static final int CHUNK = 4096;

    /** Control block words (restore/heap_payload.rs). */
    private static final int CONSUMED_OBJECTS = 0, CONSUMED_REFS = 1, DONE = 2, OBJECT_COUNT = 3, DECODED_REFS = 4, FAILED = 5,
        OBJECTS_NAME_IDS = 6, REFS_CHUNKS = 7;
    /** Bytes read between two read marks: the agent gives memory back in steps of this. */
    private static final long MARK_STEP = 1 << 20;

    /** What a {@link Walker} of pass 1 makes: every record, or only one half of the kinds. */
    private static final int ALL = 0, INSTANCES = 1, ARRAYS = 2;

    /**
     * Pass 1. With more than one core, two threads walk all records: this one makes the
     * instances and symbolic records (so classes are initialized, plans built and hash
     * tables noted on this thread, in id order as before), a helper the arrays and strings
     * (most of the bytes: allocation and bulk copies). Both write only their own ids into
     * {@link #byId}, sized from the agent's object count.
     */
    void allocateAll() throws RestoreFailedException {
        long expected = control.word(OBJECT_COUNT);
        if (expected < 0 || expected > Integer.MAX_VALUE - 8) throw objects.defect(0, expected + " objects");
        byId = new Object[(int) expected + 1];
        if (warmupSplit) {
            Walker instances = new Walker(INSTANCES), arrays = new Walker(ARRAYS);
            instances.run();
            arrays.run();
            finish(instances, arrays, expected);
            return;
        }
        if (!helperThreads()) {
            Walker all = new Walker(ALL);
            all.run();
            timing = "pass 1: one thread " + all.nanos / 1000000 + " ms";
            finish(all, null, expected);
            return;
        }
        final Walker instances = new Walker(INSTANCES), arrays = new Walker(ARRAYS);
        Thread helper = new Thread(null, arrays, "portacr-restore-allocate", 0, false);
        helper.setDaemon(true);
        helper.start();
        instances.run();
        Threads.joinUninterruptibly(helper);
        timing = "pass 1: instances " + instances.nanos / 1000000 + " ms, arrays " + arrays.nanos / 1000000 + " ms";
        finish(instances, arrays, expected);
    }

    /** Below this payload size pass 1 stays on one thread (a thread start is not worth it). */
    private static final long PARALLEL_BYTES = 1 << 20;

    /**
     * With exactly two cores, the OBJECTS payload size from which both passes use a helper
     * thread. Below it they do not: this thread, the JIT compiler (compiling and recompiling
     * the chunk methods early in the rebuild), the agent's decoder of the reference stream and
     * the collector's threads already keep both cores busy, and a second Java thread was
     * measured slower (JDK 17, quiet machine, 200 MB live heap, 140 MB payload: both passes
     * 550–640 ms with helpers, 485–505 without under G1). Above it the fixed compile cost is
     * spread over enough objects for the helper to win (966 MB live heap, 700 MB payload:
     * 1134 ms with helpers against 2069 without through `portacr restore`, 1547 against 1360
     * by hand; spec/restore.md §4.4). The threshold lies between the two measured sizes.
     */
    private static final long TWO_CORE_PARALLEL_BYTES = 384L << 20;

    /**
     * Test hook: {@code -Dportacr.test.restoreHelperThreads=true|false} forces the choice, so
     * the suite's small images also exercise the split that only large ones take by themselves.
     */
    static final String HELPER_THREADS_PROPERTY = "portacr.test.restoreHelperThreads";

    /** Whether both passes split their work with a helper thread. */
    private boolean helperThreads() {
        String forced = System.getProperty(HELPER_THREADS_PROPERTY);
        if (forced != null) return Boolean.parseBoolean(forced);
        if (objects.length < PARALLEL_BYTES) return false;
        int cores = Runtime.getRuntime().availableProcessors();
        return cores >= 3 || (cores == 2 && objects.length >= TWO_CORE_PARALLEL_BYTES);
    }

    private void finish(Walker a, Walker b, long expected) throws RestoreFailedException {
        rethrow(failure.get());
        if (a.records != expected || (b != null && b.records != expected) || a.pos != objects.length) {
            throw objects.defect(a.pos, a.records + " objects read, the agent counted " + expected);
        }
        count = a.records;
        hashesRecorded = a.hashesRecorded + (b == null ? 0 : b.hashesRecorded);
        hashesNotSet = a.hashesNotSet + (b == null ? 0 : b.hashesNotSet);
        published(a, objects.length);
        if (b != null) published(b, objects.length);
    }

    /** Per-thread times of pass 1, for the debug log. */
    private String timing = "";
    private final java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();

    private static void rethrow(Throwable t) throws RestoreFailedException {
        if (t instanceof RestoreFailedException) throw (RestoreFailedException) t;
        if (t instanceof RuntimeException) throw (RuntimeException) t;
        if (t instanceof Error) throw (Error) t;
        if (t != null) throw new IllegalStateException(t);
    }

    /** Read positions of the walkers of pass 1 and the mark given to the agent. */
    private long instancesRead, arraysRead, objectsMarked;

    /** A walker has read OBJECTS up to {@code pos}: the mark moves to the slower one. */
    private synchronized void published(Walker w, long pos) {
        if (w.role == ARRAYS) arraysRead = pos;
        else instancesRead = pos;
        long low = w.role == ALL ? pos : Math.min(instancesRead, arraysRead);
        if (low > objectsMarked) {
            control.mark(CONSUMED_OBJECTS, objectsMarked, low);
            objectsMarked = low;
        }
    }

    private final class Walker implements Runnable {
        final int role;
        long pos, marked;
        /** Records read, and the id of the last one. */
        int records, id;
        int hashesRecorded, hashesNotSet;
        long nanos;

        Walker(int role) {
            this.role = role;
        }

        @Override
        public void run() {
            long t0 = System.nanoTime();
            try {
                final long length = objects.length;
                while (pos < length && failure.get() == null) {
                    long next = allocateChunk(this, pos, records + chunk);
                    if (next == pos) throw objects.defect(pos, "more records than the " + (byId.length - 1) + " objects the agent counted");
                    pos = next;
                    if (pos - marked >= MARK_STEP) {
                        published(this, pos);
                        marked = pos;
                    }
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
            nanos = System.nanoTime() - t0;
        }
    }

    /** Tells the agent that OBJECTS and the reference stream are no longer read (also after a failure). */
    void done() {
        control.mark(DONE, 0, 1);
    }

    /**
     * Makes the objects of {@code w}'s kinds among the records from {@code pos} up to id
     * {@code lastId}, skipping (and checking) the others; returns the next record's offset.
     *
     * <p>One small method per record kind, called from this loop: the image's records come
     * in runs of one kind and class (strings, then arrays of one type, ...), so C2's code
     * for the loop meets a branch it never saw at every new run and goes back to the
     * interpreter until it is compiled again (measured: 4–6 such round trips during pass 1
     * of a 200 MB heap, most of pass 1 spent in the interpreter or C1 code). With the work
     * in separate methods, what runs interpreted meanwhile is this loop, and the record
     * methods keep their own compiled code.
     */
    private long allocateChunk(Walker w, long pos, int lastRecord) throws RestoreFailedException {
        final Payload p = objects;
        final long length = p.length;
        final int last = byId.length - 1;
        int records = w.records;
        int id = w.id;
        if (lastRecord > last) lastRecord = last;
        while (pos < length && records < lastRecord) {
            records++;
            long at = pos;
            int tag = p.u8At(pos);
            pos++;
            if ((tag & 0x70) != 0) throw p.defect(at, "object " + records + ": reserved tag bits in 0x" + Integer.toHexString(tag));
            if (namedIds) {
                p.need(pos, 1, "id step");
                int step = p.u8At(pos);
                pos++;
                if (step >= 0x80) {
                    long v = longStep(pos - 1);
                    step = (int) v;
                    pos += (v >>> 32) - 1;
                }
                id = id + 1 + ((step >>> 1) ^ -(step & 1));
                if (id <= 0 || id > last) throw p.defect(at, "object " + records + ": id " + Integer.toUnsignedString(id) + " out of range (1.." + last + ")");
            } else {
                id = records;
            }
            int hash = 0;
            if ((tag & 0x80) != 0) {
                p.need(pos, 4, "identity hash");
                hash = p.u32At(pos);
                pos += 4;
            }
            switch (tag & 0x0F) {
                case KIND_INSTANCE: pos = instanceRecord(w, id, at, pos, tag, hash); break;
                case KIND_PRIM_ARRAY: pos = primArrayRecord(w, id, at, pos, tag, hash); break;
                case KIND_REF_ARRAY: pos = refArrayRecord(w, id, at, pos, tag, hash); break;
                case KIND_STRING: pos = stringRecord(w, id, at, pos, tag, hash); break;
                case KIND_SYMBOLIC: pos = symbolicRecord(w, id, at, pos); break;
                default: throw p.defect(at, "object " + records + ": unknown object kind " + (tag & 0x0F));
            }
        }
        w.records = records;
        w.id = id;
        return pos;
    }

    /**
     * A step of more than one byte (spec/image-format.md §7) starting at {@code pos}: its
     * value in the low 32 bits, the bytes it takes above them.
     */
    private long longStep(long pos) throws RestoreFailedException {
        final Payload p = objects;
        int value = 0;
        for (int i = 0; i < 5; i++) {
            p.need(pos + i, 1, "id step");
            int b = p.u8At(pos + i);
            if (i == 4 && b > 0x0f) throw p.defect(pos, "id step longer than 32 bits");
            value |= (b & 0x7f) << (7 * i);
            if (b < 0x80) return ((long) (i + 1) << 32) | (value & 0xFFFFFFFFL);
        }
        throw p.defect(pos, "id step longer than 5 bytes");
    }

    /** Object {@code id} is {@code o}; its recorded identity hash, if any, is written into it. */
    private void made(Walker w, int id, Object o, int tag, int hash) {
        if ((tag & 0x80) != 0) {
            w.hashesRecorded++;
            if (!IdentityHashes.set(o, hash)) w.hashesNotSet++;
        }
        byId[id] = o;
    }

    /** An INSTANCE record whose values start at {@code pos}; returns the next record's offset. */
    private long instanceRecord(Walker w, int id, long at, long pos, int tag, int hash) throws RestoreFailedException {
        final Payload p = objects;
        p.need(pos, 4, "class index");
        int ci = p.u32At(pos);
        pos += 4;
        if (w.role == ARRAYS) {
            if (ci < 0 || ci >= classes.count) throw p.defect(at, "object " + id + ": class index " + Integer.toUnsignedString(ci) + " out of range");
            p.need(pos, recordBytes[ci], "field values");
            return pos + recordBytes[ci];
        }
        InstancePlan plan = ci >= 0 && ci < plans.length ? plans[ci] : null;
        if (plan == null) {
            if (isMissingJdkClass(ci)) {
                // A JDK-internal class this JDK does not have (e.g. a lock class
                // replaced between versions): usable only if nothing kept refers to it.
                p.need(pos, layoutBytes(ci), "field values");
                byId[id] = missing(ci, id);
                return pos + layoutBytes(ci);
            }
            plan = plan(ci, id);
        }
        p.need(pos, plan.recordBytes, "field values");
        Object o = instance(plan.type, id);
        if (plan.primKinds.length != 0) setPrimitives(o, plan, p.base + pos);
        if (plan.repairHash) addRepair(id);
        made(w, id, o, tag, hash);
        return pos + plan.recordBytes;
    }

    /** A PRIM_ARRAY record (class index, length, elements at {@code pos}). */
    private long primArrayRecord(Walker w, int id, long at, long pos, int tag, int hash) throws RestoreFailedException {
        final Payload p = objects;
        p.need(pos, 8, "array header");
        int ci = p.u32At(pos);
        int n = p.u32At(pos + 4);
        pos += 8;
        if (ci < 0 || ci >= classes.count || primArrayKind[ci] == 0 || primArrayKind[ci] == K_REF) {
            throw p.defect(at, "object " + id + ": PRIM_ARRAY of class index " + ci);
        }
        if (n < 0) throw p.defect(at, "object " + id + ": array length " + Integer.toUnsignedString(n));
        long bytes = (long) n << primArrayShift[ci];
        p.need(pos, bytes, "array elements");
        if (w.role == INSTANCES) return pos + bytes;
        Object o = primitiveArray(primArrayElem[ci], n);
        if (bytes > 0) JdkUnsafe.copyMemory(null, p.base + pos, o, primArrayBase[ci], bytes);
        made(w, id, o, tag, hash);
        return pos + bytes;
    }

    /** A REF_ARRAY record: the array is made here, its elements set by pass 2. */
    private long refArrayRecord(Walker w, int id, long at, long pos, int tag, int hash) throws RestoreFailedException {
        final Payload p = objects;
        p.need(pos, 8, "array header");
        int ci = p.u32At(pos);
        int n = p.u32At(pos + 4);
        pos += 8;
        if (n < 0) throw p.defect(at, "object " + id + ": array length " + Integer.toUnsignedString(n));
        p.need(pos, 4L * n, "array elements");
        if (w.role == INSTANCES) return pos + 4L * n;
        Class<?> component = refArrayComponent(ci, id, at);
        made(w, id, Array.newInstance(component, n), tag, hash);
        return pos + 4L * n;
    }

    /** A STRING record (flags, length, Latin-1 bytes or UTF-16 code units). */
    private long stringRecord(Walker w, int id, long at, long pos, int tag, int hash) throws RestoreFailedException {
        final Payload p = objects;
        p.need(pos, 5, "string header");
        int flags = p.u8At(pos);
        int n = p.u32At(pos + 1);
        pos += 5;
        if ((flags & ~3) != 0) throw p.defect(at, "object " + id + ": reserved string flags 0x" + Integer.toHexString(flags));
        if (n < 0) throw p.defect(at, "object " + id + ": string length " + Integer.toUnsignedString(n));
        boolean utf16 = (flags & 2) != 0;
        long bytes = utf16 ? 2L * n : n;
        p.need(pos, bytes, "string chars");
        if (w.role == INSTANCES) return pos + bytes;
        String s = string(pos, n, utf16);
        if ((flags & 1) != 0) {
            String canonical = s.intern();
            if (canonical != s && (tag & 0x80) != 0) {
                // This VM already had the literal: its hash is its own.
                w.hashesNotSet++;
                tag &= ~0x80;
            }
            s = canonical;
        }
        made(w, id, s, tag, hash);
        return pos + bytes;
    }

    /** A SYMBOLIC record: bound to this VM's object, which keeps its own hash. */
    private long symbolicRecord(Walker w, int id, long at, long pos) throws RestoreFailedException {
        final Payload p = objects;
        p.need(pos, 4, "symref index");
        int si = p.u32At(pos);
        pos += 4;
        if (w.role == ARRAYS) return pos;
        if (si < 0 || si >= symbols.length) throw p.defect(at, "object " + id + ": symref index " + Integer.toUnsignedString(si) + " out of range (0.." + symbols.length + ")");
        byId[id] = symbols[si];
        return pos;
    }

    /** Sets the primitive fields of a fresh instance from its record's values at {@code a}. */
    private static void setPrimitives(Object o, InstancePlan plan, long a) {
        final byte[] kinds = plan.primKinds;
        final long[] offsets = plan.primOffsets;
        final int[] at = plan.primPositions;
        for (int f = 0; f < kinds.length; f++) {
            long off = offsets[f];
            long v = a + at[f];
            switch (kinds[f]) {
                case K_INT: JdkUnsafe.putInt(o, off, JdkUnsafe.getIntLE(v)); break;
                case K_LONG: JdkUnsafe.putLong(o, off, JdkUnsafe.getLongLE(v)); break;
                case K_SHORT: JdkUnsafe.putShort(o, off, JdkUnsafe.getShortLE(v)); break;
                case K_BOOL: JdkUnsafe.putByte(o, off, (byte) (JdkUnsafe.getByte(v) != 0 ? 1 : 0)); break;
                default: JdkUnsafe.putByte(o, off, JdkUnsafe.getByte(v)); break;
            }
        }
    }

    private static Object instance(Class<?> type, int id) throws RestoreFailedException {
        try {
            return JdkUnsafe.allocateInstance(type);
        } catch (RuntimeException e) {
            throw new RestoreFailedException("object " + id + ": cannot allocate " + type.getName() + ": " + e);
        }
    }

    /** The component type of the reference-array class {@code ci}, checked once per class. */
    private Class<?> refArrayComponent(int ci, int id, long at) throws RestoreFailedException {
        if (ci >= 0 && ci < refArrayComponents.length) {
            Class<?> known = refArrayComponents[ci];
            if (known != null) return known;
        }
        Class<?> arrayClass = classes.require(ci, "object " + id);
        if (!arrayClass.isArray() || arrayClass.getComponentType().isPrimitive()) {
            throw objects.defect(at, "object " + id + ": REF_ARRAY of class " + arrayClass.getName());
        }
        return refArrayComponents[ci] = arrayClass.getComponentType();
    }
    /** Stands for an object whose JDK class does not exist here; an error if a kept reference reaches it. */
    private static final class Missing {
        final String className;
        Missing(String className) { this.className = className; }
    }

    private boolean isMissingJdkClass(int ci) {
        return ci >= 0 && ci < classes.count && classes.types[ci] == null && !classes.isApplication(ci);
    }

    private Object missing(int ci, int id) {
        Log.debug("object " + id + " of class " + RestoredClasses.javaName(classes.names[ci]) + ", which this JDK lacks, is left out");
        return new Missing(RestoredClasses.javaName(classes.names[ci]));
    }

    /** Reference slots of the image's layout of class {@code ci} (records of a missing class). */
    private int refSlots(int ci) {
        int n = 0;
        for (int k = ci; k >= 0 && k < classes.count; k = classes.superClass[k]) {
            for (int f = 0; f < classes.fieldNames[k].length; f++) {
                if ((classes.fieldFlags[k][f] & java.lang.reflect.Modifier.STATIC) == 0 && kindOf(classes.fieldDescriptors[k][f]) == K_REF) n++;
            }
        }
        return n;
    }

    private int layoutBytes(int ci) {
        int bytes = 0;
        for (int k = ci; k >= 0; k = classes.superClass[k]) {
            for (int f = 0; f < classes.fieldNames[k].length; f++) {
                if ((classes.fieldFlags[k][f] & java.lang.reflect.Modifier.STATIC) == 0) bytes += SIZE[kindOf(classes.fieldDescriptors[k][f])];
            }
        }
        return bytes;
    }

    private void addRepair(int id) {
        if (repairCount == repairIds.length) repairIds = Arrays.copyOf(repairIds, repairCount * 2);
        repairIds[repairCount++] = id;
    }

    static int elementSize(char elem) {
        switch (elem) {
            case 'Z': case 'B': return 1;
            case 'C': case 'S': return 2;
            case 'I': case 'F': return 4;
            default: return 8;
        }
    }

    static Object primitiveArray(char elem, int n) {
        switch (elem) {
            case 'Z': return new boolean[n];
            case 'B': return new byte[n];
            case 'C': return new char[n];
            case 'S': return new short[n];
            case 'I': return new int[n];
            case 'F': return new float[n];
            case 'J': return new long[n];
            default: return new double[n];
        }
    }

    /**
     * A String with the image's content and coder. With compact strings (the default) the
     * object is made directly, value array and coder set, as the JDK's own constructors
     * leave it; UTF-16 code units are little-endian in the image and in the value array on
     * every supported host (x86_64, aarch64).
     */
    private String string(long pos, int n, boolean utf16) {
        if (!utf16) {
            byte[] value = new byte[n];
            JdkUnsafe.copyMemory(null, objects.base + pos, value, BYTE_BASE, n);
            if (COMPACT_STRINGS) {
                String s = (String) JdkUnsafe.allocateInstance(String.class);
                JdkUnsafe.putReference(s, STRING_VALUE, value);
                JdkUnsafe.putByte(s, STRING_CODER, (byte) 0);
                return s;
            }
            return new String(value, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        char[] chars = new char[n];
        JdkUnsafe.copyMemory(null, objects.base + pos, chars, CHAR_BASE, 2L * n);
        return new String(chars);
    }

    private static final long BYTE_BASE = JdkUnsafe.arrayBaseOffset(byte[].class);
    private static final long CHAR_BASE = JdkUnsafe.arrayBaseOffset(char[].class);

    // ---- plans ----------------------------------------------------------------------

    private InstancePlan plan(int ci, int id) throws RestoreFailedException {
        if (ci >= 0 && ci < plans.length && plans[ci] != null) return plans[ci];
        Class<?> type = classes.require(ci, "object " + id);
        if (type.isArray() || type.isPrimitive() || type == String.class) {
            throw objects.defect(0, "object " + id + ": INSTANCE of class " + type.getName());
        }
        // The image's chain, topmost first.
        int depth = 0;
        for (int k = ci; k >= 0; k = classes.superClass[k]) depth++;
        int[] chain = new int[depth];
        for (int k = ci, d = depth - 1; k >= 0; k = classes.superClass[k]) chain[d--] = k;
        int n = 0;
        for (int k : chain) for (int f : classes.fieldFlags[k]) if ((f & java.lang.reflect.Modifier.STATIC) == 0) n++;
        InstancePlan plan = new InstancePlan();
        plan.type = type;
        plan.kinds = new byte[n];
        plan.offsets = new long[n];
        plan.refTypes = new Class<?>[n];
        int at = 0;
        for (int k : chain) {
            Class<?> owner = classes.types[k];
            // A class the target lacks, or that is not a superclass of `type` here, cannot
            // receive the image's fields: they are dropped (never written at a wrong offset).
            boolean usable = owner != null && owner.isAssignableFrom(type);
            Object[] target = usable ? RestoredClasses.targetFields(owner) : null;
            for (int f = 0; f < classes.fieldNames[k].length; f++) {
                if ((classes.fieldFlags[k][f] & java.lang.reflect.Modifier.STATIC) != 0) continue;
                String name = classes.fieldNames[k][f];
                String desc = classes.fieldDescriptors[k][f];
                byte kind = kindOf(desc);
                plan.kinds[at] = kind;
                plan.recordBytes += SIZE[kind];
                long offset = -1;
                if (target != null && RestoredClasses.findField(target, name, desc, false) >= 0) {
                    offset = JdkUnsafe.objectFieldOffset(owner, name);
                    if (kind == K_REF) plan.refTypes[at] = fieldType(desc, owner);
                } else {
                    dropped++;
                    io.portacr.restore.Log.debug("field " + RestoredClasses.javaName(classes.names[k]) + "." + name + " " + desc
                        + " does not exist in this JDK: its values are dropped");
                }
                plan.offsets[at] = offset;
                at++;
            }
        }
        plan.repairHash = HashRepair.mayNeedRepair(type);
        int prims = 0, refSlots = 0;
        for (int f = 0; f < n; f++) {
            if (plan.kinds[f] == K_REF) refSlots++;
            else if (plan.offsets[f] >= 0) prims++;
        }
        plan.primKinds = new byte[prims];
        plan.primOffsets = new long[prims];
        plan.primPositions = new int[prims];
        plan.refOffsets = new long[refSlots];
        plan.refChecks = new Class<?>[refSlots];
        for (int f = 0, p = 0, r = 0, position = 0; f < n; position += SIZE[plan.kinds[f]], f++) {
            if (plan.kinds[f] == K_REF) {
                plan.refOffsets[r] = plan.offsets[f];
                plan.refChecks[r++] = plan.refTypes[f];
            } else if (plan.offsets[f] >= 0) {
                plan.primKinds[p] = plan.kinds[f];
                plan.primOffsets[p] = plan.offsets[f];
                plan.primPositions[p++] = position;
            }
        }
        plans[ci] = plan;
        return plan;
    }

    /** The class a reference field holds (for the store check), or null when any object fits. */
    private static Class<?> fieldType(String desc, Class<?> owner) {
        String name = desc.charAt(0) == 'L' ? desc.substring(1, desc.length() - 1).replace('/', '.') : desc.replace('/', '.');
        if (name.equals("java.lang.Object")) return null;
        try {
            return Class.forName(name, false, owner.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return Object.class; // cannot check here; Object accepts every reference
        }
    }

    // ---- pass 2 ----------------------------------------------------------------------

    /**
     * Sets reference fields and elements from the agent's reference stream (primitive fields
     * were set by pass 1, so OBJECTS is not read again and the agent has already given most
     * of it back), chunk by chunk, on this thread and one helper when the machine has more
     * than one core: every chunk writes only into its own objects, and {@link #byId} is
     * complete and no longer written, so the chunks are independent.
     */
    void fillAll() throws RestoreFailedException {
        final int chunks = (int) control.word(REFS_CHUNKS);
        if (chunks < 0 || 8L * (REFS_CHUNKS + 2 + (long) chunks) > control.length) {
            throw new RestoreFailedException("the agent's reference stream index is damaged (" + chunks + " chunks)");
        }
        finished = new boolean[chunks];
        final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        final long[] waits = new long[2], fills = new long[2];
        final Thread main = Thread.currentThread();
        Runnable worker = () -> {
            int me = Thread.currentThread() == main ? 0 : 1;
            try {
                for (int k; failure.get() == null && (k = next.getAndIncrement()) < chunks; ) {
                    long t0 = System.nanoTime();
                    awaitDecoded(refsStart(k + 1));
                    long t1 = System.nanoTime();
                    fillChunk(refsStart(k), refsStart(k + 1));
                    finishedChunk(k);
                    waits[me] += t1 - t0;
                    fills[me] += System.nanoTime() - t1;
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
        Thread helper = null;
        if (helperThreads() && chunks > 1) {
            helper = new Thread(null, worker, "portacr-restore-fill", 0, false);
            helper.setDaemon(true);
            helper.start();
        }
        worker.run();
        if (helper != null) Threads.joinUninterruptibly(helper);
        if (!quiet) Log.debug("rebuild timing: " + timing + "; pass 2: wait " + waits[0] / 1000000 + "/" + waits[1] / 1000000 + " ms, fill "
            + fills[0] / 1000000 + "/" + fills[1] / 1000000 + " ms");
        Throwable t = failure.get();
        if (t instanceof RestoreFailedException) throw (RestoreFailedException) t;
        if (t instanceof RuntimeException) throw (RuntimeException) t;
        if (t instanceof Error) throw (Error) t;
        if (t != null) throw new IllegalStateException(t);
    }

    /** Per reference-stream chunk: filled. {@link #lowWater}: the first chunk not filled. */
    private boolean[] finished;
    private int lowWater;

    private long refsStart(int k) {
        return control.word(REFS_CHUNKS + 1 + k);
    }

    /**
     * Waits until the agent has decoded the reference stream up to {@code end} (it decodes a
     * window ahead of the read mark, so this waits only when pass 2 outruns the decoder).
     */
    private void awaitDecoded(long end) throws RestoreFailedException {
        long deadline = 0;
        for (int spins = 0; ; spins++) {
            // A fence before each read: the loop must read the word again, not a hoisted copy.
            java.lang.invoke.VarHandle.fullFence();
            if (control.word(DECODED_REFS) >= end) return;
            if (control.word(FAILED) != 0) throw new RestoreFailedException("the agent could not decode the reference stream of pass 2");
            if (spins < 64) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
                long now = System.nanoTime();
                if (deadline == 0) deadline = now + 120_000_000_000L;
                else if (now - deadline > 0) throw new RestoreFailedException("the agent stopped decoding the reference stream of pass 2");
            }
        }
    }

    /** Moves the read mark of the reference stream past every chunk filled so far. */
    private synchronized void finishedChunk(int k) {
        finished[k] = true;
        int before = lowWater;
        while (lowWater < finished.length && finished[lowWater]) lowWater++;
        if (lowWater != before) control.mark(CONSUMED_REFS, refsStart(before), refsStart(lowWater));
    }

    private void fillChunk(long pos, long end) throws RestoreFailedException {
        final Payload r = refs;
        final Object[] objs = byId;
        if (pos < 0 || end > r.length || pos > end) throw r.defect(pos, "chunk ends at 0x" + Long.toHexString(end));
        while (pos < end) {
            r.need(pos, 8, "reference record");
            int id = r.u32At(pos);
            int header = r.u32At(pos + 4);
            pos += 8;
            if (id <= 0 || id > count) throw r.defect(pos - 8, "object id " + Integer.toUnsignedString(id));
            Object o = objs[id];
            if (header < 0) {
                int len = header & 0x7FFFFFFF;
                r.need(pos, 4L * len, "array elements");
                fillArray((Object[]) o, len, r.base + pos, id);
                pos += 4L * len;
            } else if (o instanceof Missing) {
                pos += 4L * refSlots(header);
            } else {
                InstancePlan plan = header < plans.length ? plans[header] : null;
                if (plan == null) throw r.defect(pos - 8, "object " + id + ": no plan for class index " + header);
                r.need(pos, 4L * plan.refOffsets.length, "reference values");
                fillReferences(o, plan, r.base + pos, id);
                pos += 4L * plan.refOffsets.length;
            }
        }
    }

    private void fillReferences(Object o, InstancePlan plan, long a, int id) throws RestoreFailedException {
        final long[] offsets = plan.refOffsets;
        final Class<?>[] checks = plan.refChecks;
        for (int f = 0; f < offsets.length; f++) {
            long off = offsets[f];
            int word = JdkUnsafe.getIntLE(a + 4L * f);
            if (off < 0 || word == 0) continue;
            int ref = decodeReference(id, word);
            Object v = ref(ref, id);
            Class<?> t = checks[f];
            if (v != null && t != null && !t.isInstance(v)) {
                throw new RestoreFailedException("object " + id + " (" + plan.type.getName() + "): field value "
                    + ref + " is a " + v.getClass().getName() + ", not a " + t.getName());
            }
            JdkUnsafe.putReference(o, off, v);
        }
    }

    private void fillArray(Object[] array, int len, long at, int id) throws RestoreFailedException {
        try {
            for (int i = 0; i < len; i++) {
                int word = JdkUnsafe.getIntLE(at + 4L * i);
                if (word != 0) array[i] = ref(decodeReference(id, word), id);
            }
        } catch (ArrayStoreException e) {
            throw new RestoreFailedException("object " + id + " (" + array.getClass().getName() + "): element of the wrong class: " + e.getMessage());
        }
    }
    /**
     * A non-null reference of object {@code id} from its word in the reference stream:
     * {@code zigzag(ref - id) + 1} (restore/heap_payload.rs).
     */
    private static int decodeReference(int id, int word) {
        int z = word - 1;
        return id + ((z >>> 1) ^ -(z & 1));
    }

    /** The object with id {@code ref} (0 is null), range-checked. */
    Object ref(int ref, int from) throws RestoreFailedException {
        if (ref == 0) return null;
        if (ref < 0 || ref > count) {
            throw new RestoreFailedException("section OBJECTS: object " + from + " refers to object "
                + Integer.toUnsignedString(ref) + ", out of range (1.." + count + ")");
        }
        Object o = byId[ref];
        if (o instanceof Missing) {
            throw new RestoreFailedException("object " + (from == 0 ? "in a static field" : String.valueOf(from)) + " refers to object " + ref
                + " of class " + ((Missing) o).className + ", which does not exist in this JDK");
        }
        return o;
    }
}
