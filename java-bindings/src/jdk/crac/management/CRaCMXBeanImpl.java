package jdk.crac.management;

import java.lang.management.ManagementFactory;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/**
 * The one {@link CRaCMXBean} of the JVM. Times come from the agent: a JVM is
 * "restored" when the agent says its next checkpoint is of generation 2 or
 * more; without the agent it never is.
 */
final class CRaCMXBeanImpl implements CRaCMXBean {
    private static final Object LOCK = new Object();
    private static CRaCMXBeanImpl instance;
    private static final java.util.concurrent.atomic.AtomicBoolean REGISTERED =
            new java.util.concurrent.atomic.AtomicBoolean();

    private final ObjectName name;

    private CRaCMXBeanImpl(ObjectName name) {
        this.name = name;
    }

    /** The bean, not registered anywhere: for the platform provider, whose caller registers it. */
    static CRaCMXBeanImpl bean() {
        synchronized (LOCK) {
            if (instance == null) {
                try {
                    instance = new CRaCMXBeanImpl(new ObjectName(OBJECT_NAME));
                } catch (MalformedObjectNameException e) {
                    throw new AssertionError(OBJECT_NAME, e);
                }
            }
            return instance;
        }
    }

    /** The bean, registered with the platform MBean server on the first call. */
    static CRaCMXBean instance() {
        CRaCMXBeanImpl bean = bean();
        // Not under LOCK: creating the platform MBean server may call back into
        // bean() (CRaCPlatformProvider) from another thread that holds
        // ManagementFactory's own lock.
        if (REGISTERED.compareAndSet(false, true)) {
            register(bean);
        }
        return bean;
    }

    /**
     * Registers the bean lazily: creating the platform MBean server costs tens
     * of milliseconds and objects in the heap, which an application that never
     * asks for the bean should not pay for.
     */
    private static void register(CRaCMXBeanImpl bean) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            server.registerMBean(bean, bean.name);
        } catch (InstanceAlreadyExistsException e) {
            // Registered already by the platform MBean server through
            // CRaCPlatformProvider, or a CRaC JDK serves the name.
        } catch (JMException e) {
            io.portacr.Checkpoints.log(2, "cannot register " + OBJECT_NAME + ": " + e);
        }
    }

    @Override
    public long getRestoreTime() {
        return io.portacr.Checkpoints.restoreTimeMillis();
    }

    @Override
    public long getUptimeSinceRestore() {
        long restore = getRestoreTime();
        return restore < 0 ? -1 : Math.max(0, System.currentTimeMillis() - restore);
    }

    @Override
    public ObjectName getObjectName() {
        return name;
    }
}
