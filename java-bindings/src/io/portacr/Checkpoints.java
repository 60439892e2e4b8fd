package io.portacr;

import java.util.List;

import io.portacr.capture.CaptureFailedException;
import io.portacr.capture.ImageCapture;
import jdk.crac.CheckpointException;
import jdk.crac.Resource;
import jdk.crac.RestoreException;
import jdk.crac.impl.GlobalContext;

/**
 * The checkpoint orchestration behind {@code jdk.crac.Core.checkpointRestore()}:
 * serialize callers, notify the resources, have the image captured, then
 * either end the process or notify the resources again.
 *
 * <p>The steps (spec/semantics.md §1):
 * <ol>
 * <li>One checkpoint at a time: a second caller waits for the first to finish;
 *     a call from inside a notification (same thread) fails at once with a
 *     {@link CheckpointException} holding an {@link IllegalStateException}.</li>
 * <li>{@code beforeCheckpoint} on every resource of the global context, reverse
 *     registration order. If any threw, no image is written.</li>
 * <li>If checkpoint/restore is not configured (agent without
 *     {@code checkpointTo}, or no agent at all), no image is written.</li>
 * <li>{@link ImageCapture#checkpoint(List)} writes the image; a failure
 *     becomes a {@link CheckpointException} whose message is the one-line
 *     cause.</li>
 * <li>After a successful capture, by default the process ends with status 0
 *     without shutdown hooks (as CRaC's does). With {@code keepRunning=true},
 *     or when no image was written, {@link #afterCheckpoint} runs
 *     {@code afterRestore} in registration order and reports the failures.</li>
 * </ol>
 * A restored JVM enters at {@link #restored(List)}, which ends in the same
 * {@link #afterCheckpoint} step.
 */
public final class Checkpoints {
    /** The message of the exception thrown when no image can be written at all. */
    public static final String NOT_CONFIGURED =
            "portacr: checkpoint/restore is not configured: start the JVM with "
            + "-agentpath:.../libportacr.so=checkpointTo=DIR";

    private static final Object LOCK = new Object();
    /** A checkpoint is being run by the thread holding {@link #LOCK}. Guarded by LOCK. */
    private static boolean inProgress;

    private Checkpoints() {
    }

    /**
     * Runs one checkpoint of the given global context: the whole of
     * {@code jdk.crac.Core.checkpointRestore()}.
     *
     * @param global the global context
     * @throws CheckpointException no image was written (or the process kept
     *         running after a failed capture); {@code afterRestore} has run
     * @throws RestoreException an {@code afterRestore} failed
     */
    public static void checkpointRestore(GlobalContext global) throws CheckpointException, RestoreException {
        // In a restored JVM the top frame's resume prologue re-makes this call: it is the
        // return from the original checkpoint, not a new request (spec/restore.md §7).
        List<Resource> resumed = io.portacr.restore.ThreadResume.topFrameResumed();
        if (resumed != null) {
            restored(resumed);
            return;
        }
        // Monitor, not a java.util.concurrent lock: it is re-entrant, which is
        // how a recursive call from a notification is told apart from a second
        // thread (that one simply waits here), and it cannot be left locked.
        synchronized (LOCK) {
            if (inProgress) {
                CheckpointException recursive = new CheckpointException();
                recursive.addSuppressed(new IllegalStateException("Recursive checkpoint is not allowed"));
                throw recursive;
            }
            inProgress = true;
            try {
                checkpointLocked(global);
            } finally {
                inProgress = false;
            }
        }
    }

    private static void checkpointLocked(GlobalContext global) throws CheckpointException, RestoreException {
        CheckpointException failure = null;
        try {
            global.beforeCheckpoint(null);
        } catch (CheckpointException e) {
            failure = e;
        }
        if (failure == null) {
            if (restoredInThisJvm) {
                try {
                    io.portacr.restore.ThreadResume.recordObsoleteFrames();
                } catch (RuntimeException | LinkageError e) {
                    log(2, "cannot record the frames still running rewritten code: " + e);
                }
            }
            failure = writeImage(global.checkpointedResources());
        } else {
            log(3, "checkpoint cancelled: " + failure.getSuppressed().length
                    + " resource(s) failed in beforeCheckpoint");
        }
        afterCheckpoint(global, failure);
    }

    /**
     * Captures the image. Returns only when the process goes on: with the
     * failure, or with null after a successful capture with
     * {@code keepRunning=true}.
     */
    private static CheckpointException writeImage(List<Resource> resources) {
        if (!isConfigured()) {
            CheckpointException e = new CheckpointException(NOT_CONFIGURED);
            // The org.crac facade copies only the suppressed exceptions: keep the reason there too.
            e.addSuppressed(new RuntimeException(NOT_CONFIGURED));
            return e;
        }
        String dir;
        try {
            dir = ImageCapture.checkpoint(resources);
        } catch (CaptureFailedException e) {
            return captureFailed(e.getMessage(), e);
        } catch (RuntimeException | LinkageError e) {
            // A bug in the capture, or a native that threw: the application
            // continues all the same, it only gets no image.
            return captureFailed(String.valueOf(e), e);
        }
        log(3, "image written to " + dir);
        if (!keepRunning()) {
            // As CRaC: the checkpointed process ends here, status 0, no shutdown
            // hooks (they would run again, or twice, in the restored process).
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(0);
        }
        return null;
    }

    private static CheckpointException captureFailed(String line, Throwable cause) {
        log(1, "checkpoint failed: " + line);
        CheckpointException e = new CheckpointException("portacr: checkpoint failed: " + line);
        e.addSuppressed(cause);
        return e;
    }

    /**
     * The step after a checkpoint, on every path: {@code afterRestore} on the
     * resources in registration order (the ones notified before the
     * checkpoint, or in a restored JVM every registered one), then the
     * outcome. A checkpoint failure wins and carries the restore failures as
     * well; otherwise restore failures are thrown as one
     * {@link RestoreException}.
     *
     * @param global  the global context
     * @param failure why no image was written, or null
     */
    static void afterCheckpoint(GlobalContext global, CheckpointException failure)
            throws CheckpointException, RestoreException {
        RestoreException restoreFailure = null;
        try {
            global.afterRestore(null);
        } catch (RestoreException e) {
            restoreFailure = e;
        }
        if (failure != null) {
            if (restoreFailure != null) {
                GlobalContext.addRestoreFailures(failure, restoreFailure);
            }
            throw failure;
        }
        if (restoreFailure != null) {
            throw restoreFailure;
        }
    }

    /** Set once {@link #restored} ran: this JVM continues a restored image. */
    private static volatile boolean restoredInThisJvm;

    /**
     * Entry of a restored JVM, called once by the restore runtime on the thread
     * that called {@code checkpointRestore()} in the original process, before
     * the application continues: registers the image's resources with this
     * JVM's global context (its own state was not part of the image) and
     * notifies them with {@code afterRestore}, in registration order.
     *
     * @param resourcesInRegistrationOrder the objects of the image's RESOURCES section
     * @throws RestoreException an {@code afterRestore} failed; every resource was notified
     */
    public static void restored(List<? extends Resource> resourcesInRegistrationOrder) throws RestoreException {
        GlobalContext global = (GlobalContext) jdk.crac.Core.getGlobalContext();
        restoredInThisJvm = true;
        synchronized (LOCK) {
            inProgress = true;
            try {
                for (Resource r : resourcesInRegistrationOrder) {
                    global.register(r);
                }
                afterCheckpoint(global, null);
            } catch (CheckpointException impossible) {
                // afterCheckpoint throws a CheckpointException only when given one.
                throw new AssertionError(impossible);
            } finally {
                inProgress = false;
            }
        }
    }

    /**
     * The epoch milliseconds of the restore of this JVM, or -1 if it was not
     * restored (also without the agent), as {@code CRaCMXBean.getRestoreTime()} reports.
     *
     * @return epoch ms or -1
     */
    public static long restoreTimeMillis() {
        // Not the generation: a keepRunning=true process that checkpointed is
        // in generation 2 without ever having been restored.
        if (!restoredInThisJvm) {
            return -1;
        }
        try {
            return Native.restoreTimeMillis();
        } catch (UnsatisfiedLinkError | IllegalStateException e) {
            return -1;
        }
    }

    /**
     * Logs through the agent, which adds the "portacr: LEVEL: " prefix;
     * without the agent, errors and warnings go to stderr with that prefix.
     *
     * @param level   1 error, 2 warn, 3 info, 4 debug, 5 trace
     * @param message one line, without prefix
     */
    public static void log(int level, String message) {
        try {
            Native.log(level, message);
        } catch (UnsatisfiedLinkError | IllegalStateException e) {
            if (level <= 2) {
                System.err.println((level == 1 ? "portacr: error: " : "portacr: warn: ") + message);
            }
        }
    }

    /** Whether an image can be written; false without the agent. */
    private static boolean isConfigured() {
        try {
            return Native.isConfigured();
        } catch (UnsatisfiedLinkError | IllegalStateException e) {
            return false;
        }
    }

    private static boolean keepRunning() {
        try {
            return Native.keepRunning();
        } catch (UnsatisfiedLinkError | IllegalStateException e) {
            return false;
        }
    }
}
