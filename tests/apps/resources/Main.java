package resources;

import java.util.ArrayList;
import java.util.List;

import jdk.crac.CheckpointException;
import jdk.crac.Context;
import jdk.crac.Core;
import jdk.crac.Resource;
import jdk.crac.RestoreException;

/**
 * CRaC resource semantics. Registered in the global context: a, b, the nested
 * context g (members g1, g2), c. The first checkpoint fails because g2 throws:
 * every resource is still notified (beforeCheckpoint in reverse order),
 * afterRestore runs at once in registration order, and the one
 * CheckpointException carries g2's exception as a suppressed exception (the
 * group's own CheckpointException flattened away). The second checkpoint
 * succeeds.
 */
public class Main {
    static boolean g2Refuses = true;
    /** The global context holds resources weakly: keep them alive. */
    static final List<Resource> KEEP = new ArrayList<>();

    static final class Named implements Resource {
        final String name;

        Named(String name) {
            this.name = name;
        }

        @Override
        public void beforeCheckpoint(Context<? extends Resource> context) {
            System.out.println("before " + name);
            if (name.equals("g2") && g2Refuses) {
                throw new IllegalStateException("g2 refuses to checkpoint");
            }
        }

        @Override
        public void afterRestore(Context<? extends Resource> context) {
            System.out.println("after " + name);
        }
    }

    /** A nested context: notifies its members like the global one does. */
    static final class Group extends Context<Resource> {
        final String name;
        final List<Resource> members = new ArrayList<>();

        Group(String name) {
            this.name = name;
        }

        @Override
        public synchronized void register(Resource resource) {
            members.add(resource);
        }

        @Override
        public void beforeCheckpoint(Context<? extends Resource> context) throws CheckpointException {
            System.out.println("before " + name);
            CheckpointException failure = null;
            for (int i = members.size() - 1; i >= 0; i--) {
                try {
                    members.get(i).beforeCheckpoint(this);
                } catch (Exception e) {
                    if (failure == null) {
                        failure = new CheckpointException();
                    }
                    failure.addSuppressed(e);
                }
            }
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public void afterRestore(Context<? extends Resource> context) throws RestoreException {
            System.out.println("after " + name);
            RestoreException failure = null;
            for (Resource member : members) {
                try {
                    member.afterRestore(this);
                } catch (Exception e) {
                    if (failure == null) {
                        failure = new RestoreException();
                    }
                    failure.addSuppressed(e);
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Context<Resource> global = Core.getGlobalContext();
        Named a = new Named("a");
        Named b = new Named("b");
        Group g = new Group("g");
        Named g1 = new Named("g1");
        Named g2 = new Named("g2");
        Named c = new Named("c");
        KEEP.addAll(List.of(a, b, g, g1, g2, c));
        global.register(a);
        global.register(b);
        global.register(g);
        g.register(g1);
        g.register(g2);
        global.register(c);

        System.out.println("attempt 1");
        try {
            Core.checkpointRestore();
            System.out.println("attempt 1 UNEXPECTEDLY succeeded");
        } catch (CheckpointException e) {
            Throwable[] suppressed = e.getSuppressed();
            System.out.println("attempt 1 failed: " + suppressed.length + " suppressed");
            for (Throwable t : suppressed) {
                System.out.println("suppressed: " + t);
            }
        }

        g2Refuses = false;
        System.out.println("attempt 2");
        Core.checkpointRestore();
        System.out.println("attempt 2 returned");
    }
}
