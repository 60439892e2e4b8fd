package io.portacr;

import io.portacr.restore.HeapRestore;
import io.portacr.restore.RestoreFailedException;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/**
 * The main class of a restoring JVM ({@code java -agentpath:libportacr.so=restoreFrom=IMG
 * -cp ... io.portacr.Restore}; {@code portacr restore IMG} starts it). The agent checked the
 * image before this runs; here the classes, heap and statics are rebuilt
 * ({@link HeapRestore}), then the program continues.
 *
 * <p>Resuming the captured thread is the next part of the restore and does not exist yet.
 * Until then, the test hook {@code -Dportacr.restore.thenCall=Class#method} calls a public
 * static no-argument method of the restored program after the rebuild and exits with its
 * status (its int result, or 0; 1 if it throws). Without it the restore stops with an
 * error saying so.
 *
 * <p>Every failure is one line on stderr, {@code portacr: error: ...}, and exit status 1;
 * no program code has run by then.
 */
public final class Restore {
    private Restore() {}

    /** The test hook's system property. */
    public static final String THEN_CALL = "portacr.restore.thenCall";

    public static void main(String[] args) {
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
        HeapRestore.Report report;
        try {
            report = HeapRestore.run();
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
        if (thenCall == null) {
            fail("heap of " + dir + " restored (" + report.objectCount + " objects), but resuming its thread is not implemented yet"
                + " (test hook: -D" + THEN_CALL + "=Class#method)");
            return;
        }
        System.exit(callHook(thenCall));
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
