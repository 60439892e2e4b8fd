import io.portacr.restore.Resume;

public class Main {
    static void out(String name, Object value) {
        System.out.println(name + "=" + value + " trace=" + Frames.trace + (Resume.clean() ? "" : " SCRIPT-NOT-USED-UP"));
        Frames.trace.setLength(0);
    }

    static void run(String name, java.util.concurrent.Callable<Object> body) {
        try {
            out(name, body.call());
        } catch (Throwable t) {
            out(name, "threw " + t);
        }
    }

    public static void main(String[] args) throws Exception {
        String F = "Frames";
        Frames o = new Frames();
        Resume.expect(F, "f", "(IJ)I", 0, o, 10, 5L, 21, "hello", 21, o);
        Resume.expect(F, "g", "(Ljava/lang/String;I)I", 0, o, "hello", 3);
        run("f", () -> o.f(0, 0L));
        run("f-normal", () -> o.f(10, 5L));

        Resume.expect(F, "loop", "(I)I", 0, 10, 1000, 5);
        run("loop", () -> Frames.loop(0));
        run("loop-normal", () -> Frames.loop(10));

        Resume.expect(F, "guarded", "(I)Ljava/lang/String;", 0, 0, "restored");
        Resume.expect(F, "risky", "(I)V", 0, 7);
        run("guarded", () -> Frames.guarded(0));
        run("guarded-normal", () -> Frames.guarded(3) + " " + Frames.guarded(0));

        Object lock = new Object();
        Frames.LOCK = lock;
        Resume.expect(F, "locked", "(Ljava/lang/Object;)Ljava/lang/String;", 0, lock, lock, lock);
        run("locked", () -> Frames.locked(null) + " after=" + Thread.holdsLock(lock));
        run("locked-normal", () -> Frames.locked(lock) + " after=" + Thread.holdsLock(lock));

        Resume.expect(F, "wide", "(JD)D", 0, 1L, 0.5, 100L, 2.25);
        run("wide", () -> Frames.wide(0L, 0.0));
        run("wide-normal", () -> Frames.wide(1L, 0.5));

        Resume.expect(F, "sw", "(I)Ljava/lang/String;", 0, 2);
        run("sw", () -> Frames.sw(0));
        run("sw-normal", () -> Frames.sw(3) + " " + Frames.sw(-5) + " " + Frames.sw(900));

        Resume.expect(F, "chain1", "(I)I", 0, 5, 6);
        Resume.expect(F, "chain2", "(I)I", 0, 6, 8);
        Resume.expect(F, "chain3", "(I)I", 0, 9);
        run("chain", () -> Frames.chain1(0));
        run("chain-normal", () -> Frames.chain1(5));

        Resume.expect(F, "twoCalls", "(I)I", 1, 0, 5);
        run("two-second", () -> Frames.twoCalls(0));
        Resume.expect(F, "twoCalls", "(I)I", 0, 0, 5);
        run("two-first", () -> Frames.twoCalls(0));
        run("two-normal", () -> Frames.twoCalls(2));

        Resume.expect(F, "nested", "(I)Ljava/lang/String;", 0, 40, 41);
        run("nested", () -> Frames.nested(0));
        run("nested-normal", () -> Frames.nested(1));

        Resume.expect(F, "arith", "(I)Ljava/lang/String;", 0, 5, 99);
        run("arith", () -> Frames.arith(0));
        run("arith-normal", () -> Frames.arith(2));

        Resume.expect(F, "impure", "(I)Ljava/lang/String;", 0, 0, 55);
        run("impure", () -> Frames.impure(0));
        run("impure-normal", () -> Frames.impure(0));

        Resume.expect(F, "guardedNew", "(I)Ljava/lang/String;", 0, 0, 0);
        Resume.expect(F, "riskyInt", "(I)I", 0, 3);
        run("guarded-new", () -> Frames.guardedNew(0));
        run("guarded-new-normal", () -> Frames.guardedNew(4) + " " + Frames.guardedNew(0));

        Resume.expect("Frames$Ctor", "<init>", "(IJ)V", 0, 3, 100L, 3, 100L);
        run("ctor", () -> new Frames.Ctor(0, 0L).field);
        run("ctor-normal", () -> new Frames.Ctor(3, 100L).field);

        Resume.expect(F, "flt", "(F)F", 0, 1.5f, 4.0f);
        run("flt", () -> Frames.flt(0f));
        run("flt-normal", () -> Frames.flt(1.5f));

        Resume.expect(F, "nullLocal", "(I)Ljava/lang/String;", 0, 5, null);
        run("null-local", () -> Frames.nullLocal(0));
        run("null-local-normal", () -> Frames.nullLocal(4));

        Frames.ticks = 0;
        Resume.expect(F, "spin", "(I)I", 0, 100);
        run("spin", () -> Frames.spin(0));
        Frames.ticks = 0;
        run("spin-normal", () -> Frames.spin(10));

        Resume.expect(F, "callsPrivate", "(I)I", 0, o, 1, 2, o);
        Resume.expect(F, "twice", "(I)I", 0, o, 50);
        run("private", () -> o.callsPrivate(0));
        run("private-normal", () -> o.callsPrivate(4));

        Resume.expect(F, "makeCtor", "(I)J", 0, 9);
        Resume.expect("Frames$Ctor", "<init>", "(IJ)V", 0, 3, 100L, 3, 100L);
        run("make-ctor", () -> Frames.makeCtor(0));
        run("make-ctor-normal", () -> Frames.makeCtor(9));

        Object[] many = new Object[301];
        many[0] = 0;
        for (int k = 0; k < 300; k++) many[k + 1] = 1000 + k;
        Resume.expect("Many", "many", "(I)I", 0, many);
        run("many", () -> Many.many(0));
        run("many-normal", () -> Many.many(1));

        Resume.staticValues.put("counter", 42);
        Resume.staticValues.put("name", "fromImage");
        run("statics", () -> Statics.counter + "," + Statics.name + " log=" + Resume.log);
    }
}
