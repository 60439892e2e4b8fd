package recursion;

import jdk.crac.Core;

/**
 * A 40-deep recursion whose frames hold locals of every kind (int, long,
 * float, double, String, array) and a value on the operand stack at the call
 * (`x + depth(...)`), then a 3-deep chain building `new Node(k, chain(...))`
 * (an uninitialized object and an int on the stack at the call), with NaN
 * payloads, -0.0 and UTF-16 strings in its locals. The deepest frame
 * checkpoints; after it returns every frame checks its own locals against
 * values recomputed from its depth, so a frame restored wrongly fails loudly.
 *
 * Slot layout of depth(): 0 n, 1-2 l, 3 f, 4-5 d, 6 s, 7 arr, 8 x, 9-10 lx,
 * 11 fx, 12-13 dx, 14 sx, 15 ax, 16 r.
 */
public class Main {
    static final int DEPTH = 40;
    static final int CHAIN = 3;
    static int framesVerified;

    static final class Node {
        final int value;
        final Node next;

        Node(int value, Node next) {
            this.value = value;
            this.next = next;
        }
    }

    public static void main(String[] args) throws Exception {
        int result = depth(DEPTH, 1L, 0.5f, 0.25, "s", new int[] {-1});
        System.out.println("result=" + result);
        System.out.println("frames verified=" + framesVerified);
    }

    static int depth(int n, long l, float f, double d, String s, int[] arr) throws Exception {
        int x = n * 3 + 1;
        long lx = l * 3 + n;
        float fx = f + n;
        double dx = d * 2 + n;
        String sx = s + n;
        int[] ax = new int[] {n, n * n};
        int r;
        if (n == 0) {
            Node chain = chain(CHAIN);
            r = x + length(chain);
        } else {
            r = x + depth(n - 1, lx, fx, dx, sx, ax);
        }
        check(n, "x", x == n * 3 + 1);
        check(n, "lx", lx == l * 3 + n);
        check(n, "fx", Float.floatToRawIntBits(fx) == Float.floatToRawIntBits(f + n));
        check(n, "dx", Double.doubleToRawLongBits(dx) == Double.doubleToRawLongBits(d * 2 + n));
        check(n, "sx", sx.equals(s + n));
        check(n, "ax", ax.length == 2 && ax[0] == n && ax[1] == n * n);
        check(n, "arr", arr.length >= 1 && arr[0] == (n == DEPTH ? -1 : n + 1));
        framesVerified++;
        return r;
    }

    static Node chain(int k) throws Exception {
        float nan = Float.intBitsToFloat(0x7fc01234 + k);
        double negativeZero = -0.0;
        double dnan = Double.longBitsToDouble(0x7ff8000000abcdefL + k);
        String utf16 = "\u00e4\u20ac\u4e16" + k;
        Node node;
        if (k == 0) {
            System.out.println("checkpoint at depth " + (DEPTH + 1 + CHAIN));
            Core.checkpointRestore();
            System.out.println("resumed at depth " + (DEPTH + 1 + CHAIN));
            node = null;
        } else {
            node = new Node(k, chain(k - 1));
        }
        check(k, "nan", Float.floatToRawIntBits(nan) == 0x7fc01234 + k);
        check(k, "negativeZero", Double.doubleToRawLongBits(negativeZero) == 0x8000000000000000L);
        check(k, "dnan", Double.doubleToRawLongBits(dnan) == 0x7ff8000000abcdefL + k);
        check(k, "utf16", utf16.equals("\u00e4\u20ac\u4e16" + k));
        framesVerified++;
        return node;
    }

    static int length(Node node) {
        int n = 0;
        for (; node != null; node = node.next) {
            n++;
        }
        return n;
    }

    static void check(int level, String what, boolean ok) {
        if (!ok) {
            System.out.println("MISMATCH at level " + level + ": " + what);
            throw new AssertionError("frame at level " + level + ": " + what + " differs");
        }
    }
}
