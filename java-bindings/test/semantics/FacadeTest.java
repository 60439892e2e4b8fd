import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Uses the jdk.crac API the way the org.crac facade does: classes found by
 * name, methods called by reflection, the resource a java.lang.reflect.Proxy
 * whose handler knows only the two Resource methods (any other call on it,
 * such as equals/hashCode/toString, is recorded as a failure). Compiled
 * without the API on the class path.
 *
 * <p>Expected outcome is given as the first argument: "success" (fake agent,
 * configured), "not-configured" (no agent), or "any" (real agent: the capture
 * may succeed or fail, only the notifications are checked). Prints PASS/FAIL
 * lines and exits 1 on any failure.
 */
public final class FacadeTest {
    private static int failed;

    public static void main(String[] args) throws Exception {
        String expected = args.length > 0 ? args[0] : "any";
        Class<?> core = Class.forName("jdk.crac.Core");
        Class<?> resource = Class.forName("jdk.crac.Resource");
        Class<?> context = Class.forName("jdk.crac.Context");
        Class<?> checkpointException = Class.forName("jdk.crac.CheckpointException");

        List<String> calls = new ArrayList<>();
        Exception refusal = new Exception("proxy refuses in beforeCheckpoint");
        boolean[] refuse = {false};
        InvocationHandler handler = (proxy, method, methodArgs) -> {
            switch (method.getName()) {
                case "beforeCheckpoint":
                    calls.add("before");
                    if (refuse[0]) {
                        throw refusal;
                    }
                    return null;
                case "afterRestore":
                    calls.add("after");
                    return null;
                default:
                    calls.add("UNEXPECTED " + method.getName());
                    throw new AssertionError("the API called " + method + " on a resource proxy");
            }
        };
        Object proxy = Proxy.newProxyInstance(FacadeTest.class.getClassLoader(), new Class<?>[] {resource}, handler);
        Object global = core.getMethod("getGlobalContext").invoke(null);
        context.getMethod("register", resource).invoke(global, proxy);
        Method checkpointRestore = core.getMethod("checkpointRestore");

        Throwable thrown = invoke(checkpointRestore);
        switch (expected) {
            case "success":
                check("reflective checkpointRestore returned normally", thrown == null, thrown);
                break;
            case "not-configured":
                check("CheckpointException saying not configured",
                        checkpointException.isInstance(thrown) && String.valueOf(thrown.getMessage()).contains("not configured")
                                && thrown.getSuppressed().length == 1,
                        thrown);
                break;
            default:
                check("returned or threw a CRaC exception", thrown == null || thrown.getClass().getName().startsWith("jdk.crac."),
                        thrown);
        }
        check("proxy notified before and after", calls.equals(List.of("before", "after")), calls);

        calls.clear();
        refuse[0] = true;
        thrown = invoke(checkpointRestore);
        check("refusing proxy: CheckpointException", checkpointException.isInstance(thrown), thrown);
        check("refusal reachable through getSuppressed (what org.crac copies)",
                thrown != null && Arrays.asList(thrown.getSuppressed()).contains(refusal),
                thrown == null ? null : Arrays.asList(thrown.getSuppressed()));
        check("refusing proxy notified before and after", calls.equals(List.of("before", "after")), calls);
        System.out.println(failed == 0 ? "facade: all passed" : "facade: " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    private static Throwable invoke(Method m) throws IllegalAccessException {
        try {
            m.invoke(null);
            return null;
        } catch (InvocationTargetException e) {
            return e.getCause();
        }
    }

    private static void check(String name, boolean ok, Object detail) {
        if (ok) {
            System.out.println("PASS facade: " + name);
        } else {
            failed++;
            System.out.println("FAIL facade: " + name + ": " + detail);
        }
    }
}
