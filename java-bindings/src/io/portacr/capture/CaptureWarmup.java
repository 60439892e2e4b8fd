package io.portacr.capture;

import io.portacr.WarmupSample;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * Runs the heap walk over a small graph of its own, on a second thread, while the
 * checkpointing thread prepares the capture (reads frames, lists the string table, finds the
 * JDK's static values), so that the real walk starts in compiled code.
 *
 * <p>Why: a checkpoint is usually the first time the walk runs in a JVM. Measured with
 * capture-test's bench scenario (4.6 M objects, JDK 17), the first walk took 1.06–1.13 s of
 * thread CPU and a second one on the same heap 0.56–0.58 s; pre-hashing every object made
 * the first walk only ~60 ms faster, so nearly all of the difference is the time spent in
 * the interpreter and in C1's profiled code until C2's versions are installed, plus the
 * recompilations when a branch first taken late makes C2's code deoptimize. The warm-up
 * graph takes every branch of the record writer and of discovery (all field kinds, new and
 * seen objects, small and large reference arrays, primitive arrays, Latin-1 and UTF-16
 * strings, symbolic boxing-cache values, objects with and without an identity hash) often
 * enough to reach C2's thresholds.
 *
 * <p>It runs once per JVM (later checkpoints find the code compiled). By default it runs
 * early, in the background, before any checkpoint: the agent starts it at VMInit
 * ({@link #startEarly}) and it waits {@code warmupAfter} (3 s) first, so the checkpoint's
 * pause does not pay for compiling the walk (spec/agent-options.md, {@code warmupAfter}).
 * A checkpoint that comes first stops it between two rounds and runs the rest itself, on a
 * second thread while the checkpointing thread prepares; the checkpointing thread stops
 * that one when it is ready to walk, so it never delays the walk by more than one round (a
 * few ms once compiled).
 *
 * <p>The warm-up writes nothing (a discarding {@link SectionWriter}), interns at most copies
 * of its own strings ({@link InternedStrings#forWarmup}) and only touches its own objects; it is joined
 * before the real walk begins, so no second application thread exists while the heap is
 * walked. The early one lives in the JVM's {@code system} thread group, with its service
 * threads, so it is never taken for an application thread. Any failure only means a colder
 * walk and is ignored.
 *
 * <p>At a checkpoint it also allocates the real walk's tables ({@link HeapWalker.Tables}) first: zeroing and
 * faulting in tens of MB of fresh memory is work the checkpointing thread need not wait for.
 */
public final class CaptureWarmup {

    /** Objects of the graph: large enough for C2's thresholds, small enough to cost tens of ms. */
    private static final int ENTRIES = 3_000;
    private static final int ROUNDS = 6;
    /**
     * Rounds of the early warm-up. Six rounds leave the walk in C1's code when C2 has other
     * work queued (its thresholds grow with its queue): measured with HeapBench 3 s after
     * start, only C1 had compiled drain and prepareAddresses after 6 rounds (112 ms); with
     * 40 the rounds went from 51 ms to 2.6 ms, C2 had compiled both before the 33rd, and
     * the 40 took 282 ms in all.
     */
    private static final int EARLY_ROUNDS = 40;
    /**
     * Expected objects given to the warm-up's walker: far fewer than it meets, so that its
     * tables grow as the real walk's may (a branch first taken there deoptimizes the walk).
     */
    private static final int GROWING_TABLES = 256;
    /** Content prefix of the warm-up's strings, whose copies it may intern (see {@link InternedStrings#forWarmup}). */
    private static final String PREFIX = "portacr capture warm-up ";
    /** String literals, hence interned: the real walk meets interned strings too. */
    private static final String[] LITERALS = {"portacr capture warm-up literal", "portacr capture warm-up литерал"};
    /** Set once a warm-up has walked all its rounds: later checkpoints of this JVM run compiled code. */
    private static volatile boolean warm;
    /** The early warm-up while it may still run ({@link #startEarly}); null otherwise. */
    private static CaptureWarmup running;
    /** How the last capture's walk was warmed up, for its statistics line. */
    static volatile String lastWarmup = "off";
    /** Set by {@link #finish} or {@link #stopEarly}: the remaining rounds are skipped. */
    private volatile boolean stop;


    private final Thread thread;
    /** The background warm-up started at VMInit, not one started by a checkpoint. */
    private final boolean early;
    /** Size of the real walk's tables to allocate first; 0 for the early warm-up. */
    private final int expectedObjects;
    /** Milliseconds the early warm-up waits before its first round; 0 at a checkpoint. */
    private final long delayMs;
    /**
     * The kind of object keys of the real walk, which the warm-up walks with too; the early
     * one finds it out after its delay (it loads the management beans).
     */
    private boolean addressKeys;
    /** The real walk's tables, allocated by the warm-up thread first; null until then. */
    private volatile HeapWalker.Tables tables;

    private CaptureWarmup(ThreadGroup group, String name, boolean early, int expectedObjects, boolean addressKeys,
                          long delayMs) {
        this.early = early;
        this.expectedObjects = expectedObjects;
        this.addressKeys = addressKeys;
        this.delayMs = delayMs;
        // An anonymous class, not a lambda: at VMInit the first lambda would bootstrap
        // invokedynamic on the program's start-up path.
        this.thread = new Thread(group, new Runnable() {
            @Override
            public void run() {
                CaptureWarmup.this.run();
            }
        }, name);
        this.thread.setDaemon(true);
    }

    /**
     * Called by the agent at VMInit in a JVM that may checkpoint: starts the warm-up in the
     * background, {@code delayMs} from now. Does nothing else on the calling thread.
     */
    public static synchronized void startEarly(long delayMs) {
        if (running != null || warm || turnedOff()) return;
        ThreadGroup system = Thread.currentThread().getThreadGroup();
        while (system.getParent() != null) system = system.getParent();
        CaptureWarmup w = new CaptureWarmup(system, "portacr-capture-warmup-early", true, 0, false, Math.max(0, delayMs));
        w.thread.start();
        running = w;
    }

    /** {@code -Dportacr.capture.warmup=false}: no warm-up at all, to measure without it. */
    private static boolean turnedOff() {
        return "false".equals(System.getProperty("portacr.capture.warmup"));
    }

    /**
     * Stops the early warm-up between two rounds and waits for it; the rounds it walked
     * count toward compiling the walk. Called when a checkpoint begins.
     */
    private static void stopEarly() {
        CaptureWarmup w;
        synchronized (CaptureWarmup.class) {
            w = running;
            running = null;
        }
        if (w == null) return;
        // Test hook: let it walk all its rounds first, so a test sees the early path whole.
        if (Boolean.getBoolean("portacr.test.awaitEarlyWarmup")) {
            w.join();
        } else {
            w.stopAndJoin();
        }
    }

    /**
     * Starts the warm-up, which first allocates the real walk's tables for
     * {@code expectedObjects}; {@link #finish} waits for it. Returns null if it is turned off
     * ({@code -Dportacr.capture.warmup=false}, to measure without it) or cannot start.
     */
    static CaptureWarmup start(int expectedObjects, boolean addressKeys) {
        stopEarly();
        if (turnedOff()) {
            lastWarmup = "off";
            return null;
        }
        lastWarmup = warm ? "done" : "atCheckpoint";
        try {
            CaptureWarmup w = new CaptureWarmup(Thread.currentThread().getThreadGroup(), "portacr-capture-warmup",
                false, expectedObjects, addressKeys, 0);
            w.thread.start();
            return w;
        } catch (Throwable e) {
            return null;
        }
    }

    /**
     * Stops the warm-up (null: none) between two rounds, waits for it, and returns the tables
     * for the real walk, allocated here if the warm-up did not.
     *
     * <p>Stopped, not awaited: letting its rounds finish made no checkpoint faster (HeapBench,
     * JDK 17, checkpointed at once, 4 alternating runs each, stopped/awaited: 200 MB 0.919/0.922 s,
     * 100 MB 0.542/0.615 s, 20 MB 0.255/0.341 s, 5 MB 0.156/0.189 s).
     */
    static HeapWalker.Tables finish(CaptureWarmup warmup, int expectedObjects, boolean addressKeys) {
        if (warmup == null) return new HeapWalker.Tables(expectedObjects, addressKeys);
        warmup.stopAndJoin();
        HeapWalker.Tables t = warmup.tables;
        warmup.tables = null;
        return t != null && t.ids.exact == addressKeys ? t : new HeapWalker.Tables(expectedObjects, addressKeys);
    }

    /**
     * Stops the warm-up between two rounds (or in its delay) and waits for it: before the
     * walk, when a checkpoint begins, or when the capture failed before the walk.
     */
    void stopAndJoin() {
        synchronized (this) {
            stop = true;
            notifyAll(); // ends awaitDelay
        }
        join();
    }

    /** Waits for the warm-up thread to end. */
    void join() {
        io.portacr.Threads.joinUninterruptibly(thread);
    }

    private void run() {
        if (delayMs > 0 && !awaitDelay()) return;
        if (!early) {
            try {
                tables = new HeapWalker.Tables(expectedObjects, addressKeys);
            } catch (Throwable e) {
                // e.g. out of memory: the checkpointing thread allocates them, or reports that
            }
        }
        try {
            if (warm || stop) return;
            long t0 = System.nanoTime();
            if (early) addressKeys = ObjectKeys.ADDRESS_KEYS_SUPPORTED;
            // The boxing caches, and Boolean's statics: a static field's own value is the
            // other kind of symbolic reference the real walk meets (JDK enum constants).
            JdkStaticValues boxes = new JdkStaticValues(new Class<?>[] {Boolean.class});
            List<String> listed = new ArrayList<>(), decoys = new ArrayList<>();
            Object graph = graph(listed, decoys);
            InternedStrings interned = InternedStrings.forWarmup(listed, decoys, listed.get(listed.size() / 2));
            int rounds;
            try {
                rounds = warmUp(boxes, graph, interned);
            } finally {
                boxes.release();
            }
            if (early) primeReflection();
            if (early) {
                io.portacr.Native.log(3, "capture warm-up ran early: " + rounds + " of " + EARLY_ROUNDS + " round(s) in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms" + (rounds < EARLY_ROUNDS ? " (a checkpoint began)" : ""));
            }
        } catch (Throwable e) {
            // best effort: the real walk is correct without it, only slower
        }
    }

    /** The early warm-up's last step: the JDK's reflection data for the checkpoint's scan of JDK statics. */
    private void primeReflection() {
        if (stop) return;
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        for (Class<?> c : io.portacr.Native.loadedClasses()) {
            if (stop) return;
            JdkStaticValues.primeReflection(c, platform);
        }
    }

    /** Waits out the early warm-up's delay; false if it was stopped meanwhile. */
    private synchronized boolean awaitDelay() {
        long end = System.nanoTime() + delayMs * 1_000_000;
        try {
            for (long left = delayMs; !stop && left > 0; left = (end - System.nanoTime() + 999_999) / 1_000_000) {
                wait(left);
            }
        } catch (InterruptedException e) {
            return false;
        }
        return !stop;
    }

    /** The warm-up rounds; every walker's native table is freed, also on failure. */
    private int warmUp(JdkStaticValues boxes, Object graph, InternedStrings interned) throws UncarriableObjectException {
        int rounds = early ? EARLY_ROUNDS : ROUNDS;
        int round = 0;
        for (; round < rounds && !stop; round++) {
            // Round 1 meets objects without identity hashes, later rounds with them.
            // Address keys are taken anew each round, after the graph was made: a collection
            // since (the graph's allocation may cause one) would leave the warm-up's lookups of
            // JDK static values all missing, and the real walk trapping on its first hit
            // (measured: discoverNew compiled again mid-walk, drain's branch for symbolic records).
            boxes.index(addressKeys);
            SectionWriter out = SectionWriter.discarding();
            HeapWalker walker = new HeapWalker(out, boxes, interned, Thread.currentThread(), GROWING_TABLES, addressKeys);
            try {
                out.begin(ImageCapture.OBJECTS);
                walker.root(graph, "warm-up");
                walker.drain();
                out.end();
            } finally {
                walker.release();
            }
            if (round == rounds - 1) warm = true;
        }
        return round;
    }

    /** An object of one of several JDK classes the rest of the graph does not have. */
    private static Object late(int k) {
        switch (k % 12) {
            case 0: return new java.util.TreeMap<>(java.util.Map.of("a", 1));
            case 1: return new java.util.ArrayDeque<>(List.of(1, 2));
            case 2: return new java.util.LinkedList<>(List.of("x"));
            case 3: return java.util.BitSet.valueOf(new long[] {k});
            case 4: return new java.util.concurrent.atomic.AtomicLong(k);
            case 5: return new java.util.Date(k);
            case 6: return new StringBuilder("sb").append(k);
            case 7: return new java.util.UUID(k, k);
            case 8: return java.math.BigInteger.valueOf(k).shiftLeft(70);
            case 9: return new java.util.LinkedHashMap<>(java.util.Map.of("k", k));
            case 10: return new java.util.concurrent.ConcurrentHashMap<>(java.util.Map.of("c", k));
            default: return new java.util.TreeSet<>(List.of(k));
        }
    }

    /** A record: final fields, as the application's records and value classes have. */
    record Entry(String label, int n, long stamp, double score, int[] samples, List<String> tags) {}

    /**
     * @param listed receives some of the graph's strings, which the warm-up's
     *     {@link InternedStrings} treats as listed in the string table
     * @param decoys receives others, whose hashes it treats as listed (contents not)
     */
    private static Object graph(List<String> listed, List<String> decoys) {
        HashMap<String, WarmupSample> map = new HashMap<>();
        List<Object> misc = new ArrayList<>();
        Object[] large = new Object[3 * HeapWalker.BATCH_REFS + 17];
        WarmupSample previous = null;
        for (int n = 0; n < ENTRIES; n++) {
            WarmupSample s = new WarmupSample();
            s.flag = (n & 1) != 0;
            s.b = (byte) n;
            s.c = (char) ('a' + n % 26);
            s.s = (short) n;
            s.i = n;
            s.f = n / 3f;
            s.j = n * 1_000_003L;
            s.d = n / 7.0;
            s.name = n % 11 == 10 ? null
                : n % 17 == 0 ? LITERALS[n % LITERALS.length] // interned: the exact test says so
                : PREFIX + (n % 5 == 0 ? "名前-" : "name-") + n; // UTF-16 and Latin-1
            s.data = n % 13 == 12 ? null : new int[n % 9];
            s.link = n % 3 == 0 ? Integer.valueOf(n % 200) : (n % 3 == 1 ? previous : (n % 9 == 2 ? null : new long[n % 4]));
            s.next = previous;
            if (n % 4 == 0) System.identityHashCode(s); // some objects already hashed
            map.put(s.name, s);
            if (n % 10 == 0) {
                ArrayList<Object> l = new ArrayList<>();
                l.add(s.name);
                l.add(new byte[n % 32]);
                l.add(new char[3]);
                l.add(s);
                misc.add(l);
            }
            if (n % 3 == 0 && s.name != null) listed.add(s.name);
            if (n % 30 == 1 && s.name != null) decoys.add(s.name);
            if (n % 2 == 0) {
                // Strings whose hash was never computed, and immutable lists (List.of).
                String label = PREFIX + (n % 6 == 0 ? "ラベル " : "label ") + n;
                misc.add(new Entry(label, n, n * 31L, n / 3.0, s.data,
                    s.name == null ? List.of() : n % 4 == 0 ? List.of(s.name) : List.of(label, s.name, "x" + n)));
            }
            if (n % 7 == 0) misc.add(n % 14 == 0 ? Boolean.TRUE : Boolean.FALSE);
            // Strings the application had taken the identity hash of (an IdentityHashMap key).
            if (n % 8 == 0 && s.name != null) System.identityHashCode(s.name);
            // Reference arrays longer than a batch, each written as a batch of its own:
            // one per round was too rare a branch for the profile (measured: a trap).
            if (n % 150 == 0) misc.add(new Object[HeapWalker.BATCH_REFS + 1 + n % 7]);
            large[n % large.length] = n % 2 == 0 ? s : s.name;
            // Reference arrays of 64-199 elements in a run, as hash tables and lists' element
            // arrays are: a batch then stops at its 256 references (measured: a trap in the
            // real walk before). And objects of classes first met deep in the walk, in the
            // middle of a batch, as the application's classes are.
            if (n % 40 == 0) {
                Object[] table = new Object[64 + n % 136];
                for (int k = 0; k < table.length; k += 3) table[k] = k % 2 == 0 ? s : s.name;
                misc.add(table);
            }
            if (n % 120 == 60) s.owner = late(n / 120);
            previous = n % 50 == 0 ? null : s;
        }
        misc.add(large);
        misc.add(map);
        // VM-bound objects, written as symbolic references (HeapWalker.vmBound): the real walk
        // always meets some (its own thread is a root; Class objects, loaders and modules sit
        // in fields). Without them the branch into vmBound was never taken here, and C2
        // compiled discoverNew again in the real walk (measured: an unstable_if trap at its
        // first VM-bound object after the early warm-up, JDK 17, 200 MB). The thread is the
        // one that builds and walks the graph, so it is the walker's current thread.
        misc.add(new Object[] {Thread.currentThread(), Thread.currentThread().getThreadGroup(), WarmupSample.class,
            int.class, String[].class, ClassLoader.getPlatformClassLoader(), String.class.getModule()});
        return misc;
    }
}
