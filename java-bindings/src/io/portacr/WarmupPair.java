package io.portacr;

/**
 * A class with reference fields only, as many JDK and application classes are (map entries,
 * list nodes): the restore warm-up's records of it have no primitive values.
 */
public final class WarmupPair {
    public Object first;
    public Object second;
}
