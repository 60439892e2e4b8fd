package io.portacr.capture;

/** An object the image cannot carry was reached; the walker turns this into a reference path. */
final class UncarriableObjectException extends Exception {
    private static final long serialVersionUID = 1L;

    final transient Object offender;
    final String description;

    UncarriableObjectException(Object offender, String description) {
        super(description, null, false, false);
        this.offender = offender;
        this.description = description;
    }
}
