package clockoffset;

import java.lang.reflect.Method;

/**
 * io.portacr.restore.Clock with a fake offset, in a JVM that loaded the agent but restores
 * nothing (so the program's own System.nanoTime() is the raw clock): Clock.nanoTime() is the
 * raw clock plus the offset, keeps increasing, and follows a change of the offset, including a
 * negative one. The offset is set through the package-private setter the restore uses.
 */
public class Main {
    public static void main(String[] args) throws Exception {
        Class<?> clock = Class.forName("io.portacr.restore.Clock", true, null);
        Method nanoTime = clock.getMethod("nanoTime");
        Method offset = clock.getMethod("offset");
        Method setOffset = clock.getDeclaredMethod("setOffset", long.class);
        setOffset.setAccessible(true);
        System.out.println("offset before any restore: " + offset.invoke(null));
        long before = (Long) nanoTime.invoke(null);
        long raw = System.nanoTime();
        System.out.println("no offset: clock <= raw read after it: " + (before <= raw));
        for (long fake : new long[] {1_000_000_000_000_000L, 7L, -3_600_000_000_000L}) {
            setOffset.invoke(null, fake);
            long rawBefore = System.nanoTime();
            long shifted = (Long) nanoTime.invoke(null);
            long rawAfter = System.nanoTime();
            boolean within = shifted - fake >= rawBefore && shifted - fake <= rawAfter;
            long last = shifted;
            boolean increasing = true;
            for (int i = 0; i < 10_000; i++) {
                long now = (Long) nanoTime.invoke(null);
                if (now < last) increasing = false;
                last = now;
            }
            System.out.println("offset " + fake + ": reads back " + (((Long) offset.invoke(null)) == fake)
                + ", clock = raw + offset " + within + ", never decreases " + increasing);
        }
        setOffset.invoke(null, 0L);
    }
}
