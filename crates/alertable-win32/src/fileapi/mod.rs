//! `fileapi.h`: opening, reading, writing and deleting files (`file.rs`), their size and
//! position (`info.rs`), attributes and folders by name (`paths.rs`), and temporary file
//! names (`temp.rs`).

pub(crate) mod file;
pub(crate) mod info;
pub(crate) mod paths;
pub(crate) mod temp;
