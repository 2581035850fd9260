//! `processthreadsapi.h`: threads (`thread.rs`), threads of other processes (`remote.rs`),
//! APCs (`apc.rs`), the current process
//! (`process.rs`), thread local storage (`tls.rs`), and what a handle tells about its
//! thread or process — ids, priorities, descriptions (`info.rs`).

pub(crate) mod apc;
pub(crate) mod info;
pub(crate) mod process;
pub(crate) mod remote;
pub(crate) mod thread;
pub(crate) mod tls;
