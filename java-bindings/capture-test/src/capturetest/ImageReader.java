package capturetest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An independent decoder of the section payloads (spec/contracts.md §4–§8), written from the
 * spec, to check what io.portacr.capture encodes. Every section must be consumed exactly.
 */
final class ImageReader {
    static final class In {
        final ByteBuffer b;
        final String section;
        In(byte[] bytes, String section) {
            b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            this.section = section;
        }
        int u8() { return b.get() & 0xFF; }
        int u16() { return b.getShort() & 0xFFFF; }
        int u32() { return b.getInt(); }
        long u64() { return b.getLong(); }
        boolean bool() {
            int v = u8();
            if (v > 1) throw new IllegalStateException(section + ": bad bool " + v + " at " + (b.position() - 1));
            return v == 1;
        }
        int len() {
            long n = u64();
            if (n < 0 || n > b.remaining() * 8L + 16) throw new IllegalStateException(section + ": absurd length " + n + " at " + (b.position() - 8));
            return (int) n;
        }
        String str() {
            int n = len();
            byte[] s = new byte[n];
            b.get(s);
            return new String(s, StandardCharsets.UTF_8);
        }
        void end() {
            if (b.hasRemaining()) throw new IllegalStateException(section + ": " + b.remaining() + " trailing bytes at " + b.position());
        }
    }

    static final class ClassRec {
        String name; int loader; int loaderObject; int flags; int access; byte[] digest; int superIndex = -1;
        List<String> interfaces = new ArrayList<>();
        List<String> fieldNames = new ArrayList<>(), fieldDescs = new ArrayList<>();
        List<Integer> fieldFlags = new ArrayList<>();
        int init;
        List<String> layoutNames = new ArrayList<>(), layoutDescs = new ArrayList<>();
    }

    static final class Obj {
        int id, kind, ihash, classIndex = -1, symref = -1, length;
        boolean hashed;
        Map<String, Long> fields = new HashMap<>(); // instance: name → raw bits or object id
        long[] elements;                            // arrays: raw elements or ids
        String text; int stringFlags;
    }

    static final class Value {
        int variant; long payload; int object;
        public String toString() {
            String[] names = {"Top", "Int", "Float", "Long", "Double", "Ref", "Uninitialized", "UninitializedThis", "ReturnAddress", "Raw"};
            return names[variant] + "(0x" + Long.toHexString(payload) + (variant == 6 ? "," + object : "") + ")";
        }
    }

    static final class Frame {
        int classIndex, access, bci, kind; String method, descriptor;
        List<Value> locals = new ArrayList<>(), operands = new ArrayList<>();
        List<int[]> monitors = new ArrayList<>();
    }

    final List<ClassRec> classes = new ArrayList<>();
    final List<String> symrefs = new ArrayList<>();
    final List<Obj> objects = new ArrayList<>(); // index id-1
    final Map<Integer, long[]> statics = new HashMap<>(); // class index → raw values
    String threadName; int threadObject; boolean daemon; int priority, state;
    final List<Frame> frames = new ArrayList<>();
    final List<Integer> resources = new ArrayList<>();
    final Map<String, Object> platform = new HashMap<>();
    final Map<String, Object> launch = new HashMap<>();

    static byte[] read(Path dir, int kind) throws IOException {
        return Files.readAllBytes(dir.resolve("section-" + kind + ".bin"));
    }

    ImageReader(Path dir) throws IOException {
        readClasses(new In(read(dir, 3), "CLASSES"));
        In s = new In(read(dir, 4), "SYMREFS");
        for (int n = s.len(), i = 0; i < n; i++) symrefs.add(symref(s));
        s.end();
        readObjects(new In(read(dir, 5), "OBJECTS"));
        readStatics(new In(read(dir, 6), "STATICS"));
        readThreads(new In(read(dir, 7), "THREADS"));
        In r = new In(read(dir, 8), "RESOURCES");
        for (int n = r.len(), i = 0; i < n; i++) resources.add(r.u32());
        r.end();
        readPlatform(new In(read(dir, 1), "PLATFORM"));
        readLaunch(new In(read(dir, 2), "LAUNCH"));
    }

    private static String loaderRef(In in) {
        int v = in.u32();
        switch (v) {
            case 0: return "Boot";
            case 1: return "Platform";
            case 2: return "App";
            case 3: return "Object(" + in.u32() + ")";
            default: throw new IllegalStateException("bad LoaderRef " + v);
        }
    }

    private static String symref(In in) {
        int v = in.u32();
        switch (v) {
            case 0: return "ClassMirror " + in.u32();
            case 1: return "PrimitiveClass " + (char) in.u8();
            case 2: return "StaticValue " + in.str() + "." + in.str();
            case 3: return "StaticArrayElement " + in.str() + "." + in.str() + "[" + in.u32() + "]";
            case 4: return "Loader " + loaderRef(in);
            case 5: return "Module " + in.str();
            case 6: return "UnnamedModule " + loaderRef(in);
            case 7: return "CurrentThread";
            case 8: return "ThreadGroup " + in.str();
            default: throw new IllegalStateException("bad SymbolicRef variant " + v);
        }
    }

    private void readClasses(In in) {
        int n = in.len();
        for (int i = 0; i < n; i++) {
            ClassRec c = new ClassRec();
            c.name = in.str();
            c.loader = in.u32();
            if (c.loader == 3) c.loaderObject = in.u32();
            c.flags = in.u32();
            c.access = in.u16();
            if (in.u8() == 1) { c.digest = new byte[32]; in.b.get(c.digest); }
            if (in.u8() == 1) c.superIndex = in.u32();
            for (int k = in.len(), j = 0; j < k; j++) c.interfaces.add(in.str());
            for (int k = in.len(), j = 0; j < k; j++) {
                c.fieldNames.add(in.str());
                c.fieldDescs.add(in.str());
                c.fieldFlags.add(in.u16());
            }
            c.init = in.u32();
            if (c.init > 3) throw new IllegalStateException("bad InitState " + c.init);
            if (c.superIndex >= 0) {
                if (c.superIndex >= i) throw new IllegalStateException("class " + c.name + " has super index " + c.superIndex + " >= own " + i);
                ClassRec sup = classes.get(c.superIndex);
                c.layoutNames.addAll(sup.layoutNames);
                c.layoutDescs.addAll(sup.layoutDescs);
            }
            for (int j = 0; j < c.fieldNames.size(); j++) {
                if ((c.fieldFlags.get(j) & 8) != 0) continue;
                c.layoutNames.add(c.fieldNames.get(j));
                c.layoutDescs.add(c.fieldDescs.get(j));
            }
            classes.add(c);
        }
        in.end();
    }

    static long readValue(In in, char d) {
        switch (d) {
            case 'Z': case 'B': return (byte) in.u8();
            case 'C': return in.u16();
            case 'S': return (short) in.u16();
            case 'I': case 'F': case 'L': case '[': return in.u32();
            default: return in.u64();
        }
    }

    static int elementSize(char d) {
        switch (d) {
            case 'Z': case 'B': return 1;
            case 'C': case 'S': return 2;
            case 'I': case 'F': return 4;
            default: return 8;
        }
    }

    /**
     * Format 2.x (spec/image-format.md §7): each record names its id by a step from the
     * previous record's, and holds its references as words relative to each other.
     */
    private void readObjects(In in) {
        List<Obj> inOrder = new ArrayList<>();
        int previousId = 0;
        while (in.b.hasRemaining()) {
            Obj o = new Obj();
            int tag = in.u8();
            int step = 0;
            for (int shift = 0; ; shift += 7) {
                int b = in.u8();
                step |= (b & 0x7F) << shift;
                if (b < 0x80) break;
                if (shift >= 28) throw new IllegalStateException("id step too long after object " + previousId);
            }
            o.id = previousId + 1 + ((step >>> 1) ^ -(step & 1));
            previousId = o.id;
            if ((tag & 0x70) != 0) throw new IllegalStateException("reserved tag bits set in object " + o.id);
            o.kind = tag & 0x0F;
            o.hashed = (tag & 0x80) != 0;
            if (o.hashed) o.ihash = in.u32();
            int base = o.id;
            switch (o.kind) {
                case 1: {
                    o.classIndex = in.u32();
                    ClassRec c = classes.get(o.classIndex);
                    for (int i = 0; i < c.layoutNames.size(); i++) {
                        char d = c.layoutDescs.get(i).charAt(0);
                        long v = readValue(in, d);
                        if ((d == 'L' || d == '[') && v != 0) v = base = reference(base, (int) v);
                        o.fields.put(c.layoutNames.get(i), v);
                    }
                    break;
                }
                case 2: case 3: {
                    o.classIndex = in.u32();
                    o.length = in.u32();
                    char d = classes.get(o.classIndex).name.charAt(1);
                    if ((o.kind == 3) != (d == 'L' || d == '[')) throw new IllegalStateException("array kind/class mismatch in object " + o.id);
                    o.elements = new long[o.length];
                    for (int i = 0; i < o.length; i++) {
                        long v = readValue(in, d);
                        if (o.kind == 3 && v != 0) v = base = reference(base, (int) v);
                        o.elements[i] = v;
                    }
                    break;
                }
                case 4: {
                    o.stringFlags = in.u8();
                    int n = in.u32();
                    char[] cs = new char[n];
                    for (int i = 0; i < n; i++) cs[i] = (o.stringFlags & 2) != 0 ? (char) in.u16() : (char) in.u8();
                    o.text = new String(cs);
                    break;
                }
                case 5:
                    o.symref = in.u32();
                    if (o.symref >= symrefs.size()) throw new IllegalStateException("dangling symref in object " + o.id);
                    break;
                default:
                    throw new IllegalStateException("bad object kind " + o.kind + " for object " + o.id);
            }
            inOrder.add(o);
        }
        // By id; every id 1..N exactly once.
        Obj[] byId = new Obj[inOrder.size()];
        for (Obj o : inOrder) {
            if (o.id <= 0 || o.id > byId.length || byId[o.id - 1] != null) throw new IllegalStateException("object id " + o.id + " out of range or given twice");
            byId[o.id - 1] = o;
        }
        objects.addAll(java.util.Arrays.asList(byId));
    }

    /** The id a reference word names: {@code base + unzigzag(word - 1)}. */
    private static int reference(int base, int word) {
        int z = word - 1;
        return base + ((z >>> 1) ^ -(z & 1));
    }

    private void readStatics(In in) {
        int n = in.u32();
        for (int i = 0; i < n; i++) {
            int ci = in.u32();
            int count = in.u32();
            ClassRec c = classes.get(ci);
            long[] values = new long[count];
            int at = 0;
            for (int j = 0; j < c.fieldNames.size(); j++) {
                if ((c.fieldFlags.get(j) & 8) == 0) continue;
                values[at++] = readValue(in, c.fieldDescs.get(j).charAt(0));
            }
            if (at != count) throw new IllegalStateException("static count mismatch for " + c.name);
            statics.put(ci, values);
        }
        in.end();
    }

    private static void values(In in, List<Value> out) {
        for (int n = in.len(), i = 0; i < n; i++) {
            Value v = new Value();
            v.variant = in.u32();
            switch (v.variant) {
                case 0: break;
                case 1: case 2: case 5: case 7: case 8: v.payload = in.u32() & 0xFFFFFFFFL; break;
                case 3: case 4: case 9: v.payload = in.u64(); break;
                case 6: v.payload = in.u32(); v.object = in.u32(); break;
                default: throw new IllegalStateException("bad Value variant " + v.variant);
            }
            out.add(v);
        }
    }

    private void readThreads(In in) {
        int n = in.len();
        if (n != 1) throw new IllegalStateException("expected one thread, got " + n);
        threadName = in.str();
        threadObject = in.u32();
        daemon = in.bool();
        priority = in.u32();
        state = in.u32();
        for (int k = in.len(), i = 0; i < k; i++) {
            Frame f = new Frame();
            f.classIndex = in.u32();
            f.method = in.str();
            f.descriptor = in.str();
            f.access = in.u16();
            f.bci = in.u32();
            values(in, f.locals);
            values(in, f.operands);
            for (int m = in.len(), j = 0; j < m; j++) f.monitors.add(new int[] {in.u32(), in.u32()});
            f.kind = in.u32();
            frames.add(f);
        }
        in.end();
    }

    private void readPlatform(In in) {
        platform.put("os", in.str()); platform.put("arch", in.str());
        platform.put("jvm_vendor", in.str()); platform.put("jvm_name", in.str()); platform.put("jvm_version", in.str());
        platform.put("java_spec_version", in.u32()); platform.put("gc", in.str());
        platform.put("max_heap", in.u64()); platform.put("initial_heap", in.u64());
        platform.put("compressed_oops", in.bool()); platform.put("compact_headers", in.bool());
        platform.put("cpu_count", in.u32()); platform.put("cpu_features", in.u64()); platform.put("pid", in.u32());
        platform.put("boot_time_ms", in.u64()); platform.put("restore_time_ms", in.u64());
        platform.put("checkpoint_time_ms", in.u64()); platform.put("nano_time", in.u64());
        platform.put("generation", in.u32());
        byte[] uuid = new byte[16]; in.b.get(uuid); platform.put("uuid", uuid);
        platform.put("hostname", in.str());
        in.end();
    }

    private void readLaunch(In in) {
        launch.put("java_home", in.str()); launch.put("java_binary", in.str()); launch.put("class_path", in.str());
        launch.put("module_path", in.u8() == 1 ? in.str() : null);
        launch.put("main_class", in.str());
        List<String> args = new ArrayList<>();
        for (int n = in.len(), i = 0; i < n; i++) args.add(in.str());
        launch.put("arguments", args);
        List<String> opts = new ArrayList<>();
        for (int n = in.len(), i = 0; i < n; i++) opts.add(in.str());
        launch.put("jvm_options", opts);
        Map<String, String> props = new HashMap<>();
        for (int n = in.len(), i = 0; i < n; i++) props.put(in.str(), in.str());
        launch.put("system_properties", props);
        launch.put("working_dir", in.str());
        in.end();
    }

    // ---- helpers for the checks -----------------------------------------------------

    Obj object(long id) {
        if (id <= 0 || id > objects.size()) throw new IllegalStateException("no object " + id);
        return objects.get((int) id - 1);
    }

    int classIndex(String internalName) {
        for (int i = 0; i < classes.size(); i++) if (classes.get(i).name.equals(internalName)) return i;
        return -1;
    }

    /** Static field value of a class by name (raw bits or object id). */
    long staticValue(String internalName, String field) {
        int ci = classIndex(internalName);
        if (ci < 0) throw new IllegalStateException("class not in image: " + internalName);
        long[] values = statics.get(ci);
        if (values == null) throw new IllegalStateException("no statics for " + internalName);
        ClassRec c = classes.get(ci);
        int at = 0;
        for (int j = 0; j < c.fieldNames.size(); j++) {
            if ((c.fieldFlags.get(j) & 8) == 0) continue;
            if (c.fieldNames.get(j).equals(field)) return values[at];
            at++;
        }
        throw new IllegalStateException("no static field " + internalName + "." + field);
    }

    String className(Obj o) {
        return o.classIndex >= 0 ? classes.get(o.classIndex).name : (o.kind == 4 ? "java/lang/String" : "symbolic");
    }
}
