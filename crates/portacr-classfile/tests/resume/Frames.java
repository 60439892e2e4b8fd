// Methods resumed by the tests in tests/resume.rs. Each is also called
// normally to prove the prologue leaves an ordinary call alone.
public class Frames {
    // A type annotation on a local: javac writes RuntimeVisibleTypeAnnotations
    // with code offsets into f's Code attribute, which the rewriter drops.
    @java.lang.annotation.Target(java.lang.annotation.ElementType.TYPE_USE)
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @interface Tagged {}

    static final StringBuilder trace = new StringBuilder();
    static Object LOCK;

    int f(int a, long b) {
        int x = a * 2;
        @Tagged String s = "k" + b;
        return x + g(s, 3) + 1;
    }

    int g(String s, int n) {
        trace.append("g(" + s + "," + n + ");");
        return s.length() * 10 + n;
    }

    static void mark(int i) { trace.append("mark" + i + ";"); }
    static void markLong(long v) { trace.append("markL" + v + ";"); }
    static void observe(Object o) { trace.append("observe:" + Thread.holdsLock(LOCK) + ";"); }

    static int loop(int n) {
        int sum = 0;
        for (int i = 0; i < n; i++) {
            sum += i;
            mark(i);
        }
        return sum;
    }

    static String guarded(int k) {
        String r = "start";
        try {
            r = "in";
            risky(k);
            r = "after";
        } catch (IllegalStateException e) {
            StackTraceElement[] at = e.getStackTrace();
            return "caught:" + r + ":" + e.getMessage() + ":line" + at[0].getLineNumber() + "/" + at[1].getLineNumber();
        }
        return r;
    }

    static void risky(int k) {
        if (k > 0) throw new IllegalStateException("k" + k);
    }

    static String locked(Object lock) {
        synchronized (lock) {
            observe(lock);
            return "held=" + Thread.holdsLock(lock);
        }
    }

    static double wide(long a, double b) {
        long c = a + 1;
        double e = b * 2;
        markLong(c);
        return c + e + a + b;
    }

    static String sw(int k) {
        mark(k);
        String r;
        switch (k) {
            case 0: r = "zero"; break;
            case 1: r = "one"; break;
            case 2: r = "two"; break;
            case 3: r = "three"; break;
            default: r = "many";
        }
        switch (k * 100) {
            case -500: return r + "/neg";
            case 200: return r + "/200";
            case 90000: return r + "/big";
            default: return r + "/other";
        }
    }

    static int chain1(int a) { int x = a + 1; return chain2(x) * 2; }
    static int chain2(int b) { int y = b + 1; return chain3(y) + 3; }
    static int chain3(int c) { mark(c); return c * 10; }

    static int twoCalls(int v) {
        int x = v;
        mark(x);
        x = x * 3;
        mark(x);
        return x;
    }

    static final class Pair {
        final int a, b;
        Pair(int a, int b) { this.a = a; this.b = b; }
    }

    static int seven() { trace.append("seven;"); return 7; }
    static int one() { trace.append("one;"); return 1; }

    static String nested(int a) {
        Pair p = new Pair(a, seven());
        return p.a + "," + p.b;
    }

    static String arith(int a) {
        Pair p = new Pair(a * 3 + 1, seven());
        return p.a + "," + p.b;
    }

    static String impure(int a) {
        Pair p = new Pair(one(), seven());
        return p.a + "," + p.b;
    }

    // The branch after the pending call cannot be copied into a prologue.
    static String branchy(boolean flag) {
        Pair p = new Pair(seven(), flag ? 1 : 2);
        return p.a + "," + p.b;
    }

    static int riskyInt(int k) {
        if (k > 0) throw new IllegalStateException("r" + k);
        return k;
    }

    // An exception thrown by the re-made call inside the prologue's copy of
    // the constructor arguments is caught by the frame's handler.
    static String guardedNew(int k) {
        try {
            Pair p = new Pair(k, riskyInt(k));
            return "ok" + p.b;
        } catch (IllegalStateException e) {
            return "caught-new:" + e.getMessage() + ":line" + e.getStackTrace()[1].getLineNumber();
        }
    }

    static String capture(int v) {
        java.util.function.IntSupplier s = () -> v + 1;
        return "" + s.getAsInt();
    }

    static float flt(float a) {
        float b = a * 2;
        mark(1);
        return a + b;
    }

    static String nullLocal(int k) {
        String s = null;
        mark(k);
        return s == null ? "null" : s;
    }

    static int ticks;
    static boolean tick() { return ticks++ < 3; }

    // The loop head is bci 0, where javac puts a StackMapTable frame.
    static int spin(int limit) {
        while (tick()) {
            limit--;
        }
        return limit;
    }

    int base = 100;
    private int twice(int v) { return v * 2; }
    int callsPrivate(int v) {
        int w = v + 1;
        return twice(w) + base;
    }

    // The frame waits in the constructor call itself: resuming it re-runs
    // `new Ctor; dup; iload_0; ldc2_w 100` and the call.
    static long makeCtor(int a) {
        return new Ctor(a, 100L).field;
    }

    static final class Ctor {
        long field;
        Ctor(int a, long b) { this(a, b, helper(a)); }
        Ctor(int a, long b, int c) {
            super();
            mark(c);
            field = b + c;
        }
        static int helper(int x) { trace.append("helper" + x + ";"); return x + 1; }
    }
}
