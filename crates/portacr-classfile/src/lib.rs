//! portacr-classfile (skeleton; being built).
