package restoreheap;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import jdk.crac.Core;

/**
 * A program whose state is a rich heap reachable from statics. {@link #check()} prints a
 * deterministic description of it; the program prints it just before its checkpoint, and
 * the restore test calls it in the restored JVM (-Dportacr.restore.thenCall=restoreheap.Main#check):
 * the two outputs must be equal line for line.
 *
 * <p>No lambdas or method references are kept in the heap: they are hidden classes, which
 * this version cannot restore (spec/restore.md).
 */
public class Main {
    /** Keys without hashCode/equals: their identity hash decides where they sit. */
    static final class Key {
        final int n;
        Key(int n) { this.n = n; }
        @Override public String toString() { return "Key" + n; }
    }

    enum Color { RED, GREEN, BLUE }

    record Point(int x, String label) {}

    static final class Node {
        String name;
        Node next;
        Object[] self;
    }

    static final Key[] KEYS = new Key[40];
    static final HashMap<Key, String> BY_OBJECT = new HashMap<>();
    static final HashSet<Key> KEY_SET = new HashSet<>();
    static final LinkedHashMap<Key, Integer> ORDERED = new LinkedHashMap<>();
    static final IdentityHashMap<Object, Integer> IDENTITY = new IdentityHashMap<>();
    static final WeakHashMap<Key, String> WEAK = new WeakHashMap<>();
    static final ConcurrentHashMap<Object, String> CONCURRENT = new ConcurrentHashMap<>();
    static final HashMap<TimeUnit, Integer> BY_UNIT = new HashMap<>();
    static final HashMap<Class<?>, String> BY_CLASS = new HashMap<>();
    static final HashSet<Object> VM_OBJECTS = new HashSet<>();
    static final EnumMap<Color, String> BY_COLOR = new EnumMap<>(Color.class);
    static final TreeMap<String, Integer> SORTED = new TreeMap<>();
    static Map<String, Integer> mapOf;
    static Set<String> setOf;

    static String latin1, utf16, interned, notInterned;
    static final String LITERAL = "literal-interned";

    static boolean[] booleans;
    static byte[] bytes;
    static char[] chars;
    static short[] shorts;
    static int[] ints;
    static long[] longs;
    static float[] floats;
    static double[] doubles;
    static int[][] matrix;
    static float nanFloat;
    static double negativeZero, nanDouble;
    static long bigLong = Long.MIN_VALUE;
    static char aChar = '\u20ac';

    static Node cycle;
    static Point point;
    static PrintStream out;
    static Boolean yes;
    static Integer small, big;
    static TimeUnit unit;
    static Class<?> someClass;
    static List<Object> mixed;
    static int counter;

    public static void main(String[] args) throws Exception {
        build();
        check();
        Core.checkpointRestore();
        System.out.println("after checkpoint");
    }

    static void build() {
        for (int i = 0; i < KEYS.length; i++) {
            Key k = new Key(i);
            KEYS[i] = k;
            BY_OBJECT.put(k, "v" + i);
            KEY_SET.add(k);
            ORDERED.put(k, i * i);
            IDENTITY.put(k, i);
            WEAK.put(k, "w" + i);
            CONCURRENT.put(k, "c" + i);
        }
        IDENTITY.put(String.class, -1);
        IDENTITY.put(TimeUnit.DAYS, -2);
        IDENTITY.put(Boolean.TRUE, -3);
        CONCURRENT.put(TimeUnit.HOURS, "hours");
        CONCURRENT.put(Main.class, "main");
        for (TimeUnit u : TimeUnit.values()) BY_UNIT.put(u, u.ordinal());
        BY_CLASS.put(String.class, "String");
        BY_CLASS.put(Main.class, "Main");
        BY_CLASS.put(int.class, "int");
        BY_CLASS.put(Key.class, "Key");
        BY_CLASS.put(HashMap.class, "HashMap");
        VM_OBJECTS.add(Boolean.TRUE);
        VM_OBJECTS.add(TimeUnit.MINUTES);
        VM_OBJECTS.add(Thread.State.BLOCKED);
        VM_OBJECTS.add(Object.class);
        VM_OBJECTS.add(Integer.valueOf(7));
        for (Color c : Color.values()) BY_COLOR.put(c, c.name().toLowerCase());
        for (String w : "zeta alpha mu beta".split(" ")) SORTED.put(w, w.length());
        mapOf = Map.of("a", 1, "b", 2, "c", 3, "d", 4, "e", 5);
        setOf = Set.of("x", "y", "z", "w");

        latin1 = new String(new char[] {'h', '\u00e9', 'l', 'l', 'o'});
        utf16 = "\u65e5\u672c\u8a9e \u2713 " + counter;
        interned = LITERAL;
        notInterned = new String("literal-interned");

        booleans = new boolean[] {true, false, true};
        bytes = new byte[] {-128, 0, 127, 1};
        chars = new char[] {'a', '\u00ff', '\uffff', '\u0100'};
        shorts = new short[] {Short.MIN_VALUE, -1, Short.MAX_VALUE};
        ints = new int[] {Integer.MIN_VALUE, 0, Integer.MAX_VALUE, 42};
        longs = new long[] {Long.MIN_VALUE, -1L, Long.MAX_VALUE};
        floats = new float[] {Float.intBitsToFloat(0x7fc00001), -0.0f, Float.MIN_VALUE, Float.NEGATIVE_INFINITY};
        doubles = new double[] {Double.longBitsToDouble(0x7ff8000000000123L), -0.0, Double.MAX_VALUE, Math.PI};
        matrix = new int[][] {{1, 2}, {3}, {}};
        nanFloat = Float.intBitsToFloat(0xffc00abc);
        negativeZero = -0.0;
        nanDouble = Double.longBitsToDouble(0xfff0000000000001L);

        Node a = new Node(), b = new Node();
        a.name = "a";
        b.name = "b";
        a.next = b;
        b.next = a;
        a.self = new Object[2];
        a.self[0] = a.self;
        a.self[1] = b;
        cycle = a;
        point = new Point(-5, "p\u00e9");
        out = System.out;
        yes = Boolean.TRUE;
        small = Integer.valueOf(100);
        big = Integer.valueOf(100_000);
        unit = TimeUnit.SECONDS;
        someClass = Key.class;
        mixed = new ArrayList<>(Arrays.asList(KEYS[3], "s", 1L, 2.5f, null, Color.GREEN, point));
        counter = 41;
    }

    private static final List<String> lines = new ArrayList<>();

    private static void line(String s) {
        lines.add(s);
    }

    private static String bits(float[] a) {
        StringBuilder sb = new StringBuilder();
        for (float f : a) sb.append(Integer.toHexString(Float.floatToRawIntBits(f))).append(' ');
        return sb.toString().trim();
    }

    private static String bits(double[] a) {
        StringBuilder sb = new StringBuilder();
        for (double d : a) sb.append(Long.toHexString(Double.doubleToRawLongBits(d))).append(' ');
        return sb.toString().trim();
    }

    /** Prints the state; every line begins with "check: ". */
    public static void check() {
        lines.clear();
        int found = 0, inSet = 0, identity = 0, weak = 0, concurrent = 0;
        StringBuilder hashes = new StringBuilder();
        for (Key k : KEYS) {
            if (("v" + k.n).equals(BY_OBJECT.get(k))) found++;
            if (KEY_SET.contains(k)) inSet++;
            if (Integer.valueOf(k.n).equals(IDENTITY.get(k))) identity++;
            if (("w" + k.n).equals(WEAK.get(k))) weak++;
            if (("c" + k.n).equals(CONCURRENT.get(k))) concurrent++;
            hashes.append(Integer.toHexString(System.identityHashCode(k))).append(' ');
        }
        line("keys found: map " + found + " set " + inSet + " identity " + identity + " weak " + weak + " concurrent " + concurrent);
        line("identity hashes: " + hashes.toString().trim());
        line("hashmap order: " + BY_OBJECT.values());
        line("ordered: " + ORDERED);
        line("identity vm keys: " + IDENTITY.get(String.class) + " " + IDENTITY.get(TimeUnit.DAYS) + " " + IDENTITY.get(Boolean.TRUE)
            + " size " + IDENTITY.size());
        line("concurrent vm keys: " + CONCURRENT.get(TimeUnit.HOURS) + " " + CONCURRENT.get(Main.class) + " size " + CONCURRENT.size());
        StringBuilder units = new StringBuilder();
        for (TimeUnit u : TimeUnit.values()) units.append(u).append('=').append(BY_UNIT.get(u)).append(' ');
        line("by unit: " + units.toString().trim() + " size " + BY_UNIT.size());
        line("by class: " + BY_CLASS.get(String.class) + " " + BY_CLASS.get(Main.class) + " " + BY_CLASS.get(int.class) + " "
            + BY_CLASS.get(Key.class) + " " + BY_CLASS.get(HashMap.class) + " size " + BY_CLASS.size());
        line("vm objects: " + VM_OBJECTS.contains(Boolean.TRUE) + " " + VM_OBJECTS.contains(TimeUnit.MINUTES) + " "
            + VM_OBJECTS.contains(Thread.State.BLOCKED) + " " + VM_OBJECTS.contains(Object.class) + " "
            + VM_OBJECTS.contains(Integer.valueOf(7)) + " size " + VM_OBJECTS.size());
        line("by color: " + BY_COLOR + " sorted: " + SORTED);
        line("map.of: " + new TreeMap<>(mapOf) + " get c " + mapOf.get("c") + " set.of contains y " + setOf.contains("y")
            + " z " + setOf.contains("z") + " size " + setOf.size());
        line("strings: " + latin1 + " " + utf16 + " " + interned + " " + notInterned);
        line("interned: " + (interned == "literal-interned") + " " + (LITERAL == interned) + " not interned: " + (notInterned != interned)
            + " equal: " + notInterned.equals(interned));
        line("arrays: " + Arrays.toString(booleans) + Arrays.toString(bytes) + Arrays.toString(chars).length()
            + Arrays.toString(shorts) + Arrays.toString(ints) + Arrays.toString(longs) + Arrays.deepToString(matrix));
        line("chars: " + (int) chars[0] + " " + (int) chars[1] + " " + (int) chars[2] + " " + (int) chars[3] + " " + (int) aChar);
        line("float bits: " + bits(floats) + " double bits: " + bits(doubles));
        line("scalars: " + Integer.toHexString(Float.floatToRawIntBits(nanFloat)) + " "
            + Long.toHexString(Double.doubleToRawLongBits(negativeZero)) + " " + Long.toHexString(Double.doubleToRawLongBits(nanDouble))
            + " " + bigLong + " " + counter);
        line("cycle: " + cycle.name + cycle.next.name + cycle.next.next.name + " " + (cycle.next.next == cycle) + " "
            + (cycle.self[0] == cycle.self) + " " + (cycle.self[1] == cycle.next));
        line("record: " + point + " " + point.equals(new Point(-5, "p\u00e9")));
        line("vm identity: out " + (out == System.out) + " true " + (yes == Boolean.TRUE) + " small " + (small == Integer.valueOf(100))
            + " big " + big + " unit " + (unit == TimeUnit.SECONDS) + " class " + (someClass == Key.class));
        line("mixed: " + mixed + " key3 " + (mixed.get(0) == KEYS[3]) + " point " + (mixed.get(6) == point));
        CRC32 crc = new CRC32();
        for (String l : lines) {
            System.out.println("check: " + l);
            crc.update(l.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        System.out.println("check: digest " + Long.toHexString(crc.getValue()));
    }
}
