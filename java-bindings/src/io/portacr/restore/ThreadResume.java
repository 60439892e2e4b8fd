package io.portacr.restore;

import io.portacr.Native;

import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import jdk.crac.Resource;

/**
 * The thread re-entry (spec/restore.md §7): after {@link HeapRestore} the captured thread's
 * frames are installed with {@link Resume#begin}, and the bottom frame's method is called on
 * this, the JVM's main thread. Each resume prologue re-makes the pending call of its frame, up
 * to the top frame, whose pending call is {@code jdk.crac.Core.checkpointRestore()}: that call
 * reaches {@link #topFrameResumed()} through {@code io.portacr.Checkpoints}, which ends the
 * resumption, has the agent settle the rewritten classes (most keep their prologues, so that
 * the resumed frames run a method version HotSpot compiles; spec/restore.md §7.3) and notifies
 * the image's resources; then the program simply continues.
 */
public final class ThreadResume {
    private ThreadResume() {}

    /** The thread whose top frame has not yet re-made its call to checkpointRestore(); else null. */
    private static volatile Thread resuming;
    /** The image's resources, registration order; handed over once. */
    private static List<Resource> resources;
    /** The classes that carry prologues, handed to the agent once the top frame resumed. */
    private static Class<?>[] rewritten;

    /** Why the resumption could not start or did not reach the top frame. */
    public static final class ResumeFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        ResumeFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The call that starts the resumption: the bottom frame's method, receiver, placeholders,
     * and the record of frames still running rewritten code. The entry stays referenced by
     * the frames below the program's for the program's whole life, so a later checkpoint of
     * this JVM carries the record into its image, where the next restore finds it.
     */
    public static final class Entry {
        final Method bottom;
        final Object receiver;
        final Object[] arguments;
        /** {@code { MAGIC, n, n × (method token, bci, shift) }}; see {@link #recordObsoleteFrames()}. */
        final long[] shiftRecord;

        Entry(Method bottom, Object receiver, Object[] arguments, long[] shiftRecord) {
            this.bottom = bottom;
            this.receiver = receiver;
            this.arguments = arguments;
            this.shiftRecord = shiftRecord;
        }
    }

    /** Must equal {@code SHIFT_RECORD_MAGIC} of the agent (restore/resume_plan.rs): "portacr!". */
    static final long SHIFT_RECORD_MAGIC = 0x706f727461637221L;
    /**
     * The shift record of the resumed thread. A thread-local, not a static: the capture takes
     * an object a JDK static refers to as that static (bound again on restore, to this VM's
     * value), and the record must travel by value.
     */
    private static final ThreadLocal<long[]> SHIFT_RECORD = new ThreadLocal<>();

    /**
     * Before a checkpoint of a restored JVM: the frames resumed by the restore, and the frames
     * entered later of methods whose class kept its prologues, run method versions with
     * prologues, so the checkpoint will record their bci moved by the prologue's length. The agent names them (JVMTI IsMethodObsolete) and this writes
     * them into the record the image will carry, so that the next restore moves them back.
     */
    public static void recordObsoleteFrames() {
        long[] record = SHIFT_RECORD.get();
        if (record == null) return;
        long[] triples = Native.restoreObsoleteFrames();
        int n = Math.min(triples.length / 3, (record.length - 2) / 3);
        System.arraycopy(triples, 0, record, 2, 3 * n);
        record[1] = n;
    }

    /**
     * Reads the agent's plan of the captured thread, maps its object ids to the rebuilt heap,
     * installs the frames with {@link Resume#begin} and sets the thread's name and priority.
     * The caller then calls {@link #run(Entry)} at once.
     *
     * @throws ResumeFailedException the frames cannot be installed
     */
    public static Entry prepare() throws ResumeFailedException {
        Thread self = Thread.currentThread();
        try {
            Object[] plan = Native.restoreThread();
            Object[] objects = HeapRestore.objects();
            String name = (String) plan[0];
            int[] facts = (int[]) plan[1];
            String[] classNames = (String[]) plan[2];
            String[] methodNames = (String[]) plan[3];
            String[] descriptors = (String[]) plan[4];
            int[] tokens = (int[]) plan[5];
            int[] points = (int[]) plan[6];
            long[][] primitives = (long[][]) plan[7];
            int[][] referenceIds = (int[][]) plan[8];
            int[] resourceIds = (int[]) plan[9];

            ClassLoader app = ClassLoader.getSystemClassLoader();
            Resume.Frame[] frames = new Resume.Frame[tokens.length];
            List<Class<?>> classes = new ArrayList<>();
            for (int i = 0; i < frames.length; i++) {
                Object[] refs = new Object[referenceIds[i].length];
                for (int k = 0; k < refs.length; k++) refs[k] = object(objects, referenceIds[i][k]);
                frames[i] = new Resume.Frame(tokens[i], points[i], primitives[i], refs);
                Class<?> c = Class.forName(classNames[i], false, app);
                if (!classes.contains(c)) classes.add(c);
            }
            List<Resource> list = new ArrayList<>(resourceIds.length);
            for (int id : resourceIds) {
                Object r = object(objects, id);
                if (!(r instanceof Resource)) {
                    throw new ResumeFailedException("resource " + id + " of the image is not a jdk.crac.Resource: " + r, null);
                }
                list.add((Resource) r);
            }
            HeapRestore.release();
            Class<?> bottomClass = Class.forName(classNames[0], false, app);
            Method bottom = findMethod(bottomClass, methodNames[0], descriptors[0]);
            bottom.setAccessible(true);
            Object receiver;
            if (Modifier.isStatic(bottom.getModifiers())) {
                receiver = null;
            } else if (referenceIds[0].length > 0) {
                // Local 0 (this) is the first value the bottom frame's prologue takes.
                receiver = object(objects, referenceIds[0][0]);
            } else {
                throw new ResumeFailedException("the bottom frame " + bottomClass.getName() + "." + methodNames[0]
                    + " is an instance method without a saved receiver", null);
            }
            // Placeholders: the bottom frame's prologue stores every saved local itself.
            Class<?>[] parameters = bottom.getParameterTypes();
            Object[] arguments = new Object[parameters.length];
            for (int i = 0; i < parameters.length; i++) arguments[i] = placeholder(parameters[i]);

            self.setName(name);
            self.setPriority(Math.max(Thread.MIN_PRIORITY, Math.min(Thread.MAX_PRIORITY, facts[0])));
            if (facts[1] != 0) {
                Log.warn("the captured thread was a daemon thread; it is resumed on the main thread, which is not");
            }
            resources = list;
            rewritten = classes.toArray(new Class<?>[0]);
            Log.info("resuming " + frames.length + " frame(s) of thread \"" + name + "\" from "
                + bottomClass.getName() + "." + methodNames[0]);
            // Frames still running rewritten code are among the resumed ones.
            long[] record = new long[2 + 3 * frames.length];
            record[0] = SHIFT_RECORD_MAGIC;
            SHIFT_RECORD.set(record);
            resuming = self;
            Resume.begin(frames);
            return new Entry(bottom, receiver, arguments, record);
        } catch (ResumeFailedException e) {
            throw e;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            throw new ResumeFailedException("cannot resume the image's thread: " + e, e);
        }
    }

    /**
     * Calls the bottom frame's method: the frames resume one by one and the program runs to
     * its end. Returns when that method returns; what it throws is thrown from here, as it
     * would have been from the original {@code main}.
     *
     * @throws ResumeFailedException the program did not reach the top frame (a restore bug)
     */
    public static void run(Entry entry) throws Throwable {
        Thread self = Thread.currentThread();
        Method bottom = entry.bottom;
        try {
            bottom.invoke(entry.receiver, entry.arguments);
        } catch (InvocationTargetException e) {
            Throwable thrown = e.getCause();
            if (resuming == self) {
                resuming = null;
                String left = Resume.finish();
                throw new ResumeFailedException("the program's thread failed before it was resumed: " + thrown
                    + (left == null ? "" : " (" + left + ")"), thrown);
            }
            throw thrown;
        } catch (IllegalAccessException e) {
            throw new ResumeFailedException("cannot call " + bottom + ": " + e, e);
        }
        if (resuming == self) {
            resuming = null;
            String left = Resume.finish();
            throw new ResumeFailedException("the program's thread returned without reaching its checkpoint"
                + (left == null ? "" : " (" + left + ")"), null);
        }
    }

    /**
     * Called first by {@code checkpointRestore()}: when this call is the top frame's resumed
     * call, ends the resumption (every frame resumed, every value taken), has the agent settle
     * the rewritten classes ({@link Native#restoreResumed}: the classes whose prologues re-enter
     * monitors get their original code back, the others keep their now inert prologues) and
     * returns the image's resources to notify; otherwise (a real checkpoint request) returns null.
     *
     * @throws IllegalStateException the resumption left frames or values unused (a restore bug)
     */
    public static List<Resource> topFrameResumed() {
        if (resuming != Thread.currentThread()) {
            return null;
        }
        resuming = null;
        String left = Resume.finish();
        if (left != null) {
            throw new IllegalStateException("portacr: the thread was resumed incompletely: " + left);
        }
        try {
            Native.restoreResumed(rewritten);
        } catch (IllegalStateException e) {
            // The program is right: only the prologues' small cost stays (and a method whose
            // prologue re-enters monitors is not compiled).
            Log.warn("the resumed classes keep their resume prologues: " + e.getMessage());
        }
        rewritten = null;
        List<Resource> list = resources;
        resources = null;
        return list;
    }

    private static Object object(Object[] objects, int id) throws ResumeFailedException {
        if (id == 0) return null;
        if (objects == null || id < 0 || id >= objects.length) {
            throw new ResumeFailedException("object id " + id + " of a frame is out of range", null);
        }
        return objects[id];
    }

    private static Method findMethod(Class<?> c, String name, String descriptor) throws ResumeFailedException {
        for (Method m : c.getDeclaredMethods()) {
            if (m.getName().equals(name)
                && MethodType.methodType(m.getReturnType(), m.getParameterTypes()).toMethodDescriptorString().equals(descriptor)) {
                return m;
            }
        }
        throw new ResumeFailedException("the bottom frame's method " + c.getName() + "." + name + descriptor
            + " is not a method that can be called (constructors and initializers cannot be the bottom frame)", null);
    }

    private static Object placeholder(Class<?> type) {
        if (!type.isPrimitive()) return null;
        if (type == boolean.class) return false;
        if (type == char.class) return (char) 0;
        if (type == byte.class) return (byte) 0;
        if (type == short.class) return (short) 0;
        if (type == int.class) return 0;
        if (type == long.class) return 0L;
        if (type == float.class) return 0f;
        return 0d;
    }
}
