package capturetest;

/** Runs one capture scenario per JVM (scenarios must not see each other's statics). */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "graph": GraphScenario.main(args); break;
            case "frames": FramesScenario.main(args); break;
            case "uncarriable": UncarriableScenario.main(args); break;
            case "frame-facts": FrameFacts.main(args); break;
            case "bench": BenchScenario.main(args); break;
            default: throw new IllegalArgumentException("unknown scenario " + args[0]);
        }
        System.out.println(args[0] + ": OK (" + Check.passed + " checks)");
    }
}
