import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * Restore benchmark program: builds the checkpoint benchmark's heap ({@link HeapBench#build},
 * maps of strings to records, lists, primitive arrays, strings) of about the requested size
 * and checkpoints; the original process then exits (CRaC's default). When a restore resumes
 * it, it prints how long after the agent loaded it was running again, its peak resident
 * memory, and checks that the heap is the one it built.
 *
 * <p>Usage: {@code java -agentpath:...=checkpointTo=DIR RestoreBench MB}; then
 * {@code portacr restore DIR}. {@code RestoreBench baseline} prints the peak resident memory
 * of a JVM that runs nothing (the comparison for the restore's memory).
 */
public class RestoreBench {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("baseline")) {
            System.out.println("vm_hwm_kb=" + vmHwmKb());
            return;
        }
        long targetMb = Long.parseLong(args[0]);
        HeapBench.build(targetMb * 1024 * 1024);
        for (int i = 0; i < 3; i++) System.gc();
        Runtime rt = Runtime.getRuntime();
        System.out.println("live_heap_bytes=" + (rt.totalMemory() - rt.freeMemory()));
        System.out.println("objects_built=" + HeapBench.countObjects());
        String before = summary();
        jdk.crac.Core.checkpointRestore();
        // Resumed (or, with keepRunning, continuing): first the clock, then everything else.
        long now = System.currentTimeMillis();
        long restoredAt = jdk.crac.management.CRaCMXBean.getCRaCMXBean().getRestoreTime();
        if (restoredAt > 0) System.out.println("resumed_after_agent_load_ms=" + (now - restoredAt));
        System.out.println("vm_hwm_kb=" + vmHwmKb());
        System.out.println("rss_anon_kb=" + statusKb("RssAnon:") + " rss_file_kb=" + statusKb("RssFile:"));
        String after = summary();
        System.out.println("heap_intact=" + before.equals(after));
    }

    /** A digest of the built heap, to tell a restored heap from a damaged one. */
    static String summary() {
        long h = 0;
        for (java.util.Map.Entry<String, HeapBench.Item> e : HeapBench.items.entrySet()) {
            HeapBench.Item it = e.getValue();
            h = h * 31 + e.getKey().hashCode() + it.id() + it.stamp() + it.samples().length + it.tags().size();
        }
        for (long[] s : HeapBench.series) h = h * 31 + s[31];
        for (byte[] b : HeapBench.blobs) h = h * 31 + b[1023];
        for (String t : HeapBench.texts) h = h * 31 + t.hashCode();
        return HeapBench.items.size() + "/" + HeapBench.series.size() + "/" + HeapBench.lists.size() + "/"
            + HeapBench.blobs.size() + "/" + HeapBench.texts.size() + "#" + h;
    }

    /** Peak resident set size of this process (VmHWM in /proc/self/status), in KiB. */
    static long vmHwmKb() throws java.io.IOException {
        return statusKb("VmHWM:");
    }

    /** A figure of /proc/self/status in KiB, -1 when absent. */
    static long statusKb(String key) throws java.io.IOException {
        for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (line.startsWith(key)) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return -1;
    }
}
