package secondthread;

import java.util.concurrent.CountDownLatch;

import jdk.crac.CheckpointException;
import jdk.crac.Core;

/**
 * Only the calling thread is captured: a second live application thread must
 * fail the checkpoint with a CheckpointException naming it. Once it has ended
 * the checkpoint succeeds.
 */
public class Main {
    static final CountDownLatch STOP = new CountDownLatch(1);

    static final class Worker extends Thread {
        Worker() {
            super("worker-1");
        }

        @Override
        public void run() {
            try {
                STOP.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Worker worker = new Worker();
        worker.start();
        while (worker.getState() != Thread.State.WAITING) {
            Thread.sleep(1);
        }
        System.out.println("worker waiting");
        try {
            Core.checkpointRestore();
            System.out.println("UNEXPECTED: checkpoint with a second thread succeeded");
        } catch (CheckpointException e) {
            System.out.println("checkpoint refused: " + e.getMessage());
            for (Throwable t : e.getSuppressed()) {
                System.out.println("suppressed: " + t);
            }
        }
        STOP.countDown();
        worker.join();
        worker = null;
        System.out.println("worker ended, checkpointing again");
        Core.checkpointRestore();
        System.out.println("resumed after checkpoint with one thread");
    }
}
