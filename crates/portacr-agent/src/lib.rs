//! The portacr JVMTI agent (skeleton; being built).
