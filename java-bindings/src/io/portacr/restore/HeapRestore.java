package io.portacr.restore;

import io.portacr.JdkUnsafe;

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

        /**
         * The log line. Built without {@code String.format}: its first use loads the
         * formatter, regex and locale-provider classes, which cost 100–270 ms of every
         * restore on these machines (measured with -Xlog:class+load), more than the rebuild
         * of a small heap.
         */
        @Override
        public String toString() {
            double objectsPerSecond = objectCount / Math.max(1e-9, (allocate + fill) / 1e9);
            StringBuilder b = new StringBuilder(320);
            b.append("classes ").append(classCount).append(" in ");
            ms(b, classes).append(", symbols ");
            ms(b, symbols).append(", objects ").append(objectCount).append(" in ");
            ms(b, allocate + fill).append(" (allocate ");
            tenths(b, Math.round(allocate / 1e5)).append(" + fill ");
            tenths(b, Math.round(fill / 1e5)).append(", ");
            tenths(b, Math.round(objectsPerSecond / 1e5)).append(" M objects/s), statics ").append(staticValues).append(" in ");
            ms(b, statics).append(", initialize ");
            ms(b, initialize).append(", hash tables rebuilt ").append(tablesRebuilt).append(" in ");
            ms(b, repair).append(", identity hashes ").append(hashesRecorded).append(" (").append(hashesNotSet)
                .append(" not set), properties ");
            ms(b, properties).append(", fields dropped ").append(fieldsDropped).append(", total ");
            return ms(b, total).toString();
        }

        /** Nanoseconds as milliseconds with one decimal and " ms". */
        private static StringBuilder ms(StringBuilder b, long nanos) {
            return tenths(b, Math.round(nanos / 1e5)).append(" ms");
        }

        private static StringBuilder tenths(StringBuilder b, long tenths) {
            return b.append(tenths / 10).append('.').append(tenths % 10);
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
        if (JdkUnsafe.UNAVAILABLE != null) {
            throw new RestoreFailedException("jdk.internal.misc.Unsafe is not accessible (" + JdkUnsafe.UNAVAILABLE
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

        // The warm-up compiled the rebuild while the agent decoded OBJECTS; it stops here.
        RebuildWarmup.finish();
        HeapRebuild heap = new HeapRebuild(Payload.of(Payload.OBJECTS), Payload.of(Payload.REFS), Payload.of(Payload.CONTROL),
            classes, symbols);
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

        try {
            t = System.nanoTime();
            heap.allocateAll();
            r.allocate = System.nanoTime() - t;
            t = System.nanoTime();
            heap.fillAll();
            r.fill = System.nanoTime() - t;
        } finally {
            // The agent gives OBJECTS and the reference stream back (spec/restore.md §4.4).
            heap.done();
        }
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
