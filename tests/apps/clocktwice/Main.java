package clocktwice;

import java.lang.reflect.Method;
import java.util.concurrent.TimeUnit;

import jdk.crac.Core;

/**
 * The program's clock across two restores. After the first restore the program moves
 * io.portacr.restore.Clock a day ahead (as if it had checkpointed on a machine whose clock
 * was a day ahead of this one), reads System.nanoTime() and checkpoints again: the
 * generation-2 image must record that program clock, not this JVM's raw one, so that after
 * the second restore System.nanoTime() is still not below the value read before.
 */
public class Main {
    public static void main(String[] args) throws Exception {
        long first = System.nanoTime();
        System.out.println("checkpoint 1");
        Core.checkpointRestore();
        System.out.println("generation 1 restored, clock monotonic: " + (System.nanoTime() >= first));
        shiftProgramClock(TimeUnit.DAYS.toNanos(1));
        long second = System.nanoTime();
        System.out.println("checkpoint 2");
        Core.checkpointRestore();
        long after = System.nanoTime();
        System.out.println("generation 2 restored, clock monotonic: " + (after >= second));
    }

    static void shiftProgramClock(long nanos) throws Exception {
        Class<?> clock = Class.forName("io.portacr.restore.Clock", true, null);
        Method offset = clock.getMethod("offset");
        Method setOffset = clock.getDeclaredMethod("setOffset", long.class);
        setOffset.setAccessible(true);
        setOffset.invoke(null, (Long) offset.invoke(null) + nanos);
    }
}
