package jdk.crac;

import jdk.crac.impl.GlobalContext;

/**
 * The coordination service: the global context and the checkpoint request.
 *
 * <p>portacr's implementation of the CRaC API on a stock JDK. With the agent
 * loaded ({@code -agentpath:libportacr.so=checkpointTo=DIR}) a checkpoint
 * writes a portable image of the heap, classes and the calling thread's stack;
 * without it, or without {@code checkpointTo}, {@link #checkpointRestore()}
 * notifies the resources and throws a {@link CheckpointException} saying that
 * checkpoint/restore is not configured.
 */
public class Core {
    private static final GlobalContext GLOBAL_CONTEXT = new GlobalContext();

    /** This class is not instantiable. */
    private Core() {
    }

    /**
     * The global context. It holds its resources weakly (a resource that
     * becomes unreachable is dropped); on a checkpoint it calls
     * {@code beforeCheckpoint} in reverse registration order, and after the
     * restore (or when the checkpoint fails) {@code afterRestore} in
     * registration order.
     *
     * @return the global {@code Context}
     */
    public static Context<Resource> getGlobalContext() {
        return GLOBAL_CONTEXT;
    }

    /**
     * Requests a checkpoint and returns after the restore.
     *
     * <p>Calls from several threads are serialized. A call from inside a
     * resource's notification fails with a {@link CheckpointException} holding
     * an {@link IllegalStateException}. By default the process that wrote the
     * image exits with status 0 (shutdown hooks are not run), and the call
     * returns in the restored process; with the agent option
     * {@code keepRunning=true} it also returns in the original process.
     *
     * @throws CheckpointException if a resource's {@code beforeCheckpoint}
     *         failed, the image could not be written, or checkpoint/restore is
     *         not configured; the application continues in the original
     *         process and {@code afterRestore} has already been called
     * @throws RestoreException if a resource's {@code afterRestore} failed
     */
    public static void checkpointRestore() throws CheckpointException, RestoreException {
        io.portacr.Checkpoints.checkpointRestore(GLOBAL_CONTEXT);
    }
}
