import jdk.crac.Context;
import jdk.crac.Core;
import jdk.crac.Resource;

/**
 * Without keepRunning, a successful checkpoint ends the process: status 0,
 * output flushed, no shutdown hooks, no afterRestore, nothing after the call.
 * run.sh runs it (fake agent, -Dportacr.fake.keepRunning=false) and checks
 * the exit status and the output: it must contain "beforeCheckpoint ran" and
 * "unflushed tail" and must not contain "SHOULD NOT".
 */
public final class ExitAfterCheckpoint {
    public static void main(String[] args) throws Exception {
        // The JDK's own System.out flushes on every write; an application's may
        // not. Use a buffered one so that only an explicit flush gets the tail out.
        System.setOut(new java.io.PrintStream(
                new java.io.BufferedOutputStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16),
                false));
        Resource r = new Resource() {
            @Override
            public void beforeCheckpoint(Context<? extends Resource> context) {
                System.out.println("beforeCheckpoint ran");
                // No newline, and nothing printed after it: stays in System.out's
                // buffer unless the checkpoint flushes it before ending the process.
                System.out.print("unflushed tail");
            }

            @Override
            public void afterRestore(Context<? extends Resource> context) {
                System.out.println("SHOULD NOT: afterRestore ran in the checkpointed process");
            }
        };
        Core.getGlobalContext().register(r);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("SHOULD NOT: shutdown hook ran")));
        Core.checkpointRestore();
        System.out.println("SHOULD NOT: continued after the checkpoint");
        System.exit(3);
    }
}
