import io.portacr.restore.Resume;
import io.portacr.restore.Resume.Frame;

// Drives the rewritten fixtures with the real runtime class
// (java-bindings/src/io/portacr/restore/Resume.java).
public class RealMain {
    static int token(String method, String descriptor) {
        return Resume.token("Frames", method, descriptor);
    }

    static long f32(float v) { return Float.floatToRawIntBits(v); }
    static long f64(double v) { return Double.doubleToRawLongBits(v); }

    public static void main(String[] args) {
        Object[] none = new Object[0];
        Resume.begin(new Frame[] {
            new Frame(token("chain1", "(I)I"), 0, new long[] {5, 6}, none),
            new Frame(token("chain2", "(I)I"), 0, new long[] {6, 8}, none),
            new Frame(token("chain3", "(I)I"), 0, new long[] {9}, none),
        });
        System.out.println("chain=" + Frames.chain1(0) + " finish=" + Resume.finish());

        Frames o = new Frames();
        Resume.begin(new Frame[] {
            new Frame(token("f", "(IJ)I"), 0, new long[] {10, 5, 21, 21}, new Object[] {o, "hello", o}),
            new Frame(token("g", "(Ljava/lang/String;I)I"), 0, new long[] {3}, new Object[] {o, "hello"}),
        });
        System.out.println("f=" + o.f(0, 0L) + " finish=" + Resume.finish());

        Resume.begin(new Frame[] {new Frame(token("flt", "(F)F"), 0, new long[] {f32(1.5f), f32(4.0f)}, none)});
        System.out.println("flt=" + Frames.flt(0f) + " finish=" + Resume.finish());

        Resume.begin(new Frame[] {
            new Frame(token("wide", "(JD)D"), 0, new long[] {1L, f64(0.5), 100L, f64(2.25)}, none),
        });
        System.out.println("wide=" + Frames.wide(0L, 0.0) + " finish=" + Resume.finish());

        Object lock = new Object();
        Frames.LOCK = lock;
        Resume.begin(new Frame[] {
            new Frame(token("locked", "(Ljava/lang/Object;)Ljava/lang/String;"), 0, new long[0],
                new Object[] {lock, lock, lock}),
        });
        System.out.println("locked=" + Frames.locked(null) + " after=" + Thread.holdsLock(lock) + " finish=" + Resume.finish());

        System.out.println("normal=" + Frames.chain1(5));

        // chain1 is not the next frame: it runs normally and its call of chain2 resumes.
        Resume.begin(new Frame[] {new Frame(token("chain2", "(I)I"), 0, new long[] {0, 20}, none)});
        System.out.println("skip=" + Frames.chain1(5) + " finish=" + Resume.finish());

        Resume.begin(new Frame[] {new Frame(token("chain3", "(I)I"), 0, new long[] {9, 99}, none)});
        System.out.println("leftover=" + Frames.chain3(0) + " finish=" + Resume.finish());

        Resume.begin(new Frame[] {new Frame(token("chain3", "(I)I"), 0, new long[] {9}, none)});
        System.out.println("unresumed finish=" + Resume.finish());

        Resume.setStaticsHandler(c -> {
            if (c == Statics.class) {
                Statics.counter = 7;
                Statics.name = "image";
            }
        });
        System.out.println("statics=" + Statics.counter + "," + Statics.name);
    }
}
