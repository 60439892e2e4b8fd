package io.portacr;

/** Thread helpers shared by the capture and the restore. */
public final class Threads {
    private Threads() {}

    /**
     * Waits for {@code thread} to end. The work waited for cannot stop half-way, so an
     * interrupt of the waiting thread is kept (re-asserted afterwards), not acted on.
     */
    public static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
