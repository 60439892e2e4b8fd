package lambdaframe;

import jdk.crac.Core;

/**
 * Checkpoints inside a lambda run through its functional interface: the lambda proxy's
 * frame (a hidden class) is on the stack, which the restore cannot re-create yet; it must
 * refuse with one line naming that frame.
 */
public class Main {
    public static void main(String[] args) throws Exception {
        Runnable task = () -> {
            try {
                System.out.println("checkpoint inside a lambda");
                Core.checkpointRestore();
                System.out.println("resumed inside a lambda");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        };
        task.run();
    }
}
