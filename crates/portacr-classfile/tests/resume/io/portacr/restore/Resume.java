package io.portacr.restore;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test double of the runtime: resumptions and values come from a script. */
public final class Resume {
    private static final List<int[]> points = new ArrayList<>();
    private static final List<Object> values = new ArrayList<>();
    private static int nextPoint, nextValue;
    public static final Map<String, Object> staticValues = new HashMap<>();
    public static final List<String> log = new ArrayList<>();

    public static int token(String c, String n, String d) {
        int h = 0x811C9DC5;
        for (byte b : (c + "." + n + d).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h ^= (b & 0xFF);
            h *= 0x01000193;
        }
        return h & 0x7FFFFFFF;
    }

    /** The next call of c.n d resumes at its point `index` and consumes `vals`. */
    public static void expect(String c, String n, String d, int index, Object... vals) {
        points.add(new int[] {token(c, n, d), index});
        for (Object v : vals) values.add(v);
    }

    /** True when the script was used up exactly; resets it. */
    public static boolean clean() {
        boolean clean = nextPoint == points.size() && nextValue == values.size();
        points.clear(); values.clear(); nextPoint = 0; nextValue = 0;
        return clean;
    }

    public static int point(int token) {
        if (nextPoint < points.size() && points.get(nextPoint)[0] == token) {
            return points.get(nextPoint++)[1];
        }
        return -1;
    }

    private static Object next() {
        if (nextValue >= values.size()) throw new IllegalStateException("script has no more values");
        return values.get(nextValue++);
    }
    public static int i() { return (Integer) next(); }
    public static long j() { return (Long) next(); }
    public static float f() { return (Float) next(); }
    public static double d() { return (Double) next(); }
    public static Object a() { return next(); }

    public static void statics(Class<?> c) {
        log.add("statics " + c.getName());
        try {
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) && staticValues.containsKey(field.getName())) {
                    field.setAccessible(true);
                    field.set(null, staticValues.get(field.getName()));
                }
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
