package io.portacr;

/**
 * The object the warm-ups of the heap walk (capture) and of the heap rebuild (restore) make
 * by the thousand: a field of every kind, under a superclass with fields of its own, as
 * application classes have. Neither warm-up touches the application's objects.
 */
public final class WarmupSample extends WarmupBase {
    public byte b;
    public char c;
    public short s;
    public int i;
    public float f;
    public long j;
    public double d;
    public String name;
    public int[] data;
    public Object link;
    public WarmupSample next;
    public Object[] more;
}
