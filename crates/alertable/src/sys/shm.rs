//! Linux: the per-user shared-memory namespace file, its robust lock, liveness locks and
//! shared futexes — every operating-system call the cross-process objects make.
//!
//! | item | contract |
//! |------|----------|
//! | `namespace_dir()` | the per-user directory: `$ALERTABLE_SHM_DIR`, else `/dev/shm/alertable-<euid>` |
//! | `open_namespace(dir, name)` | creates the directory (0700) and opens or creates the file in it (0600); refuses (`PermissionDenied`) a directory or file that is not the caller's, or that others may read or write |
//! | `NamespaceFile` | the open file: `lock_exclusive`/`unlock` (`flock`, released by the kernel when the process dies), `is_unlinked`, `size`/`grow`, `map`, `try_hold_byte`/`byte_held_elsewhere` (open-file-description locks: one byte per process, released when it dies), `unlink` |
//! | `RobustMutex` | a process-shared, robust `pthread_mutex_t` living in the mapping: `lock` reports whether the previous owner died holding it; `mark_consistent` then repairs it |
//! | `futex_wait_shared` / `futex_wake_shared` | futex operations that other processes mapping the same page see |
//! | `on_fork_child(f)` | runs `f` in the child after every `fork` |
//! | `at_exit(f)` | runs `f` when the process exits normally |

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::time::Duration;

use rustix::fs::{FlockOperation, Mode, OFlags};
use rustix::mm::{MapFlags, ProtFlags};
use rustix::thread::futex;

use crate::sync::AtomicU32;

/// The directory that holds the calling user's namespace.
pub(crate) fn namespace_dir() -> PathBuf {
    match std::env::var_os("ALERTABLE_SHM_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(format!("/dev/shm/alertable-{}", euid())),
    }
}

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn denied(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, what.to_owned())
}

/// Checks that `stat` describes something of the calling user that nobody else may read
/// or write.
fn check_private(stat: &rustix::fs::Stat, what: &str) -> io::Result<()> {
    if stat.st_uid != euid() || stat.st_mode & 0o077 != 0 {
        return Err(denied(what));
    }
    Ok(())
}

/// Opens (creating if needed) `dir/name`, after checking that `dir` is the caller's own
/// private directory and the file the caller's own private file.
pub(crate) fn open_namespace(dir: &Path, name: &str) -> io::Result<NamespaceFile> {
    match rustix::fs::mkdir(dir, Mode::RWXU) {
        Ok(()) | Err(rustix::io::Errno::EXIST) => {}
        Err(e) => return Err(e.into()),
    }
    let stat = rustix::fs::lstat(dir)?;
    if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::Directory {
        return Err(denied("the namespace directory is not a directory"));
    }
    check_private(
        &stat,
        "the namespace directory belongs to another user or is shared",
    )?;
    let path = dir.join(name);
    let fd = rustix::fs::open(
        &path,
        OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::RUSR | Mode::WUSR,
    )?;
    let stat = rustix::fs::fstat(&fd)?;
    if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::RegularFile {
        return Err(denied("the namespace file is not a regular file"));
    }
    check_private(
        &stat,
        "the namespace file belongs to another user or is shared",
    )?;
    Ok(NamespaceFile {
        fd,
        path,
        dir: dir.to_owned(),
    })
}

/// The open namespace file.
#[derive(Debug)]
pub(crate) struct NamespaceFile {
    fd: OwnedFd,
    path: PathBuf,
    dir: PathBuf,
}

impl NamespaceFile {
    /// Takes the whole-file lock (`flock`), waiting for it.
    pub(crate) fn lock_exclusive(&self) -> io::Result<()> {
        loop {
            match rustix::fs::flock(&self.fd, FlockOperation::LockExclusive) {
                Err(rustix::io::Errno::INTR) => {}
                other => return other.map_err(Into::into),
            }
        }
    }

    /// Releases the whole-file lock.
    pub(crate) fn unlock(&self) {
        // Unlocking a descriptor we own cannot fail.
        let _ = rustix::fs::flock(&self.fd, FlockOperation::Unlock);
    }

    /// Whether the file has been removed from the directory since it was opened.
    pub(crate) fn is_unlinked(&self) -> io::Result<bool> {
        Ok(rustix::fs::fstat(&self.fd)?.st_nlink == 0)
    }

    /// The file's size in bytes.
    pub(crate) fn size(&self) -> io::Result<u64> {
        Ok(rustix::fs::fstat(&self.fd)?.st_size.unsigned_abs())
    }

    /// Extends the file to `len` bytes of zeros.
    pub(crate) fn grow(&self, len: u64) -> io::Result<()> {
        rustix::fs::ftruncate(&self.fd, len).map_err(Into::into)
    }

    /// Maps the first `len` bytes, shared with every other process mapping the file. The
    /// mapping lives as long as the process.
    pub(crate) fn map(&self, len: usize) -> io::Result<NonNull<u8>> {
        // SAFETY: a fresh mapping chosen by the kernel overlaps nothing of ours; it is
        // never unmapped, so references into it stay valid for the life of the process.
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                &self.fd,
                0,
            )?
        };
        NonNull::new(ptr.cast()).ok_or_else(|| io::Error::other("mmap returned null"))
    }

    fn byte_lock(&self, cmd: libc::c_int, kind: libc::c_int, byte: u64) -> io::Result<libc::flock> {
        let mut lock = libc::flock {
            l_type: kind as libc::c_short,
            l_whence: libc::SEEK_SET as libc::c_short,
            l_start: i64::try_from(byte).map_err(|_| io::Error::other("offset"))?,
            l_len: 1,
            l_pid: 0,
        };
        // SAFETY: `lock` is a valid `struct flock` for the duration of the call, and the
        // descriptor is open (we own it).
        let rc = unsafe { libc::fcntl(self.fd.as_raw_fd(), cmd, &mut lock) };
        if rc == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(lock)
    }

    /// Takes a write lock on byte `byte` for this open file description, without waiting.
    /// The kernel releases it when the last descriptor of the description closes — when the
    /// process dies. False if another description holds it.
    pub(crate) fn try_hold_byte(&self, byte: u64) -> io::Result<bool> {
        match self.byte_lock(libc::F_OFD_SETLK, libc::F_WRLCK, byte) {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EACCES)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether another open file description (another process) holds byte `byte`.
    pub(crate) fn byte_held_elsewhere(&self, byte: u64) -> bool {
        match self.byte_lock(libc::F_OFD_GETLK, libc::F_WRLCK, byte) {
            Ok(lock) => lock.l_type != libc::F_UNLCK as libc::c_short,
            // Cannot happen for a valid descriptor; "held" is the safe answer (nothing is
            // reclaimed on a guess).
            Err(_) => true,
        }
    }

    /// Removes the file and, if it is then empty, its directory.
    pub(crate) fn unlink(&self) {
        let _ = rustix::fs::unlink(&self.path);
        let _ = rustix::fs::rmdir(&self.dir);
    }

    /// The raw descriptor, to close in a forked child.
    pub(crate) fn raw(&self) -> libc::c_int {
        self.fd.as_fd().as_raw_fd()
    }
}

/// Closes descriptor `fd` (in a forked child, which must not keep the parent's liveness
/// locks alive).
pub(crate) fn close_raw(fd: libc::c_int) {
    // SAFETY: closing a descriptor number has no memory-safety effect; the caller no
    // longer uses `fd` (the child forgets its namespace right after).
    unsafe { libc::close(fd) };
}

/// A process-shared robust `pthread_mutex_t`, placed in shared memory.
///
/// Its cell is std's, not the loom facade's: the C library needs the raw pointer, and the
/// namespace is never model-checked with loom (its protocol has its own model, X1).
#[repr(C)]
#[allow(clippy::disallowed_types)]
pub(crate) struct RobustMutex {
    raw: std::cell::UnsafeCell<libc::pthread_mutex_t>,
}

/// What [`RobustMutex::lock`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Locked {
    /// The previous owner released it.
    Clean,
    /// The previous owner died holding it: the caller owns it and must repair what it
    /// guards, then call [`RobustMutex::mark_consistent`].
    OwnerDied,
}

impl RobustMutex {
    /// Initialises the mutex in place.
    ///
    /// # Safety
    /// `this` points to zeroed, writable shared memory that no process uses as a mutex yet
    /// (the caller holds the namespace file lock during first initialisation).
    pub(crate) unsafe fn init(this: *const Self) -> io::Result<()> {
        // SAFETY: `attr` is initialised by `pthread_mutexattr_init` before use and
        // destroyed after; `this` is valid and unused per the contract.
        unsafe {
            let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
            check(libc::pthread_mutexattr_init(attr.as_mut_ptr()))?;
            let attr = attr.as_mut_ptr();
            let result = check(libc::pthread_mutexattr_setpshared(
                attr,
                libc::PTHREAD_PROCESS_SHARED,
            ))
            .and_then(|()| {
                check(libc::pthread_mutexattr_setrobust(
                    attr,
                    libc::PTHREAD_MUTEX_ROBUST,
                ))
            })
            .and_then(|()| check(libc::pthread_mutex_init((*this).raw.get(), attr)));
            libc::pthread_mutexattr_destroy(attr);
            result
        }
    }

    /// Locks the mutex, waiting for it.
    pub(crate) fn lock(&self) -> Locked {
        // SAFETY: the mutex was initialised (the namespace header's magic is written only
        // after `init`), and lives in a mapping that is never unmapped.
        let rc = unsafe { libc::pthread_mutex_lock(self.raw.get()) };
        match rc {
            0 => Locked::Clean,
            libc::EOWNERDEAD => Locked::OwnerDied,
            // EDEADLK cannot happen (the caller never re-locks: the lock is taken once per
            // dispatcher hold); ENOTRECOVERABLE only if an owner-died repair was skipped,
            // which this crate never does. A peer that corrupted the mutex can only be
            // survived by stopping.
            other => {
                eprintln!("alertable: the shared namespace lock failed ({other}); aborting");
                std::process::abort()
            }
        }
    }

    /// Marks a mutex taken with [`Locked::OwnerDied`] usable again.
    pub(crate) fn mark_consistent(&self) {
        // SAFETY: the caller owns the mutex (it just locked it).
        unsafe { libc::pthread_mutex_consistent(self.raw.get()) };
    }

    /// Unlocks the mutex. The caller owns it.
    pub(crate) fn unlock(&self) {
        // SAFETY: the caller owns the mutex (guards call this once, on drop).
        unsafe { libc::pthread_mutex_unlock(self.raw.get()) };
    }
}

// SAFETY: the mutex is made for use by many threads (and processes) at once; every access
// goes through the pthread functions, which synchronise.
unsafe impl Sync for RobustMutex {}
// SAFETY: as above; it is never moved (it lives in the mapping).
unsafe impl Send for RobustMutex {}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}

/// Sleeps while `*word == expected`, until woken by any process, `timeout`, or spuriously.
pub(crate) fn futex_wait_shared(word: &AtomicU32, expected: u32, timeout: Option<Duration>) {
    let timespec = timeout.and_then(|t| rustix::time::Timespec::try_from(t).ok());
    let _ = futex::wait(word, futex::Flags::empty(), expected, timespec.as_ref());
}

/// Wakes up to `count` sleepers on `word`, in any process.
pub(crate) fn futex_wake_shared(word: &AtomicU32, count: u32) {
    let count = count.min(i32::MAX.unsigned_abs());
    let _ = futex::wake(word, futex::Flags::empty(), count);
}

/// `CLOCK_MONOTONIC` in nanoseconds: the same clock in every process of the machine (and
/// the one `Instant` reads).
pub(crate) fn monotonic_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec.unsigned_abs()) * 1_000_000_000 + t.tv_nsec.unsigned_abs()
}

/// `CLOCK_MONOTONIC_COARSE` in nanoseconds: the same clock at the resolution of the
/// scheduler tick (a few milliseconds), and much cheaper to read; for checks that run at
/// most every so many milliseconds.
pub(crate) fn monotonic_coarse_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::MonotonicCoarse);
    (t.tv_sec.unsigned_abs()) * 1_000_000_000 + t.tv_nsec.unsigned_abs()
}

/// The calling process's id.
pub(crate) fn current_pid() -> u32 {
    rustix::process::getpid()
        .as_raw_nonzero()
        .get()
        .unsigned_abs()
}

/// Registers `f` to run in the child of every `fork`.
pub(crate) fn on_fork_child(f: extern "C" fn()) -> io::Result<()> {
    // SAFETY: `f` is a plain function with no captured state.
    check(unsafe { libc::pthread_atfork(None, None, Some(f)) })
}

/// Registers `f` to run at normal process exit.
pub(crate) fn at_exit(f: extern "C" fn()) {
    // SAFETY: `f` is a plain function with no captured state; a failure to register only
    // means the sweep of a later process cleans up instead.
    unsafe { libc::atexit(f) };
}
