package io.portacr.restore;

import io.portacr.Native;

/**
 * The first half of a restore, in order: process facts, classes (loaded, digests checked,
 * not initialized), symbolic references, heap (two passes), statics, class initialization
 * with replaced {@code <clinit>}, hash-table repair. Called by {@code io.portacr.Restore}
 * before any program code runs; the thread re-entry continues from here.
 */
public final class HeapRestore {
    private HeapRestore() {}

    /** Timings in nanoseconds and counts, for the log and the benchmark. */
    public static final class Report {
        public long properties, classes, symbols, allocate, fill, statics, initialize, repair, total;
        public int classCount, objectCount, staticValues, hashesRecorded, hashesNotSet, tablesRebuilt, fieldsDropped;

        @Override
        public String toString() {
            double objectsPerSecond = objectCount / Math.max(1e-9, (allocate + fill) / 1e9);
            return String.format(java.util.Locale.ROOT,
                "classes %d in %.1f ms, symbols %.1f ms, objects %d in %.1f ms (allocate %.1f + fill %.1f, %.1f M objects/s), "
                    + "statics %d in %.1f ms, initialize %.1f ms, hash tables rebuilt %d in %.1f ms, identity hashes %d (%d not set), "
                    + "properties %.1f ms, fields dropped %d, total %.1f ms",
                classCount, classes / 1e6, symbols / 1e6, objectCount, (allocate + fill) / 1e6, allocate / 1e6, fill / 1e6,
                objectsPerSecond / 1e6, staticValues, statics / 1e6, initialize / 1e6, tablesRebuilt, repair / 1e6,
                hashesRecorded, hashesNotSet, properties / 1e6, fieldsDropped, total / 1e6);
        }
    }

    /** The rebuilt heap: object {@code id} is {@code objects()[id]}. Null before a restore. */
    private static volatile Object[] rebuilt;

    /** The objects of the image by id (index 0 is null), for the thread re-entry. */
    public static Object[] objects() {
        return rebuilt;
    }

    /**
     * Drops the table of objects by id once the thread re-entry has taken what it needs:
     * otherwise every object of the image would stay reachable for the life of the process.
     */
    static void release() {
        rebuilt = null;
    }

    public static Report run() throws RestoreFailedException {
        if (RestoreUnsafe.UNAVAILABLE != null) {
            throw new RestoreFailedException("jdk.internal.misc.Unsafe is not accessible (" + RestoreUnsafe.UNAVAILABLE
                + "); was the agent loaded with -agentpath?");
        }
        Report r = new Report();
        long start = System.nanoTime();

        long t = System.nanoTime();
        RestoredProcess.readPlatform(Payload.of(Payload.PLATFORM));
        RestoredProcess.applyProperties(Payload.of(Payload.LAUNCH));
        r.properties = System.nanoTime() - t;

        t = System.nanoTime();
        RestoredClasses classes = RestoredClasses.read(Payload.of(Payload.CLASSES));
        classes.load();
        r.classCount = classes.count;
        r.classes = System.nanoTime() - t;

        t = System.nanoTime();
        Object[] symbols = Symbols.bind(Payload.of(Payload.SYMREFS), classes);
        r.symbols = System.nanoTime() - t;

        HeapRebuild heap = new HeapRebuild(Payload.of(Payload.OBJECTS), classes, symbols);
        StaticsRestore statics = new StaticsRestore(Payload.of(Payload.STATICS), classes, heap);
        // Classes initialized while the heap is built (allocateInstance initializes) get
        // their statics after it; later ones from the handler.
        final boolean[] heapReady = {false};
        Resume.setStaticsHandler(c -> {
            if (!heapReady[0]) return;
            try {
                statics.setFor(c);
            } catch (RestoreFailedException e) {
                throw new IllegalStateException(e.getMessage());
            }
        });

        t = System.nanoTime();
        heap.allocateAll();
        r.allocate = System.nanoTime() - t;
        t = System.nanoTime();
        heap.fillAll();
        r.fill = System.nanoTime() - t;
        r.objectCount = heap.count;
        r.hashesRecorded = heap.hashesRecorded;
        r.hashesNotSet = heap.hashesNotSet;
        r.fieldsDropped = heap.dropped;

        t = System.nanoTime();
        statics.setAll();
        heapReady[0] = true;
        r.staticValues = statics.values;
        r.statics = System.nanoTime() - t;

        t = System.nanoTime();
        statics.initializeAll();
        r.initialize = System.nanoTime() - t;

        t = System.nanoTime();
        r.tablesRebuilt = HashRepair.repair(heap);
        r.repair = System.nanoTime() - t;

        rebuilt = heap.byId;
        Native.restoreFinished();
        r.total = System.nanoTime() - start;
        Log.info(r.toString());
        return r;
    }
}
