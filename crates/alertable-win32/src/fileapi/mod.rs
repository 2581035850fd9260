//! `fileapi.h`: opening, reading, writing and deleting files (`file.rs`), and temporary
//! file names (`temp.rs`).

pub(crate) mod file;
pub(crate) mod temp;
