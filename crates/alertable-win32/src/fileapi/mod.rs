//! `fileapi.h`: temporary file names.

pub(crate) mod temp;
