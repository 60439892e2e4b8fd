package bigheap;

import java.util.ArrayList;
import java.util.List;

import jdk.crac.Core;

/**
 * A heap of about 24 MB of primitive arrays reachable from a static: large enough that a
 * restore by hand without a young generation sized for it gets the agent's advice
 * (spec/restore.md §6). Prints a digest of the arrays before and after the checkpoint.
 */
public class Main {
    static final int ARRAYS = 384;
    static final int LONGS = 8192; // 64 KB each

    static List<long[]> arrays = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        long seed = 42;
        for (int i = 0; i < ARRAYS; i++) {
            long[] a = new long[LONGS];
            for (int j = 0; j < LONGS; j++) {
                seed = seed * 6364136223846793005L + 1442695040888963407L;
                a[j] = seed;
            }
            arrays.add(a);
        }
        System.out.println("before: " + digest());
        Core.checkpointRestore();
        System.out.println("after: " + digest());
    }

    static long digest() {
        long h = 17;
        for (long[] a : arrays) {
            for (long v : a) h = h * 31 + v;
        }
        return h;
    }
}
