package capturetest;

/** Invariants every image must satisfy, whatever the scenario. */
final class CommonChecks {
    private CommonChecks() {}

    static void all(ImageReader r) {
        int n = r.objects.size();
        for (ImageReader.Obj o : r.objects) {
            if (o.classIndex >= r.classes.size()) throw new AssertionError("object " + o.id + ": class index out of range");
            if (o.kind == 1) {
                ImageReader.ClassRec c = r.classes.get(o.classIndex);
                for (int i = 0; i < c.layoutNames.size(); i++) {
                    char d = c.layoutDescs.get(i).charAt(0);
                    if (d == 'L' || d == '[') {
                        long id = o.fields.get(c.layoutNames.get(i)) & 0xFFFFFFFFL;
                        if (id > n) throw new AssertionError("object " + o.id + " field " + c.layoutNames.get(i) + ": dangling id " + id);
                    }
                }
            }
            if (o.kind == 3) for (long id : o.elements) if ((id & 0xFFFFFFFFL) > n) throw new AssertionError("object " + o.id + ": dangling element id");
        }
        for (ImageReader.ClassRec c : r.classes) {
            if (c.loader == 3 && (c.loaderObject <= 0 || c.loaderObject > n)) throw new AssertionError("class " + c.name + ": bad loader object");
            if ((c.flags & 1) != 0 && c.name.startsWith("jdk/internal/")) throw new AssertionError("JDK class " + c.name + " flagged APPLICATION");
            boolean needsSuper = !c.name.equals("java/lang/Object") && (c.flags & 4) == 0; // not Object, not an interface
            if (needsSuper && c.superIndex < 0) throw new AssertionError("class " + c.name + ": superclass missing from the table");
        }
        Check.equal("linux", r.platform.get("os"), "platform os");
        Check.that(r.platform.get("arch").equals("x86_64") || r.platform.get("arch").equals("aarch64"), "platform arch");
        Check.equal(Runtime.version().feature(), r.platform.get("java_spec_version"), "java spec version");
        Check.equal(0x1234L, r.platform.get("cpu_features"), "cpu features from Native");
        Check.equal((int) ProcessHandle.current().pid(), r.platform.get("pid"), "pid");
        Check.that(!((String) r.platform.get("gc")).isEmpty(), "gc name");
        Check.that(((java.util.List<?>) r.launch.get("jvm_options")).stream().noneMatch(o -> ((String) o).contains("libportacr")), "agent option removed");
        Check.equal("capturetest.Main", r.launch.get("main_class"), "main class");
        Check.equal(System.getProperty("user.dir"), r.launch.get("working_dir"), "working dir");
        Check.that(((java.util.Map<?, ?>) r.launch.get("system_properties")).containsKey("java.version"), "system properties");
        Check.equal(0x5, r.state, "thread state");
        Check.equal(Thread.currentThread().getName(), r.threadName, "thread name");
    }
}
