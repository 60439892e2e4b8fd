package capturetest;

/** A class whose static field's type is absent at run time, so reflection on its fields fails. */
public final class WithMissingDependency {
    static OptionalThing thing;
    static int counter = 42;
    static double ratio = -0.0;
    static String label = "still here";

    /** Its frame is captured: reflection on this class's methods fails (see use). */
    public static synchronized String checkpointHere() throws Exception {
        return GraphScenario.run();
    }

    static void use(OptionalThing t) {
    }
}
