//! What `winbase.h` declares itself (not through an API-set header): the `lstr…` string
//! functions (`strings.rs`), local and global memory (`memory.rs`) and `FormatMessage`
//! (`format.rs`, with the system's message text in `messages.rs`), the A forms of the pipe
//! functions (`pipes.rs`), and the thread pool's callback environment functions
//! (`threadpool.rs`).

pub(crate) mod files;
pub(crate) mod format;
pub(crate) mod memory;
mod messages;
pub(crate) mod objects;
pub(crate) mod pipes;
pub(crate) mod strings;
pub(crate) mod threadpool;
