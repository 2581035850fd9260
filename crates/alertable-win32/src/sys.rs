//! The only module of this crate that talks to the OS directly.
//!
//! The contract the rest of the crate relies on:
//!
//! - `current_tid()`, `process_id()`: the kernel's ids for the calling thread and process;
//! - `futex_wait(&AtomicU32, expected, timeout) -> FutexWait` and
//!   `futex_wake(&AtomicU32, n)`: process-private futexes on words in caller memory (the
//!   in-place locks of `synchapi/lock.rs`); `futex_wait_bitset(&AtomicU32, expected, bits)` and
//!   `futex_wake_bitset(&AtomicU32, n, bits) -> woken`, the same with sleepers sorted into
//!   classes, so that a wake reaches only one class (the SRW lock's writers or readers);
//! - `yield_now()`, `monotonic_ms()`;
//! - `spawn_detached(stack, start, arg)`: a plain, detached pthread;
//! - `exit_thread()` (`pthread_exit`) and `exit_process(code)` (`exit`);
//! - `sysconf(name, fallback)`, `affinity_mask()`, `local_offset(unix_seconds)`,
//!   `monotonic_100ns()`: what `GetSystemInfo`, `GetLocalTime` and the performance counter
//!   report;
//! - `write_all(fd, bytes)`, `read_some(fd, buffer)`, `is_open(fd)`: the standard
//!   descriptors behind the console functions, `GetStdHandle` and `ReadFile`/`WriteFile`
//!   on standard handles;
//! - `rename_noreplace(from, to)`: a rename that never replaces (`MoveFileEx` without
//!   `MOVEFILE_REPLACE_EXISTING`);
//! - `CancelFd` (an `eventfd`: `new`, `signal`, `clear`) and
//!   `wait_ready_or_cancel(fd, writable, &CancelFd) -> bool`: the wait before a blocking
//!   synchronous read or write that `CancelSynchronousIo` can end (`sync_io.rs`).

use core::ffi::c_void;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

/// The calling thread's kernel thread id (what Win32 calls the thread id).
pub(crate) fn current_tid() -> u32 {
    // SAFETY: `gettid` has no preconditions and cannot fail.
    let tid = unsafe { libc::gettid() };
    tid.unsigned_abs()
}

/// The process id.
pub(crate) fn process_id() -> u32 {
    // SAFETY: `getpid` has no preconditions and cannot fail.
    let pid = unsafe { libc::getpid() };
    pid.unsigned_abs()
}

/// Gives up the rest of the time slice.
pub(crate) fn yield_now() {
    // SAFETY: `sched_yield` has no preconditions; on Linux it always succeeds.
    unsafe { libc::sched_yield() };
}

/// Milliseconds on the monotonic clock (which does not jump when the system time is set).
pub(crate) fn monotonic_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    secs * 1000 + nanos / 1_000_000
}

/// How [`futex_wait`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FutexWait {
    /// Woken, or the word did not hold `expected`, or a signal interrupted the sleep.
    Woken,
    /// The timeout elapsed.
    TimedOut,
}

/// Sleeps while `word` holds `expected`, until woken or `timeout` (`None`: never) elapses.
/// May also return spuriously, as `Woken`.
pub(crate) fn futex_wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> FutexWait {
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: libc::time_t::try_from(t.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: libc::c_long::from(t.subsec_nanos().min(999_999_999) as i32),
    });
    let ts_ptr = ts.as_ref().map_or(core::ptr::null(), core::ptr::from_ref);
    // SAFETY: `word` is a live, aligned 32-bit atomic for the duration of the call; the
    // timespec, if any, lives on this stack frame; FUTEX_WAIT only reads both.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected,
            ts_ptr,
        )
    };
    if r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ETIMEDOUT) {
        FutexWait::TimedOut
    } else {
        FutexWait::Woken
    }
}

/// Wakes up to `n` threads sleeping on `word`.
pub(crate) fn futex_wake(word: &AtomicU32, n: i32) {
    // SAFETY: `word` is a live, aligned 32-bit atomic; FUTEX_WAKE does not access memory
    // through it, it only uses the address as a key.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            n,
        )
    };
}

/// Sleeps while `word` holds `expected`, until woken by a [`futex_wake_bitset`] whose bits
/// meet `bits` (or by [`futex_wake`]). May also return spuriously.
pub(crate) fn futex_wait_bitset(word: &AtomicU32, expected: u32, bits: u32) {
    // SAFETY: `word` is a live, aligned 32-bit atomic for the duration of the call; with no
    // timeout (NULL) FUTEX_WAIT_BITSET reads nothing else. `uaddr2` is unused by this
    // operation.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT_BITSET | libc::FUTEX_PRIVATE_FLAG,
            expected,
            core::ptr::null::<libc::timespec>(),
            core::ptr::null::<u32>(),
            bits,
        )
    };
}

/// Wakes up to `n` threads sleeping on `word` in a [`futex_wait_bitset`] whose bits meet
/// `bits`; returns how many it woke.
pub(crate) fn futex_wake_bitset(word: &AtomicU32, n: i32, bits: u32) -> usize {
    // SAFETY: `word` is a live, aligned 32-bit atomic; FUTEX_WAKE_BITSET does not access
    // memory through it or the unused `timeout`/`uaddr2` arguments.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE_BITSET | libc::FUTEX_PRIVATE_FLAG,
            n,
            core::ptr::null::<libc::timespec>(),
            core::ptr::null::<u32>(),
            bits,
        )
    };
    usize::try_from(r).unwrap_or(0)
}

/// Starts a detached pthread running `start(arg)`, with a stack of at least `stack_size`
/// bytes (0: the default). Returns the `errno` value on failure.
///
/// # Safety
///
/// `start` must be sound to call with `arg` on a new thread.
pub(crate) unsafe fn spawn_detached(
    stack_size: usize,
    start: extern "C" fn(*mut c_void) -> *mut c_void,
    arg: *mut c_void,
) -> Result<(), i32> {
    let mut attr = core::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: `attr` is writable storage for an attribute object.
    let r = unsafe { libc::pthread_attr_init(attr.as_mut_ptr()) };
    if r != 0 {
        return Err(r);
    }
    let attr_ptr = attr.as_mut_ptr();
    let result = (|| {
        // SAFETY: `attr_ptr` was initialized by `pthread_attr_init` above.
        let r =
            unsafe { libc::pthread_attr_setdetachstate(attr_ptr, libc::PTHREAD_CREATE_DETACHED) };
        if r != 0 {
            return Err(r);
        }
        if stack_size != 0 {
            // SAFETY: `sysconf` has no preconditions.
            let page =
                usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
            let size = stack_size
                .max(libc::PTHREAD_STACK_MIN)
                .checked_next_multiple_of(page)
                .ok_or(libc::EINVAL)?;
            // SAFETY: `attr_ptr` is initialized; the size is at least PTHREAD_STACK_MIN.
            let r = unsafe { libc::pthread_attr_setstacksize(attr_ptr, size) };
            if r != 0 {
                return Err(r);
            }
        }
        let mut native: libc::pthread_t = 0;
        // SAFETY: `attr_ptr` is initialized; the caller vouches for `start(arg)`.
        let r = unsafe { libc::pthread_create(&mut native, attr_ptr, start, arg) };
        if r != 0 {
            return Err(r);
        }
        Ok(())
    })();
    // SAFETY: `attr_ptr` is initialized and no longer needed.
    unsafe { libc::pthread_attr_destroy(attr_ptr) };
    result
}

/// Ends the calling thread with `pthread_exit`: glibc unwinds the thread's stack with a
/// forced unwind, then runs its thread-local destructors.
///
/// # Safety
///
/// Every frame between the thread's start and this call must let a forced unwind pass:
/// C frames, and Rust frames without landing pads (no live values with destructors, no
/// `catch_unwind`). See `thread.rs`.
pub(crate) unsafe fn exit_thread() -> ! {
    // SAFETY: the caller guarantees the frames above may be force-unwound.
    unsafe { libc::pthread_exit(core::ptr::null_mut()) }
}

/// Ends the process with `exit(code)`: `atexit` handlers run and C streams are flushed.
pub(crate) fn exit_process(code: u32) -> ! {
    // Exit statuses are 8 bits on Linux; the low byte of the code is what the parent sees.
    let status = code.to_le_bytes()[0];
    // SAFETY: `exit` is always callable; it does not return.
    unsafe { libc::exit(i32::from(status)) }
}

/// `sysconf(name)`, or `fallback` if the system does not say.
pub(crate) fn sysconf(name: libc::c_int, fallback: u64) -> u64 {
    // SAFETY: `sysconf` has no preconditions; an unknown name returns -1.
    let value = unsafe { libc::sysconf(name) };
    u64::try_from(value)
        .ok()
        .filter(|&v| v > 0)
        .unwrap_or(fallback)
}

/// One bit per processor the calling thread may run on, of the first 64.
pub(crate) fn affinity_mask() -> usize {
    // SAFETY: an all-zero `cpu_set_t` is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
    // SAFETY: `set` is a valid `cpu_set_t` of the size passed; pid 0 is the caller.
    let r = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &raw mut set) };
    if r != 0 {
        return 1;
    }
    (0..usize::BITS as usize)
        // SAFETY: `set` is initialized and `cpu` is below CPU_SETSIZE.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .fold(0, |mask, cpu| mask | 1 << cpu)
}

/// The local time zone's offset from UTC at `unix_seconds`, in seconds (the C library's
/// `localtime_r`, which reads `TZ` and the system's zone).
pub(crate) fn local_offset(unix_seconds: i64) -> i64 {
    let t = libc::time_t::try_from(unix_seconds).unwrap_or(0);
    // SAFETY: an all-zero `tm` is valid to be written.
    let mut tm: libc::tm = unsafe { core::mem::zeroed() };
    // SAFETY: both pointers are valid; `localtime_r` is thread-safe.
    let r = unsafe { libc::localtime_r(&raw const t, &raw mut tm) };
    if r.is_null() { 0 } else { tm.tm_gmtoff }
}

/// The monotonic clock in 100 ns ticks (the performance counter's unit).
pub(crate) fn monotonic_100ns() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write; CLOCK_MONOTONIC always exists on Linux,
    // so the call cannot fail.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut ts) };
    ts.tv_sec * 10_000_000 + ts.tv_nsec / 100
}

/// Writes all of `bytes` to descriptor `fd`, retrying after signals.
pub(crate) fn write_all(fd: libc::c_int, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for reading its length.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        match usize::try_from(n) {
            Ok(n) => bytes = &bytes[n..],
            Err(_) if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {
            }
            Err(_) => return Err(std::io::Error::last_os_error()),
        }
    }
    Ok(())
}

/// Reads at most `buffer.len()` bytes from descriptor `fd` (0 at the end of input),
/// retrying after signals.
pub(crate) fn read_some(fd: libc::c_int, buffer: &mut [u8]) -> std::io::Result<usize> {
    loop {
        // SAFETY: `buffer` is valid for writing its length.
        let n = unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len()) };
        match usize::try_from(n) {
            Ok(n) => return Ok(n),
            Err(_) if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {
            }
            Err(_) => return Err(std::io::Error::last_os_error()),
        }
    }
}

/// Whether descriptor `fd` is open.
pub(crate) fn is_open(fd: libc::c_int) -> bool {
    // SAFETY: F_GETFD reads a descriptor's flags and has no other effect; a closed
    // descriptor fails with EBADF.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// Renames `from` to `to` unless `to` exists (`renameat2` with `RENAME_NOREPLACE`): an
/// existing target fails with `EEXIST`, atomically; a file system without the flag fails
/// with `EINVAL`.
pub(crate) fn rename_noreplace(
    from: &std::path::Path,
    to: &std::path::Path,
) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &std::path::Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))
    };
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: both are valid NUL-terminated strings for the duration of the call;
    // AT_FDCWD resolves relative paths from the working directory.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// A descriptor another thread can make readable to end [`wait_ready_or_cancel`]: an
/// `eventfd`, non-blocking.
#[derive(Debug)]
pub(crate) struct CancelFd(std::os::fd::OwnedFd);

impl CancelFd {
    /// A new one, not readable.
    pub(crate) fn new() -> std::io::Result<Self> {
        use std::os::fd::FromRawFd;
        // SAFETY: `eventfd` takes no pointers.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: a new descriptor that nothing else owns.
        Ok(Self(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) }))
    }

    /// Makes it readable. Never blocks.
    pub(crate) fn signal(&self) {
        use std::os::fd::AsRawFd;
        let one: u64 = 1;
        // SAFETY: writes the 8 bytes of `one`; an eventfd write fails only at a counter near
        // u64::MAX, which one signal per cancellation never reaches, and then it is already
        // readable.
        let _ = unsafe { libc::write(self.0.as_raw_fd(), (&raw const one).cast(), 8) };
    }

    /// Makes it unreadable again. Never blocks.
    pub(crate) fn clear(&self) {
        use std::os::fd::AsRawFd;
        let mut value: u64 = 0;
        // SAFETY: reads 8 bytes into `value`; a non-blocking eventfd that is not readable
        // fails with EAGAIN, which leaves it as it should be.
        let _ = unsafe { libc::read(self.0.as_raw_fd(), (&raw mut value).cast(), 8) };
    }
}

/// Waits until `fd` is readable (or writable, if `writable`) — or at its end, or in error,
/// which the read or write that follows reports — or until `cancel` is signaled; true if
/// `fd` is ready. Retries after signals.
pub(crate) fn wait_ready_or_cancel(fd: libc::c_int, writable: bool, cancel: &CancelFd) -> bool {
    use std::os::fd::AsRawFd;
    let events = if writable {
        libc::POLLOUT
    } else {
        libc::POLLIN
    };
    loop {
        let mut fds = [
            libc::pollfd {
                fd,
                events,
                revents: 0,
            },
            libc::pollfd {
                fd: cancel.0.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a live array of two `pollfd`s.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            // A descriptor poll cannot watch: let the read or write itself report.
            return true;
        }
        if fds[1].revents != 0 {
            return false;
        }
        if fds[0].revents != 0 {
            return true;
        }
    }
}
