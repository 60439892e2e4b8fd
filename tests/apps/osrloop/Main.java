package osrloop;

import jdk.crac.Core;

/**
 * A hot loop whose frame is OSR-compiled by the time it checkpoints: the loop
 * counter and the accumulator live in a compiled frame.
 *
 * Run with -XX:CompileCommand=dontinline,osrloop.Main::mark so the call to
 * mark() stays a real call out of the compiled loop (inlined, its never-taken
 * branch would become an uncommon trap that deoptimizes main first).
 */
public class Main {
    /** A multiple of 1024, so mark() sees it. */
    static final int CHECKPOINT_AT = 5_120_000;
    static final int END = 8_000_000;

    public static void main(String[] args) throws Exception {
        long acc = 17;
        for (int i = 0; i < END; i++) {
            acc = acc * 31 + (i ^ (acc >>> 7));
            // Taken every 1024 iterations: the profile shows the call, so C2
            // compiles a real call here rather than a trap.
            if ((i & 0x3FF) == 0) {
                mark(i, acc);
            }
        }
        System.out.println("loop done: acc=" + acc);
    }

    static void mark(int i, long acc) throws Exception {
        if (i == CHECKPOINT_AT) {
            System.out.println("checkpoint at i=" + i + " acc=" + acc);
            Core.checkpointRestore();
            System.out.println("resumed at i=" + i + " acc=" + acc);
        }
    }
}
