package io.portacr.capture;

import io.portacr.Native;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;

/** The PLATFORM and LAUNCH sections (spec/contracts.md §6 SourcePlatform, LaunchInfo). */
final class ProcessFacts {
    private ProcessFacts() {}

    static String arch() {
        String a = System.getProperty("os.arch", "");
        if (a.equals("amd64") || a.equals("x86_64")) return "x86_64";
        if (a.equals("aarch64") || a.equals("arm64")) return "aarch64";
        return a;
    }

    static String os() {
        String n = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (n.startsWith("linux")) return "linux";
        if (n.startsWith("mac")) return "macos";
        if (n.startsWith("windows")) return "windows";
        return n;
    }

    /** A HotSpot flag's value, or null if the JVM does not have it (e.g. UseCompactObjectHeaders on 17). */
    static String vmOption(String name) {
        try {
            com.sun.management.HotSpotDiagnosticMXBean bean =
                ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return bean.getVMOption(name).getValue();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    static boolean vmFlag(String name) {
        return "true".equals(vmOption(name));
    }

    static long vmLong(String name, long otherwise) {
        String v = vmOption(name);
        try {
            return v == null ? otherwise : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    static String gcName() {
        String[][] flags = {{"UseG1GC", "G1"}, {"UseSerialGC", "Serial"}, {"UseParallelGC", "Parallel"},
            {"UseZGC", "ZGC"}, {"UseShenandoahGC", "Shenandoah"}, {"UseEpsilonGC", "Epsilon"}};
        for (String[] f : flags) if (vmFlag(f[0])) return f[1];
        // Flags unavailable: guess from the collector beans' names.
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            String n = b.getName();
            if (n.startsWith("G1")) return "G1";
            if (n.startsWith("PS ")) return "Parallel";
            if (n.equals("Copy") || n.equals("MarkSweepCompact")) return "Serial";
            if (n.startsWith("ZGC")) return "ZGC";
            if (n.startsWith("Shenandoah")) return "Shenandoah";
        }
        return "Epsilon";
    }

    static long maxHeap() {
        return vmLong("MaxHeapSize", Runtime.getRuntime().maxMemory());
    }

    static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).trim();
        } catch (Exception e) {
            String h = System.getenv("HOSTNAME");
            return h != null ? h : "";
        }
    }

    static byte[] uuidBytes(UUID u) {
        byte[] b = new byte[16];
        long hi = u.getMostSignificantBits(), lo = u.getLeastSignificantBits();
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    static void encodePlatform(BincodeWriter w, long checkpointTimeMillis, long nanoTime, UUID uuid) {
        w.string(os()).string(arch());
        w.string(System.getProperty("java.vm.vendor", ""));
        w.string(System.getProperty("java.vm.name", ""));
        w.string(System.getProperty("java.vm.version", ""));
        w.u32(Runtime.version().feature());
        w.string(gcName());
        w.u64(maxHeap());
        w.u64(vmLong("InitialHeapSize", Runtime.getRuntime().totalMemory()));
        w.bool(vmFlag("UseCompressedOops"));
        w.bool(vmFlag("UseCompactObjectHeaders"));
        w.u32(Runtime.getRuntime().availableProcessors());
        w.u64(Native.cpuFeatures());
        w.u32((int) ProcessHandle.current().pid());
        w.i64(Native.bootTimeMillis());
        w.i64(Native.restoreTimeMillis());
        w.i64(checkpointTimeMillis);
        // The program's clock: in a restored JVM its classes read System.nanoTime() through
        // io.portacr.restore.Clock, so the next restore must continue from that (0 otherwise).
        w.i64(nanoTime + io.portacr.restore.Clock.offset());
        w.u32(Native.generation());
        w.fixedBytes(uuidBytes(uuid));
        w.string(hostname());
    }

    /** Options that take the next argument as their value, for finding the main class in argv. */
    private static final List<String> OPTIONS_WITH_VALUE = List.of("-cp", "-classpath", "--class-path", "-p",
        "--module-path", "--upgrade-module-path", "--add-modules", "--limit-modules", "--add-reads",
        "--add-exports", "--add-opens", "--patch-module", "--enable-native-access", "-jar", "-m", "--module");

    static void encodeLaunch(BincodeWriter w) {
        String javaHome = System.getProperty("java.home", "");
        ProcessHandle.Info info = ProcessHandle.current().info();
        w.string(javaHome);
        w.string(info.command().orElse(javaHome + "/bin/java"));
        w.string(System.getProperty("java.class.path", ""));
        w.optionalString(System.getProperty("jdk.module.path"));

        // sun.java.command is "<main class or jar> <args…>" joined by spaces: its first token
        // names the main class; the arguments come from argv when the OS gives it (spaces kept).
        String command = System.getProperty("sun.java.command", "");
        String mainToken = command.isEmpty() ? "" : command.split(" ", 2)[0];
        List<String> arguments = new ArrayList<>();
        Optional<String[]> argv = info.arguments();
        boolean fromArgv = false;
        if (argv.isPresent() && !mainToken.isEmpty()) {
            String[] a = argv.get();
            for (int i = 0; i < a.length; i++) {
                boolean isValue = i > 0 && OPTIONS_WITH_VALUE.contains(a[i - 1]) && !a[i - 1].equals("-jar");
                if (a[i].equals(mainToken) && !isValue) {
                    for (int j = i + 1; j < a.length; j++) arguments.add(a[j]);
                    fromArgv = true;
                    break;
                }
            }
        }
        if (!fromArgv && command.contains(" ")) {
            for (String s : command.substring(command.indexOf(' ') + 1).split(" ")) if (!s.isEmpty()) arguments.add(s);
        }
        w.string(mainToken);
        w.stringVec(arguments);

        List<String> options = new ArrayList<>();
        for (String o : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if ((o.startsWith("-agentpath:") && o.contains("portacr")) || o.startsWith("-agentlib:portacr")) continue;
            options.add(o);
        }
        w.stringVec(options);

        Properties p = System.getProperties();
        TreeMap<String, String> sorted = new TreeMap<>();
        for (String k : p.stringPropertyNames()) sorted.put(k, p.getProperty(k));
        w.seq(sorted.size());
        sorted.forEach((k, v) -> w.string(k).string(v));
        w.string(System.getProperty("user.dir", ""));
    }
}
