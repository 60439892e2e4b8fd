package scalarframe;

import jdk.crac.Core;

/**
 * A checkpoint taken below C2-compiled frames that hold a scalar-replaced object
 * and an eliminated lock, used after the checkpoint: {@code Point p} and
 * {@code Object lock} never escape, so C2's escape analysis removes both
 * allocations and the lock, keeping only their field values in the frame's debug
 * information. The capture must read the real objects (x, y) and the held monitor.
 *
 * <p>Mode {@code c2}: {@code work} is called {@code END} times by main and compiled
 * as a whole method. Mode {@code osr}: the same body runs in one loop of
 * {@code osrLoop}, which is OSR-compiled.
 *
 * <p>Run with {@code -XX:CompileCommand=dontinline,scalarframe.Main::mark} and
 * {@code ...::work}, so both stay real calls (inlined into a caller, the call to
 * mark's never-taken checkpoint branch would become an uncommon trap).
 */
public class Main {
    /** A multiple of 1024, so mark() sees it. */
    static final int CHECKPOINT_AT = 2_097_152;
    static final int END = 3_000_000;

    static final class Point {
        final int x;
        final long y;

        Point(int x, long y) {
            this.x = x;
            this.y = y;
        }
    }

    public static void main(String[] args) throws Exception {
        long acc = 0;
        if (args.length > 0 && args[0].equals("osr")) {
            acc = osrLoop();
        } else {
            for (int i = 0; i < END; i++) {
                acc += work(i);
            }
        }
        System.out.println("done: acc=" + acc);
    }

    static long work(int i) throws Exception {
        Point p = new Point(i, i * 3L + 1);
        Object lock = new Object();
        long r;
        synchronized (lock) {
            // Taken every 1024 calls: the profile keeps the call compiled.
            r = (i & 0x3FF) == 0 ? mark(i) : 0;
        }
        if (r != 0) {
            System.out.println("work after checkpoint: p.x=" + p.x + " p.y=" + p.y);
        }
        return p.x + p.y + r;
    }

    static long osrLoop() throws Exception {
        long acc = 0;
        for (int i = 0; i < END; i++) {
            Point p = new Point(i, i * 3L + 1);
            Object lock = new Object();
            long r;
            synchronized (lock) {
                r = (i & 0x3FF) == 0 ? mark(i) : 0;
            }
            if (r != 0) {
                System.out.println("osrLoop after checkpoint: p.x=" + p.x + " p.y=" + p.y);
            }
            acc += p.x + p.y + r;
        }
        return acc;
    }

    static long mark(int i) throws Exception {
        if (i != CHECKPOINT_AT) {
            return 0;
        }
        System.out.println("checkpoint at i=" + i);
        Core.checkpointRestore();
        System.out.println("resumed at i=" + i);
        return 1;
    }
}
