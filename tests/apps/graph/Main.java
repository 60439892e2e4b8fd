package graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jdk.crac.Core;

/**
 * A heap graph of more than 100,000 objects reachable from statics: a ring of
 * nodes with fields of every primitive type and random cross links (cycles),
 * arrays of every primitive type, NaN payloads and -0.0, Latin-1, UTF-16 and
 * interned strings, a HashMap and an ArrayList. It prints a digest of the
 * whole graph before the checkpoint and again after it; the two must be equal.
 */
public class Main {
    static final int NODE_COUNT = 100_000;
    static final String INTERNED_LITERAL = "graph-interned-literal";

    static Node[] nodes;
    static Map<String, Node> byName;
    static List<Object> arrays;
    static String interned;
    static String computedInterned;
    static String utf16 = "Gr\u00fc\u00dfe, \u4e16\u754c \u2713";

    static final class Node {
        boolean z;
        byte b;
        char c;
        short s;
        int index;
        float f;
        long j;
        double d;
        Node next;
        Node other;
        Object payload;
    }

    public static void main(String[] args) throws Exception {
        build();
        report("before");
        System.out.println("checkpointing");
        Core.checkpointRestore();
        report("after");
    }

    static void build() {
        long seed = 0x5DEECE66DL;
        nodes = new Node[NODE_COUNT];
        for (int i = 0; i < NODE_COUNT; i++) {
            nodes[i] = new Node();
        }
        byName = new HashMap<>();
        for (int i = 0; i < NODE_COUNT; i++) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            Node n = nodes[i];
            n.index = i;
            n.z = (seed & 1) != 0;
            n.b = (byte) (seed >>> 8);
            n.c = (char) (seed >>> 16);
            n.s = (short) (seed >>> 24);
            n.f = (float) (seed >>> 40) / 7.0f;
            n.j = seed;
            n.d = (double) (seed >>> 11) / 3.0;
            n.next = nodes[(i + 1) % NODE_COUNT];
            n.other = nodes[(int) ((seed >>> 33) % NODE_COUNT)];
            if (i % 7 == 0) {
                n.payload = (i % 2 == 0) ? "node-" + i : "\u03bd\u03cc\u03b4\u03bf\u03c2-" + i;
            }
            if (i % 1000 == 0) {
                byName.put("node-" + i, n);
            }
        }
        // Special float values, in fields and in arrays.
        nodes[0].f = Float.intBitsToFloat(0x7fc01234);
        nodes[0].d = Double.longBitsToDouble(0x7ff8000000abcdefL);
        nodes[1].f = -0.0f;
        nodes[1].d = -0.0;
        nodes[2].f = Float.intBitsToFloat(0xffc00001);
        nodes[2].d = Double.NEGATIVE_INFINITY;

        arrays = new ArrayList<>();
        arrays.add(new boolean[] {true, false, true});
        arrays.add(new byte[] {Byte.MIN_VALUE, -1, 0, 1, Byte.MAX_VALUE});
        arrays.add(new char[] {'a', '\u00e9', '\u4e16', '\uffff', 0});
        arrays.add(new short[] {Short.MIN_VALUE, -1, 0, Short.MAX_VALUE});
        arrays.add(new int[] {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE});
        arrays.add(new long[] {Long.MIN_VALUE, -1L, 0L, Long.MAX_VALUE});
        arrays.add(new float[] {Float.intBitsToFloat(0x7fc01234), -0.0f, Float.MIN_VALUE, Float.POSITIVE_INFINITY});
        arrays.add(new double[] {Double.longBitsToDouble(0x7ff8000000abcdefL), -0.0, Double.MIN_VALUE, Double.NaN});
        arrays.add(new int[0]);
        arrays.add(new Object[] {nodes[5], null, arrays, "in an array"}); // the list contains itself, via this array
        arrays.add(new int[][] {{1, 2}, {3}, null});
        byte[] big = new byte[1 << 20];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 131 + (i >>> 8));
        }
        arrays.add(big);

        interned = INTERNED_LITERAL;
        // Built at run time, then interned: must be == the literal.
        computedInterned = new StringBuilder("graph-").append("computed").toString().intern();
    }

    static void report(String when) {
        System.out.println(when + " nodes=" + nodes.length);
        System.out.println(when + " digest=" + Long.toHexString(digest()));
        System.out.println(when + " special f0=" + Integer.toHexString(Float.floatToRawIntBits(nodes[0].f))
                + " d0=" + Long.toHexString(Double.doubleToRawLongBits(nodes[0].d))
                + " f1=" + Integer.toHexString(Float.floatToRawIntBits(nodes[1].f))
                + " d1=" + Long.toHexString(Double.doubleToRawLongBits(nodes[1].d))
                + " f2=" + Integer.toHexString(Float.floatToRawIntBits(nodes[2].f)));
        float[] fa = (float[]) arrays.get(6);
        double[] da = (double[]) arrays.get(7);
        System.out.println(when + " array nan bits=" + Integer.toHexString(Float.floatToRawIntBits(fa[0]))
                + " " + Long.toHexString(Double.doubleToRawLongBits(da[0]))
                + " negzero=" + Integer.toHexString(Float.floatToRawIntBits(fa[1]))
                + " " + Long.toHexString(Double.doubleToRawLongBits(da[1])));
        System.out.println(when + " interned literal==" + (interned == INTERNED_LITERAL)
                + " computed==" + (computedInterned == "graph-computed"));
        System.out.println(when + " utf16=" + utf16.equals("Gr\u00fc\u00dfe, \u4e16\u754c \u2713")
                + " length=" + utf16.length());
        Node n = nodes[0];
        int steps = 0;
        do {
            n = n.next;
            steps++;
        } while (n != nodes[0] && steps <= NODE_COUNT);
        System.out.println(when + " ring closes after " + steps);
        Object[] refs = (Object[]) arrays.get(9);
        System.out.println(when + " self reference=" + (refs[2] == arrays) + " shared node=" + (refs[0] == nodes[5]));
        System.out.println(when + " map size=" + byName.size() + " lookup=" + (byName.get("node-42000") == nodes[42000]));
    }

    /** FNV-1a over every value of the graph, links by index. */
    static long digest() {
        long h = 0xcbf29ce484222325L;
        for (Node n : nodes) {
            h = mix(h, n.index);
            h = mix(h, n.z ? 1 : 0);
            h = mix(h, n.b);
            h = mix(h, n.c);
            h = mix(h, n.s);
            h = mix(h, Float.floatToRawIntBits(n.f));
            h = mix(h, n.j);
            h = mix(h, Double.doubleToRawLongBits(n.d));
            h = mix(h, n.next.index);
            h = mix(h, n.other.index);
            if (n.payload instanceof String) {
                h = mix(h, n.payload.hashCode());
            }
        }
        for (Object a : arrays) {
            if (a instanceof boolean[]) {
                for (boolean v : (boolean[]) a) h = mix(h, v ? 1 : 0);
            } else if (a instanceof byte[]) {
                for (byte v : (byte[]) a) h = mix(h, v);
            } else if (a instanceof char[]) {
                for (char v : (char[]) a) h = mix(h, v);
            } else if (a instanceof short[]) {
                for (short v : (short[]) a) h = mix(h, v);
            } else if (a instanceof int[]) {
                for (int v : (int[]) a) h = mix(h, v);
            } else if (a instanceof long[]) {
                for (long v : (long[]) a) h = mix(h, v);
            } else if (a instanceof float[]) {
                for (float v : (float[]) a) h = mix(h, Float.floatToRawIntBits(v));
            } else if (a instanceof double[]) {
                for (double v : (double[]) a) h = mix(h, Double.doubleToRawLongBits(v));
            } else if (a instanceof int[][]) {
                for (int[] row : (int[][]) a) {
                    h = mix(h, row == null ? -1 : row.length);
                    if (row != null) for (int v : row) h = mix(h, v);
                }
            }
        }
        return h;
    }

    static long mix(long h, long v) {
        for (int i = 0; i < 8; i++) {
            h ^= (v >>> (8 * i)) & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
