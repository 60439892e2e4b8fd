package io.portacr.capture;

import io.portacr.JdkUnsafe;

import java.lang.management.ManagementFactory;
import java.util.HashSet;
import java.util.List;

/**
 * Tells whether a String object is the interned one, without interning anything that was not.
 *
 * <p>The exact test is {@code new String(s).intern() == s}: intern() of a fresh copy returns
 * s only if s is the string table's entry. But when the content is not in the table, the
 * copy is inserted, which costs ~1.7 µs on JDK 17 (measured here) — 3.6 s for 2 M strings.
 * So the exact test runs only for candidates:
 * <ul>
 *   <li>strings whose content is in the JVM's own string table, read once per checkpoint
 *       with the {@code VM.stringtable -verbose} diagnostic command (one line per entry,
 *       {@code <length>: <modified UTF-8 with \t \r \n \\ \xHH escapes>}, format 1.1, same on
 *       17 and 25; ~2 ms for 900 entries on 17, ~20 ms for 9,300 on 25, where a
 *       {@code # Shared strings:} part lists the CDS archive's strings too);</li>
 *   <li>strings that may be in the CDS archive's shared string table, which that command
 *       does not list (JDK 17's default archive holds most JDK literals there; Temurin 25's
 *       strings all show in the listed table). Measured on 17.0.15: every archived string
 *       has its {@code hash} field set (the shared table is keyed by it) and age 0 in its
 *       mark word (archive regions are never evacuated), but only some have an identity
 *       hash — so the candidates are the strings with a cached hash and age 0
 *       ({@link #mayBeShared}), and under G1, which maps the archive at the top of the
 *       heap, only those near or above the lowest known archived string ({@link #archiveFloor}).</li>
 * </ul>
 * If the command is unavailable or its output does not parse, every string gets the exact test.
 *
 * <p>Known cost: with a shared table (JDK 17) the application's strings with a cached hash
 * that never aged (e.g. all of them right after a full GC) get the exact test (~1.7 µs
 * each; the copies it interns stay in the string table until the next GC).
 */
final class InternedStrings {
    private static final long HASH = JdkUnsafe.objectFieldOffset(String.class, "hash");
    private static final long HASH_IS_ZERO = JdkUnsafe.objectFieldOffset(String.class, "hashIsZero");

    /** Contents of the (non-shared) string table, or null if unknown. */
    private final HashSet<String> tableContents;
    /**
     * Whether a CDS shared string table is in use and not listed: an enum constant's name is
     * a literal, so always interned; if one is not in the listing, it is in the shared table.
     * True on OpenJDK 17.0.15 (Debian) and Temurin 21.0.8 with their default archives; false
     * on Temurin 25, which lists the shared strings (measured).
     */
    private final boolean sharedTable;
    long exactChecks;

    /**
     * With G1 on JDK 17/21 the archived strings are mapped in archive regions at the top of
     * the heap and never move. Every known archived string (an enum constant's name missing
     * from the listing) lies at or above this reference value (compressed or not), minus a
     * 64 MiB margin, far more than the whole archived heap of a default archive (~1–2 MB).
     * Long.MIN_VALUE: no such bound, the conservative hash-and-age rule alone decides.
     */
    private final long archiveFloor;
    /** 1 if {@link #sharedTable}, else 0 (see {@link #mayBeShared}). */
    private final int sharedTableBit;
    /** {@link #archiveFloor}, or 0 when there is none: every reference is at or above it. */
    private final long sharedFloor;
    private int[] listedHashes;
    private int listedHashMask;
    private boolean listedZeroHash;
    private final ReferenceSlot holder = new ReferenceSlot();
    private static final boolean COMPRESSED_REFS = ReferenceSlot.COMPRESSED;

    /** @param knownInterned strings known to be interned (names of JDK enum constants) */
    InternedStrings(List<String> knownInterned) {
        // Names of common java.base enums: literals, so interned, and archived by default CDS
        // archives. Loaded before the listing is taken, so a name missing from it is in the
        // shared table, not interned after the listing.
        List<String> samples = new java.util.ArrayList<>(knownInterned);
        for (Enum<?> e : Thread.State.values()) samples.add(e.name());
        for (Enum<?> e : java.util.concurrent.TimeUnit.values()) samples.add(e.name());
        for (Enum<?> e : java.math.RoundingMode.values()) samples.add(e.name());
        for (Enum<?> e : java.lang.annotation.ElementType.values()) samples.add(e.name());
        for (Enum<?> e : java.nio.file.StandardOpenOption.values()) samples.add(e.name());
        String dump = stringTableDump();
        tableContents = parse(dump);
        if (tableContents != null) indexListedHashes();
        boolean shared = false;
        long lowest = Long.MAX_VALUE;
        // JDK 25 lists the shared strings after "# Shared strings:"; 17 and 21 do not.
        if (tableContents != null && !dump.contains("\n# Shared strings:")) {
            for (String s : samples) {
                if (!tableContents.contains(new String(s))) {
                    shared = true;
                    lowest = Math.min(lowest, referenceBits(s));
                }
            }
        }
        sharedTable = shared;
        boolean g1 = "true".equals(ProcessFacts.vmOption("UseG1GC"));
        long margin = COMPRESSED_REFS ? (64L << 20) >>> 3 : 64L << 20;
        archiveFloor = shared && g1 && lowest != Long.MAX_VALUE && lowest > margin ? lowest - margin : Long.MIN_VALUE;
        sharedTableBit = sharedTable ? 1 : 0;
        sharedFloor = archiveFloor == Long.MIN_VALUE ? 0 : archiveFloor;
    }

    /**
     * The test for {@link CaptureWarmup}'s walk, built from the warm-up's own strings instead
     * of the JVM's string table, so that the walk takes every branch the real test takes:
     * {@code listed} play the listed table (hash probes that hit, contents found, exact tests),
     * and the shared-table rule runs with a floor at {@code floorSample}'s reference, so that
     * some strings are above it and some below. Without this the compiled walk met those
     * branches first in the real walk and was thrown away there (measured: writeRecord
     * recompiled 4–5 times during a 3.6 M-object walk, at uncommon traps in
     * {@link #hashMayBeListed} and {@link #isInterned}).
     *
     * <p>The exact test interns copies of some warm-up strings (contents prefixed so that no
     * application string shares them); that only adds weak entries to the string table, which
     * the next GC drops, and never makes an application string interned.
     */
    static InternedStrings forWarmup(List<String> listed, List<String> decoys, String floorSample) {
        return new InternedStrings(listed, decoys, floorSample);
    }

    /**
     * {@code decoys}: strings whose hashes are indexed as listed although the table does not
     * hold them, so that the warm-up also meets a hash that matches and contents that do not
     * (measured: the one branch the 1 GB real walk still trapped on, writeRecord recompiled).
     */
    private InternedStrings(List<String> listed, List<String> decoys, String floorSample) {
        tableContents = new HashSet<>(listed);
        indexListedHashes();
        for (String d : decoys) indexHash(d.hashCode());
        sharedTable = true;
        archiveFloor = referenceBits(floorSample);
        sharedTableBit = 1;
        sharedFloor = archiveFloor;
    }

    /** The object's reference as stored in the heap, unsigned; ordered like addresses. */
    private long referenceBits(Object o) {
        return holder.bits(o);
    }

    boolean knowsTable() {
        return tableContents != null;
    }

    String describe() {
        return tableContents == null ? "string table unknown" : "string table " + tableContents.size()
            + (sharedTable ? " + CDS shared table" + (archiveFloor != Long.MIN_VALUE ? " above 0x" + Long.toHexString(archiveFloor) : "") : "");
    }

    /**
     * @param headerHadIdentityHash whether the object's header held an identity hash before the capture touched it
     */
    boolean isInterned(String s) {
        if (tableContents != null) {
            // Read the cached hash first; the set lookup uses a copy so that s's own hash
            // field stays as the application left it (a later checkpoint reads it again).
            if (mayBeShared(s) == 0 && (!hashMayBeListed(s) || !tableContents.contains(new String(s)))) {
                return false;
            }
        }
        exactChecks++;
        return new String(s).intern() == s;
    }

    /**
     * Whether some listed string has s's hash code: a cache-resident int set answers for
     * nearly every application string, where the set of strings itself needed a copy of s,
     * a lookup and an equals (6.8 % of a 3.6 M-object walk, 733 k strings). The cached hash
     * is read without touching s; an uncached one is computed on a copy.
     */
    private boolean hashMayBeListed(String s) {
        int h = JdkUnsafe.getInt(s, HASH);
        if (h == 0 && JdkUnsafe.getByte(s, HASH_IS_ZERO) == 0) h = new String(s).hashCode();
        if (h == 0) return listedZeroHash;
        for (int i = mixHash(h) & listedHashMask; ; i = (i + 1) & listedHashMask) {
            int slot = listedHashes[i];
            if (slot == h) return true;
            if (slot == 0) return false;
        }
    }

    private static int mixHash(int h) {
        return (h * 0x9E3779B9) ^ (h >>> 16);
    }

    /** The hash codes of the listed strings as an open-addressing set (0 = empty slot). */
    private void indexListedHashes() {
        int cap = Integer.highestOneBit(Math.max(16, tableContents.size() * 4 - 1)) << 1;
        listedHashes = new int[cap];
        listedHashMask = cap - 1;
        for (String t : tableContents) indexHash(t.hashCode());
    }

    private void indexHash(int h) {
        if (h == 0) {
            listedZeroHash = true;
            return;
        }
        int i = mixHash(h) & listedHashMask;
        while (listedHashes[i] != 0 && listedHashes[i] != h) i = (i + 1) & listedHashMask;
        listedHashes[i] = h;
    }

    /**
     * 1 if s may be a string of a CDS shared table that is not listed: such a table is in use,
     * s's hash field is set and its age is 0 (see the class comment), and s lies at or above
     * the archive floor; else 0. Computed without branches on purpose: the warm-up's strings
     * are all young, the real walk's are not, and a branch taken only in the real walk
     * throws the walk's compiled code away there (an uncommon trap, measured).
     */
    private int mayBeShared(String s) {
        int hash = JdkUnsafe.getInt(s, HASH) | JdkUnsafe.getByte(s, HASH_IS_ZERO);
        int hashCached = (hash | -hash) >>> 31;
        int age = (int) (JdkUnsafe.getLong(s, 0) >>> 3) & 0xF; // bits 3..6 on 17 and 25, compact headers included
        int young = (age - 1) >>> 31;
        // References are below 2^48 and the floor is one of them or 0: no overflow.
        int above = (int) ((sharedFloor - 1 - referenceBits(s)) >>> 63);
        return sharedTableBit & hashCached & young & above;
    }

    private static String stringTableDump() {
        // Through the agent first: the MBean server below costs 60-150 ms the first time in a
        // JVM and registers every platform MBean.
        try {
            String dump = io.portacr.Native.stringTableDump();
            if (dump != null) return dump;
        } catch (LinkageError e) {
            // natives of an older agent, or none (tests): the MBean server
        }
        try {
            javax.management.ObjectName name = new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand");
            return (String) ManagementFactory.getPlatformMBeanServer().invoke(name, "vmStringtable",
                new Object[] {new String[] {"-verbose"}}, new String[] {String[].class.getName()});
        } catch (Exception | LinkageError e) {
            return null;
        }
    }

    /**
     * The strings of the VM.stringtable -verbose output; null if it is not in the expected
     * format. Parsed by the agent (crates/portacr-agent/src/capture/string_table.rs): a Java
     * parser here was hot enough at a checkpoint for C2 to compile it while the heap walk's
     * methods waited in the same queue.
     */
    static HashSet<String> parse(String dump) {
        if (dump == null) return null;
        String[] strings;
        try {
            strings = io.portacr.Native.parseStringTable(dump);
        } catch (LinkageError e) {
            return null; // natives of an older agent: every string gets the exact test
        }
        if (strings == null) return null;
        HashSet<String> contents = new HashSet<>(Math.max(16, strings.length * 2));
        for (String s : strings) contents.add(s);
        return contents;
    }
}
