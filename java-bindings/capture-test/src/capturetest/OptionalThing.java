package capturetest;

/** Compiled, then deleted by run.sh: a missing optional dependency at run time. */
public final class OptionalThing {
}
