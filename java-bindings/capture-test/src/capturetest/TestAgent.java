package capturetest;

import java.lang.instrument.Instrumentation;

/** -javaagent for the capture tests: gives the fake io.portacr.Native the list of loaded classes. */
public final class TestAgent {
    private TestAgent() {}

    public static void premain(String args, Instrumentation inst) {
        io.portacr.Native.instrumentation = inst;
    }
}
