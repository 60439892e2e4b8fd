package exits;

import jdk.crac.Core;

/**
 * After the checkpoint the program ends the way its first argument says: "return"
 * (status 0), "throw" (an uncaught exception: stack trace, status 1), "exit" (System.exit(3)).
 */
public class Main {
    public static void main(String[] args) throws Exception {
        String how = args.length > 0 ? args[0] : "return";
        System.out.println("checkpoint, then " + how);
        Core.checkpointRestore();
        System.out.println("resumed, now " + how);
        if (how.equals("throw")) {
            throw new IllegalStateException("uncaught after the checkpoint");
        }
        if (how.equals("exit")) {
            System.exit(3);
        }
        System.out.println("returning");
    }
}
