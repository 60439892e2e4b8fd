package jdk.crac;

/**
 * A {@link Resource} with which other resources can be registered. Its
 * {@code beforeCheckpoint} and {@code afterRestore} decide how the
 * notification is passed on to the resources registered with it. A context is
 * itself a resource, so contexts can be registered with other contexts (for
 * example with the global one, {@link Core#getGlobalContext()}).
 *
 * <p>An implementation is encouraged to follow the global context's rules:
 * notify every resource even when one throws, and report all failures as the
 * suppressed exceptions of one {@link CheckpointException} or
 * {@link RestoreException}.
 *
 * @param <R> the type of resources that can be registered
 */
public abstract class Context<R extends Resource> implements Resource {

    /** Creates a {@code Context}. */
    protected Context() {
    }

    @Override
    public abstract void beforeCheckpoint(Context<? extends Resource> context) throws CheckpointException;

    @Override
    public abstract void afterRestore(Context<? extends Resource> context) throws RestoreException;

    /**
     * Registers a resource with this context.
     *
     * @param resource the resource to register
     * @throws NullPointerException if {@code resource} is null
     */
    public abstract void register(R resource);
}
