import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checkpoint benchmark: builds a live heap of mixed objects (maps of strings to
 * records, lists, primitive arrays, strings) of about the requested size, then
 * measures, in the same JVM, HotSpotDiagnosticMXBean.dumpHeap(file, live=true)
 * (what `jcmd GC.heap_dump` does) and jdk.crac.Core.checkpointRestore() with the
 * agent's keepRunning=true. Prints one `key=value` line per figure for the driver.
 *
 * Usage: java -agentpath:...=checkpointTo=DIR,keepRunning=true HeapBench MB DUMPFILE
 */
public class HeapBench {
    record Item(String name, int id, long stamp, double score, int[] samples, List<String> tags) {}

    static Map<String, Item> items;
    static List<long[]> series;
    static List<ArrayList<Integer>> lists;
    static List<byte[]> blobs;
    static List<String> texts;

    public static void main(String[] args) throws Exception {
        long targetMb = Long.parseLong(args[0]);
        String dumpFile = args[1];
        build(targetMb * 1024 * 1024);
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) System.gc();
        long live = mem.getHeapMemoryUsage().getUsed();
        System.out.println("live_heap_bytes=" + live);
        System.out.println("objects_built=" + countObjects());

        // -Dheapbench.atUptimeMs=N: dump and checkpoint once the JVM has run N ms (idle until
        // then), as a program checkpointed after its warm-up would be; the agent's capture
        // warm-up runs in the background 3 s after start (spec/agent-options.md, warmupAfter).
        long atUptime = Long.getLong("heapbench.atUptimeMs", 0);
        for (long up; (up = ManagementFactory.getRuntimeMXBean().getUptime()) < atUptime; ) {
            Thread.sleep(atUptime - up);
        }
        HotSpotDiagnosticMXBean diag = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        new File(dumpFile).delete();
        // Process CPU time next to wall time: on a machine shared with other work the wall
        // times vary by 2x between runs, the CPU each operation burns much less.
        long p0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        diag.dumpHeap(dumpFile, true);
        long t1 = System.nanoTime();
        long p1 = os.getProcessCpuTime();
        System.out.println("heapdump_ns=" + (t1 - t0));
        System.out.println("heapdump_cpu_ns=" + (p1 - p0));
        System.out.println("heapdump_bytes=" + new File(dumpFile).length());
        new File(dumpFile).delete();

        // -Dheapbench.checkpoints=N: more checkpoints of the same heap (the later ones run
        // warm code, and every object then has an identity hash); the last one is reported.
        int checkpoints = Integer.getInteger("heapbench.checkpoints", 1);
        for (int n = 1; n <= checkpoints; n++) {
            Map<String, Long> before = threadCpuByKind();
            long q0 = os.getProcessCpuTime();
            long c0 = System.nanoTime();
            jdk.crac.Core.checkpointRestore();
            long c1 = System.nanoTime();
            long q1 = os.getProcessCpuTime();
            Map<String, Long> after = threadCpuByKind();
            System.out.println("checkpoint_ns=" + (c1 - c0));
            System.out.println("checkpoint_cpu_ns=" + (q1 - q0));
            // Where the checkpoint's CPU went: threads alive before and after by kind; the
            // threads that started and ended during it (the agent's image writer, the capture
            // warm-up) are the rest of the process CPU.
            long accounted = 0;
            for (String kind : new String[] {"main", "jit", "gc", "other"}) {
                long d = after.getOrDefault(kind, 0L) - before.getOrDefault(kind, 0L);
                accounted += d;
                System.out.println("checkpoint_cpu_" + kind + "_ns=" + d);
            }
            System.out.println("checkpoint_cpu_ended_threads_ns=" + Math.max(0, (q1 - q0) - accounted));
        }
        // keep everything alive until after the checkpoint
        System.out.println("check=" + items.size() + "/" + series.size() + "/" + lists.size() + "/" + blobs.size() + "/" + texts.size());
    }

    /**
     * CPU time of this process's threads by kind, from /proc/self/task/TID/stat (Linux; clock
     * ticks of 10 ms): "main" (the thread that checkpoints), "jit" (compiler threads), "gc"
     * (collector threads), "other" (the VM thread and the rest). Empty elsewhere.
     */
    static Map<String, Long> threadCpuByKind() {
        Map<String, Long> cpu = new HashMap<>();
        File[] tasks = new File("/proc/self/task").listFiles();
        if (tasks == null) return cpu;
        // The java launcher runs main() on a thread it creates, named "java" like the
        // process's first thread (tid = pid), which only waits for it.
        String pid = String.valueOf(ProcessHandle.current().pid());
        for (File task : tasks) {
            try {
                String stat = new String(java.nio.file.Files.readAllBytes(new File(task, "stat").toPath()));
                int open = stat.indexOf('('), close = stat.lastIndexOf(')');
                String comm = stat.substring(open + 1, close);
                String[] rest = stat.substring(close + 2).split(" ");
                long ticks = Long.parseLong(rest[11]) + Long.parseLong(rest[12]); // utime, stime
                String kind = comm.equals("java") && !task.getName().equals(pid) ? "main"
                    : comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler") ? "jit"
                    : comm.startsWith("GC Thread") || comm.startsWith("G1 ") ? "gc"
                    : "other";
                cpu.merge(kind, ticks * 10_000_000L, Long::sum);
            } catch (Exception | LinkageError e) {
                // a thread that ended meanwhile
            }
        }
        return cpu;
    }

    static long countObjects() {
        // map: table + per entry (node, key string + its byte[], Item, name string(shared key), int[], List + its Object[] + tag strings shared)
        long n = 0;
        n += items.size() * 6L + 1;
        n += series.size() + 1;
        for (ArrayList<Integer> l : lists) n += 2 + l.size();
        n += blobs.size() + 1;
        n += texts.size() * 2L + 1;
        return n;
    }

    static void build(long targetBytes) {
        items = new HashMap<>();
        series = new ArrayList<>();
        lists = new ArrayList<>();
        blobs = new ArrayList<>();
        texts = new ArrayList<>();
        String[] tagPool = {"red", "green", "blue", "ñandú", "東京", "alpha", "beta"};
        java.util.Random rnd = new java.util.Random(42);
        long approx = 0;
        int i = 0;
        while (approx < targetBytes) {
            String key = "item-" + i;
            int[] samples = new int[8 + (i % 16)];
            for (int k = 0; k < samples.length; k++) samples[k] = rnd.nextInt(10000);
            List<String> tags = List.of(tagPool[i % tagPool.length], tagPool[(i / 7) % tagPool.length]);
            items.put(key, new Item(key, i, 1_700_000_000_000L + i * 1000L + rnd.nextInt(1000), rnd.nextInt(100000) / 100.0, samples, tags));
            approx += 48 + 40 + 32 + 24 + 16 + 4L * samples.length + 16 + 32;
            if (i % 10 == 0) {
                long[] s = new long[32];
                for (int k = 0; k < s.length; k++) s[k] = 1_000_000L * i + rnd.nextInt(1 << 20);
                series.add(s);
                approx += 16 + 8 * 32;
            }
            if (i % 20 == 0) {
                ArrayList<Integer> l = new ArrayList<>();
                for (int k = 0; k < 10; k++) l.add(rnd.nextInt(100000));
                lists.add(l);
                approx += 24 + 56 + 10 * 16;
            }
            if (i % 50 == 0) {
                byte[] b = new byte[1024];
                // text-like payload (a log line repeated with a varying counter), not white noise
                byte[] line = ("GET /api/v1/items/" + i + " HTTP/1.1 200 " + rnd.nextInt(5000) + "ms\n").getBytes();
                for (int k = 0; k < b.length; k++) b[k] = line[k % line.length];
                blobs.add(b);
                approx += 1040;
            }
            if (i % 5 == 0) {
                String t = (i % 15 == 0 ? "texte accentué numéro " : "plain text number ") + i;
                texts.add(t);
                approx += 24 + 16 + t.length();
            }
            i++;
        }
    }
}
