package capturetest;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.portacr.capture.ImageCapture;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * Throughput of the heap walk against HotSpotDiagnosticMXBean.dumpHeap(live) on the same
 * heap in the same run. The capture runs with -Dportacr.test.discard=true: section bytes are
 * encoded and handed to Native.sectionWrite, which only counts them (the agent's zstd and
 * file I/O are not measured here).
 */
public final class BenchScenario {
    record Rec(int id, long stamp, double score, String name) {}

    static HashMap<String, Rec> map;
    static List<Object> lists;

    public static void main(String[] args) throws Exception {
        int entries = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        map = new HashMap<>();
        for (int i = 0; i < entries; i++) {
            String key = "key-" + i;
            map.put(key, new Rec(i, i * 31L, i / 7.0, (i % 10 == 0) ? "n\u00e4me-" + i : "name-" + i));
        }
        lists = new ArrayList<>();
        for (int i = 0; i < entries / 10; i++) {
            ArrayList<Object> l = new ArrayList<>();
            l.add(new int[16]);
            l.add(new long[8]);
            l.add(Integer.valueOf(1000 + i));
            l.add("s" + i);
            lists.add(l);
        }
        lists.add(new byte[20 << 20]);
        System.gc();
        long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.printf("bench: heap after GC %.1f MB, %d map entries%n", live / 1e6, entries);

        // The heap dump first: the captures hash every object and may grow the string table.
        HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        double bestDump = Double.MAX_VALUE;
        for (int run = 0; run < 2; run++) {
            File f = new File(System.getProperty("java.io.tmpdir"), "portacr-bench-" + ProcessHandle.current().pid() + ".hprof");
            f.delete();
            long t = System.nanoTime();
            hs.dumpHeap(f.getPath(), true);
            double s = (System.nanoTime() - t) / 1e9;
            System.out.printf("bench: dumpHeap(live) run %d: %.3f s, %.1f MB file%n", run + 1, s, f.length() / 1e6);
            f.delete();
            bestDump = Math.min(bestDump, s);
        }
        double best = Double.MAX_VALUE;
        String stats = "";
        for (int run = 0; run < 3; run++) {
            long t = System.nanoTime();
            ImageCapture.checkpoint(List.of());
            double s = (System.nanoTime() - t) / 1e9;
            stats = ImageCapture.lastStatistics;
            System.out.printf("bench: capture run %d: %.3f s  (%s)%n", run + 1, s, stats);
            best = Math.min(best, s);
        }
        long objects = Long.parseLong(stats.replaceAll(".*objects=(\\d+).*", "$1"));
        long bytes = Long.parseLong(stats.replaceAll(".*objectBytes=(\\d+).*", "$1"));

        System.out.printf("bench: RESULT live heap %.0f MB, %d objects: portacr capture %.3f s (%.2f M objects/s, %.0f MB/s of live heap, OBJECTS %.0f MB) vs dumpHeap(live) %.3f s (%.0f MB/s): %.2fx the dump's time%n",
            live / 1e6, objects, best, objects / best / 1e6, live / best / 1e6, bytes / 1e6, bestDump, live / bestDump / 1e6, best / bestDump);
        Check.that(live / best / 1e6 >= 100, "capture at least 100 MB/s of live heap");
    }
}
