package jdk.crac.management;

import java.lang.management.PlatformManagedObject;

/**
 * Management interface of checkpoint/restore, registered with the platform
 * MBean server as {@code jdk.management:type=CRaC}.
 *
 * <p>On a stock JDK this is not a platform MXBean known to
 * {@link java.lang.management.ManagementFactory#getPlatformMXBean(Class)};
 * obtain it with {@link #getCRaCMXBean()}, which also registers it with the
 * platform MBean server, or through that server by name.
 */
public interface CRaCMXBean extends PlatformManagedObject {

    /** The object name under which the bean is registered. */
    String OBJECT_NAME = "jdk.management:type=CRaC";

    /**
     * The time since this JVM was restored.
     *
     * @return milliseconds since the restore, or -1 if this JVM was not restored
     */
    long getUptimeSinceRestore();

    /**
     * The time at which this JVM was restored.
     *
     * @return epoch milliseconds of the restore, or -1 if this JVM was not restored
     */
    long getRestoreTime();

    /**
     * The bean of this JVM, registered with the platform MBean server on first use.
     *
     * @return the bean
     */
    static CRaCMXBean getCRaCMXBean() {
        return CRaCMXBeanImpl.instance();
    }
}
