package capturetest;

import io.portacr.capture.ImageCapture;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Captures a small object graph held in statics and checks every record with ImageReader. */
public final class GraphScenario {
    record Point(int x, long y, double z, float f, char c, boolean b, byte by, short s, String label) {}

    static final class Node {
        Node next;
        int value;
        Node(int value) { this.value = value; }
    }

    static final long NAN_BITS = 0x7ff8dead0000beefL;
    static final int FLOAT_NAN_BITS = 0x7fc0abcd;

    static Point point = new Point(7, 0x123456789ABCDEF0L, Double.longBitsToDouble(NAN_BITS),
        Float.intBitsToFloat(FLOAT_NAN_BITS), '\u00e9', true, (byte) -5, (short) -1234, "p");
    static int[] ints = {1, -2, Integer.MAX_VALUE, Integer.MIN_VALUE};
    static double[] doubles = {-0.0, Double.longBitsToDouble(NAN_BITS), 1.5};
    static float[] floats = {Float.intBitsToFloat(FLOAT_NAN_BITS), -0.0f};
    static long[] longs = {Long.MIN_VALUE, 0x0102030405060708L};
    static boolean[] bools = {true, false, true};
    static char[] chars = {'a', '\u65e5'};
    static double negZero = -0.0;
    static String latinInterned = "latin-literal";
    static String latinFresh = new String("h\u00e9llo w\u00f6rld");
    static String utf16Fresh = new String("\u65e5\u672c\u8a9e\u30c6\u30ad\u30b9\u30c8");
    static String utf16Interned = "\u00fcn\u00efc\u00f8d\u00e9\u2192";
    static String internedEscapes = new String("tab\there\nnew\\line \u00e9\u65e5\u0000end").intern();
    static String sharedLiteral = "RUNNABLE";      // in JDK 17's CDS shared string table
    static String enumName = java.util.concurrent.TimeUnit.SECONDS.name();
    static String hashedCopy = new String("RUNNABLE");
    static int hashedCopyHash = hashedCopy.hashCode();
    static Node cycleA;
    static Object hashedObj = new Object();
    static Object unhashedObj = new Object();
    static int hashedValue = System.identityHashCode(hashedObj);
    static HashMap<String, Point> map = new HashMap<>();
    static Object boolTrue = Boolean.TRUE;
    static Object int5 = Integer.valueOf(5);
    static Object bigInteger = Integer.valueOf(100_000);
    static Object unit = TimeUnit.SECONDS;
    static Object out = System.out;
    static Class<?> selfClass = GraphScenario.class;
    static Class<?> intClass = int.class;
    static Thread me;
    static Runnable lambda;
    static Object[] mixed;

    static {
        Node a = new Node(1), b = new Node(2);
        a.next = b;
        b.next = a;
        cycleA = a;
        map.put("one", new Point(1, 1, 1, 1, '1', false, (byte) 1, (short) 1, "one"));
        map.put("two", new Point(2, 2, 2, 2, '2', false, (byte) 2, (short) 2, "two"));
        map.put("three", point);
        int captured = 42;
        lambda = () -> System.out.println(captured);
        mixed = new Object[] {point, null, cycleA, "latin-literal"};
    }

    static int touchMissingDependency = WithMissingDependency.counter;

    static String run() throws Exception {
        me = Thread.currentThread();
        return ImageCapture.checkpoint(List.of(map, "resource-string"));
    }

    public static void main(String[] args) throws Exception {
        String dir = WithMissingDependency.checkpointHere();
        System.out.println("graph: image in " + dir + " — " + ImageCapture.lastStatistics);
        ImageReader r = new ImageReader(Path.of(dir));
        CommonChecks.all(r);
        String self = "capturetest/GraphScenario";

        ImageReader.Obj p = r.object(r.staticValue(self, "point"));
        Check.equal(self + "$Point", r.className(p), "point class");
        Check.that((r.classes.get(p.classIndex).flags & 16) != 0, "record flag on Point");
        Check.equal(7L, p.fields.get("x"), "Point.x");
        Check.equal(0x123456789ABCDEF0L, p.fields.get("y"), "Point.y");
        Check.equal(NAN_BITS, p.fields.get("z"), "Point.z NaN payload");
        Check.equal((long) FLOAT_NAN_BITS, p.fields.get("f"), "Point.f NaN payload");
        Check.equal(0xe9L, p.fields.get("c"), "Point.c");
        Check.equal(1L, p.fields.get("b"), "Point.b");
        Check.equal(-5L, p.fields.get("by"), "Point.by");
        Check.equal(-1234L, p.fields.get("s"), "Point.s");
        Check.equal("p", r.object(p.fields.get("label")).text, "Point.label");

        ImageReader.Obj ia = r.object(r.staticValue(self, "ints"));
        Check.equal("[I", r.className(ia), "int[] class");
        Check.equal(4, ia.length, "int[] length");
        Check.equal((long) Integer.MIN_VALUE, ia.elements[3], "int[3]");
        ImageReader.Obj da = r.object(r.staticValue(self, "doubles"));
        Check.equal(0x8000000000000000L, da.elements[0], "-0.0 in double[]");
        Check.equal(NAN_BITS, da.elements[1], "NaN payload in double[]");
        Check.equal(Double.doubleToRawLongBits(1.5), da.elements[2], "1.5 in double[]");
        ImageReader.Obj fa = r.object(r.staticValue(self, "floats"));
        Check.equal((long) FLOAT_NAN_BITS, fa.elements[0], "NaN payload in float[]");
        Check.equal((long) Float.floatToRawIntBits(-0.0f), fa.elements[1], "-0.0f in float[]");
        ImageReader.Obj la = r.object(r.staticValue(self, "longs"));
        Check.equal(Long.MIN_VALUE, la.elements[0], "long[0]");
        Check.equal(0x0102030405060708L, la.elements[1], "long[1]");
        ImageReader.Obj ba = r.object(r.staticValue(self, "bools"));
        Check.equal("[Z", r.className(ba), "boolean[] class");
        Check.that(ba.elements[0] == 1 && ba.elements[1] == 0 && ba.elements[2] == 1, "boolean[] values");
        ImageReader.Obj ca = r.object(r.staticValue(self, "chars"));
        Check.equal(0x65e5L, ca.elements[1], "char[1]");
        Check.equal(0x8000000000000000L, r.staticValue(self, "negZero"), "static -0.0");

        ImageReader.Obj s1 = r.object(r.staticValue(self, "latinInterned"));
        Check.equal("latin-literal", s1.text, "latin interned text");
        Check.equal(1, s1.stringFlags, "latin interned flags (INTERNED, Latin-1)");
        ImageReader.Obj s2 = r.object(r.staticValue(self, "latinFresh"));
        Check.equal(latinFresh, s2.text, "latin fresh text");
        Check.equal(0, s2.stringFlags, "latin fresh flags");
        ImageReader.Obj s3 = r.object(r.staticValue(self, "utf16Fresh"));
        Check.equal(utf16Fresh, s3.text, "utf16 fresh text");
        Check.equal(2, s3.stringFlags, "utf16 fresh flags (UTF16, not interned)");
        ImageReader.Obj s4 = r.object(r.staticValue(self, "utf16Interned"));
        Check.equal(utf16Interned, s4.text, "utf16 interned text");
        Check.equal(3, s4.stringFlags, "utf16 interned flags");
        ImageReader.Obj s5 = r.object(r.staticValue(self, "internedEscapes"));
        Check.equal(internedEscapes, s5.text, "escaped interned text");
        Check.equal(3, s5.stringFlags, "interned string with tab, newline, backslash, NUL, non-Latin-1 found in the string table listing");
        Check.equal(1, r.object(r.staticValue(self, "sharedLiteral")).stringFlags, "literal shared with the JDK (CDS archive on 17) is INTERNED");
        Check.equal(1, r.object(r.staticValue(self, "enumName")).stringFlags, "JDK enum name is INTERNED");
        Check.equal(0, r.object(r.staticValue(self, "hashedCopy")).stringFlags, "hashed copy of a literal is not interned");
        Check.equal(r.staticValue(self, "latinInterned"), r.object(r.staticValue(self, "mixed")).elements[3],
            "one interned string, one id");

        ImageReader.Obj a = r.object(r.staticValue(self, "cycleA"));
        ImageReader.Obj b = r.object(a.fields.get("next"));
        Check.equal((long) a.id, b.fields.get("next"), "cycle closes");
        Check.equal(2L, b.fields.get("value"), "cycle node value");

        ImageReader.Obj h = r.object(r.staticValue(self, "hashedObj"));
        Check.that(h.hashed, "object hashed by the application is HASHED");
        Check.equal(hashedValue, h.ihash, "identity hash value");
        ImageReader.Obj u = r.object(r.staticValue(self, "unhashedObj"));
        Check.that(!u.hashed, "object never hashed is not HASHED (header read before identityHashCode)");

        ImageReader.Obj m = r.object(r.staticValue(self, "map"));
        Check.equal("java/util/HashMap", r.className(m), "map class");
        Check.equal(3L, m.fields.get("size"), "HashMap.size");
        ImageReader.Obj table = r.object(m.fields.get("table"));
        Check.equal("[Ljava/util/HashMap$Node;", r.className(table), "HashMap.table class");
        int nodes = 0;
        for (long e : table.elements) {
            for (long n = e; n != 0; n = r.object(n).fields.get("next")) {
                ImageReader.Obj node = r.object(n);
                String key = r.object(node.fields.get("key")).text;
                ImageReader.Obj value = r.object(node.fields.get("value"));
                Check.equal(key, r.object(value.fields.get("label")).text.equals("p") ? "three" : r.object(value.fields.get("label")).text, "map entry " + key);
                nodes++;
            }
        }
        Check.equal(3, nodes, "map nodes");

        Check.equal("StaticValue java/lang/Boolean.TRUE", symref(r, r.staticValue(self, "boolTrue")), "Boolean.TRUE symbolic");
        Check.equal("StaticArrayElement java/lang/Integer$IntegerCache.cache[133]", symref(r, r.staticValue(self, "int5")), "Integer cache symbolic");
        ImageReader.Obj big = r.object(r.staticValue(self, "bigInteger"));
        Check.equal("java/lang/Integer", r.className(big), "uncached Integer is carried by value");
        Check.equal(100_000L, big.fields.get("value"), "Integer.value");
        Check.equal("StaticValue java/util/concurrent/TimeUnit.SECONDS", symref(r, r.staticValue(self, "unit")), "JDK enum constant symbolic");
        Check.equal("StaticValue java/lang/System.out", symref(r, r.staticValue(self, "out")), "System.out symbolic");
        Check.equal("ClassMirror " + r.classIndex(self), symref(r, r.staticValue(self, "selfClass")), "Class mirror symbolic");
        Check.equal("PrimitiveClass I", symref(r, r.staticValue(self, "intClass")), "int.class symbolic");
        Check.equal("CurrentThread", symref(r, r.staticValue(self, "me")), "current thread symbolic");
        Check.equal((long) r.threadObject, r.staticValue(self, "me"), "thread record names the same object");

        String missing = "capturetest/WithMissingDependency";
        Check.equal(42L, r.staticValue(missing, "counter"), "static int of a class whose reflection fails");
        Check.equal(0x8000000000000000L, r.staticValue(missing, "ratio"), "static -0.0 read through a VarHandle");
        Check.equal("still here", r.object(r.staticValue(missing, "label")).text, "static String read through a VarHandle");
        Check.equal(0L, r.staticValue(missing, "thing"), "static of a missing type is null");

        ImageReader.Obj lam = r.object(r.staticValue(self, "lambda"));
        ImageReader.ClassRec lamClass = r.classes.get(lam.classIndex);
        Check.that((lamClass.flags & 32) != 0 && (lamClass.flags & 1) != 0, "lambda class is HIDDEN and APPLICATION: " + lamClass.name);
        Check.that(lam.fields.containsValue(42L), "lambda captured value");

        Check.equal(2, r.resources.size(), "resources");
        Check.equal(r.staticValue(self, "map"), (long) r.resources.get(0), "resource 0 is the map");
        Check.equal("resource-string", r.object(r.resources.get(1)).text, "resource 1");

        ImageReader.ClassRec selfRec = r.classes.get(r.classIndex(self));
        Check.equal(2, selfRec.init, "scenario class Initialized");
        Check.that((selfRec.flags & 1) != 0 && selfRec.loader == 2, "scenario class is APPLICATION, App loader");
        Check.that(selfRec.digest != null, "application class has a digest");
        Check.equal(2, r.classes.get(r.classIndex("java/util/HashMap")).init, "HashMap Initialized");

        ImageReader.Frame top = r.frames.get(r.frames.size() - 1);
        Check.equal(self, r.classes.get(top.classIndex).name, "top frame class");
        Check.equal("run", top.method, "top frame is the caller of checkpoint");
        Check.equal("()Ljava/lang/String;", top.descriptor, "top frame descriptor");
        Check.equal("main", r.frames.get(0).method, "bottom frame is main");
        ImageReader.Frame below = r.frames.get(r.frames.size() - 2);
        Check.equal("checkpointHere", below.method, "frame of a class whose reflection fails");
        Check.equal(0x1 | 0x8 | 0x20, below.access, "its access flags: public static synchronized");
        Check.equal(1, below.monitors.size(), "synchronized static method holds its class's monitor");
        Check.equal("ClassMirror " + r.classIndex("capturetest/WithMissingDependency"), symref(r, below.monitors.get(0)[0]), "the monitor is the class mirror");
        for (ImageReader.Frame f : r.frames) {
            Check.that(!r.classes.get(f.classIndex).name.startsWith("io/portacr/"), "no capture frames in the image");
        }
        System.out.println("graph: objects=" + r.objects.size() + " classes=" + r.classes.size() + " symrefs=" + r.symrefs.size());
    }

    static String symref(ImageReader r, long id) {
        ImageReader.Obj o = r.object(id);
        Check.equal(5, o.kind, "object " + id + " is SYMBOLIC");
        return r.symrefs.get(o.symref);
    }
}
