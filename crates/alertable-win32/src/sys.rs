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
//!   synchronous read or write that `CancelSynchronousIo` can end (`sync_io.rs`);
//! - for threads of other processes (`processthreadsapi/remote.rs`): the adoption signal
//!   (`adoption_signal()`, `install_adoption_handler(on_signal)`,
//!   `send_adoption_signal(tgid, tid)`), what `/proc` tells about a thread
//!   (`thread_status(tid)`, `thread_start_time(tgid, tid)`, `effective_uid()`), the loaded
//!   objects (`loaded_objects()`, `file_id(path)`) and whether a process maps a file
//!   executable (`maps_executable(pid, id)`).

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

// ---------------------------------------------------------------------------------------
// Threads of other processes (`processthreadsapi/remote.rs`).

/// The signal that asks a thread to publish itself for remote APCs: `SIGRTMIN() + 9`
/// (`+ 7` and `+ 8` are the core's suspend and special-APC signals).
pub(crate) fn adoption_signal() -> libc::c_int {
    libc::SIGRTMIN() + 9
}

/// What the adoption signal's handler calls: a `fn()` stored as an address.
static ON_ADOPTION: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Installs the adoption signal's handler, which calls `on_signal` (an async-signal-safe
/// function) with `errno` preserved. Replaces any handler the program had for the signal.
/// Idempotent.
pub(crate) fn install_adoption_handler(on_signal: fn()) {
    ON_ADOPTION.store(on_signal as usize, std::sync::atomic::Ordering::Release);
    // SAFETY: an all-zero `sigaction` is a valid value (no flags, empty mask) that is
    // filled in before use; `sigemptyset` and `sigaction` get pointers to this frame's
    // values; the handler never unwinds and does only async-signal-safe work (see
    // `adoption_handler`).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = adoption_handler as *const () as usize;
        action.sa_flags = libc::SA_RESTART | libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        // Fails only for an invalid signal number, which this is not.
        libc::sigaction(adoption_signal(), &action, std::ptr::null_mut());
    }
}

extern "C" fn adoption_handler(
    _signal: libc::c_int,
    _info: *mut libc::siginfo_t,
    _context: *mut c_void,
) {
    // SAFETY: `__errno_location` returns the calling thread's `errno` slot, valid while
    // the thread lives; reading and writing it is async-signal-safe.
    let errno = unsafe { libc::__errno_location() };
    // SAFETY: as above.
    let saved = unsafe { errno.read() };
    let on_signal = ON_ADOPTION.load(std::sync::atomic::Ordering::Acquire);
    if on_signal != 0 {
        // SAFETY: a non-zero value was stored from a `fn()` by `install_adoption_handler`.
        let on_signal: fn() = unsafe { std::mem::transmute::<usize, fn()>(on_signal) };
        on_signal();
    }
    // SAFETY: as above.
    unsafe { errno.write(saved) };
}

/// Sends the adoption signal to thread `tid` of process `tgid`; false if there is no such
/// thread (or it may not be signaled).
pub(crate) fn send_adoption_signal(tgid: u32, tid: u32) -> bool {
    let (Ok(tgid), Ok(tid)) = (libc::pid_t::try_from(tgid), libc::pid_t::try_from(tid)) else {
        return false;
    };
    // SAFETY: `tgkill` reads no memory; the caller checked that the target process
    // catches the signal, so its default action (ending the process) does not apply.
    let sent = unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            tgid,
            tid,
            libc::c_long::from(adoption_signal()),
        )
    };
    sent == 0
}

/// The calling process's effective user id.
pub(crate) fn effective_uid() -> u32 {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// What `/proc/<tid>/status` tells about a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ThreadStatus {
    /// Its process id.
    pub(crate) tgid: u32,
    /// Its real, effective, saved and file-system user ids.
    pub(crate) uids: [u32; 4],
    /// The signals its process catches (`SigCgt`): bit `n - 1` for signal `n`.
    pub(crate) caught: u64,
}

impl ThreadStatus {
    /// Whether the thread's process has a handler for `signal`.
    pub(crate) fn catches(&self, signal: libc::c_int) -> bool {
        u32::try_from(signal - 1).is_ok_and(|bit| bit < 64 && self.caught >> bit & 1 != 0)
    }
}

/// The status of thread `tid` (of any process), or `None` if no thread has that id.
pub(crate) fn thread_status(tid: u32) -> Option<ThreadStatus> {
    if tid == 0 {
        return None;
    }
    let text = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
    };
    let tgid = field("Tgid")?.parse().ok()?;
    let mut uids = [0u32; 4];
    let mut words = field("Uid")?.split_whitespace();
    for uid in &mut uids {
        *uid = words.next()?.parse().ok()?;
    }
    let caught = u64::from_str_radix(field("SigCgt")?, 16).ok()?;
    Some(ThreadStatus { tgid, uids, caught })
}

/// When thread `tid` of process `tgid` started (field 22 of its `stat`, in clock ticks
/// since boot): with the id, it names the thread even after the id is reused. `None` if
/// the thread no longer runs: gone, or a zombie (a process not yet reaped, or a main
/// thread that ended before the others).
pub(crate) fn thread_start_time(tgid: u32, tid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{tgid}/task/{tid}/stat")).ok()?;
    // The name, field 2, is in parentheses and may hold anything: count after its end.
    let mut fields = text[text.rfind(')')? + 1..].split_whitespace();
    if matches!(fields.next(), Some("Z" | "X" | "x")) {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

/// A file, as the kernel names it: its device and inode numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FileId {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
}

/// The file at `path` (symbolic links followed), or `None` if it cannot be found.
pub(crate) fn file_id(path: &std::path::Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some(FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

/// An object loaded in this process: the main program (empty name), a shared library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoadedObject {
    /// The name the dynamic loader gives (a path; empty for the main program).
    pub(crate) name: Vec<u8>,
    /// The address its file offsets are relative to (`dlpi_addr`).
    pub(crate) base: usize,
    /// Its executable `PT_LOAD` segments, as address ranges.
    pub(crate) code: Vec<std::ops::Range<usize>>,
}

/// The objects loaded in this process (`dl_iterate_phdr`), in the loader's order.
pub(crate) fn loaded_objects() -> Vec<LoadedObject> {
    let mut objects: Vec<LoadedObject> = Vec::new();
    // SAFETY: the callback is given a pointer to `objects`, alive for the whole call and
    // used by nothing else meanwhile; the loader calls it on this thread only.
    unsafe {
        libc::dl_iterate_phdr(
            Some(collect_object),
            std::ptr::from_mut(&mut objects).cast(),
        )
    };
    objects
}

unsafe extern "C" fn collect_object(
    info: *mut libc::dl_phdr_info,
    _size: usize,
    data: *mut c_void,
) -> libc::c_int {
    let collect = || {
        // SAFETY: `data` is the `Vec` `loaded_objects` passed, borrowed by nothing else.
        let objects = unsafe { &mut *data.cast::<Vec<LoadedObject>>() };
        // SAFETY: the loader passes a valid `dl_phdr_info` for the duration of the call.
        let info = unsafe { &*info };
        let name = if info.dlpi_name.is_null() {
            Vec::new()
        } else {
            // SAFETY: a non-null `dlpi_name` is a NUL-terminated string owned by the
            // loader, valid during the call.
            unsafe { std::ffi::CStr::from_ptr(info.dlpi_name) }
                .to_bytes()
                .to_vec()
        };
        let base = info.dlpi_addr as usize;
        let headers = if info.dlpi_phdr.is_null() {
            &[][..]
        } else {
            // SAFETY: the loader's program headers: `dlpi_phnum` entries at `dlpi_phdr`.
            unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) }
        };
        let code = headers
            .iter()
            .filter(|h| h.p_type == libc::PT_LOAD && h.p_flags & libc::PF_X != 0)
            .map(|h| {
                let start = base.wrapping_add(h.p_vaddr as usize);
                start..start.wrapping_add(h.p_memsz as usize)
            })
            .collect();
        objects.push(LoadedObject { name, base, code });
    };
    // Nothing may unwind into the loader.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(collect)) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// Whether process `pid` maps the file `id` executable (`/proc/<pid>/maps`): by the device
/// and inode the kernel lists, or, where a file system lists others than `stat` gives
/// (overlay file systems), by the path it lists.
pub(crate) fn maps_executable(pid: u32, id: FileId) -> bool {
    let Ok(maps) = std::fs::read_to_string(format!("/proc/{pid}/maps")) else {
        return false;
    };
    maps.lines().any(|line| {
        let mut fields = line.split_whitespace();
        let (Some(_range), Some(perms), Some(_offset), Some(dev), Some(inode)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return false;
        };
        if perms.as_bytes().get(2) != Some(&b'x') || inode == "0" {
            return false;
        }
        let listed = dev.split_once(':').and_then(|(major, minor)| {
            Some(FileId {
                dev: libc::makedev(
                    u32::from_str_radix(major, 16).ok()?,
                    u32::from_str_radix(minor, 16).ok()?,
                ),
                ino: inode.parse().ok()?,
            })
        });
        listed == Some(id)
            || fields
                .next()
                .filter(|path| path.starts_with('/'))
                .and_then(|path| file_id(std::path::Path::new(path)))
                == Some(id)
    })
}
