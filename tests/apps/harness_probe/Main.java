package harness_probe;

/**
 * Exercises the test harness itself, without the agent: prints the Java
 * version it runs on and its arguments, then does what the first argument says.
 *   exit N     exit with status N
 *   sleep S    sleep S seconds (the harness's time limit must kill it)
 *   chatter N  print N lines on stdout and stderr each (pipes must not block)
 */
public class Main {
    public static void main(String[] args) throws Exception {
        System.out.println("java.specification.version=" + System.getProperty("java.specification.version"));
        System.out.println("args=" + String.join(" ", args));
        String command = args.length > 0 ? args[0] : "exit";
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        switch (command) {
            case "exit":
                System.out.flush();
                System.exit(n);
                break;
            case "sleep":
                Thread.sleep(n * 1000L);
                System.out.println("woke up");
                break;
            case "chatter":
                for (int i = 0; i < n; i++) {
                    System.out.println("out " + i);
                    System.err.println("err " + i);
                }
                System.out.println("chatter done");
                break;
            default:
                System.err.println("unknown command " + command);
                System.exit(2);
        }
    }
}
