import java.lang.management.ManagementFactory;
import java.lang.management.PlatformManagedObject;

import javax.management.ObjectName;

import jdk.crac.management.CRaCMXBean;

/**
 * CRaCMXBean as a platform MXBean (jdk.crac.management.CRaCPlatformProvider):
 * found by ManagementFactory.getPlatformMXBean, as the org.crac facade and
 * Spring Boot look for it, and registered by the platform MBean server by
 * itself. Needs the provider's service file on the boot class path and
 * java.management/sun.management.spi exported (run.sh does both). Prints
 * PASS/FAIL lines and exits 1 on any failure.
 */
public final class PlatformMXBeanTest {
    private static int failed;

    public static void main(String[] args) throws Exception {
        ObjectName name = new ObjectName("jdk.management:type=CRaC");
        check("registered by the platform MBean server without being asked",
                ManagementFactory.getPlatformMBeanServer().isRegistered(name), null);
        CRaCMXBean bean = ManagementFactory.getPlatformMXBean(CRaCMXBean.class);
        check("getPlatformMXBean(CRaCMXBean.class)", bean != null, null);
        check("the same object as CRaCMXBean.getCRaCMXBean()", bean == CRaCMXBean.getCRaCMXBean(), bean);
        check("restore time -1 (not restored)", bean != null && bean.getRestoreTime() == -1,
                bean == null ? null : bean.getRestoreTime());
        // What org.crac.management.CRaCMXBean.getCRaCMXBean() does.
        @SuppressWarnings("unchecked")
        Class<? extends PlatformManagedObject> iface =
                (Class<? extends PlatformManagedObject>) Class.forName("jdk.crac.management.CRaCMXBean");
        PlatformManagedObject viaName = ManagementFactory.getPlatformMXBean(iface);
        Object uptime = iface.getMethod("getUptimeSinceRestore").invoke(viaName);
        check("facade-style lookup by name", Long.valueOf(-1).equals(uptime), uptime);
        check("still works for the JDK's own beans",
                ManagementFactory.getPlatformMXBean(java.lang.management.RuntimeMXBean.class) != null, null);
        System.out.println(failed == 0 ? "platform-mxbean: all passed" : "platform-mxbean: " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    private static void check(String name, boolean ok, Object detail) {
        if (ok) {
            System.out.println("PASS platform-mxbean: " + name);
        } else {
            failed++;
            System.out.println("FAIL platform-mxbean: " + name + ": " + detail);
        }
    }
}
