package jdk.crac;

/**
 * An object that is notified before a checkpoint and after a restore, once
 * it has been registered with a {@link Context}.
 *
 * <p>All notifications of one checkpoint are made by the thread that called
 * {@link Core#checkpointRestore()}, one at a time, so an implementation need
 * not guard against concurrent calls of these two methods; other threads may
 * run meanwhile.
 *
 * <p>This is the CRaC API ({@code jdk.crac}) as provided by portacr on a stock
 * JDK; code compiled against CRaC runs unchanged.
 */
public interface Resource {

    /**
     * Called before the checkpoint. The resource must not rely on the state
     * of any other resource: another one may already have failed, or already
     * have had its {@link #afterRestore(Context)} called.
     *
     * @param context the {@code Context} making the notification
     * @throws Exception if the resource cannot be checkpointed; the checkpoint
     *                   is then not taken
     */
    void beforeCheckpoint(Context<? extends Resource> context) throws Exception;

    /**
     * Called after a restore, and also when the checkpoint could not be taken
     * (this or another resource's {@link #beforeCheckpoint(Context)} threw, or
     * the image could not be written). The resource must therefore cope with
     * being only partly prepared for the checkpoint. It is called on the same
     * thread as {@code beforeCheckpoint}.
     *
     * @param context the {@code Context} making the notification
     * @throws Exception if the resource could not be restored
     */
    void afterRestore(Context<? extends Resource> context) throws Exception;
}
