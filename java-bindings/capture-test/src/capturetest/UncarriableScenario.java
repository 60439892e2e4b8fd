package capturetest;

import io.portacr.Native;
import io.portacr.capture.CaptureFailedException;
import io.portacr.capture.ImageCapture;

import java.io.File;
import java.io.FileInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.zip.Inflater;

/** Objects that cannot be carried fail the checkpoint with the reference path; the app continues. */
public final class UncarriableScenario {
    static HashMap<String, Object> cache = new HashMap<>();
    static List<Object> list = new ArrayList<>();
    volatile int counter;

    static String expectFailure(String what) {
        int abortsBefore = Native.aborts;
        long attemptsBefore = Native.beginCalls;
        try {
            ImageCapture.checkpoint(List.of());
        } catch (CaptureFailedException e) {
            // One abort per attempt: a collection during a walk with address keys makes the
            // capture again (spec/semantics.md §2.3), and that attempt is aborted too.
            long attempts = Native.beginCalls - attemptsBefore;
            Check.that(attempts >= 1, what + ": the capture began");
            Check.equal(attempts, (long) (Native.aborts - abortsBefore), what + ": Native.abort called once per attempt");
            Check.that(!e.getMessage().contains("\n"), what + ": one line");
            System.out.println("  " + what + ": " + e.getMessage());
            return e.getMessage();
        }
        throw new AssertionError(what + ": checkpoint succeeded");
    }

    static String localCase(File f) throws Exception {
        try (FileInputStream held = new FileInputStream(f)) {
            return expectFailure("open stream in a local") + held.available();
        }
    }

    static Thread startWorker() {
        Thread worker = new Thread(() -> {
            try { Thread.sleep(60_000); } catch (InterruptedException e) { /* done */ }
        }, "worker");
        worker.start();
        return worker;
    }

    public static void main(String[] args) throws Exception {
        File tmp = File.createTempFile("portacr-capture-test", ".txt");
        tmp.deleteOnExit();
        // Held only through the map: a local would be a root of its own (the frame).
        cache.put("file", new FileInputStream(tmp));
        String m = expectFailure("open stream");
        Check.that(m.matches("static capturetest\\.UncarriableScenario\\.cache → HashMap\\.table\\[\\d+\\] → Node\\.value → FileInputStream "
            + java.util.regex.Pattern.quote(tmp.getPath()) + " \\(open file descriptor \\d+\\)"), "path message: " + m);
        FileInputStream in = (FileInputStream) cache.remove("file");
        in.close();

        String local = localCase(tmp);
        Check.that(local.startsWith("frame capturetest.UncarriableScenario.localCase local ") && local.contains("FileInputStream"), "frame root path: " + local);

        list.add(ByteBuffer.allocateDirect(64));
        m = expectFailure("direct buffer");
        Check.that(m.matches("static capturetest\\.UncarriableScenario\\.list → ArrayList\\.elementData\\[0\\] → DirectByteBuffer \\(off-heap memory at 0x[0-9a-f]+, capacity 64\\)"), "direct buffer message: " + m);
        list.clear();

        list.add(startWorker());
        m = expectFailure("live thread");
        Thread worker = (Thread) list.get(0);
        Check.that(m.startsWith("static capturetest.UncarriableScenario.list → ArrayList.elementData[0] → Thread \"worker\""), "thread message: " + m);
        worker.interrupt();
        worker.join();

        list.set(0, new java.net.ServerSocket(0));
        m = expectFailure("server socket");
        Check.that(m.matches("static capturetest\\.UncarriableScenario\\.list → ArrayList\\.elementData\\[0\\] → ServerSocket\\.impl → .* \\(open file descriptor \\d+\\)"), "socket message: " + m);
        ((java.net.ServerSocket) list.get(0)).close();

        list.set(0, java.nio.channels.FileChannel.open(tmp.toPath()));
        m = expectFailure("file channel");
        Check.that(m.matches("static capturetest\\.UncarriableScenario\\.list → ArrayList\\.elementData\\[0\\] → FileChannelImpl\\.fd → FileDescriptor \\(open file descriptor \\d+\\)"), "channel message: " + m);
        ((java.nio.channels.FileChannel) list.get(0)).close();

        list.set(0, java.lang.invoke.MethodHandles.lookup().findVarHandle(UncarriableScenario.class, "counter", int.class));
        m = expectFailure("var handle");
        Check.that(m.startsWith("static capturetest.UncarriableScenario.list → ArrayList.elementData[0] → VarHandle ")
            && m.endsWith("(bound to this JVM's field offsets or method entries)"), "var handle message: " + m);
        list.set(0, java.util.concurrent.atomic.AtomicIntegerFieldUpdater.newUpdater(UncarriableScenario.class, "counter"));
        m = expectFailure("field updater");
        Check.that(m.contains("AtomicIntegerFieldUpdaterImpl (bound"), "updater message: " + m);

        list.set(0, new Inflater());
        m = expectFailure("inflater");
        Check.that(m.endsWith("→ Inflater (native zlib stream)"), "inflater message: " + m);
        ((Inflater) list.get(0)).end();
        list.add(worker);

        // Everything closed, ended, or finished: now carried. A used reflection Field too
        // (its cached accessor, which holds a field offset, is cut).
        cache.put("closed", in);
        java.lang.reflect.Field field = UncarriableScenario.class.getDeclaredField("counter");
        field.getInt(new UncarriableScenario());
        cache.put("field", field);
        int commitsBefore = Native.commits;
        String dir = ImageCapture.checkpoint(List.of());
        Check.equal(commitsBefore + 1, Native.commits, "committed");
        ImageReader r = new ImageReader(Path.of(dir));
        CommonChecks.all(r);
        Check.that(r.objects.stream().anyMatch(o -> "java/io/FileInputStream".equals(r.className(o))), "closed stream carried");
        Check.that(r.objects.stream().anyMatch(o -> "java/util/zip/Inflater".equals(r.className(o))), "ended inflater carried");
        Check.that(r.objects.stream().anyMatch(o -> "java/lang/Thread".equals(r.className(o))), "finished thread carried");
        ImageReader.Obj f = r.objects.stream().filter(o -> "java/lang/reflect/Field".equals(r.className(o))).findFirst().get();
        Check.equal("counter", r.object(f.fields.get("name")).text, "reflected Field carried with its name");
        Check.equal("ClassMirror " + r.classIndex("capturetest/UncarriableScenario"), GraphScenario.symref(r, f.fields.get("clazz")), "its class");
        Check.equal(0L, f.fields.get("fieldAccessor"), "its cached accessor is cut");
        Check.equal(0L, f.fields.get("root"), "its root is cut");
    }
}
