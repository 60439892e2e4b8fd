package jdkframe;

import java.util.Collections;
import java.util.function.Consumer;

import jdk.crac.Core;

/**
 * Checkpoints from inside a JDK method (Collections.singletonList(...).forEach calls the
 * program's consumer): the JDK frame between main and the consumer cannot be resumed, and the
 * restore must refuse, naming it, before any program code runs.
 */
public class Main {
    public static void main(String[] args) throws Exception {
        Collections.singletonList("x").forEach(new Consumer<String>() {
            @Override
            public void accept(String s) {
                try {
                    System.out.println("checkpoint inside forEach");
                    Core.checkpointRestore();
                    System.out.println("resumed inside forEach");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }
        });
    }
}
