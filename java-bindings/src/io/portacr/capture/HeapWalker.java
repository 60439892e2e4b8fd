package io.portacr.capture;

import io.portacr.JdkUnsafe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;

/**
 * Depth-first walk of the objects reachable from the roots, writing the OBJECTS section
 * (spec/contracts.md §4, spec/image-format.md §7.3) while it walks: ids are given in
 * discovery order, and a stack of discovered objects gives the order of the records: the
 * walk writes the last object discovered next, so an object's record is followed by the
 * records of what it refers to, the order a copying collection places objects in, which a
 * restore allocates them in. Each record names its id (a step from the previous record's)
 * and holds its references as words relative to each other. No object is held twice.
 *
 * <p>Performance (DESIGN.md §4): fields are read with Unsafe at offsets cached per class,
 * ids come from a primitive-keyed {@link IdentityTable}, references are only ever appended
 * to arrays. Per object the walk keeps the object, a parent id (int) for reference paths,
 * and a table slot. Objects are keyed by address or by identity hash ({@link ObjectKeys}).
 *
 * <p>Identity hash: with address keys the walk never assigns one, and a record says
 * whether its object had one from the object's header when it is written. With identity-hash
 * keys {@link HeaderHash#wasHashed} is read at discovery, <em>before</em>
 * {@code System.identityHashCode} is first called on the object, which is the call that
 * would assign one.
 */
final class HeapWalker implements ClassTable.LoaderObjects {
    static final int TAG_INSTANCE = 1;
    static final int TAG_PRIM_ARRAY = 2;
    static final int TAG_REF_ARRAY = 3;
    static final int TAG_STRING = 4;
    static final int TAG_SYMBOLIC = 5;
    static final int TAG_HASHED = 0x80;
    static final int STRING_INTERNED = 1;
    static final int STRING_UTF16 = 2;

    private static final long STRING_VALUE = JdkUnsafe.objectFieldOffset(String.class, "value");
    private static final long STRING_CODER = JdkUnsafe.objectFieldOffset(String.class, "coder");
    private static final long BYTE_ARRAY_BASE = JdkUnsafe.arrayBaseOffset(byte[].class);

    final ClassTable classes = new ClassTable(this);
    final List<SymbolicRef> symrefs = new ArrayList<>();
    private final SectionWriter out;
    private final JdkStaticValues jdkStatics;
    private final Thread current;
    private final IdentityTable ids;
    /** Objects are keyed by address ({@link ObjectKeys}); else by identity hash. */
    final boolean addressKeys;
    private final ReferenceSlot scratch = new ReferenceSlot();
    /** Test hook: one collection after the first batch, to exercise the capture made again. */
    private boolean collectDuringWalk;
    private int[] parents;
    private int[] classSlot;    // per id: ClassInfo.slot of the object's class
    private long[] preHashed;   // bit per id: the application had assigned an identity hash
    private long[] symbolic;    // bit per id: the record is SYMBOLIC
    private final HashMap<Integer, Integer> symrefOf = new HashMap<>();
    private final HashMap<Integer, String> rootLabels = new HashMap<>();
    private String pendingRootLabel;
    private int processing;     // id whose record is being written: the parent of what it reaches
    /**
     * Discovered objects whose records are not written yet; the top is written next. Small
     * at first, so that the warm-up's walks grow it too: a growth first met in the real walk
     * was an uncommon trap that threw the compiled {@code discoverNew} away mid-walk.
     */
    private int[] pending = new int[16];
    private int pendingCount;
    /** The id of the record written last (the base of the next record's step). */
    private int lastWritten;
    /** The base of the next reference word of the record being written. */
    private int refBase;

    /** References prepared at most at once (see {@link #drain}). */
    static final int BATCH_REFS = 256;
    private final int[] batchHash = new int[BATCH_REFS];
    private final boolean[] batchHad = new boolean[BATCH_REFS];
    /** Next prepared reference; prepared ones are [cursor, limit). */
    private int batchCursor;
    private int batchLimit;
    /** Keeps the prepare loads from being optimized away; never read otherwise. */
    long prepareSink;
    private final InternedStrings interned;
    long strings;

    HeapWalker(SectionWriter out, JdkStaticValues jdkStatics, InternedStrings interned, Thread current, int expectedObjects,
               boolean addressKeys) {
        this(out, jdkStatics, interned, current, new Tables(expectedObjects, addressKeys));
    }

    HeapWalker(SectionWriter out, JdkStaticValues jdkStatics, InternedStrings interned, Thread current, Tables tables) {
        this.out = out;
        this.interned = interned;
        this.jdkStatics = jdkStatics;
        this.current = current;
        this.ids = tables.ids;
        this.addressKeys = tables.ids.exact;
        this.collectDuringWalk = addressKeys && Boolean.getBoolean(COLLECT_DURING_WALK_PROPERTY);
        this.parents = tables.parents;
        this.classSlot = tables.classSlot;
        this.preHashed = tables.preHashed;
        this.symbolic = tables.symbolic;
    }

    /**
     * The walk's per-object tables, sized for an expected number of objects. Tens of MB on a
     * large heap: allocating them zeroes and faults in fresh memory, which {@link CaptureWarmup}
     * does on its thread while the checkpointing thread prepares.
     */
    static final class Tables {
        final IdentityTable ids;
        final int[] parents;
        final int[] classSlot;
        final long[] preHashed;
        final long[] symbolic;

        Tables(int expectedObjects, boolean addressKeys) {
            int cap = Math.max(1 << 12, expectedObjects);
            ids = new IdentityTable(cap, addressKeys, true);
            parents = new int[cap + 1];
            classSlot = new int[cap + 1];
            preHashed = new long[(cap >>> 6) + 1];
            symbolic = new long[(cap >>> 6) + 1];
        }
    }

    int objectCount() {
        return ids.size();
    }

    /** The kind of id table the walk used ({@link IdentityTable#kind}). */
    String idTableKind() {
        return ids.kind();
    }

    /**
     * Frees the identity table's native memory. Nothing may be discovered afterwards;
     * {@link #objectCount} and {@link #referencePath} still work.
     */
    void release() {
        ids.release();
    }

    /** Test hook: {@code -Dportacr.test.collectDuringWalk=true} (see {@link #collectDuringWalk}). */
    static final String COLLECT_DURING_WALK_PROPERTY = "portacr.test.collectDuringWalk";

    /** Discovers a root (static field, frame slot, resource); the label starts reference paths. */
    int root(Object o, String label) throws UncarriableObjectException {
        processing = 0;
        pendingRootLabel = label;
        int before = ids.size();
        int id = discover(o);
        if (ids.size() > before && id != 0) rootLabels.put(id, label);
        pendingRootLabel = null;
        return id;
    }

    /**
     * Walks everything reachable from the roots discovered so far, writing their records.
     *
     * <p>Before a record is written, the references it will follow are <em>prepared</em>
     * ({@link #prepare}): first every referenced object's header is loaded, then their
     * identity hashes are taken, then their identity-table slots are loaded, each step a loop
     * of independent loads. Writing the record then finds all of that in the cache. Done one
     * reference at a time, each of those loads is a cache miss the walk waits for in turn
     * (header, then slot, then the id list). Hashing is a separate step because assigning a
     * hash is a locked compare-and-swap on the header, which waits for every load before it.
     *
     * <p>Depth-first, the walk also reads the heap mostly in the order its collector laid it
     * out (measured against the breadth-first walk of format 1.x, whose batches of 64
     * records prepared their references together: the same walk time on HeapBench's 200 MB
     * heap, spec/semantics.md §4).
     */
    void drain() throws UncarriableObjectException {
        while (pendingCount > 0) {
            int id = pending[--pendingCount];
            processing = id;
            if ((symbolic[id >>> 6] & (1L << id)) != 0) {
                writeSymbolic(id);
            } else {
                Object o = ids.get(id);
                ClassInfo ci = classes.bySlot(classSlot[id]);
                // A class is laid out (and its loader discovered) before the record's fields.
                if (ci.index < 0 && ci.handling != ClassInfo.STRING) classes.indexOf(ci.type);
                prepare(o, ci);
                writeRecord(id, o, ci);
            }
            batchLimit = 0;
            if (collectDuringWalk) {
                collectDuringWalk = false;
                System.gc();
            }
        }
        processing = 0;
    }

    /**
     * Prepares the references of a record, in the order writeRecord follows them: none for
     * strings and primitive arrays; a reference array longer than a batch prepares its
     * elements piece by piece as it writes them ({@link #writeRefArray}).
     */
    private void prepare(Object o, ClassInfo ci) {
        switch (ci.handling) {
            case ClassInfo.STRING:
            case ClassInfo.PRIM_ARRAY:
                return;
            case ClassInfo.REF_ARRAY:
                if (java.lang.reflect.Array.getLength(o) > BATCH_REFS) return;
                break;
            default:
                break;
        }
        if (addressKeys) {
            prepareAddresses(o, ci);
            return;
        }
        long sink = 0;
        // 1. headers of the referenced objects
        if (ci.handling == ClassInfo.REF_ARRAY) {
            for (Object e : (Object[]) o) if (e != null) sink += JdkUnsafe.getLong(e, 0);
        } else {
            for (long at : ci.refOffsets) {
                Object e = JdkUnsafe.getReference(o, at);
                if (e != null) sink += JdkUnsafe.getLong(e, 0);
            }
        }
        // 2. their identity hashes (assigned now if they had none, recorded first)
        int n = 0;
        if (ci.handling == ClassInfo.REF_ARRAY) {
            for (Object e : (Object[]) o) n = prepareHash(e, n);
        } else {
            for (long at : ci.refOffsets) n = prepareHash(JdkUnsafe.getReference(o, at), n);
        }
        // 3. their table slots
        for (int i = 0; i < n; i++) {
            int h = batchHash[i];
            if (h != 0) sink += ids.touch(h);
        }
        prepareSink += sink;
        batchCursor = 0;
        batchLimit = n;
    }

    /**
     * With address keys, preparing is loading the table slots of the references' keys, read
     * from the record's own object, and the headers of the referred objects, which
     * discovering a new one reads (its class): one loop of independent loads.
     */
    private void prepareAddresses(Object o, ClassInfo ci) {
        long sink = 0;
        if (ci.handling == ClassInfo.REF_ARRAY) {
            sink += touchElements(o, 0, java.lang.reflect.Array.getLength(o));
        } else {
            for (long at : ci.refOffsets) {
                int key = JdkUnsafe.getInt(o, at);
                Object e = JdkUnsafe.getReference(o, at);
                if (key != 0 && e != null) sink += ids.touch(key) + JdkUnsafe.getLong(e, 0);
            }
        }
        prepareSink += sink;
    }

    /** {@link #prepareAddresses} for the elements from..to-1 of a reference array. */
    private void prepareElementAddresses(Object a, int from, int to) {
        prepareSink += touchElements(a, from, to);
    }

    /**
     * Reference arrays are passed as {@code Object} on the address-key paths: C2 does not
     * compile {@code Unsafe.getInt} of a slot it knows holds a reference (an element of a
     * known {@code Object[]}) into a load but into a call of the native method.
     */
    private long touchElements(Object a, int from, int to) {
        long sink = 0;
        for (int i = from; i < to; i++) {
            long at = ObjectKeys.elementOffset(i);
            int key = JdkUnsafe.getInt(a, at);
            Object e = JdkUnsafe.getReference(a, at);
            if (key != 0 && e != null) sink += ids.touch(key) + JdkUnsafe.getLong(e, 0);
        }
        return sink;
    }

    /** Prepares the elements from..to-1 of a reference array (see {@link #prepare}). */
    private void prepareElements(Object[] a, int from, int to) {
        long sink = 0;
        for (int i = from; i < to; i++) {
            Object e = a[i];
            if (e != null) sink += JdkUnsafe.getLong(e, 0);
        }
        int n = 0;
        for (int i = from; i < to; i++) n = prepareHash(a[i], n);
        for (int i = 0; i < n; i++) {
            int h = batchHash[i];
            if (h != 0) sink += ids.touch(h);
        }
        prepareSink += sink;
        batchCursor = 0;
        batchLimit = n;
    }

    /** Records whether o had an identity hash, then its hash, at position n; returns n + 1. */
    private int prepareHash(Object o, int n) {
        if (o == null) {
            batchHash[n] = 0;
            return n + 1;
        }
        long mark = JdkUnsafe.getLong(o, 0);
        int h = HeaderHash.hashInMark(mark);
        batchHad[n] = h != 0 || HeaderHash.wasHashed(mark);
        batchHash[n] = h != 0 ? h : System.identityHashCode(o);
        return n + 1;
    }

    @Override
    public int idOfLoader(ClassLoader loader, Class<?> definedClass) throws UncarriableObjectException {
        if (processing == 0 && pendingRootLabel == null) {
            return root(loader, "loader of class " + definedClass.getName());
        }
        return discover(loader);
    }

    int discover(Object o) throws UncarriableObjectException {
        if (o == null) return 0;
        if (addressKeys) {
            int key = scratch.compressed(o);
            int found = ids.findOrSlot(o, key);
            if (found > 0) return found;
            return discoverNew(o, key, false, found);
        }
        long mark = JdkUnsafe.getLong(o, 0);
        boolean hadHash = HeaderHash.wasHashed(mark);
        int h = HeaderHash.hashInMark(mark);
        if (h == 0) h = System.identityHashCode(o);
        int found = ids.findOrSlot(o, h);
        if (found > 0) return found;
        return discoverNew(o, h, hadHash, found);
    }

    /**
     * Discovers the next reference of the records being written, using what {@link #prepare}
     * recorded for it: whether it had an identity hash before the capture, and the hash.
     * The hash now in its header confirms that the object is the one prepared (a field
     * changed since by a JDK thread falls back to {@link #discover}).
     */
    private int discoverPrepared(Object o) throws UncarriableObjectException {
        if (batchCursor >= batchLimit) return discover(o);
        int at = batchCursor++;
        if (o == null) return 0;
        int h = HeaderHash.hashInMark(JdkUnsafe.getLong(o, 0));
        if (h == 0 || h != batchHash[at]) return discover(o);
        int found = ids.findOrSlot(o, h);
        if (found > 0) return found;
        return discoverNew(o, h, batchHad[at], found);
    }

    /**
     * With address keys: discovers the object held by the reference field or array element at
     * {@code offset} of {@code holder}, whose key is the reference as stored there.
     */
    private int discoverAt(Object holder, long offset) throws UncarriableObjectException {
        int key = JdkUnsafe.getInt(holder, offset);
        if (key == 0) return 0;
        int found = ids.findOrSlot(null, key);
        if (found > 0) return found;
        Object o = JdkUnsafe.getReference(holder, offset);
        // A JDK thread may have changed the slot between the two reads: key o by itself.
        if (o == null || JdkUnsafe.getInt(holder, offset) != key) return discover(o);
        return discoverNew(o, key, false, found);
    }

    /**
     * key: the object's key (address or identity hash, {@link ObjectKeys}); slotCode: from
     * IdentityTable.findOrSlot, valid only while nothing else is added.
     */
    private int discoverNew(Object o, int h, boolean hadHash, int slotCode) throws UncarriableObjectException {
        ClassInfo ci = classes.info(o.getClass());
        SymbolicRef sym = null;
        int handling = ci.handling;
        if (handling >= ClassInfo.CLASS_MIRROR && handling <= ClassInfo.THREAD_GROUP) {
            // Rare kinds, out of line: the common path stays small for the compiler.
            sym = vmBound(o, handling);
            if (handling == ClassInfo.CLASS_MIRROR || handling == ClassInfo.MODULE) {
                // Discovering the class or the loader may have added objects: the slot must
                // be found again (a mirror may even have been discovered meanwhile).
                slotCode = ids.findOrSlot(o, h);
                if (slotCode > 0) return slotCode;
            }
        }
        if (sym == null && jdkStaticValues(ci)) sym = jdkStatics.lookup(o, h); // h: the key, of the kind both tables use
        if (sym == null && ci.uncarriable != Uncarriable.NONE) checkCarriable(o, ci);
        int id = ids.addAt(o, slotCode, h);
        if (id >= parents.length) growTables();
        parents[id] = processing;
        classSlot[id] = ci.slot;
        if (pendingCount == pending.length) pending = Arrays.copyOf(pending, pendingCount * 2);
        pending[pendingCount++] = id;
        if (sym != null) {
            addSymbolic(id, sym);
        } else if (hadHash) {
            preHashed[id >>> 6] |= 1L << id;
        }
        return id;
    }

    /**
     * The symbolic reference of a Class, class loader, Module, Thread or ThreadGroup (null:
     * carried as a plain object); a live thread other than the current one is uncarriable.
     */
    private SymbolicRef vmBound(Object o, int handling) throws UncarriableObjectException {
        switch (handling) {
            case ClassInfo.CLASS_MIRROR: {
                Class<?> k = (Class<?>) o;
                return k.isPrimitive() ? SymbolicRef.primitiveClass(SymbolicRef.primitiveDescriptor(k))
                                       : SymbolicRef.classMirror(classes.indexOf(k));
            }
            case ClassInfo.CLASS_LOADER: {
                int kind = ClassTable.loaderKind((ClassLoader) o);
                return kind != ClassTable.LOADER_OBJECT ? SymbolicRef.loader(kind) : null;
            }
            case ClassInfo.MODULE: {
                Module m = (Module) o;
                if (m.isNamed()) return SymbolicRef.module(m.getName());
                ClassLoader l = m.getClassLoader();
                int kind = ClassTable.loaderKind(l);
                int loaderId = kind == ClassTable.LOADER_OBJECT ? discover(l) : 0;
                return SymbolicRef.unnamedModule(kind, loaderId);
            }
            case ClassInfo.THREAD: {
                if (o == current) return SymbolicRef.currentThread();
                if (((Thread) o).isAlive()) {
                    throw new UncarriableObjectException(o, ClassTable.simpleName(o.getClass()) + " \""
                        + ((Thread) o).getName() + "\" (a live thread other than the checkpointing one)");
                }
                return null;
            }
            default: // THREAD_GROUP
                return SymbolicRef.threadGroup(((ThreadGroup) o).getName());
        }
    }

    /** Whether objects of this class may be JDK static values (asked once per class). */
    private boolean jdkStaticValues(ClassInfo ci) {
        byte known = ci.jdkStaticValues;
        if (known == ClassInfo.JDK_STATIC_UNKNOWN) {
            known = jdkStatics.hasValuesOf(ci.type) ? ClassInfo.JDK_STATIC_SOME : ClassInfo.JDK_STATIC_NONE;
            ci.jdkStaticValues = known;
        }
        return known == ClassInfo.JDK_STATIC_SOME;
    }

    private static void checkCarriable(Object o, ClassInfo ci) throws UncarriableObjectException {
        String problem = Uncarriable.describe(o, ci.uncarriable);
        if (problem != null) throw new UncarriableObjectException(o, problem);
    }

    private void growTables() {
        parents = Arrays.copyOf(parents, parents.length * 2);
        classSlot = Arrays.copyOf(classSlot, parents.length);
        preHashed = Arrays.copyOf(preHashed, (parents.length >>> 6) + 1);
        symbolic = Arrays.copyOf(symbolic, (parents.length >>> 6) + 1);
    }

    private void addSymbolic(int id, SymbolicRef sym) {
        symbolic[id >>> 6] |= 1L << id;
        symrefOf.put(id, symrefs.size());
        symrefs.add(sym);
    }

    private void writeSymbolic(int id) {
        header(TAG_SYMBOLIC, id);
        out.u32(symrefOf.get(id));
    }

    private void writeRecord(int id, Object o, ClassInfo ci) throws UncarriableObjectException {
        refBase = id;
        boolean hashed = addressKeys ? HeaderHash.wasHashed(JdkUnsafe.getLong(o, 0)) : (preHashed[id >>> 6] & (1L << id)) != 0;
        int hashBit = hashed ? TAG_HASHED : 0;
        Class<?> c = ci.type;
        switch (ci.handling) {
            case ClassInfo.STRING:
                header(TAG_STRING | hashBit, id);
                if (hashed) out.u32(System.identityHashCode(o));
                writeString((String) o);
                return;
            case ClassInfo.PRIM_ARRAY: {
                int index = ci.index >= 0 ? ci.index : classes.indexOf(c);
                header(TAG_PRIM_ARRAY | hashBit, id);
                if (hashed) out.u32(System.identityHashCode(o));
                out.u32(index);
                int length = java.lang.reflect.Array.getLength(o);
                out.u32(length);
                out.primitiveArray(o, ci.arrayBase, ci.elementSize, length);
                return;
            }
            case ClassInfo.REF_ARRAY: {
                int index = ci.index >= 0 ? ci.index : classes.indexOf(c);
                header(TAG_REF_ARRAY | hashBit, id);
                if (hashed) out.u32(System.identityHashCode(o));
                out.u32(index);
                if (addressKeys) writeRefArrayByAddress(o);
                else writeRefArray((Object[]) o);
                return;
            }
            default: {
                int index = ci.index >= 0 ? ci.index : classes.indexOf(c);
                header(TAG_INSTANCE | hashBit, id);
                if (hashed) out.u32(System.identityHashCode(o));
                out.u32(index);
                byte[] kinds = ci.layoutKinds;
                long[] offsets = ci.layoutOffsets;
                for (int i = 0; i < kinds.length; i++) {
                    long at = offsets[i];
                    switch (kinds[i]) {
                        case ClassInfo.K_REF:
                            out.u32(word(addressKeys ? discoverAt(o, at) : discoverPrepared(JdkUnsafe.getReference(o, at))));
                            break;
                        case ClassInfo.K_INT: out.u32(JdkUnsafe.getInt(o, at)); break;
                        case ClassInfo.K_LONG: out.u64(JdkUnsafe.getLong(o, at)); break;
                        case ClassInfo.K_BYTE: out.u8(JdkUnsafe.getByte(o, at)); break;
                        case ClassInfo.K_CUT: out.u32(0); break;
                        default: out.u16(JdkUnsafe.getShort(o, at)); break;
                    }
                }
            }
        }
    }

    /**
     * A record's tag and its step: {@code zigzag(id - previous id - 1)} as an unsigned LEB128
     * (spec/image-format.md §7), one byte for the common steps of a depth-first walk.
     */
    private void header(int tag, int id) {
        out.u8(tag);
        int d = id - lastWritten - 1;
        int z = (d << 1) ^ (d >> 31);
        lastWritten = id;
        if ((z & ~0x7F) == 0) {
            out.u8(z);
            return;
        }
        do {
            out.u8((z & 0x7F) | 0x80);
            z >>>= 7;
        } while ((z & ~0x7F) != 0);
        out.u8(z);
    }

    /**
     * The reference word of {@code ref} (spec/image-format.md §7): 0 for null, else
     * {@code zigzag(ref - base) + 1}, the base being the record's previous non-null reference
     * or its id.
     */
    private int word(int ref) {
        if (ref == 0) return 0;
        int d = ref - refBase;
        refBase = ref;
        return ((d << 1) ^ (d >> 31)) + 1;
    }

    /** {@link #writeRefArray} with address keys; the array as an Object (see {@link #touchElements}). */
    private void writeRefArrayByAddress(Object a) throws UncarriableObjectException {
        int length = java.lang.reflect.Array.getLength(a);
        out.u32(length);
        if (length <= BATCH_REFS) {
            for (int i = 0; i < length; i++) out.u32(word(discoverAt(a, ObjectKeys.elementOffset(i))));
            return;
        }
        for (int from = 0; from < length; from += BATCH_REFS) {
            int to = Math.min(length, from + BATCH_REFS);
            prepareElementAddresses(a, from, to);
            for (int i = from; i < to; i++) out.u32(word(discoverAt(a, ObjectKeys.elementOffset(i))));
        }
    }

    /** Length and elements; an array longer than a batch prepares its elements piece by piece. */
    private void writeRefArray(Object[] a) throws UncarriableObjectException {
        out.u32(a.length);
        if (a.length <= BATCH_REFS) {
            for (Object e : a) out.u32(word(discoverPrepared(e)));
            return;
        }
        for (int from = 0; from < a.length; from += BATCH_REFS) {
            int to = Math.min(a.length, from + BATCH_REFS);
            prepareElements(a, from, to);
            for (int i = from; i < to; i++) out.u32(word(discoverPrepared(a[i])));
        }
        batchLimit = 0;
    }

    private void writeString(String s) {
        byte[] value = (byte[]) JdkUnsafe.getReference(s, STRING_VALUE);
        boolean utf16 = JdkUnsafe.getByte(s, STRING_CODER) != 0;
        // s itself is never interned by this test (see InternedStrings).
        boolean isInterned = interned.isInterned(s);
        strings++;
        out.u8((isInterned ? STRING_INTERNED : 0) | (utf16 ? STRING_UTF16 : 0));
        out.u32(s.length());
        if (!utf16) {
            out.bytes(value, 0, value.length);
        } else {
            // StringUTF16 keeps chars in native byte order; on little-endian hosts that is
            // already the wire order.
            if (java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN) {
                out.primitiveArray(value, BYTE_ARRAY_BASE, 1, value.length);
            } else {
                for (int i = 0; i < s.length(); i++) out.u16(s.charAt(i));
            }
        }
    }

    // ---- reference paths ------------------------------------------------------------

    /**
     * The path from a root to the object that could not be carried, e.g.
     * {@code static demo.App.cache → HashMap.table[3] → Node.value → FileInputStream /tmp/x (open file descriptor 7)}.
     */
    String referencePath(UncarriableObjectException e) {
        List<Integer> chain = new ArrayList<>();
        for (int id = processing; id != 0; id = parents[id]) chain.add(id);
        StringBuilder sb = new StringBuilder();
        if (chain.isEmpty()) {
            sb.append(pendingRootLabel != null ? pendingRootLabel : "root");
        } else {
            int rootId = chain.get(chain.size() - 1);
            String label = rootLabels.get(rootId);
            sb.append(label != null ? label : "root");
            for (int i = chain.size() - 1; i >= 0; i--) {
                Object from = ids.get(chain.get(i));
                Object to = i > 0 ? ids.get(chain.get(i - 1)) : e.offender;
                sb.append(edge(from, to));
            }
        }
        return sb.append(" → ").append(e.description).toString();
    }

    private String edge(Object from, Object to) {
        if (from instanceof Object[]) {
            Object[] a = (Object[]) from;
            for (int i = 0; i < a.length; i++) if (a[i] == to) return "[" + i + "]";
            return "[?]";
        }
        ClassInfo ci = classes.info(from.getClass());
        String simple = ClassTable.simpleName(from.getClass());
        if (ci.layoutKinds != null) {
            for (int i = 0; i < ci.layoutKinds.length; i++) {
                if (ci.layoutKinds[i] == ClassInfo.K_REF && JdkUnsafe.getReference(from, ci.layoutOffsets[i]) == to) {
                    return " → " + simple + "." + ci.layoutNames[i];
                }
            }
        }
        return " → " + simple;
    }
}
