package io.portacr.restore;

import java.lang.management.ManagementFactory;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Process facts of the image (PLATFORM, LAUNCH) applied to this JVM (spec/restore.md §5):
 * system properties, and the {@code System.nanoTime()} offset the thread re-entry will need.
 */
public final class RestoredProcess {
    private RestoredProcess() {}

    /** {@code System.nanoTime()} in the checkpointed process when it checkpointed. */
    static volatile long checkpointNanoTime;
    /** {@code System.nanoTime()} in this process when the restore began. */
    static volatile long restoreNanoTime;
    /** Epoch ms of the checkpoint. */
    static volatile long checkpointTimeMillis;

    /**
     * What to add to this JVM's {@code System.nanoTime()} to continue the checkpointed
     * program's clock monotonically across the restore: the checkpoint's reading minus this
     * process's reading at restore, plus the wall-clock time that passed in between (never
     * negative). The program's classes read it through {@link Clock#nanoTime()}
     * (spec/restore.md §5); 0 before a restore.
     */
    public static long nanoTimeOffset() {
        if (restoreNanoTime == 0 && checkpointNanoTime == 0) return 0;
        long stoppedNanos = Math.max(0, restoreTimeMillis - checkpointTimeMillis) * 1_000_000L;
        return checkpointNanoTime + stoppedNanos - restoreNanoTime;
    }

    /** Epoch ms when this restore began. */
    static volatile long restoreTimeMillis;

    /** Reads the nanoTime and times from PLATFORM. */
    static void readPlatform(Payload p) throws RestoreFailedException {
        p.pos = 0;
        for (int i = 0; i < 5; i++) p.string(); // os, arch, vendor, name, version
        p.u32();                                // java_spec_version
        p.string();                             // gc
        p.u64(); p.u64();                       // max, initial heap
        p.bool(); p.bool();                     // compressed oops, compact headers
        p.u32(); p.u64(); p.u32();              // cpu count, features, pid
        p.u64(); p.u64();                       // boot, restore time
        long checkpointMs = p.u64();
        long nano = p.u64();
        p.u32();                                // generation (the agent applies it)
        p.skip(16);                             // uuid
        p.string();                             // hostname
        p.end();
        checkpointTimeMillis = checkpointMs;
        checkpointNanoTime = nano;
        restoreNanoTime = System.nanoTime();
        restoreTimeMillis = System.currentTimeMillis();
        Clock.setOffset(nanoTimeOffset());
    }

    /**
     * Sets the image's system properties (CRaC semantics: the restored program sees the
     * properties it had), except those given with {@code -D} to this JVM and those this
     * JVM defines about itself (java.*, jdk.*, sun.*, os.*, separators, encodings,
     * user.dir/home/name), which describe the process the program now runs in.
     *
     * @return the number of properties set
     */
    static int applyProperties(Payload p) throws RestoreFailedException {
        p.pos = 0;
        p.string(); p.string(); p.string();     // java home, binary, class path
        if (p.option()) p.string();             // module path
        p.string();                             // main class
        int args = p.length("argument list");
        for (int i = 0; i < args; i++) p.string();
        int options = p.length("option list");
        for (int i = 0; i < options; i++) p.string();
        int n = p.length("property list");
        String[] keys = new String[n], values = new String[n];
        for (int i = 0; i < n; i++) {
            keys[i] = p.string();
            values[i] = p.string();
        }
        p.string();                             // working dir
        p.end();
        Set<String> given = givenOnCommandLine();
        int set = 0;
        for (int i = 0; i < n; i++) {
            String k = keys[i];
            if (given.contains(k) || isJvmOwned(k)) continue;
            if (!values[i].equals(System.getProperty(k))) {
                System.setProperty(k, values[i]);
                set++;
            }
        }
        return set;
    }

    static boolean isJvmOwned(String key) {
        return key.startsWith("java.") || key.startsWith("jdk.") || key.startsWith("sun.") || key.startsWith("os.")
            || key.startsWith("portacr.")
            || key.equals("file.separator") || key.equals("path.separator") || key.equals("line.separator")
            || key.equals("file.encoding") || key.equals("native.encoding") || key.equals("stdout.encoding")
            || key.equals("stderr.encoding") || key.equals("user.dir") || key.equals("user.home")
            || key.equals("user.name");
    }

    /** Keys of the {@code -Dkey=value} options of this JVM (command line and JDK_JAVA_OPTIONS/JAVA_TOOL_OPTIONS). */
    private static Set<String> givenOnCommandLine() {
        Set<String> keys = new HashSet<>();
        List<String> arguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String a : arguments) {
            if (!a.startsWith("-D")) continue;
            int eq = a.indexOf('=');
            keys.add(eq < 0 ? a.substring(2) : a.substring(2, eq));
        }
        return keys;
    }
}
