package io.portacr;

import io.portacr.restore.HeapRestore;
import io.portacr.restore.RestoreFailedException;
import io.portacr.restore.ThreadResume;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/**
 * The main class of a restoring JVM ({@code java -agentpath:libportacr.so=restoreFrom=IMG
 * -cp ... io.portacr.Restore}; {@code portacr restore IMG} starts it). The agent checked the
 * image before this runs; here the classes, heap and statics are rebuilt
 * ({@link HeapRestore}), then the captured thread is resumed on this, the JVM's main thread
 * ({@link ThreadResume}): the program continues right after its {@code checkpointRestore()}.
 * When its outermost method returns, this main returns (the JVM waits for non-daemon threads
 * and exits 0); what it throws is thrown from here (stack trace, exit status 1);
 * {@code System.exit(n)} exits with n.
 *
 * <p>The test hook {@code -Dportacr.restore.thenCall=Class#method} calls a public static
 * no-argument method of the restored program after the rebuild instead of resuming the thread,
 * and exits with its status (its int result, or 0; 1 if it throws).
 *
 * <p>Every failure of the restore itself is one line on stderr, {@code portacr: error: ...},
 * and exit status 1.
 */
public final class Restore {
    private Restore() {}

    /** The test hook's system property. */
    public static final String THEN_CALL = "portacr.restore.thenCall";

    public static void main(String[] args) throws Throwable {
        // The rebuild runs in its own frame: this frame stays below the program's for its whole
        // life, and a later checkpoint records it (the next restore skips it), so it holds
        // nothing but args.
        rebuild();
        ThreadResume.Entry entry;
        try {
            entry = ThreadResume.prepare();
        } catch (ThreadResume.ResumeFailedException e) {
            fail(e.getMessage());
            return;
        }
        try {
            ThreadResume.run(entry);
        } catch (ThreadResume.ResumeFailedException e) {
            if (e.getCause() != null && Boolean.getBoolean("portacr.restore.debug")) e.getCause().printStackTrace();
            fail(e.getMessage());
        }
    }

    /** Rebuilds classes, heap and statics; exits on failure, and after the test hook. */
    private static void rebuild() {
        String dir;
        try {
            dir = Native.restoreFrom();
        } catch (UnsatisfiedLinkError e) {
            fail("io.portacr.Restore needs the portacr agent: -agentpath:/path/libportacr.so=restoreFrom=IMG");
            return;
        }
        if (dir == null) {
            fail("io.portacr.Restore needs the agent option restoreFrom=IMG");
            return;
        }
        // Read before the image's properties are applied (a -D given here always wins anyway).
        String thenCall = System.getProperty(THEN_CALL);
        try {
            HeapRestore.run();
        } catch (RestoreFailedException e) {
            fail(e.getMessage());
            return;
        } catch (OutOfMemoryError e) {
            fail("out of heap while rebuilding the image's objects (" + e.getMessage() + "); give the JVM a larger -Xmx");
            return;
        } catch (RuntimeException | LinkageError e) {
            fail("restore failed: " + e);
            return;
        }
        if (thenCall != null) {
            System.exit(callHook(thenCall));
        }
    }

    private static int callHook(String target) {
        int hash = target.indexOf('#');
        if (hash <= 0 || hash == target.length() - 1) {
            fail(THEN_CALL + "=" + target + ": expected Class#method");
            return 1;
        }
        Method m;
        try {
            Class<?> c = Class.forName(target.substring(0, hash), true, ClassLoader.getSystemClassLoader());
            m = c.getMethod(target.substring(hash + 1));
        } catch (ReflectiveOperationException | LinkageError e) {
            fail(THEN_CALL + "=" + target + ": " + e);
            return 1;
        }
        if (!Modifier.isStatic(m.getModifiers())) {
            fail(THEN_CALL + "=" + target + ": not a static method");
            return 1;
        }
        try {
            Object result = m.invoke(null);
            System.out.flush();
            return result instanceof Integer ? (Integer) result : 0;
        } catch (InvocationTargetException e) {
            e.getCause().printStackTrace();
            return 1;
        } catch (IllegalAccessException e) {
            fail(THEN_CALL + "=" + target + ": " + e);
            return 1;
        }
    }

    private static void fail(String message) {
        System.out.flush();
        System.err.println("portacr: error: " + message.replace('\n', ' '));
        System.err.flush();
        System.exit(1);
    }
}
