package demo;

import java.util.Map;
import java.util.TreeMap;

import jdk.crac.Core;

/**
 * The demo program: some state (a map, a counter), a recursion a few frames
 * deep, and a checkpoint at the bottom of it. Every line it prints after the
 * checkpoint is computed from state that must have survived it.
 */
public class Main {
    static final Map<String, Integer> WORD_COUNTS = new TreeMap<>();
    static int counter;

    public static void main(String[] args) throws Exception {
        for (String word : "the quick brown fox jumps over the lazy dog and the end".split(" ")) {
            WORD_COUNTS.merge(word, 1, Integer::sum);
        }
        counter = 41;
        System.out.println("words: " + WORD_COUNTS);
        long result = countdown(3, 100L);
        System.out.println("countdown result: " + result);
        System.out.println("counter: " + counter + ", words: " + WORD_COUNTS.size());
    }

    /** Recurses n frames deep, each frame keeping a label and a running sum. */
    static long countdown(int n, long sum) throws Exception {
        if (n == 0) {
            counter++;
            System.out.println("checkpoint at depth 3, counter=" + counter + ", sum=" + sum);
            Core.checkpointRestore();
            System.out.println("resumed at depth 3, counter=" + counter + ", sum=" + sum);
            return sum;
        }
        String label = "level-" + n;
        long below = countdown(n - 1, sum + n);
        System.out.println("back in " + label + ", below=" + below);
        return below * 2;
    }
}
