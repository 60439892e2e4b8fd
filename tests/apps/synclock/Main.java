package synclock;

import jdk.crac.Core;

/**
 * A checkpoint taken while holding monitors of every kind: a synchronized block in main
 * (OUTER), a static synchronized method (Main.class), a synchronized instance method
 * (INSTANCE) and a synchronized block entered twice (INNER, re-entered). After the
 * checkpoint every lock must still be held, and a thread started then must block on INNER
 * until main has left both of its INNER blocks.
 */
public class Main {
    static final Object OUTER = new Object();
    static final Object INNER = new Object();
    static final Main INSTANCE = new Main();

    public static void main(String[] args) throws Exception {
        synchronized (OUTER) {
            int result = staticLocked(7);
            System.out.println("result=" + result + " holds OUTER=" + Thread.holdsLock(OUTER));
        }
        System.out.println("after OUTER block holds OUTER=" + Thread.holdsLock(OUTER));
    }

    static synchronized int staticLocked(int n) throws Exception {
        int r = INSTANCE.locked(n + 1);
        System.out.println("back in staticLocked holds Main.class=" + Thread.holdsLock(Main.class));
        return r * 2;
    }

    synchronized int locked(int n) throws Exception {
        Thread other;
        synchronized (INNER) {
            synchronized (INNER) {
                System.out.println("checkpoint with n=" + n);
                Core.checkpointRestore();
                System.out.println("resumed: OUTER=" + Thread.holdsLock(OUTER) + " Main.class=" + Thread.holdsLock(Main.class)
                    + " this=" + Thread.holdsLock(this) + " INNER=" + Thread.holdsLock(INNER));
                other = new Thread(() -> {
                    synchronized (INNER) {
                        System.out.println("other thread entered INNER");
                    }
                }, "other");
                other.start();
                waitUntilBlocked(other);
                System.out.println("other thread blocked: " + other.getState());
            }
            System.out.println("left one INNER entry, still holds INNER=" + Thread.holdsLock(INNER));
            Thread.sleep(100);
            System.out.println("other thread still: " + other.getState());
        }
        other.join();
        System.out.println("joined other thread");
        return n * 3;
    }

    static void waitUntilBlocked(Thread t) throws InterruptedException {
        for (int i = 0; i < 1000 && t.getState() != Thread.State.BLOCKED; i++) {
            Thread.sleep(5);
        }
    }
}
