package resumedloop;

import jdk.crac.Core;

/**
 * A service-like loop that checkpoints inside itself and keeps looping after the restore,
 * in the frame the restore resumed: the case spec/restore.md §7.3 is about. After the
 * checkpoint it loops for {@code resumedloop.millis} (default 2000) milliseconds of wall-clock
 * time, long enough for HotSpot to OSR-compile the loop when it can, and prints a line that
 * does not depend on how many rounds it made.
 */
public class Main {
    public static void main(String[] args) throws Exception {
        long acc = 17;
        long deadline = Long.MAX_VALUE;
        for (int round = 0; System.nanoTime() < deadline; round++) {
            if (round == 100) {
                System.out.println("checkpoint at round " + round);
                Core.checkpointRestore();
                System.out.println("resumed at round " + round);
                deadline = System.nanoTime() + Long.getLong("resumedloop.millis", 2000) * 1_000_000L;
            }
            for (int i = 0; i < 1000; i++) {
                acc = acc * 31 + (i ^ (acc >>> 7));
            }
        }
        System.out.println("loop done: " + (acc != 0 ? "ok" : "zero"));
    }
}
