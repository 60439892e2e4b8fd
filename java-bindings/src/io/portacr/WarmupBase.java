package io.portacr;

/** The superclass of {@link WarmupSample}: records hold a superclass's fields first. */
public class WarmupBase {
    public long stamp;
    public Object owner;
    public boolean flag;
}
