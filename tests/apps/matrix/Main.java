package matrix;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import jdk.crac.Core;

/**
 * What tests/restore_matrix.rs checks in a resumed program, each printed by the program itself:
 * a ReentrantLock held twice across the checkpoint, hash tables keyed by identity hashes (objects
 * without hashCode(), JDK enum constants, Class objects), system properties, and
 * System.nanoTime() continuing from its value before the checkpoint.
 */
public class Main {
    /** Keeps the WeakHashMap's keys alive, and gives the statics their share of the tables. */
    static final List<Object> KEYS = new ArrayList<>();
    static final Map<Object, Integer> STATIC_MAP = new HashMap<>();

    /** No hashCode()/equals(): hashed by identity. */
    static final class Key {
        final int n;
        Key(int n) { this.n = n; }
    }

    public static void main(String[] args) throws Exception {
        ReentrantLock lock = new ReentrantLock();
        lock.lock();
        lock.lock();
        Object[] keys = {
            new Key(1), new Key(2), new Key(3), new Object(),
            TimeUnit.SECONDS, Thread.State.RUNNABLE, java.math.RoundingMode.HALF_UP,
            String.class, Main.class, int[].class, Key.class, Map.class,
        };
        for (Object k : keys) KEYS.add(k);
        HashMap<Object, Integer> hashMap = new HashMap<>();
        HashSet<Object> hashSet = new HashSet<>();
        IdentityHashMap<Object, Integer> identityMap = new IdentityHashMap<>();
        WeakHashMap<Object, Integer> weakMap = new WeakHashMap<>();
        for (int i = 0; i < keys.length; i++) {
            hashMap.put(keys[i], i);
            hashSet.add(keys[i]);
            identityMap.put(keys[i], i);
            weakMap.put(keys[i], i);
            STATIC_MAP.put(keys[i], i);
        }
        System.setProperty("matrix.set", "at-runtime");
        long before = System.nanoTime();
        System.out.println("checkpoint: lock holds=" + lock.getHoldCount() + " keys=" + keys.length);
        Core.checkpointRestore();
        long after = System.nanoTime();
        System.out.println("nanoTime after >= before checkpoint: " + (after >= before));

        System.out.println("lock held by main: " + lock.isHeldByCurrentThread() + " holds=" + lock.getHoldCount()
            + " locked=" + lock.isLocked());
        AtomicBoolean acquired = new AtomicBoolean();
        CountDownLatch tried = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            boolean got = lock.tryLock();
            System.out.println("other tryLock while main holds: " + got);
            if (got) lock.unlock();
            tried.countDown();
            try {
                acquired.set(lock.tryLock(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (acquired.get()) lock.unlock();
        }, "other");
        other.start();
        tried.await();
        lock.unlock();
        System.out.println("main unlocked once: holds=" + lock.getHoldCount() + " locked=" + lock.isLocked());
        Thread.sleep(50);
        System.out.println("other still waiting: " + other.isAlive());
        lock.unlock();
        other.join();
        System.out.println("other acquired after main released: " + acquired.get());

        print("HashMap", found(hashMap, keys));
        int inSet = 0;
        for (Object k : keys) if (hashSet.contains(k)) inSet++;
        print("HashSet", inSet);
        print("IdentityHashMap", found(identityMap, keys));
        print("WeakHashMap", found(weakMap, keys));
        print("static HashMap", found(STATIC_MAP, keys));
        System.out.println("sizes " + hashMap.size() + " " + hashSet.size() + " " + identityMap.size() + " "
            + weakMap.size() + " " + STATIC_MAP.size());
        hashMap.put(new Key(99), 99);
        System.out.println("HashMap still works: " + (hashMap.get(keys[0]) == 0) + " size=" + hashMap.size());

        System.out.println("matrix.prop=" + System.getProperty("matrix.prop"));
        System.out.println("matrix.set=" + System.getProperty("matrix.set"));
        System.out.println("program clock follows io.portacr.restore.Clock: " + clockIsRedirected());
        System.out.println("done");
    }

    static int found(Map<Object, Integer> map, Object[] keys) {
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            Integer v = map.get(keys[i]);
            if (v != null && v == i && map.containsKey(keys[i])) n++;
        }
        return n;
    }

    static void print(String what, int found) {
        System.out.println(what + ": " + found + " of 12 keys found");
    }

    /**
     * Whether this class's System.nanoTime() (a call and a System::nanoTime method reference)
     * reads io.portacr.restore.Clock: shifts that clock by a day and looks. Only a restored
     * JVM redirects, so the uninterrupted run prints false. The shift is taken back.
     */
    static boolean clockIsRedirected() throws Exception {
        Class<?> clock;
        try {
            clock = Class.forName("io.portacr.restore.Clock", true, null);
        } catch (ClassNotFoundException e) {
            return false;
        }
        Method offset = clock.getMethod("offset");
        Method setOffset = clock.getDeclaredMethod("setOffset", long.class);
        setOffset.setAccessible(true);
        long saved = (Long) offset.invoke(null);
        long day = TimeUnit.DAYS.toNanos(1);
        Method raw = System.class.getMethod("nanoTime"); // reflection: not redirected
        setOffset.invoke(null, saved + day);
        try {
            LongSupplier reference = System::nanoTime;
            long rawNow = (Long) raw.invoke(null);
            long call = System.nanoTime();
            long viaReference = reference.getAsLong();
            return call - rawNow >= day / 2 && viaReference - rawNow >= day / 2;
        } finally {
            setOffset.invoke(null, saved);
        }
    }
}
