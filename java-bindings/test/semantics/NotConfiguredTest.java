import java.util.ArrayList;
import java.util.List;

import jdk.crac.CheckpointException;
import jdk.crac.Context;
import jdk.crac.Core;
import jdk.crac.Resource;
import jdk.crac.management.CRaCMXBean;

/**
 * The API without the agent: from the compile-time API jar on the class
 * path, or the runtime classes without registered natives. checkpointRestore()
 * must notify the resources and throw a CheckpointException saying C/R is not
 * configured; the MXBean reports "not restored". Prints PASS/FAIL lines and
 * exits 1 on any failure.
 */
public final class NotConfiguredTest {
    private static int failed;

    public static void main(String[] args) {
        List<String> calls = new ArrayList<>();
        Resource r = new Resource() {
            @Override
            public void beforeCheckpoint(Context<? extends Resource> context) {
                calls.add("before");
            }

            @Override
            public void afterRestore(Context<? extends Resource> context) {
                calls.add("after");
            }
        };
        Core.getGlobalContext().register(r);
        try {
            Core.checkpointRestore();
            check("CheckpointException thrown", false, "returned normally");
        } catch (CheckpointException e) {
            check("CheckpointException thrown", true, null);
            check("message says not configured and how to configure",
                    e.getMessage() != null && e.getMessage().contains("not configured")
                            && e.getMessage().contains("checkpointTo="),
                    e.getMessage());
        } catch (Exception e) {
            check("CheckpointException thrown", false, e);
        }
        check("resource notified before and after", calls.equals(List.of("before", "after")), calls);
        CRaCMXBean bean = CRaCMXBean.getCRaCMXBean();
        check("restore time -1", bean.getRestoreTime() == -1, bean.getRestoreTime());
        check("uptime since restore -1", bean.getUptimeSinceRestore() == -1, bean.getUptimeSinceRestore());
        System.out.println("loaded from: " + (Core.class.getClassLoader() == null ? "boot class path" : "class path"));
        System.out.println(failed == 0 ? "not-configured: all passed" : "not-configured: " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    private static void check(String name, boolean ok, Object detail) {
        if (ok) {
            System.out.println("PASS not-configured: " + name);
        } else {
            failed++;
            System.out.println("FAIL not-configured: " + name + ": " + detail);
        }
    }
}
