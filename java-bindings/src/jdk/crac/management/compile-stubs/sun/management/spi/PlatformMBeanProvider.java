package sun.management.spi;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * COMPILE-TIME STUB, never used at run time. {@code javac --release 17} cannot
 * see the JDK's {@code sun.management.spi} (not exported), yet
 * {@code jdk.crac.management.CRaCPlatformProvider} must extend this class so
 * that {@code ManagementFactory.getPlatformMXBean(CRaCMXBean.class)} works
 * (the {@code org.crac} facade and Spring Boot call it). The stub declares the
 * same members as the JDK's class (checked against JDK 17 and 25 with javap).
 * At run time the package belongs to the module {@code java.management}, so
 * the boot loader always takes the JDK's class and never this one.
 */
public abstract class PlatformMBeanProvider {
    /** Stub of the JDK's nested interface. */
    public interface PlatformComponent<T> {
        Set<String> mbeanInterfaceNames();

        Map<String, T> nameToMBeanMap();

        String getObjectNamePattern();

        default boolean isSingleton() {
            return true;
        }

        default boolean shouldRegister() {
            return true;
        }

        Set<Class<? extends T>> mbeanInterfaces();
    }

    protected PlatformMBeanProvider() {
    }

    public abstract List<PlatformComponent<?>> getPlatformComponentList();
}
