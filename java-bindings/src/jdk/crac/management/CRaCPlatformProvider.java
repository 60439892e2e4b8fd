package jdk.crac.management;

import java.util.List;
import java.util.Map;
import java.util.Set;

import sun.management.spi.PlatformMBeanProvider;

/**
 * Makes {@link CRaCMXBean} a platform MXBean of a stock JDK, so that
 * {@code ManagementFactory.getPlatformMXBean(CRaCMXBean.class)} returns it
 * (as on a CRaC JDK) and the platform MBean server registers it as
 * {@code jdk.management:type=CRaC}. The {@code org.crac} facade's
 * {@code CRaCMXBean.getCRaCMXBean()} calls exactly that, and Spring Boot calls
 * the facade whenever {@code jdk.crac.management.CRaCMXBean} exists.
 *
 * <p>Found by {@code ManagementFactory} through
 * {@code ServiceLoader.loadInstalled(PlatformMBeanProvider.class)}, which also
 * reads {@code META-INF/services} of the boot class path. Requirements on the
 * agent, both or neither: the jar on the boot class path carries
 * {@code META-INF/services/sun.management.spi.PlatformMBeanProvider} naming
 * this class, and {@code java.management/sun.management.spi} is exported to
 * the boot loader's unnamed module before {@code ManagementFactory} first
 * looks for providers. With the service file but without the export, loading
 * this class fails and breaks every platform MXBean lookup of the JVM.
 */
public final class CRaCPlatformProvider extends PlatformMBeanProvider {

    /** Called by {@code ServiceLoader}. */
    public CRaCPlatformProvider() {
    }

    @Override
    public List<PlatformComponent<?>> getPlatformComponentList() {
        return List.of(new PlatformComponent<CRaCMXBean>() {
            @Override
            public Set<String> mbeanInterfaceNames() {
                return Set.of(CRaCMXBean.class.getName());
            }

            @Override
            public Map<String, CRaCMXBean> nameToMBeanMap() {
                return Map.of(CRaCMXBean.OBJECT_NAME, CRaCMXBeanImpl.bean());
            }

            @Override
            public String getObjectNamePattern() {
                return CRaCMXBean.OBJECT_NAME;
            }

            @Override
            public Set<Class<? extends CRaCMXBean>> mbeanInterfaces() {
                return Set.of(CRaCMXBean.class);
            }
        });
    }
}
