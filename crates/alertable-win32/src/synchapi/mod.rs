//! `synchapi.h`: waits, events, semaphores, mutexes, waitable timers, critical sections,
//! SRW locks, condition variables, one-time initialization, `WaitOnAddress` and
//! synchronization barriers, one file per kind of object. (`PulseEvent`, `OpenMutexA` and
//! the A forms of `CreateSemaphore(Ex)`, `OpenSemaphore`, `CreateWaitableTimer(Ex)` and
//! `OpenWaitableTimer` are in `winbase`, where Windows declares them.) Object names are
//! in `names.rs`.

pub(crate) mod address;
pub(crate) mod barrier;
pub(crate) mod event;
pub(crate) mod init_once;
pub(crate) mod lock;
pub(crate) mod mutex;
pub(crate) mod semaphore;
pub(crate) mod timer;
pub(crate) mod wait;
