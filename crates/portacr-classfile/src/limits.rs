//! Named limits, checked before anything is allocated from a length read
//! out of the input, so that a corrupt length never causes a huge allocation.

/// Largest `code_length` the JVM accepts (JVMS 4.7.3: `code_length < 65536`).
pub const MAX_CODE_LENGTH: usize = 65535;

/// Largest number of local variable or operand stack slots (both are `u2`).
pub const MAX_SLOTS: usize = 65535;

/// Largest number of array dimensions (JVMS 4.4.1).
pub const MAX_ARRAY_DIMENSIONS: usize = 255;

/// Upper bound of worklist iterations per instruction in the data-flow
/// analysis of old class files; the type lattice is finite, but a bound keeps
/// a pathological method from running forever.
pub const MAX_DATAFLOW_VISITS_PER_INSTRUCTION: usize = 64;

/// Most slot types one analysis may hold at once (states × (max_locals +
/// max_stack)): typing every instruction, or expanding every StackMapTable
/// frame, of a method with 65535 locals would otherwise take gigabytes on a
/// corrupt or hostile class. Real methods stay far below (java.base's
/// largest need a few hundred thousand).
pub const MAX_TYPED_SLOTS: usize = 1 << 22;

/// Most bytes of original code a resume prologue copies to finish the
/// construction of objects that were under construction at the resume
/// point (javac's constructor-argument code is far shorter); bounds the
/// prologue's growth on a pathological method.
pub const MAX_COPIED_CODE: usize = 4096;
