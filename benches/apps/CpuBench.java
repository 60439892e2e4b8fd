import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU-bound workload for the agent-overhead benchmark: sieve, sorting, hashing
 * and string building, repeated a fixed number of rounds. Prints the elapsed
 * CPU time of the measuring thread over the measured rounds (after warm-up) as
 * `cpu_ms=N` (thread CPU time, so other load on the machine disturbs it less
 * than wall time) and the wall time as `wall_ms=N`, then the lower quartile,
 * median and minimum of the per-round thread CPU times (`round_q1_us=N`, ...).
 */
public class CpuBench {
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        long sink = 0;
        for (int r = 0; r < 10; r++) sink += round(r);           // warm-up: let C2 compile
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long[] roundCpu = new long[rounds];
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        long before = c0;
        for (int r = 0; r < rounds; r++) {
            sink += round(r);
            long after = threads.getCurrentThreadCpuTime();
            roundCpu[r] = after - before;
            before = after;
        }
        long t1 = System.nanoTime();
        long c1 = threads.getCurrentThreadCpuTime();
        Arrays.sort(roundCpu);
        System.out.println("cpu_ms=" + (c1 - c0) / 1_000_000);
        System.out.println("wall_ms=" + (t1 - t0) / 1_000_000);
        System.out.println("end_uptime_ms=" + java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime());
        // Per-round thread CPU time: the lower quartile is the least disturbed by
        // a busy sibling hyperthread or cache-sharing neighbours on a loaded
        // machine, while still a typical round (not the luckiest one).
        System.out.println("round_q1_us=" + roundCpu[rounds / 4] / 1_000);
        System.out.println("round_median_us=" + roundCpu[rounds / 2] / 1_000);
        System.out.println("round_min_us=" + roundCpu[0] / 1_000);
        System.out.println("sink=" + sink);
    }

    static long round(int r) {
        long acc = 0;
        boolean[] composite = new boolean[2_000_000];
        for (int i = 2; (long) i * i < composite.length; i++)
            if (!composite[i]) for (int j = i * i; j < composite.length; j += i) composite[j] = true;
        for (int i = 2; i < composite.length; i++) if (!composite[i]) acc += i;
        int[] data = new int[400_000];
        long seed = r * 6364136223846793005L + 1442695040888963407L;
        for (int i = 0; i < data.length; i++) { seed = seed * 6364136223846793005L + 1; data[i] = (int) (seed >>> 33); }
        Arrays.sort(data);
        acc += data[data.length / 2];
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 200_000; i++) counts.merge(data[i] & 0xffff, 1, Integer::sum);
        acc += counts.size();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 50_000; i++) sb.append(i % 97).append(',');
        acc += sb.toString().hashCode();
        return acc;
    }
}
