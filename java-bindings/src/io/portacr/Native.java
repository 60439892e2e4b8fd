package io.portacr;

/**
 * The native side of portacr: methods implemented by the agent
 * ({@code crates/portacr-agent/src/natives.rs}) and bound with JNI
 * {@code RegisterNatives} at VMInit. The set of methods and their meaning is
 * fixed by {@code spec/contracts.md} section 9.
 *
 * <p>A native that fails throws {@link IllegalStateException} with a one-line
 * message; none of them crashes the JVM. When the classes are used without
 * the agent (no {@code -agentpath}), the methods are not registered and every
 * call throws {@link UnsatisfiedLinkError}; callers that must work without
 * the agent (the {@code jdk.crac} API) treat that as "not configured".
 */
public final class Native {
    private Native() {
    }

    // ---- configuration and process facts ----

    /**
     * Whether the agent was started with {@code checkpointTo=PATTERN}, that is
     * whether a checkpoint can be written at all.
     *
     * @return true if a checkpoint destination is configured
     */
    public static native boolean isConfigured();

    /**
     * Whether the agent was started with {@code keepRunning=true}: after a
     * successful checkpoint the original process continues instead of exiting
     * with status 0.
     *
     * @return true if the process keeps running after a checkpoint
     */
    public static native boolean keepRunning();

    /**
     * The generation of the next checkpoint: 1 in a fresh JVM, one more than
     * the restored image's generation in a restored JVM.
     *
     * @return the generation number of the next image
     */
    public static native int generation();

    /**
     * The moment the agent was loaded into this process.
     *
     * @return epoch milliseconds
     */
    public static native long bootTimeMillis();

    /**
     * The moment of the last restore; equal to {@link #bootTimeMillis()} in a
     * JVM that was not restored (generation 1).
     *
     * @return epoch milliseconds
     */
    public static native long restoreTimeMillis();

    /**
     * The CPU feature bits of this machine, the same value the {@code %f}
     * placeholder of {@code checkpointTo} prints in hex.
     *
     * @return the feature bit set
     */
    public static native long cpuFeatures();

    /**
     * A random (version 4) UUID from the kernel's random source, in canonical form; null if
     * that source fails. Cheaper than {@code UUID.randomUUID()} the first time in a JVM,
     * which initializes the security providers behind {@code SecureRandom}.
     *
     * @return the UUID, or null
     */
    public static native String randomUuid();

    /**
     * Zeroed native memory for the capture's direct id table, not reserved (only pages
     * touched cost memory) and mapped for transparent huge pages; 0 if it cannot be mapped
     * (the capture uses a hash table then).
     *
     * @param bytes its length
     * @return its address, or 0
     */
    public static native long mapTableMemory(long bytes);

    /**
     * Unmaps memory {@link #mapTableMemory} returned.
     *
     * @param address its address
     * @param bytes its length
     */
    public static native void unmapTableMemory(long address, long bytes);

    /**
     * The output of the {@code VM.stringtable -verbose} diagnostic command, run through the
     * JDK's diagnostic command object without the platform MBean server; null if that is
     * unavailable here.
     *
     * @return the listing, or null
     */
    public static native String stringTableDump();

    /**
     * The strings of a {@code VM.stringtable -verbose} listing, parsed by the agent.
     *
     * @param dump the listing
     * @return its strings, or null if it does not have the expected format
     */
    public static native String[] parseStringTable(String dump);

    /**
     * Writes a line to the agent's diagnostic log (stderr or {@code logFile=}),
     * if the configured {@code log=} level lets it through.
     *
     * @param level   1 error, 2 warn, 3 info, 4 debug, 5 trace
     * @param message one line of text
     */
    public static native void log(int level, String message);

    // ---- JVMTI queries ----

    /**
     * Checks that the calling thread is the only live application thread.
     * JVM service threads (Reference Handler, Finalizer, Signal Dispatcher,
     * Common-Cleaner, ...) are ignored.
     *
     * @return null, or one line naming every other live application thread
     *         with its state and top frame
     */
    public static native String otherThreadsError();

    /**
     * Reverts escape-analysis optimizations in the compiled frames of every
     * thread (HotSpot's escape barrier, put up by JVMTI {@code FollowReferences}):
     * scalar-replaced objects are reallocated and eliminated locks relocked, so
     * that {@code LiveStackFrame} then reads the same objects and monitors as in
     * an interpreted frame. Locals that are dead at a compiled frame's bci may
     * read as null/0.
     */
    public static native void rematerializeFrames();

    /**
     * Every class loaded in the VM (JVMTI {@code GetLoadedClasses}).
     *
     * @return the loaded classes, array classes included
     */
    public static native Class<?>[] loadedClasses();

    /**
     * The declared fields of a class, statics included, in JVMTI
     * {@code GetClassFields} order.
     *
     * @param c the class
     * @return {@code { String[] names, String[] descriptors, int[] accessFlags }},
     *         three arrays of the same length
     */
    public static native Object[] declaredFields(Class<?> c);

    /**
     * JVMTI {@code GetClassStatus} of a class.
     *
     * @param c the class
     * @return the status bits: VERIFIED 1, PREPARED 2, INITIALIZED 4, ERROR 8,
     *         ARRAY 16, PRIMITIVE 32
     */
    public static native int classStatus(Class<?> c);

    /**
     * JVMTI {@code GetClassModifiers} of a class.
     *
     * @param c the class
     * @return the JVM access flags
     */
    public static native int classModifiers(Class<?> c);

    /**
     * SHA-256 of the class-file bytes the agent saw when the class was loaded
     * (ClassFileLoadHook).
     *
     * @param c the class
     * @return 32 bytes, or null if the agent did not see the class being loaded
     *         (hidden classes, classes loaded before the hook was enabled)
     */
    public static native byte[] classDigest(Class<?> c);

    /**
     * The verifier types of the local variables and operand stack just before
     * the instruction at {@code bci}, inferred from the class bytes seen at
     * load (or the JDK's own class file for boot/platform classes).
     *
     * <p>Format {@code "L:<slots>|S:<slots>|C:<n>"}, one character (or token)
     * per slot, bottom first: {@code T} top, {@code I} int, {@code F} float,
     * {@code J} long (next slot {@code T}), {@code D} double (next slot
     * {@code T}), {@code N} null, {@code R} reference, {@code W}
     * uninitializedThis, {@code U<bci>;} uninitialized (the {@code new} at
     * that bci), {@code A} returnAddress. {@code C} is the number of stack
     * slots taken by the arguments (receiver included) of the invoke at
     * {@code bci}, or -1 if the instruction there is not an invoke.
     *
     * @param c                the declaring class of the method
     * @param methodName       the method's name
     * @param methodDescriptor the method's JVM descriptor
     * @param bci              the bytecode index of the frame
     * @return the types, or null if the frame cannot be typed
     */
    public static native String frameTypes(Class<?> c, String methodName, String methodDescriptor, int bci);

    // ---- image output ----

    /**
     * Starts an image: expands the {@code checkpointTo} pattern, creates the
     * directory and a temporary file in it.
     *
     * @param checkpointTimeMillis epoch ms of this checkpoint (for {@code %t}, {@code %T})
     * @param uuid                 the image's UUID v4 in canonical text form (for {@code %u})
     * @param maxHeapBytes         the JVM's maximum heap (for {@code %m})
     * @return null on success, or a one-line error
     */
    public static native String begin(long checkpointTimeMillis, String uuid, long maxHeapBytes);

    /**
     * Starts a section of the image being written.
     *
     * @param kind the section kind (PLATFORM 1, LAUNCH 2, CLASSES 3, SYMREFS 4,
     *             OBJECTS 5, STATICS 6, THREADS 7, RESOURCES 8)
     */
    public static native void sectionBegin(int kind);

    /**
     * Appends payload bytes to the current section.
     *
     * @param buf the bytes
     * @param off the offset of the first byte in {@code buf}
     * @param len the number of bytes
     */
    public static native void sectionWrite(byte[] buf, int off, int len);

    /** Ends the current section. */
    public static native void sectionEnd();

    /**
     * Writes the section table and header, fsyncs, and renames the temporary
     * file to {@code DIR/image.pcr}.
     *
     * @return the image directory
     */
    public static native String commit();

    /**
     * Deletes the temporary file of an image being written. Safe to call in
     * any state, also when no image was begun.
     */
    public static native void abort();

    // ---- restore (spec/restore.md) ----

    /**
     * The image directory this JVM restores ({@code restoreFrom=}), or null in
     * a JVM that was started fresh.
     *
     * @return the {@code restoreFrom} directory, or null
     */
    public static native String restoreFrom();

    /**
     * The decoded payload of a section of the image being restored, checksums
     * verified, as a direct buffer over memory the agent keeps for the life of
     * the process. The buffer must only be read.
     *
     * @param kind the section kind (as in {@link #sectionBegin(int)})
     * @return a direct buffer (position 0, limit = payload length, big-endian
     *         as every new buffer: callers set the order they read with)
     */
    public static native java.nio.ByteBuffer restoreSection(int kind);

    /**
     * Classes captured as initialized whose {@code <clinit>} the agent could not
     * replace when they loaded (their original initializer would run again).
     *
     * @return null, or one line naming every such class and the reason
     */
    public static native String restoreClassProblems();

    /**
     * Ends the class phase of the restore: classes loaded from now on are the
     * program's own and keep their {@code <clinit>}.
     */
    public static native void restoreFinished();

    /**
     * The captured thread as the restore resumes it (spec/restore.md §7), frames bottom first:
     * {@code { String name, int[] {priority, daemon 0/1}, String[] classNames (binary names),
     * String[] methodNames, String[] descriptors, int[] tokens, int[] points,
     * long[][] primitives, int[][] referenceIds, int[] resourceIds }}, values in the order
     * each frame's resume prologue takes them. Throws if a frame's class got no prologue.
     */
    public static native Object[] restoreThread();

    /**
     * The top frame has resumed: classes loaded from now on get no prologue. Of
     * {@code rewritten}, the classes whose prologues re-enter monitors are retransformed back to
     * their original code (JVMTI RetransformClasses); the others keep their prologues as the
     * current version, so that the resumed frames run compilable code (spec/restore.md §7.3).
     */
    public static native void restoreResumed(Class<?>[] rewritten);

    /**
     * For each frame of the calling thread that runs a method version the restore rewrote (an
     * obsolete one, or the current one of a class that kept its prologues):
     * {@code { method token, bci, shift }} ({@code bci - shift} is the bci in the
     * original code). Empty in a JVM that resumed nothing.
     */
    public static native long[] restoreObsoleteFrames();
}
