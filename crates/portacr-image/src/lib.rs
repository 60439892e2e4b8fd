//! portacr-image: the portacr image format (spec/image-format.md) — data
//! model, streaming writer, lazy zero-copy reader and verifier. No JVM here.

pub mod error;
pub mod heap_sizing;
pub mod layout;
pub mod limits;
pub mod model;
pub mod reader;
mod serde_bounded;
pub mod verify;
pub mod writer;

pub use error::{ImageError, Location, Part, Result};
pub use layout::{FileHeader, SectionEntry};
pub use model::*;
pub use reader::{
    decode_reference_word, decode_reference_words, id_after_step, page_size, read_step, step_to, zigzag, IdDefect, Image, Layouts, ObjectIter,
    RecordIds, StaticsIter, StepError,
};
pub use verify::{verify, VerifyReport};
pub use writer::{
    write_image_dir, write_image_dir_with, ImageWriter, ObjectsEncoder, PendingImage, StaticsEncoder,
    WriterOptions, IMAGE_FILE_NAME,
};
