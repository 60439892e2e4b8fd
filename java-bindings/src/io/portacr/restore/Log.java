package io.portacr.restore;

import io.portacr.Native;

/** The agent's log (level filtering happens in the agent). */
final class Log {
    private Log() {}

    static void info(String message) {
        write(3, message);
    }

    static void debug(String message) {
        write(4, message);
    }

    static void warn(String message) {
        write(2, message);
    }

    private static void write(int level, String message) {
        try {
            Native.log(level, "restore: " + message);
        } catch (LinkageError | IllegalStateException e) {
            // No agent: nothing to log to.
        }
    }
}
