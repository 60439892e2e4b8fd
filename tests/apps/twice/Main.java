package twice;

import jdk.crac.Core;

/**
 * Checkpoints twice: a restored program checkpoints again (generation 2), and that image
 * restores too. Prints the counter and the generation it runs in after each checkpoint.
 */
public class Main {
    static int counter;

    public static void main(String[] args) throws Exception {
        long sum = 0;
        for (int i = 1; i <= 2; i++) {
            counter += 10;
            sum += i * 100L;
            System.out.println("checkpoint " + i + " counter=" + counter + " sum=" + sum);
            Core.checkpointRestore();
            System.out.println("after checkpoint " + i + " counter=" + counter + " sum=" + sum);
        }
        System.out.println("done sum=" + sum);
    }
}
