package openfile;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;

import jdk.crac.CheckpointException;
import jdk.crac.Core;

/**
 * An open file reachable from a static cannot be carried: the checkpoint must
 * fail with a CheckpointException naming the reference path, and the program
 * goes on with the file still usable. Once the file is closed (the closed
 * stream stays reachable) the checkpoint succeeds.
 *
 * Argument: the path of a scratch file to create.
 */
public class Main {
    static Holder holder;

    static final class Holder {
        final FileInputStream input;

        Holder(FileInputStream input) {
            this.input = input;
        }
    }

    public static void main(String[] args) throws Exception {
        File file = new File(args[0]);
        try (FileOutputStream out = new FileOutputStream(file)) {
            out.write("portacr".getBytes("US-ASCII"));
        }
        holder = new Holder(new FileInputStream(file));
        System.out.println("first byte: " + (char) holder.input.read());

        try {
            Core.checkpointRestore();
            System.out.println("UNEXPECTED: checkpoint with an open file succeeded");
        } catch (CheckpointException e) {
            System.out.println("checkpoint refused: " + e.getMessage());
            for (Throwable t : e.getSuppressed()) {
                System.out.println("suppressed: " + t);
            }
        }
        // The failed checkpoint must leave the stream as it was.
        System.out.println("next byte: " + (char) holder.input.read());
        holder.input.close();
        System.out.println("file closed, checkpointing again");
        Core.checkpointRestore();
        System.out.println("resumed after checkpoint without the open file");
    }
}
