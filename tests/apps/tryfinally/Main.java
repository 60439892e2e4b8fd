package tryfinally;

import jdk.crac.Core;

/**
 * The checkpoint is taken inside try regions: after the restore an exception is thrown in
 * the resumed top frame and caught by its own handler (with a finally), and another one
 * propagates out of a resumed frame through its finally into a catch of the frame below.
 */
public class Main {
    public static void main(String[] args) throws Exception {
        try {
            int r = middle(5);
            System.out.println("UNEXPECTED: middle returned " + r);
        } catch (IllegalArgumentException e) {
            System.out.println("main caught: " + e.getMessage());
        } finally {
            System.out.println("main finally");
        }
        System.out.println("end");
    }

    static int middle(int n) throws Exception {
        int local = n * 10;
        try {
            int got = top(n);
            System.out.println("top returned " + got + ", local=" + local);
            throw new IllegalArgumentException("from middle, local=" + local);
        } finally {
            System.out.println("middle finally, local=" + local);
        }
    }

    static int top(int n) throws Exception {
        String label = "label-" + n;
        try {
            System.out.println("checkpoint in " + label);
            Core.checkpointRestore();
            System.out.println("resumed in " + label);
            throw new IllegalStateException("thrown after the checkpoint in " + label);
        } catch (IllegalStateException e) {
            System.out.println("top caught: " + e.getMessage());
            return n + 1;
        } finally {
            System.out.println("top finally, " + label);
        }
    }
}
