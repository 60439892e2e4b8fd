package jdk.crac.impl;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import jdk.crac.CheckpointException;
import jdk.crac.Context;
import jdk.crac.Resource;
import jdk.crac.RestoreException;

/**
 * The global context ({@code Core.getGlobalContext()}): resources in
 * registration order, held weakly, notified with CRaC's rules.
 *
 * <ul>
 * <li>A resource is held by a weak reference: one that becomes unreachable is
 *     dropped and never notified (CRaC does the same; the {@code org.crac}
 *     facade relies on it and keeps its own proxies strongly reachable).</li>
 * <li>Resources are compared by identity only. Their {@code equals},
 *     {@code hashCode} and {@code toString} are never called, because a
 *     resource may be a {@link java.lang.reflect.Proxy} whose handler only
 *     knows the two {@code Resource} methods. Registering a resource again
 *     moves it to the end of the order, as re-putting a key in CRaC's
 *     registration-ordered map does.</li>
 * <li>{@link #beforeCheckpoint} notifies in reverse registration order and
 *     remembers whom it notified (strongly, so that nobody is collected
 *     between the two notifications); {@link #afterRestore} notifies exactly
 *     those, in registration order. Every resource is notified even when
 *     another throws; the exceptions are collected as suppressed exceptions of
 *     one {@link CheckpointException} / {@link RestoreException}, and a
 *     {@code CheckpointException} / {@code RestoreException} thrown by a
 *     resource (a nested context) is flattened into the outer one.</li>
 * <li>Registration never blocks. A resource registered while a checkpoint is
 *     being notified (by a callback or another thread) takes part from the
 *     next checkpoint on. CRaC blocks other threads instead; with portacr the
 *     checkpoint fails anyway when other application threads are alive, so
 *     there is nothing to wait for.</li>
 * </ul>
 *
 * <p>Like any {@code Resource}, {@code Error}s thrown by a resource are not
 * caught: as in CRaC they end the notification and propagate.
 */
public final class GlobalContext extends Context<Resource> {

    /** One registration: a weak reference plus the identity hash to find it cheaply. */
    private static final class Registration extends WeakReference<Resource> {
        final int identityHash;

        Registration(Resource resource, ReferenceQueue<Resource> queue) {
            super(resource, queue);
            this.identityHash = System.identityHashCode(resource);
        }
    }

    private final Object lock = new Object();
    /** Registration order, oldest first. Guarded by {@link #lock}. */
    private final ArrayList<Registration> registrations = new ArrayList<>();
    /** Where the GC reports registrations whose resource was collected. */
    private final ReferenceQueue<Resource> collected = new ReferenceQueue<>();

    /**
     * The resources notified by the last {@code beforeCheckpoint}, registration
     * order; null when no checkpoint is being notified. Touched only by the
     * thread running the checkpoint (calls are serialized by the orchestrator).
     */
    private List<Resource> notified;

    /** Creates an empty context. */
    public GlobalContext() {
    }

    @Override
    public void register(Resource resource) {
        if (resource == null) {
            throw new NullPointerException("resource");
        }
        synchronized (lock) {
            dropCollectedLocked();
            int hash = System.identityHashCode(resource);
            for (int i = registrations.size() - 1; i >= 0; i--) {
                Registration r = registrations.get(i);
                if (r.identityHash == hash && r.get() == resource) {
                    registrations.remove(i);
                    break;
                }
            }
            registrations.add(new Registration(resource, collected));
        }
    }

    /**
     * The resources registered and still reachable, in registration order.
     *
     * @return a new list, holding the resources strongly
     */
    public List<Resource> resources() {
        synchronized (lock) {
            dropCollectedLocked();
            ArrayList<Resource> live = new ArrayList<>(registrations.size());
            for (Registration r : registrations) {
                Resource resource = r.get();
                if (resource != null) {
                    live.add(resource);
                }
            }
            return live;
        }
    }

    /**
     * The resources notified by the {@code beforeCheckpoint} in progress, in
     * registration order: the ones an image records and a restore notifies.
     *
     * @return an unmodifiable list, empty when no checkpoint is in progress
     */
    public List<Resource> checkpointedResources() {
        List<Resource> n = notified;
        return n == null ? List.of() : Collections.unmodifiableList(n);
    }

    /** Removes the registrations whose resource the GC has collected. */
    private void dropCollectedLocked() {
        if (collected.poll() == null) {
            return;
        }
        while (collected.poll() != null) {
            // drain: one compaction below covers them all
        }
        registrations.removeIf(r -> r.get() == null);
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) throws CheckpointException {
        List<Resource> snapshot = resources();
        notified = snapshot;
        CheckpointException failure = null;
        for (int i = snapshot.size() - 1; i >= 0; i--) {
            failure = notifyBeforeCheckpoint(this, snapshot.get(i), failure);
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) throws RestoreException {
        // Without a preceding beforeCheckpoint (a restored JVM, whose context was
        // refilled from the image) every registered resource is notified.
        List<Resource> targets = notified != null ? notified : resources();
        notified = null;
        RestoreException failure = null;
        for (Resource r : targets) {
            failure = notifyAfterRestore(this, r, failure);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Calls {@code resource.beforeCheckpoint(context)} and records its failure.
     *
     * @param context  the context passed to the resource
     * @param resource the resource to notify
     * @param failure  the failures so far, or null
     * @return {@code failure}, or a new exception if this was the first failure
     */
    public static CheckpointException notifyBeforeCheckpoint(
            Context<? extends Resource> context, Resource resource, CheckpointException failure) {
        try {
            resource.beforeCheckpoint(context);
            return failure;
        } catch (Exception e) {
            CheckpointException aggregate = failure != null ? failure : new CheckpointException();
            collect(aggregate, e, e instanceof CheckpointException);
            return aggregate;
        }
    }

    /**
     * Calls {@code resource.afterRestore(context)} and records its failure.
     *
     * @param context  the context passed to the resource
     * @param resource the resource to notify
     * @param failure  the failures so far, or null
     * @return {@code failure}, or a new exception if this was the first failure
     */
    public static RestoreException notifyAfterRestore(
            Context<? extends Resource> context, Resource resource, RestoreException failure) {
        try {
            resource.afterRestore(context);
            return failure;
        } catch (Exception e) {
            RestoreException aggregate = failure != null ? failure : new RestoreException();
            collect(aggregate, e, e instanceof RestoreException);
            return aggregate;
        }
    }

    /**
     * Adds a resource's failure to an aggregate. An aggregate of the same kind
     * (a nested context's) is flattened: its suppressed exceptions are added,
     * not itself. An aggregate with no suppressed exceptions but a message
     * (portacr's "not configured" from a nested {@code checkpointRestore()})
     * is added whole so the reason is not lost.
     */
    static void collect(Exception aggregate, Exception thrown, boolean sameKind) {
        if (thrown instanceof InterruptedException) {
            // The notification goes on, but the interrupt must not be lost (CRaC does the same).
            Thread.currentThread().interrupt();
        }
        Throwable[] nested = sameKind ? thrown.getSuppressed() : null;
        if (nested != null && nested.length > 0) {
            for (Throwable t : nested) {
                aggregate.addSuppressed(t);
            }
        } else if (thrown != aggregate) {
            aggregate.addSuppressed(thrown);
        }
    }

    /**
     * Moves the failures of a restore notification into a checkpoint failure:
     * when the checkpoint failed, the caller sees one {@code CheckpointException}
     * holding everything, as in CRaC.
     *
     * @param into the checkpoint failure
     * @param from the restore failure
     */
    public static void addRestoreFailures(CheckpointException into, RestoreException from) {
        Throwable[] nested = from.getSuppressed();
        if (nested.length == 0) {
            into.addSuppressed(from);
        } else {
            for (Throwable t : nested) {
                into.addSuppressed(t);
            }
        }
    }
}
