import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import jdk.crac.CheckpointException;
import jdk.crac.Context;
import jdk.crac.Core;
import jdk.crac.Resource;
import jdk.crac.RestoreException;
import jdk.crac.management.CRaCMXBean;

/**
 * The semantics of portacr's jdk.crac API, checked against CRaC's rules.
 * Prints one line per check, "PASS name" or "FAIL name: detail", and exits
 * with status 1 if any check failed.
 *
 * <p>Two modes. With the test doubles of java-bindings/test/support first on
 * -Xbootclasspath/a (run.sh), every check runs and the fake capture is
 * inspected too. With the real agent (which must be started with
 * keepRunning=true), the checks that need to steer the capture are skipped
 * and a capture failure (e.g. "other live threads") is tolerated wherever
 * the check is about the notifications only.
 */
public final class SemanticsTest {
    static final boolean FAKE = classPresent("io.portacr.testing.Fake");

    private static int failed;
    private static int passed;
    /** Every resource a test made; made inert after each test, since the global context may still hold them. */
    private static final List<Recorder> made = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        System.out.println("mode: " + (FAKE ? "fake agent (test/support)" : "real agent"));
        run("order", SemanticsTest::order);
        run("context_argument", SemanticsTest::contextArgument);
        run("all_notified_despite_throws", SemanticsTest::allNotifiedDespiteThrows);
        run("restore_failures_collected", SemanticsTest::restoreFailuresCollected);
        run("flattening", SemanticsTest::flattening);
        run("recursive_checkpoint", SemanticsTest::recursiveCheckpoint);
        run("concurrent_callers_serialized", SemanticsTest::concurrentCallersSerialized);
        run("weak_global_context", SemanticsTest::weakGlobalContext);
        run("register_null", SemanticsTest::registerNull);
        run("register_again_moves_to_end", SemanticsTest::registerAgain);
        run("register_during_checkpoint", SemanticsTest::registerDuringCheckpoint);
        run("interrupt_kept", SemanticsTest::interruptKept);
        run("mxbean", SemanticsTest::mxbean);
        if (FAKE) {
            run("capture_gets_resources_in_registration_order", SemanticsTest::captureGetsResources);
            run("failed_before_means_no_image", SemanticsTest::failedBeforeMeansNoImage);
            run("capture_failure", SemanticsTest::captureFailure);
            run("not_configured", SemanticsTest::notConfigured);
            run("restored_entry", SemanticsTest::restoredEntry);
            run("mxbean_restored", SemanticsTest::mxbeanRestored);
        } else {
            System.out.println("SKIP fake-only checks (capture steering) under the real agent");
        }
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    // ---- the checks ----

    static void order() throws Exception {
        Events ev = new Events();
        Recorder a = rec("A", ev), b = rec("B", ev), c = rec("C", ev);
        register(a, b, c);
        Exception e = attempt();
        if (FAKE) {
            expect("checkpoint succeeded", e == null, e);
        }
        expect("before reverse, after forward",
                ev.get().equals(List.of("before C", "before B", "before A", "after A", "after B", "after C")),
                ev.get());
    }

    static void contextArgument() throws Exception {
        Events ev = new Events();
        Recorder a = rec("A", ev);
        register(a);
        attempt();
        expect("beforeCheckpoint got the global context", a.beforeContext == Core.getGlobalContext(), a.beforeContext);
        expect("afterRestore got the global context", a.afterContext == Core.getGlobalContext(), a.afterContext);
    }

    static void allNotifiedDespiteThrows() throws Exception {
        Events ev = new Events();
        int capturesBefore = FAKE ? fakeCaptures() : 0;
        Recorder a = rec("A", ev), b = rec("B", ev), c = rec("C", ev), d = rec("D", ev);
        RuntimeException failA = new RuntimeException("A before");
        java.io.IOException failC = new java.io.IOException("C before");
        IllegalStateException failD = new IllegalStateException("D after");
        a.beforeFailure = failA;
        c.beforeFailure = failC;
        d.afterFailure = failD;
        register(a, b, c, d);
        Exception e = attempt();
        expect("CheckpointException thrown", e instanceof CheckpointException, e);
        expect("every resource notified both ways",
                ev.get().equals(List.of("before D", "before C", "before B", "before A",
                        "after A", "after B", "after C", "after D")), ev.get());
        List<Throwable> sup = Arrays.asList(e.getSuppressed());
        expect("before failures suppressed, in notification order",
                sup.size() >= 2 && sup.get(0) == failC && sup.get(1) == failA, sup);
        expect("after failure merged into the CheckpointException", sup.contains(failD) && sup.size() == 3, sup);
        expect("getNestedExceptions is the same list",
                Arrays.asList(((CheckpointException) e).getNestedExceptions()).equals(sup), null);
        if (FAKE) {
            expect("no capture", fakeCaptures() == capturesBefore, fakeCaptures());
        }
    }

    static void restoreFailuresCollected() throws Exception {
        Events ev = new Events();
        Recorder a = rec("A", ev), b = rec("B", ev), c = rec("C", ev);
        Exception failA = new Exception("A after");
        RuntimeException failC = new RuntimeException("C after");
        a.afterFailure = failA;
        c.afterFailure = failC;
        register(a, b, c);
        Exception e = attempt();
        if (FAKE) {
            expect("RestoreException thrown", e instanceof RestoreException, e);
        } else {
            expect("Restore or CheckpointException thrown",
                    e instanceof RestoreException || e instanceof CheckpointException, e);
        }
        expect("all notified", ev.get().size() == 6, ev.get());
        List<Throwable> sup = Arrays.asList(e.getSuppressed());
        expect("both after failures suppressed, registration order",
                sup.indexOf(failA) >= 0 && sup.indexOf(failA) < sup.indexOf(failC), sup);
    }

    static void flattening() throws Exception {
        Events ev = new Events();
        Exception in1 = new Exception("inner 1 before");
        Exception in2 = new Exception("inner 2 before");
        Exception out = new Exception("outer before");
        Exception rin1 = new Exception("inner 1 after");
        Exception rin2 = new Exception("inner 2 after");
        NestedContext nested = new NestedContext();
        Recorder i1 = rec("I1", ev), i2 = rec("I2", ev), o = rec("O", ev);
        i1.beforeFailure = in1;
        i2.beforeFailure = in2;
        i1.afterFailure = rin1;
        i2.afterFailure = rin2;
        o.beforeFailure = out;
        nested.register(i1);
        nested.register(i2);
        Core.getGlobalContext().register(nested);
        register(o);
        Exception e = attempt();
        expect("CheckpointException thrown", e instanceof CheckpointException, e);
        List<Throwable> sup = Arrays.asList(e.getSuppressed());
        expect("nested CheckpointException flattened",
                sup.containsAll(List.of(in1, in2, out)) && sup.stream().noneMatch(t -> t instanceof CheckpointException),
                sup);
        expect("nested RestoreException flattened",
                sup.containsAll(List.of(rin1, rin2)) && sup.stream().noneMatch(t -> t instanceof RestoreException),
                sup);
        expect("exactly the five leaf failures", sup.size() == 5, sup);
        nested.retire();
        o.retire();

        // Restore side alone: afterRestore failures of a nested context, checkpoint fine.
        Events ev2 = new Events();
        NestedContext nested2 = new NestedContext();
        Recorder j1 = rec("J1", ev2), j2 = rec("J2", ev2);
        j1.afterFailure = rin1;
        j2.afterFailure = rin2;
        nested2.register(j1);
        nested2.register(j2);
        Core.getGlobalContext().register(nested2);
        Exception e2 = attempt();
        if (FAKE) {
            expect("RestoreException thrown", e2 instanceof RestoreException, e2);
        }
        List<Throwable> sup2 = Arrays.asList(e2 == null ? new Throwable[0] : e2.getSuppressed());
        expect("nested RestoreException flattened (restore only)",
                sup2.containsAll(List.of(rin1, rin2)) && sup2.stream().noneMatch(t -> t instanceof RestoreException),
                sup2);
        nested2.retire();
    }

    static void recursiveCheckpoint() throws Exception {
        Events ev = new Events();
        Recorder swallow = rec("S", ev);
        Exception[] inner = new Exception[1];
        swallow.onBefore = () -> {
            try {
                Core.checkpointRestore();
            } catch (Exception x) {
                inner[0] = x;
            }
        };
        register(swallow);
        Exception e = attempt();
        expect("inner call threw CheckpointException", inner[0] instanceof CheckpointException, inner[0]);
        expect("with a suppressed IllegalStateException",
                inner[0] != null && inner[0].getSuppressed().length == 1
                        && inner[0].getSuppressed()[0] instanceof IllegalStateException,
                inner[0] == null ? null : Arrays.asList(inner[0].getSuppressed()));
        if (FAKE) {
            expect("outer checkpoint unaffected", e == null, e);
        }
        swallow.retire();

        Events ev2 = new Events();
        Recorder propagate = rec("P", ev2);
        propagate.onBeforeThrowing = () -> Core.checkpointRestore();
        register(propagate);
        Exception e2 = attempt();
        expect("propagated recursive failure fails the outer checkpoint", e2 instanceof CheckpointException, e2);
        expect("outer holds the IllegalStateException, flattened",
                e2 != null && Arrays.stream(e2.getSuppressed()).anyMatch(t -> t instanceof IllegalStateException)
                        && Arrays.stream(e2.getSuppressed()).noneMatch(t -> t instanceof CheckpointException),
                e2 == null ? null : Arrays.asList(e2.getSuppressed()));
        expect("afterRestore still ran", ev2.get().equals(List.of("before P", "after P")), ev2.get());
    }

    static void concurrentCallersSerialized() throws Exception {
        Events ev = new Events();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        Recorder r = rec("R", ev);
        r.onBefore = () -> {
            maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            sleep(150);
        };
        r.onAfter = () -> {
            sleep(50);
            inside.decrementAndGet();
        };
        register(r);
        int capturesBefore = FAKE ? fakeCaptures() : 0;
        if (FAKE) {
            setFakeCaptureMillis(100);
        }
        CountDownLatch start = new CountDownLatch(1);
        Exception[] results = new Exception[2];
        Thread[] threads = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int k = i;
            threads[i] = new Thread(() -> {
                try {
                    start.await();
                    results[k] = attempt();
                } catch (Exception x) {
                    results[k] = x;
                }
            }, "checkpointer-" + i);
            threads[i].start();
        }
        start.countDown();
        for (Thread t : threads) {
            t.join(30_000);
        }
        if (FAKE) {
            setFakeCaptureMillis(0);
        }
        expect("both callers finished", !threads[0].isAlive() && !threads[1].isAlive(), null);
        expect("notification windows never overlapped", maxInside.get() == 1, maxInside.get());
        expect("two full notification rounds",
                ev.get().equals(List.of("before R", "after R", "before R", "after R")), ev.get());
        if (FAKE) {
            expect("two captures, never concurrent",
                    fakeCaptures() == capturesBefore + 2 && fakeMaxCapturesRunning() == 1,
                    fakeCaptures() - capturesBefore + " captures, max running " + fakeMaxCapturesRunning());
            expect("both succeeded", results[0] == null && results[1] == null, Arrays.asList(results));
        }
    }

    static void weakGlobalContext() throws Exception {
        AtomicInteger droppedNotified = new AtomicInteger();
        WeakReference<Resource> ref = registerUnreachable(droppedNotified);
        Events ev = new Events();
        Recorder kept = rec("K", ev);
        register(kept);
        for (int i = 0; i < 100 && ref.get() != null; i++) {
            System.gc();
            sleep(10);
        }
        expect("unreferenced resource collected (context holds it weakly)", ref.get() == null, null);
        attempt();
        expect("collected resource not notified", droppedNotified.get() == 0, droppedNotified.get());
        expect("referenced resource still notified", ev.get().equals(List.of("before K", "after K")), ev.get());
    }

    private static WeakReference<Resource> registerUnreachable(AtomicInteger notified) {
        Resource r = new Resource() {
            @Override
            public void beforeCheckpoint(Context<? extends Resource> context) {
                notified.incrementAndGet();
            }

            @Override
            public void afterRestore(Context<? extends Resource> context) {
                notified.incrementAndGet();
            }
        };
        Core.getGlobalContext().register(r);
        return new WeakReference<>(r);
    }

    static void registerNull() {
        try {
            Core.getGlobalContext().register(null);
            expect("NullPointerException", false, "no exception");
        } catch (NullPointerException expected) {
            expect("NullPointerException", true, null);
        }
    }

    static void registerAgain() throws Exception {
        Events ev = new Events();
        Recorder a = rec("A", ev), b = rec("B", ev);
        register(a, b, a);
        attempt();
        expect("notified once, as if registered last",
                ev.get().equals(List.of("before A", "before B", "after B", "after A")), ev.get());
    }

    static void registerDuringCheckpoint() throws Exception {
        Events ev = new Events();
        Recorder a = rec("A", ev);
        Recorder late = rec("L", ev);
        a.onBefore = () -> Core.getGlobalContext().register(late);
        register(a);
        attempt();
        expect("a resource registered during the notification waits for the next checkpoint",
                ev.get().equals(List.of("before A", "after A")), ev.get());
        a.onBefore = null;
        ev.clear();
        attempt();
        expect("and takes part in the next one",
                ev.get().equals(List.of("before L", "before A", "after A", "after L")), ev.get());
    }

    static void interruptKept() throws Exception {
        Events ev = new Events();
        Recorder a = rec("A", ev), b = rec("B", ev);
        InterruptedException ie = new InterruptedException("A before");
        a.beforeFailure = ie;
        register(a, b);
        Exception e = attempt();
        boolean interrupted = Thread.interrupted(); // also clears it for the next checks
        expect("interrupt status set again", interrupted, null);
        expect("InterruptedException collected", e != null && Arrays.asList(e.getSuppressed()).contains(ie), e);
        expect("others still notified", ev.get().size() == 4, ev.get());
    }

    static void mxbean() throws Exception {
        CRaCMXBean bean = CRaCMXBean.getCRaCMXBean();
        expect("same bean every time", bean == CRaCMXBean.getCRaCMXBean(), null);
        expect("object name", "jdk.management:type=CRaC".equals(bean.getObjectName().toString()), bean.getObjectName());
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("jdk.management:type=CRaC");
        expect("registered with the platform MBean server", server.isRegistered(name), null);
        if (!FAKE || fakeGeneration() == 1) {
            expect("restore time -1 when not restored", bean.getRestoreTime() == -1, bean.getRestoreTime());
            expect("uptime since restore -1 when not restored", bean.getUptimeSinceRestore() == -1,
                    bean.getUptimeSinceRestore());
            expect("RestoreTime attribute through JMX", Long.valueOf(-1).equals(server.getAttribute(name, "RestoreTime")),
                    server.getAttribute(name, "RestoreTime"));
        }
    }

    // ---- checks that steer the fake capture ----

    static void captureGetsResources() throws Exception {
        Events ev = new Events();
        Recorder a = rec("A", ev), b = rec("B", ev), c = rec("C", ev);
        register(a, b, c);
        int before = fakeCaptures();
        Exception e = attempt();
        expect("succeeded", e == null, e);
        expect("one capture", fakeCaptures() == before + 1, fakeCaptures() - before);
        List<Object> given = new ArrayList<>(fakeLastResources());
        given.retainAll(List.of(a, b, c));
        expect("capture got them in registration order", given.equals(List.of(a, b, c)), given);
        expect("capture ran between the notifications", ev.get().size() == 6, ev.get());
    }

    static void failedBeforeMeansNoImage() throws Exception {
        Events ev = new Events();
        Recorder a = rec("A", ev), b = rec("B", ev);
        b.beforeFailure = new Exception("B refuses");
        register(a, b);
        int before = fakeCaptures();
        Exception e = attempt();
        expect("CheckpointException", e instanceof CheckpointException, e);
        expect("capture not called", fakeCaptures() == before, fakeCaptures() - before);
        expect("afterRestore at once", ev.get().equals(List.of("before B", "before A", "after A", "after B")), ev.get());
        expect("application continues", true, null);
    }

    static void captureFailure() throws Exception {
        Events ev = new Events();
        Recorder a = rec("A", ev);
        register(a);
        io.portacr.testing.Fake.failNextCapture = "static demo.App.f -> FileInputStream (open file descriptor 7)";
        Exception e = attempt();
        expect("CheckpointException", e instanceof CheckpointException, e);
        expect("message is the capture's line",
                e != null && e.getMessage() != null && e.getMessage().contains("open file descriptor 7"),
                e == null ? null : e.getMessage());
        expect("capture failure suppressed",
                e != null && e.getSuppressed().length == 1
                        && e.getSuppressed()[0] instanceof io.portacr.capture.CaptureFailedException,
                e == null ? null : Arrays.asList(e.getSuppressed()));
        expect("afterRestore ran", ev.get().equals(List.of("before A", "after A")), ev.get());
    }

    static void notConfigured() throws Exception {
        Events ev = new Events();
        Recorder a = rec("A", ev);
        register(a);
        int before = fakeCaptures();
        io.portacr.testing.Fake.configured = false;
        Exception e;
        try {
            e = attempt();
        } finally {
            io.portacr.testing.Fake.configured = true;
        }
        expect("CheckpointException", e instanceof CheckpointException, e);
        expect("message says not configured",
                e != null && e.getMessage() != null && e.getMessage().contains("not configured")
                        && e.getMessage().contains("checkpointTo="),
                e == null ? null : e.getMessage());
        expect("reason also suppressed (org.crac copies only those)",
                e != null && e.getSuppressed().length == 1 && e.getSuppressed()[0].getMessage().contains("not configured"),
                e == null ? null : Arrays.asList(e.getSuppressed()));
        expect("capture not called", fakeCaptures() == before, null);
        expect("resources notified as in CRaC", ev.get().equals(List.of("before A", "after A")), ev.get());
    }

    static void restoredEntry() throws Exception {
        Events ev = new Events();
        Recorder a = rec("A", ev), b = rec("B", ev);
        b.afterFailure = new Exception("B after");
        try {
            io.portacr.Checkpoints.restored(List.of(a, b));
            expect("RestoreException from afterRestore", false, "none");
        } catch (RestoreException expected) {
            expect("RestoreException from afterRestore", expected.getSuppressed().length == 1, expected);
        }
        expect("afterRestore in registration order", ev.get().equals(List.of("after A", "after B")), ev.get());
        b.afterFailure = null;
        ev.clear();
        Exception e = attempt();
        expect("restored resources are registered for the next checkpoint",
                e == null && ev.get().equals(List.of("before B", "before A", "after A", "after B")), ev.get() + " " + e);
    }

    static void mxbeanRestored() throws Exception {
        long restoreAt = System.currentTimeMillis() - 5_000;
        io.portacr.testing.Fake.generation = 2;
        io.portacr.testing.Fake.restoreTimeMillis = restoreAt;
        try {
            CRaCMXBean bean = CRaCMXBean.getCRaCMXBean();
            expect("restore time from the agent", bean.getRestoreTime() == restoreAt, bean.getRestoreTime());
            long up = bean.getUptimeSinceRestore();
            expect("uptime since restore", up >= 5_000 && up < 60_000, up);
        } finally {
            io.portacr.testing.Fake.reset();
        }
    }

    // ---- machinery ----

    interface Action {
        void run() throws Exception;
    }

    static final class Events {
        private final List<String> list = new ArrayList<>();

        synchronized void add(String e) {
            list.add(e);
        }

        synchronized List<String> get() {
            return new ArrayList<>(list);
        }

        synchronized void clear() {
            list.clear();
        }
    }

    /** A resource that logs its notifications; inert once retired. */
    static class Recorder implements Resource {
        final String name;
        final Events events;
        volatile boolean active = true;
        volatile Exception beforeFailure;
        volatile Exception afterFailure;
        volatile Runnable onBefore;
        volatile Runnable onAfter;
        volatile Action onBeforeThrowing;
        volatile Context<? extends Resource> beforeContext;
        volatile Context<? extends Resource> afterContext;

        Recorder(String name, Events events) {
            this.name = name;
            this.events = events;
        }

        void retire() {
            active = false;
        }

        @Override
        public void beforeCheckpoint(Context<? extends Resource> context) throws Exception {
            if (!active) {
                return;
            }
            beforeContext = context;
            events.add("before " + name);
            Runnable r = onBefore;
            if (r != null) {
                r.run();
            }
            Action t = onBeforeThrowing;
            if (t != null) {
                t.run();
            }
            Exception f = beforeFailure;
            if (f != null) {
                throw f;
            }
        }

        @Override
        public void afterRestore(Context<? extends Resource> context) throws Exception {
            if (!active) {
                return;
            }
            afterContext = context;
            events.add("after " + name);
            Runnable r = onAfter;
            if (r != null) {
                r.run();
            }
            Exception f = afterFailure;
            if (f != null) {
                throw f;
            }
        }
    }

    /** A context of the application's own, registered in the global one, with CRaC's rules. */
    static final class NestedContext extends Context<Resource> {
        private final List<Resource> resources = new ArrayList<>();
        private volatile boolean active = true;

        void retire() {
            active = false;
        }

        @Override
        public synchronized void register(Resource resource) {
            resources.add(resource);
        }

        @Override
        public void beforeCheckpoint(Context<? extends Resource> context) throws CheckpointException {
            if (!active) {
                return;
            }
            CheckpointException failure = null;
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).beforeCheckpoint(this);
                } catch (Exception e) {
                    if (failure == null) {
                        failure = new CheckpointException();
                    }
                    failure.addSuppressed(e);
                }
            }
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public void afterRestore(Context<? extends Resource> context) throws RestoreException {
            if (!active) {
                return;
            }
            RestoreException failure = null;
            for (Resource r : resources) {
                try {
                    r.afterRestore(this);
                } catch (Exception e) {
                    if (failure == null) {
                        failure = new RestoreException();
                    }
                    failure.addSuppressed(e);
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    static Recorder rec(String name, Events events) {
        Recorder r = new Recorder(name, events);
        synchronized (made) {
            made.add(r);
        }
        return r;
    }

    static void register(Resource... resources) {
        for (Resource r : resources) {
            Core.getGlobalContext().register(r);
        }
    }

    /** Calls checkpointRestore() and returns what it threw, or null. */
    static Exception attempt() {
        try {
            Core.checkpointRestore();
            return null;
        } catch (CheckpointException | RestoreException e) {
            return e;
        }
    }

    private static String current;

    static void run(String name, Action test) {
        current = name;
        if (FAKE) {
            io.portacr.testing.Fake.reset();
        }
        try {
            test.run();
        } catch (Throwable t) {
            fail(name, "threw " + t);
            t.printStackTrace(System.out);
        } finally {
            synchronized (made) {
                for (Recorder r : made) {
                    r.retire();
                }
                made.clear();
            }
            Thread.interrupted();
        }
    }

    static void expect(String what, boolean ok, Object detail) {
        String name = current + ": " + what;
        if (ok) {
            passed++;
            System.out.println("PASS " + name);
        } else {
            fail(name, String.valueOf(detail));
        }
    }

    static void fail(String name, String detail) {
        failed++;
        System.out.println("FAIL " + name + ": " + detail);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static boolean classPresent(String name) {
        try {
            Class.forName(name);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    // Fake accessors kept in one place: only called in fake mode, so under the
    // real agent the class io.portacr.testing.Fake is never resolved.
    static int fakeCaptures() {
        return io.portacr.testing.Fake.captures();
    }

    static int fakeMaxCapturesRunning() {
        return io.portacr.testing.Fake.maxCapturesRunning();
    }

    static List<Object> fakeLastResources() {
        return io.portacr.testing.Fake.lastResources();
    }

    static int fakeGeneration() {
        return io.portacr.testing.Fake.generation;
    }

    static void setFakeCaptureMillis(long millis) {
        io.portacr.testing.Fake.captureMillis = millis;
    }
}
