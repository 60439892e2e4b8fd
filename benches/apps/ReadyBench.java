import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;

/**
 * A program with an expensive start: it generates and parses a synthetic access log,
 * aggregates it per path and per client, builds a sorted index and warms a cache of answers,
 * repeating the build until it has spent at least {@code ready.buildMillis} (default 3000)
 * milliseconds — as a service would parse its data files, index them and warm its caches.
 * Then it prints READY and {@code ready_epoch_ms} (the driver knows when it started the process) and serves queries:
 * its query throughput after warm-up, measured in 250 ms windows, the median of the later
 * half, per second of wall-clock time ({@code _ops_per_s}) and per second of this thread's CPU
 * time ({@code _ops_per_cpu_s}: on a machine shared with other work, a thread that loses its
 * core for part of a window does not make its code look slower).
 *
 * <p>With {@code -Dready.checkpoint=true} it checkpoints right before it is ready, so that a
 * restored process continues at "ready". The query loop runs in {@code main}'s own frame (the
 * frame a restore resumes) and, for comparison, in a method entered afresh.
 *
 * <p>Nothing in its state is a lambda (a restore cannot carry hidden classes yet).
 */
public class ReadyBench {
    static final class PathStats {
        final String path;
        long hits, bytes, errors;
        long[] latencyBuckets = new long[16];
        PathStats(String path) { this.path = path; }
    }

    static HashMap<String, PathStats> byPath;
    static HashMap<String, long[]> byClient;
    static String[] sortedPaths;
    static HashMap<String, Long> answerCache;
    static int rounds;

    public static void main(String[] args) throws Exception {
        long started = System.nanoTime();
        long budget = Long.getLong("ready.buildMillis", 3000);
        int lines = Integer.getInteger("ready.lines", 300_000);
        do {
            build(lines);
            rounds++;
        } while ((System.nanoTime() - started) / 1_000_000 < budget || rounds < 2);
        System.out.println("build_ms=" + (System.nanoTime() - started) / 1_000_000);
        System.out.println("rounds=" + rounds);
        if (Boolean.getBoolean("ready.checkpoint")) jdk.crac.Core.checkpointRestore();
        long readyAt = System.currentTimeMillis();
        System.out.println("READY");
        // The driver subtracts the time it started this process (ProcessHandle's start
        // instant is only as exact as /proc's boot time, a second).
        System.out.println("ready_epoch_ms=" + readyAt);
        System.out.println("state=" + byPath.size() + "/" + byClient.size() + "/" + answerCache.size() + "/" + checksum());

        // Steady state, loop in this frame (the frame a restore resumes; HotSpot compiles it
        // only if the method version it runs is the class's current one, spec/restore.md §7.3).
        // Both loops have the same warm-up and measured windows.
        if (Boolean.getBoolean("ready.youngGc")) youngGc();
        // The driver starts the variants it compares one after the other (each gets ready
        // undisturbed), then lets them measure at the same time, so that the load of a shared
        // machine falls on them alike.
        String go = System.getProperty("ready.goFile");
        if (go != null) {
            while (!new java.io.File(go).exists()) Thread.sleep(5);
        }
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        int windows = Integer.getInteger("ready.windows", 24);
        long windowNanos = 250_000_000L;
        double[] inFrame = new double[windows];
        double[] inFrameCpu = new double[windows];
        long seed = 12345;
        long sink = 0;
        for (int w = 0; w < windows; w++) {
            long cpuStart = cpu.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            long end = start + windowNanos;
            long ops = 0;
            long now;
            while ((now = System.nanoTime()) < end) {
                for (int k = 0; k < 256; k++) {
                    seed = seed * 6364136223846793005L + 1442695040888963407L;
                    String p = sortedPaths[(int) ((seed >>> 33) % sortedPaths.length)];
                    PathStats s = byPath.get(p);
                    long acc = s.hits * 31 + s.bytes;
                    for (long b : s.latencyBuckets) acc = acc * 17 + b;
                    int at = Arrays.binarySearch(sortedPaths, p);
                    sink += acc + at;
                }
                ops += 256;
            }
            inFrame[w] = ops / ((now - start) / 1e9);
            inFrameCpu[w] = ops / ((cpu.getCurrentThreadCpuTime() - cpuStart) / 1e9);
        }
        System.out.println("steady_in_frame_ops_per_s=" + (long) medianOfSecondHalf(inFrame));
        System.out.println("steady_in_frame_ops_per_cpu_s=" + (long) medianOfSecondHalf(inFrameCpu));
        double[] inMethod = new double[windows];
        double[] inMethodCpu = new double[windows];
        for (int w = 0; w < windows; w++) {
            long cpuStart = cpu.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            long ops = queryWindow(start + windowNanos, w);
            inMethod[w] = ops / ((System.nanoTime() - start) / 1e9);
            inMethodCpu[w] = ops / ((cpu.getCurrentThreadCpuTime() - cpuStart) / 1e9);
        }
        System.out.println("steady_in_method_ops_per_s=" + (long) medianOfSecondHalf(inMethod));
        System.out.println("steady_in_method_ops_per_cpu_s=" + (long) medianOfSecondHalf(inMethodCpu));
        System.out.println("sink=" + (sink & 1));
    }

    /** The same queries as main's loop, in a method no restore has rewritten. */
    static long queryWindow(long end, long seed) {
        long ops = 0, sink = 0;
        while (System.nanoTime() < end) {
            for (int k = 0; k < 256; k++) {
                seed = seed * 6364136223846793005L + 1442695040888963407L;
                String p = sortedPaths[(int) ((seed >>> 33) % sortedPaths.length)];
                PathStats s = byPath.get(p);
                long acc = s.hits * 31 + s.bytes;
                for (long b : s.latencyBuckets) acc = acc * 17 + b;
                int at = Arrays.binarySearch(sortedPaths, p);
                sink += acc + at;
            }
            ops += 256;
        }
        if (sink == 42) System.out.print("");
        return ops;
    }

    /** Allocated garbage, so that the allocation escapes and is not optimized away. */
    static volatile byte[] junk;

    /**
     * With {@code -Dready.youngGc=true}: allocates short-lived arrays until a fresh object
     * held only weakly is collected, i.e. until one young collection has run after READY
     * (G1, Parallel, Serial), as any program that allocates a little would. A young
     * collection copies the objects still in the young generation in the order it reaches
     * them from the roots, which places an object next to the objects it refers to. The
     * benchmark's "+GC" rows use it to show what the heap layout costs (a restore allocates
     * the rebuilt objects in image order). Bounded by half the heap.
     */
    static void youngGc() {
        java.lang.ref.WeakReference<Object> fresh = new java.lang.ref.WeakReference<>(new Object());
        long allocated = 0, bound = Runtime.getRuntime().maxMemory() / 2;
        while (fresh.get() != null && allocated < bound) {
            junk = new byte[32 * 1024];
            allocated += 32 * 1024;
        }
        junk = null;
        System.out.println("young_gc_after_mb=" + (allocated >> 20));
    }

    static double medianOfSecondHalf(double[] v) {
        double[] half = Arrays.copyOfRange(v, v.length / 2, v.length);
        Arrays.sort(half);
        return half[half.length / 2];
    }

    /** Generates {@code n} access-log lines, parses them and builds the state from scratch. */
    static void build(int n) {
        StringBuilder log = new StringBuilder(n * 80);
        long seed = 42;
        for (int i = 0; i < n; i++) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            int client = (int) ((seed >>> 20) & 0x3FFF);
            int path = (int) ((seed >>> 40) % 20_000);
            int status = ((seed >>> 8) & 31) == 0 ? 500 : 200;
            int bytes = (int) ((seed >>> 13) & 0xFFFF);
            int micros = (int) ((seed >>> 29) & 0x3FFFF);
            log.append("10.").append(client >> 8).append('.').append(client & 0xFF).append(".7 - - [")
                .append(1_700_000_000 + i).append("] \"GET /api/v2/items/").append(path).append("/detail HTTP/1.1\" ")
                .append(status).append(' ').append(bytes).append(' ').append(micros).append('\n');
        }
        HashMap<String, PathStats> paths = new HashMap<>();
        HashMap<String, long[]> clients = new HashMap<>();
        int pos = 0, len = log.length();
        while (pos < len) {
            int eol = log.indexOf("\n", pos);
            String line = log.substring(pos, eol);
            pos = eol + 1;
            String[] f = split(line);
            String client = f[0];
            String path = f[5];
            int status = Integer.parseInt(f[7]);
            long bytes = Long.parseLong(f[8]);
            long micros = Long.parseLong(f[9]);
            PathStats s = paths.get(path);
            if (s == null) paths.put(path, s = new PathStats(path));
            s.hits++;
            s.bytes += bytes;
            if (status >= 500) s.errors++;
            s.latencyBuckets[Math.max(0, Math.min(15, 60 - Long.numberOfLeadingZeros(micros + 1)))]++;
            long[] c = clients.get(client);
            if (c == null) clients.put(client, c = new long[3]);
            c[0]++;
            c[1] += bytes;
            c[2] = Math.max(c[2], micros);
        }
        String[] sorted = paths.keySet().toArray(new String[0]);
        Arrays.sort(sorted);
        HashMap<String, Long> cache = new HashMap<>();
        for (int i = 0; i < sorted.length; i += 2) {
            PathStats s = paths.get(sorted[i]);
            long p99 = 0, seen = 0;
            for (int b = 0; b < 16; b++) {
                seen += s.latencyBuckets[b];
                if (seen * 100 >= s.hits * 99) { p99 = 1L << (b + 3); break; }
            }
            cache.put(sorted[i].toUpperCase() + "?p99", p99);
        }
        byPath = paths;
        byClient = clients;
        sortedPaths = sorted;
        answerCache = cache;
    }

    /** Splits on spaces, dropping the quotes and brackets of the log format. */
    static String[] split(String line) {
        List<String> parts = new ArrayList<>(12);
        int start = 0;
        for (int i = 0; i <= line.length(); i++) {
            if (i == line.length() || line.charAt(i) == ' ') {
                String part = line.substring(start, i);
                if (part.startsWith("\"") || part.startsWith("[")) part = part.substring(1);
                if (part.endsWith("\"") || part.endsWith("]")) part = part.substring(0, part.length() - 1);
                parts.add(part);
                start = i + 1;
            }
        }
        return parts.toArray(new String[0]);
    }

    static long checksum() {
        long h = 0;
        for (String p : sortedPaths) {
            PathStats s = byPath.get(p);
            h = h * 31 + s.hits + s.bytes * 7 + s.errors;
        }
        for (long[] c : byClient.values()) h += c[0] * 3 + c[1] + c[2];
        return h;
    }
}
