package restorefail;

import java.util.ArrayList;
import java.util.List;

import jdk.crac.Context;
import jdk.crac.Core;
import jdk.crac.Resource;
import jdk.crac.RestoreException;

/**
 * Resources a, b, c; b's afterRestore throws. checkpointRestore() must notify all three in
 * registration order and then throw one RestoreException carrying b's exception, which the
 * program catches.
 */
public class Main {
    static final List<Resource> KEEP = new ArrayList<>();

    static final class Named implements Resource {
        final String name;

        Named(String name) {
            this.name = name;
        }

        @Override
        public void beforeCheckpoint(Context<? extends Resource> context) {
            System.out.println("before " + name);
        }

        @Override
        public void afterRestore(Context<? extends Resource> context) {
            System.out.println("after " + name);
            if (name.equals("b")) {
                throw new IllegalStateException("b refuses to restore");
            }
        }
    }

    public static void main(String[] args) throws Exception {
        for (String n : new String[] {"a", "b", "c"}) {
            Named r = new Named(n);
            KEEP.add(r);
            Core.getGlobalContext().register(r);
        }
        System.out.println("checkpoint");
        try {
            Core.checkpointRestore();
            System.out.println("UNEXPECTED: no RestoreException");
        } catch (RestoreException e) {
            System.out.println("caught RestoreException with " + e.getSuppressed().length + " suppressed");
            for (Throwable t : e.getSuppressed()) {
                System.out.println("suppressed: " + t);
            }
        }
        System.out.println("end");
    }
}
