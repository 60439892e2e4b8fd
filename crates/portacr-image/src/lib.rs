//! portacr-image (skeleton; being built).
