//! Every exported function, called with random, stale and made-up handles and random
//! arguments, for a fixed number of seeded iterations: nothing crashes, nothing hangs, and
//! every failure leaves one of the error codes its documentation lists.
//!
//! Pointer arguments are `NULL` or valid buffers (a C caller's bad pointer is its own
//! undefined behaviour, as on Windows); handles and integers are anything. Waits use
//! timeouts of 0 or 1 ms. Every overlapped request gets an `OVERLAPPED` and a buffer of its
//! own that live until the end of the test, as the C contract asks; `GetMessage` is called
//! only with a message queued that its filter passes, so it never blocks. `ExitProcess` is not called (it would end the test), and
//! `ExitThread` only on the threads this test creates, from their entry points and from
//! APCs. Pipes are made and closed by the call that uses them and never join the pool of
//! handles, where a synchronous read or a waiting `GetOverlappedResult` could wait on one
//! forever. The random generator is a seeded xorshift, so a failure replays exactly.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};

use alertable_win32::*;

const SEED: u64 = 0x5eed_a1e7_ab1e_0001;
const ITERATIONS: usize = 40_000;
/// The last error set before each call, to see whether a call changed it.
const SENTINEL: DWORD = 0xfeed_face;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
    fn int(&mut self) -> i32 {
        match self.below(4) {
            0 => self.below(5) as i32 - 2,
            1 => self.next() as i32,
            2 => [i32::MIN, i32::MAX, -1, 0, 1][self.below(5) as usize],
            _ => self.below(100) as i32,
        }
    }
}

static APCS_RUN: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C-unwind" fn count_apc(_: ULONG_PTR) {
    APCS_RUN.fetch_add(1, Ordering::Relaxed);
}

unsafe extern "C-unwind" fn count_nt_apc(_: ULONG_PTR, _: ULONG_PTR, _: ULONG_PTR) {
    APCS_RUN.fetch_add(1, Ordering::Relaxed);
}

unsafe extern "C-unwind" fn count_routine(_: LPVOID, _: DWORD, _: DWORD) {
    APCS_RUN.fetch_add(1, Ordering::Relaxed);
}

unsafe extern "C-unwind" fn count_io_routine(_: DWORD, _: DWORD, _: LPOVERLAPPED) {
    APCS_RUN.fetch_add(1, Ordering::Relaxed);
}

unsafe extern "C-unwind" fn exit_apc(code: ULONG_PTR) {
    // SAFETY: queued only by `exit_in_apc` to its own thread, made by CreateThread.
    unsafe { ExitThread(code as DWORD) }
}

// The two functions a thread routine calls on its way to `pthread_exit`, declared as a C
// program sees them: plain C functions. A Rust `extern "C"` routine calling the crate's
// `extern "C-unwind"` items directly would get an abort-on-unwind landing pad, which the
// forced unwind of `pthread_exit` must not meet (thread.rs, X1); C code has none.
unsafe extern "C" {
    #[link_name = "ExitThread"]
    fn exit_thread_as_c(code: DWORD) -> !;
    #[link_name = "SleepEx"]
    fn sleep_ex_as_c(ms: DWORD, alertable: BOOL) -> DWORD;
}

unsafe extern "C" fn returns(_: LPVOID) -> DWORD {
    1
}

unsafe extern "C" fn exits(_: LPVOID) -> DWORD {
    // SAFETY: a thread made by CreateThread, outside any callback.
    unsafe { exit_thread_as_c(2) }
}

unsafe extern "C" fn sleeps(_: LPVOID) -> DWORD {
    // SAFETY: no preconditions.
    unsafe { sleep_ex_as_c(1, TRUE) };
    3
}

unsafe extern "C" fn exit_in_apc(_: LPVOID) -> DWORD {
    // SAFETY: `exit_apc` may run on this thread, made by CreateThread.
    unsafe { QueueUserAPC(Some(exit_apc), GetCurrentThread(), 4) };
    // SAFETY: no preconditions; the APC ends the thread inside this wait.
    unsafe { sleep_ex_as_c(INFINITE, TRUE) };
    5
}

const ROUTINES: [unsafe extern "C" fn(LPVOID) -> DWORD; 4] = [returns, exits, sleeps, exit_in_apc];

/// The handles the calls draw from.
struct Pool {
    handles: Vec<HANDLE>,
    /// Created threads, through handles the random calls never see, joined at the end.
    threads: Vec<HANDLE>,
    /// The `OVERLAPPED`s and buffers given to requests: never freed, since a request may
    /// write to them after its call returned.
    slots: Vec<*mut Slot>,
    /// Ids of threads this test made, for `PostThreadMessage`.
    thread_ids: Vec<DWORD>,
    /// The files and ports made last (also in `handles`), which the I/O calls favour.
    files: Vec<HANDLE>,
    ports: Vec<HANDLE>,
    /// What the memory, TLS and other kernel32 calls made.
    k32: Kernel32,
}

/// Heaps, blocks, local memory and TLS indexes made by the calls, for later calls to use
/// (stale ones included: a freed block or heap must be refused, not corrupt memory).
#[derive(Default)]
struct Kernel32 {
    heaps: Vec<HANDLE>,
    blocks: Vec<usize>,
    locals: Vec<usize>,
    tls: Vec<DWORD>,
}

impl Kernel32 {
    fn heap(&self, rng: &mut Rng) -> HANDLE {
        match rng.below(6) {
            0 => GetProcessHeap(),
            1 => std::ptr::without_provenance_mut(rng.next() as usize),
            2 => null_mut(),
            _ if self.heaps.is_empty() => GetProcessHeap(),
            _ => self.heaps[rng.below(self.heaps.len() as u64) as usize],
        }
    }

    /// A block: one made earlier (maybe freed since), `NULL`, or a made-up address (the
    /// functions look blocks up by address and never touch one they do not know).
    fn block(&self, rng: &mut Rng, list: &[usize]) -> LPVOID {
        match rng.below(6) {
            0 => null_mut(),
            1 => std::ptr::with_exposed_provenance_mut(rng.next() as usize & !15),
            _ if list.is_empty() => null_mut(),
            _ => std::ptr::with_exposed_provenance_mut(list[rng.below(list.len() as u64) as usize]),
        }
    }

    fn keep(list: &mut Vec<usize>, p: LPVOID) {
        if !p.is_null() {
            if list.len() >= 64 {
                list.remove(0);
            }
            list.push(p.expose_provenance());
        }
    }
}

/// Text for `FormatMessage` inserts and sources, padded so that reading it as the other
/// width stops inside it, and aligned for `WCHAR` reads.
#[repr(C, align(8))]
struct Text([u8; 16]);
static NARROW_TEXT: Text = Text(*b"fuzz\0\0\0\0\0\0\0\0\0\0\0\0");
static WIDE_TEXT: [WCHAR; 4] = [b'f' as WCHAR, b'z' as WCHAR, 0, 0];

/// Keeps the last few of a list of handles: the others are most likely closed by now.
fn remember(list: &mut Vec<HANDLE>, h: HANDLE) {
    if list.len() >= 4 {
        list.remove(0);
    }
    list.push(h);
}

/// One request's `OVERLAPPED` and buffer.
struct Slot {
    ov: OVERLAPPED,
    buffer: [u8; 64],
}

impl Pool {
    /// A new slot for a request, its offset small or (sometimes) huge.
    fn slot(&mut self, rng: &mut Rng) -> *mut Slot {
        let offset = if rng.chance(16) {
            rng.next()
        } else {
            rng.below(100)
        };
        let event = if rng.chance(2) {
            null_mut()
        } else {
            self.pick(rng)
        };
        let slot = Box::into_raw(Box::new(Slot {
            ov: OVERLAPPED::new(offset, event),
            buffer: [b'z'; 64],
        }));
        self.slots.push(slot);
        slot
    }

    /// Mostly one of `list` (files or ports), else any handle.
    fn pick_from(&self, rng: &mut Rng, list: &[HANDLE]) -> HANDLE {
        if list.is_empty() || rng.chance(4) {
            self.pick(rng)
        } else {
            list[rng.below(list.len() as u64) as usize]
        }
    }

    /// A slot of an earlier request, or a new one.
    fn old_slot(&mut self, rng: &mut Rng) -> *mut Slot {
        if self.slots.is_empty() || rng.chance(8) {
            self.slot(rng)
        } else {
            self.slots[rng.below(self.slots.len() as u64) as usize]
        }
    }
}

impl Pool {
    fn pick(&self, rng: &mut Rng) -> HANDLE {
        match rng.below(10) {
            0 => [
                null_mut(),
                GetCurrentThread(),
                GetCurrentProcess(),
                INVALID_HANDLE_VALUE,
                std::ptr::without_provenance_mut(3),
                std::ptr::without_provenance_mut(0xdead_beef),
            ][rng.below(6) as usize],
            1 => std::ptr::without_provenance_mut(rng.next() as usize),
            2 => std::ptr::without_provenance_mut((rng.next() as u32 as usize) << 2),
            _ if self.handles.is_empty() => null_mut(),
            _ => {
                let h = self.handles[rng.below(self.handles.len() as u64) as usize];
                // Sometimes with tag bits, which Windows ignores (D43).
                std::ptr::without_provenance_mut(
                    h.addr() | (rng.below(4) as usize * usize::from(rng.chance(8))),
                )
            }
        }
    }

    fn add(&mut self, h: HANDLE) {
        if !h.is_null() {
            self.handles.push(h);
        }
    }
}

/// What one call did.
enum Outcome {
    /// It succeeded and left the last error alone.
    Kept,
    /// It succeeded and may set the last error to one of these (`Create…`: 0 or 183).
    SetsOnSuccess(&'static [DWORD]),
    /// It failed: the last error must be one of these.
    Failed(&'static [DWORD]),
    /// A sequence of calls whose own checks passed (`true`) or not; the last error is not
    /// looked at (the sequence includes failing calls on purpose).
    Asserted(bool),
    /// Its result says nothing checkable.
    Unchecked,
}

fn name_a(rng: &mut Rng) -> (Vec<u8>, bool) {
    match rng.below(3) {
        0 => (Vec::new(), false),
        n => (
            format!("fuzz-name-{}-{n}\0", std::process::id()).into_bytes(),
            true,
        ),
    }
}

fn name_w(rng: &mut Rng) -> (Vec<WCHAR>, bool) {
    match rng.below(4) {
        0 => (Vec::new(), false),
        3 => (vec![0xD800, 0], true), // not a Unicode scalar value
        n => (
            format!("fuzz-name-{}-{n}", std::process::id())
                .chars()
                .map(|c| c as WCHAR)
                .chain([0])
                .collect(),
            true,
        ),
    }
}

const CREATED: &[DWORD] = &[ERROR_SUCCESS, ERROR_ALREADY_EXISTS];
const ON_WAIT: &[DWORD] = &[ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED];

/// An access mask to ask for: mostly every right, sometimes a few or none, now and then
/// anything (bits that are no right, `ACCESS_SYSTEM_SECURITY`).
fn access(rng: &mut Rng) -> DWORD {
    match rng.below(8) {
        0 => 0,
        1 => SYNCHRONIZE,
        2 => GENERIC_READ | GENERIC_WRITE,
        3 => rng.next() as DWORD,
        4 => MAXIMUM_ALLOWED,
        _ => GENERIC_ALL,
    }
}

/// One random call of function number `op`; returns its name and outcome.
#[allow(clippy::too_many_lines)] // one arm per exported function
fn call(op: u64, rng: &mut Rng, pool: &mut Pool, tmp: &[u8]) -> (&'static str, Outcome) {
    let ms = if rng.chance(16) { 1 } else { 0 };
    let flag = BOOL::from(rng.chance(2));
    let h = pool.pick(rng);
    let h2 = pool.pick(rng);
    let failed_if = |ok: bool, errors: &'static [DWORD]| {
        if ok {
            Outcome::Kept
        } else {
            Outcome::Failed(errors)
        }
    };
    let wait = |r: DWORD, errors: &'static [DWORD]| {
        if r == WAIT_FAILED {
            Outcome::Failed(errors)
        } else {
            Outcome::Kept
        }
    };
    // SAFETY: for every call below, pointer arguments are NULL or point to live buffers of
    // the sizes passed; callbacks are the sound functions above; ExitThread is called only
    // on threads this test made.
    unsafe {
        match op {
            0 => (
                "CloseHandle",
                failed_if(CloseHandle(h) != 0, &[ERROR_INVALID_HANDLE]),
            ),
            1 => {
                let mut out = null_mut();
                let target = if rng.chance(8) {
                    null_mut()
                } else {
                    &raw mut out
                };
                let process = if rng.chance(4) {
                    h2
                } else {
                    GetCurrentProcess()
                };
                let ok = DuplicateHandle(
                    process,
                    h,
                    GetCurrentProcess(),
                    target,
                    access(rng),
                    0,
                    rng.below(4) as DWORD,
                );
                pool.add(out);
                (
                    "DuplicateHandle",
                    failed_if(
                        ok != 0,
                        &[
                            ERROR_INVALID_HANDLE,
                            ERROR_ACCESS_DENIED,
                            ERROR_PRIVILEGE_NOT_HELD,
                            ERROR_NO_SYSTEM_RESOURCES,
                        ],
                    ),
                )
            }
            2 => {
                let routine = ROUTINES[rng.below(4) as usize];
                let start = if rng.chance(32) { None } else { Some(routine) };
                let flags = if rng.chance(3) { CREATE_SUSPENDED } else { 0 };
                let mut id = 0;
                let stack = [0, 0, 1, 65536][rng.below(4) as usize];
                let t = CreateThread(null_mut(), stack, start, null_mut(), flags, &raw mut id);
                if !t.is_null() {
                    pool.thread_ids.push(id);
                    let mut keep = null_mut();
                    DuplicateHandle(
                        GetCurrentProcess(),
                        t,
                        GetCurrentProcess(),
                        &raw mut keep,
                        0,
                        0,
                        DUPLICATE_SAME_ACCESS,
                    );
                    pool.threads.push(keep);
                    pool.add(t);
                }
                (
                    "CreateThread",
                    failed_if(
                        !t.is_null(),
                        &[
                            ERROR_INVALID_PARAMETER,
                            ERROR_NOT_ENOUGH_MEMORY,
                            ERROR_NO_SYSTEM_RESOURCES,
                        ],
                    ),
                )
            }
            3 => (
                "ResumeThread",
                failed_if(
                    ResumeThread(h) != DWORD::MAX,
                    &[ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED],
                ),
            ),
            4 => {
                // A successful SuspendThread stops the thread until it is resumed, and many
                // handles name this very thread: call it from a helper thread that resumes
                // what it stopped at once, so that no thread is left stopped. (The
                // pseudo-handle would name the helper itself.)
                let h = if h == GetCurrentThread() {
                    null_mut()
                } else {
                    h
                };
                let address = h.addr();
                let (r, error) = std::thread::spawn(move || {
                    let h: HANDLE = std::ptr::without_provenance_mut(address);
                    SetLastError(SENTINEL);
                    let r = SuspendThread(h);
                    let error = GetLastError();
                    if r != DWORD::MAX {
                        ResumeThread(h);
                    }
                    (r, error)
                })
                .join()
                .expect("the helper returns");
                SetLastError(error);
                let errors: &'static [DWORD] = &[
                    ERROR_ACCESS_DENIED,
                    ERROR_SIGNAL_REFUSED,
                    ERROR_INVALID_HANDLE,
                ];
                ("SuspendThread", failed_if(r != DWORD::MAX, errors))
            }
            5 => (
                "GetCurrentThread",
                Outcome::Asserted(
                    GetCurrentThread() == std::ptr::without_provenance_mut(usize::MAX - 1),
                ),
            ),
            6 => (
                "GetCurrentThreadId",
                Outcome::Asserted(GetCurrentThreadId() != 0),
            ),
            7 => {
                let id = if rng.chance(2) {
                    GetCurrentThreadId()
                } else {
                    rng.next() as DWORD
                };
                let t = OpenThread(access(rng), 0, id);
                pool.add(t);
                (
                    "OpenThread",
                    failed_if(
                        !t.is_null(),
                        &[
                            ERROR_INVALID_PARAMETER,
                            ERROR_ACCESS_DENIED,
                            ERROR_PRIVILEGE_NOT_HELD,
                            ERROR_NO_SYSTEM_RESOURCES,
                        ],
                    ),
                )
            }
            8 => {
                let mut code = 0;
                let out = if rng.chance(8) {
                    null_mut()
                } else {
                    &raw mut code
                };
                (
                    "GetExitCodeThread",
                    failed_if(
                        GetExitCodeThread(h, out) != 0,
                        &[ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED, ERROR_NOACCESS],
                    ),
                )
            }
            9 => ("SwitchToThread", Outcome::Asserted(SwitchToThread() != 0)),
            10 => {
                let f: PAPCFUNC = if rng.chance(8) { None } else { Some(count_apc) };
                let r = QueueUserAPC(f, h, rng.next() as usize);
                (
                    "QueueUserAPC",
                    failed_if(
                        r != 0,
                        &[ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED, ERROR_GEN_FAILURE],
                    ),
                )
            }
            11 => {
                Sleep(ms);
                ("Sleep", Outcome::Kept)
            }
            12 => {
                let r = SleepEx(ms, flag);
                (
                    "SleepEx",
                    Outcome::Asserted(r == 0 || r == WAIT_IO_COMPLETION),
                )
            }
            13 => (
                "WaitForSingleObject",
                wait(WaitForSingleObject(h, ms), ON_WAIT),
            ),
            14 => (
                "WaitForSingleObjectEx",
                wait(WaitForSingleObjectEx(h, ms, flag), ON_WAIT),
            ),
            15 | 16 => {
                let handles: Vec<HANDLE> = (0..70).map(|_| pool.pick(rng)).collect();
                let count = if rng.chance(8) {
                    rng.below(70) as DWORD
                } else {
                    1 + rng.below(3) as DWORD
                };
                let list = if rng.chance(16) {
                    null()
                } else {
                    handles.as_ptr()
                };
                let errors: &'static [DWORD] = &[
                    ERROR_INVALID_PARAMETER,
                    ERROR_INVALID_HANDLE,
                    ERROR_ACCESS_DENIED,
                    ERROR_NOACCESS,
                ];
                if op == 15 {
                    (
                        "WaitForMultipleObjects",
                        wait(WaitForMultipleObjects(count, list, flag, ms), errors),
                    )
                } else {
                    let all = BOOL::from(rng.chance(2));
                    (
                        "WaitForMultipleObjectsEx",
                        wait(WaitForMultipleObjectsEx(count, list, all, ms, flag), errors),
                    )
                }
            }
            17 => {
                let r = SignalObjectAndWait(h, h2, ms, flag);
                (
                    "SignalObjectAndWait",
                    wait(
                        r,
                        &[
                            ERROR_INVALID_HANDLE,
                            ERROR_ACCESS_DENIED,
                            ERROR_TOO_MANY_POSTS,
                            ERROR_NOT_OWNER,
                        ],
                    ),
                )
            }
            18 | 19 => {
                let e = if op == 18 {
                    let (name, named) = name_a(rng);
                    CreateEventA(
                        null_mut(),
                        flag,
                        BOOL::from(rng.chance(2)),
                        if named { name.as_ptr().cast() } else { null() },
                    )
                } else {
                    let (name, named) = name_w(rng);
                    CreateEventW(
                        null_mut(),
                        flag,
                        BOOL::from(rng.chance(2)),
                        if named { name.as_ptr() } else { null() },
                    )
                };
                pool.add(e);
                let name = if op == 18 {
                    "CreateEventA"
                } else {
                    "CreateEventW"
                };
                (
                    name,
                    if e.is_null() {
                        Outcome::Failed(&[
                            ERROR_INVALID_HANDLE,
                            ERROR_NO_SYSTEM_RESOURCES,
                            ERROR_NO_UNICODE_TRANSLATION,
                        ])
                    } else {
                        Outcome::SetsOnSuccess(CREATED)
                    },
                )
            }
            20 => (
                "SetEvent",
                failed_if(
                    SetEvent(h) != 0,
                    &[ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED],
                ),
            ),
            21 => (
                "ResetEvent",
                failed_if(
                    ResetEvent(h) != 0,
                    &[ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED],
                ),
            ),
            22 => (
                "PulseEvent",
                failed_if(
                    PulseEvent(h) != 0,
                    &[ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED],
                ),
            ),
            23 | 24 => {
                let (initial, maximum) = (rng.int(), rng.int());
                let s = if op == 23 {
                    let (name, named) = name_a(rng);
                    CreateSemaphoreA(
                        null_mut(),
                        initial,
                        maximum,
                        if named { name.as_ptr().cast() } else { null() },
                    )
                } else {
                    let (name, named) = name_w(rng);
                    CreateSemaphoreW(
                        null_mut(),
                        initial,
                        maximum,
                        if named { name.as_ptr() } else { null() },
                    )
                };
                pool.add(s);
                let name = if op == 23 {
                    "CreateSemaphoreA"
                } else {
                    "CreateSemaphoreW"
                };
                (
                    name,
                    if s.is_null() {
                        Outcome::Failed(&[
                            ERROR_INVALID_PARAMETER,
                            ERROR_INVALID_HANDLE,
                            ERROR_NO_SYSTEM_RESOURCES,
                            ERROR_NO_UNICODE_TRANSLATION,
                        ])
                    } else {
                        Outcome::SetsOnSuccess(CREATED)
                    },
                )
            }
            25 => {
                let mut previous: LONG = 0;
                let out = if rng.chance(2) {
                    null_mut()
                } else {
                    &raw mut previous
                };
                let ok = ReleaseSemaphore(h, rng.int(), out);
                (
                    "ReleaseSemaphore",
                    failed_if(
                        ok != 0,
                        &[
                            ERROR_TOO_MANY_POSTS,
                            ERROR_INVALID_PARAMETER,
                            ERROR_INVALID_HANDLE,
                            ERROR_ACCESS_DENIED,
                        ],
                    ),
                )
            }
            26 | 27 => {
                let m = if op == 26 {
                    let (name, named) = name_a(rng);
                    CreateMutexA(
                        null_mut(),
                        flag,
                        if named { name.as_ptr().cast() } else { null() },
                    )
                } else {
                    let (name, named) = name_w(rng);
                    CreateMutexW(null_mut(), flag, if named { name.as_ptr() } else { null() })
                };
                pool.add(m);
                let name = if op == 26 {
                    "CreateMutexA"
                } else {
                    "CreateMutexW"
                };
                (
                    name,
                    if m.is_null() {
                        Outcome::Failed(&[
                            ERROR_INVALID_HANDLE,
                            ERROR_NO_SYSTEM_RESOURCES,
                            ERROR_NO_UNICODE_TRANSLATION,
                        ])
                    } else {
                        Outcome::SetsOnSuccess(CREATED)
                    },
                )
            }
            28 => (
                "ReleaseMutex",
                failed_if(
                    ReleaseMutex(h) != 0,
                    &[ERROR_NOT_OWNER, ERROR_INVALID_HANDLE],
                ),
            ),
            29 | 30 => {
                let t = if op == 29 {
                    let (name, named) = name_a(rng);
                    CreateWaitableTimerA(
                        null_mut(),
                        flag,
                        if named { name.as_ptr().cast() } else { null() },
                    )
                } else {
                    let (name, named) = name_w(rng);
                    CreateWaitableTimerW(
                        null_mut(),
                        flag,
                        if named { name.as_ptr() } else { null() },
                    )
                };
                pool.add(t);
                let name = if op == 29 {
                    "CreateWaitableTimerA"
                } else {
                    "CreateWaitableTimerW"
                };
                (
                    name,
                    if t.is_null() {
                        Outcome::Failed(&[
                            ERROR_INVALID_HANDLE,
                            ERROR_NO_SYSTEM_RESOURCES,
                            ERROR_NO_UNICODE_TRANSLATION,
                        ])
                    } else {
                        Outcome::SetsOnSuccess(CREATED)
                    },
                )
            }
            31 | 32 => {
                let due = LARGE_INTEGER {
                    QuadPart: match rng.below(4) {
                        0 => -(rng.below(20_000) as i64),
                        1 => rng.below(1 << 40) as i64, // absolute, long past
                        2 => i64::MIN,
                        _ => 0,
                    },
                };
                let due_ptr = if rng.chance(16) {
                    null()
                } else {
                    &raw const due
                };
                let period = rng.below(5) as i32 - 1;
                let routine: PTIMERAPCROUTINE = if rng.chance(2) {
                    Some(count_routine)
                } else {
                    None
                };
                let errors: &'static [DWORD] = &[
                    ERROR_INVALID_HANDLE,
                    ERROR_ACCESS_DENIED,
                    ERROR_INVALID_PARAMETER,
                    ERROR_NOACCESS,
                ];
                if op == 31 {
                    let resume = BOOL::from(rng.chance(4));
                    let ok = SetWaitableTimer(h, due_ptr, period, routine, null_mut(), resume);
                    let outcome = match (ok != 0, resume != 0) {
                        (true, true) => Outcome::SetsOnSuccess(&[ERROR_NOT_SUPPORTED]),
                        (true, false) => Outcome::Kept,
                        (false, _) => Outcome::Failed(errors),
                    };
                    ("SetWaitableTimer", outcome)
                } else {
                    let ok = SetWaitableTimerEx(
                        h,
                        due_ptr,
                        period,
                        routine,
                        null_mut(),
                        null_mut(),
                        rng.next() as u32,
                    );
                    ("SetWaitableTimerEx", failed_if(ok != 0, errors))
                }
            }
            33 => (
                "CancelWaitableTimer",
                failed_if(
                    CancelWaitableTimer(h) != 0,
                    &[ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED],
                ),
            ),
            34 => {
                let code = rng.next() as DWORD;
                SetLastError(code);
                ("SetLastError", Outcome::Asserted(GetLastError() == code))
            }
            35 => (
                "GetLastError",
                Outcome::Asserted(GetLastError() == SENTINEL),
            ),
            36 => {
                let mut cs = std::mem::MaybeUninit::<CRITICAL_SECTION>::uninit();
                let p = cs.as_mut_ptr();
                let initialized = match rng.next() % 3 {
                    0 => {
                        InitializeCriticalSection(p);
                        true
                    }
                    1 => InitializeCriticalSectionAndSpinCount(p, rng.next() as DWORD) != 0,
                    _ => {
                        InitializeCriticalSectionEx(p, rng.next() as DWORD, rng.next() as DWORD)
                            != 0
                    }
                };
                EnterCriticalSection(p);
                let again = TryEnterCriticalSection(p);
                let mut cv = CONDITION_VARIABLE { Ptr: null_mut() };
                InitializeConditionVariable(&raw mut cv);
                let slept = SleepConditionVariableCS(&raw mut cv, p, 0);
                let slept_error = GetLastError();
                LeaveCriticalSection(p);
                LeaveCriticalSection(p);
                LeaveCriticalSection(p); // one too many: ignored
                DeleteCriticalSection(p);
                // NULL is ignored or refused, never dereferenced.
                EnterCriticalSection(null_mut());
                LeaveCriticalSection(null_mut());
                let ok = initialized && again != 0 && slept == 0 && slept_error == ERROR_TIMEOUT;
                ("InitializeCriticalSection", Outcome::Asserted(ok))
            }
            37 => {
                let mut lock = SRWLOCK { Ptr: null_mut() };
                let l = &raw mut lock;
                InitializeSRWLock(l);
                let mut cv = CONDITION_VARIABLE { Ptr: null_mut() };
                let c = &raw mut cv;
                AcquireSRWLockShared(l);
                let shared = TryAcquireSRWLockShared(l);
                let exclusive = TryAcquireSRWLockExclusive(l);
                let slept = SleepConditionVariableSRW(c, l, 0, CONDITION_VARIABLE_LOCKMODE_SHARED);
                ReleaseSRWLockShared(l);
                ReleaseSRWLockShared(l);
                ReleaseSRWLockShared(l); // not held: ignored
                AcquireSRWLockExclusive(l);
                let slept2 = SleepConditionVariableSRW(c, l, 0, 0);
                ReleaseSRWLockExclusive(l);
                ReleaseSRWLockExclusive(l); // not held: ignored
                WakeConditionVariable(c);
                WakeAllConditionVariable(c);
                let free = TryAcquireSRWLockExclusive(l);
                ReleaseSRWLockExclusive(l);
                let refused = SleepConditionVariableSRW(null_mut(), l, 0, 0) == 0
                    && GetLastError() == ERROR_NOACCESS;
                let ok = shared == 1
                    && exclusive == 0
                    && slept == 0
                    && slept2 == 0
                    && free == 1
                    && refused;
                ("AcquireSRWLockExclusive", Outcome::Asserted(ok))
            }
            38 => {
                let mut v: LONG = rng.int();
                let p = &raw mut v;
                let start = v;
                let ok = InterlockedIncrement(p) == start.wrapping_add(1)
                    && InterlockedDecrement(p) == start
                    && InterlockedExchange(p, 9) == start
                    && InterlockedCompareExchange(p, 1, 9) == 9
                    && v == 1
                    && InterlockedIncrement(null_mut()) == 0;
                ("InterlockedIncrement", Outcome::Asserted(ok))
            }
            39 => {
                let a = GetTickCount64();
                let _ = GetTickCount();
                ("GetTickCount64", Outcome::Asserted(GetTickCount64() >= a))
            }
            40 => {
                let mut ft = FILETIME::default();
                GetSystemTimeAsFileTime(&raw mut ft);
                GetSystemTimeAsFileTime(null_mut());
                (
                    "GetSystemTimeAsFileTime",
                    Outcome::Asserted(ft.dwHighDateTime != 0),
                )
            }
            41 | 42 => {
                let len = rng.below(300) as DWORD;
                let n = if op == 41 {
                    let mut buf = vec![0 as CHAR; 300];
                    GetTempPathA(
                        len,
                        if rng.chance(8) {
                            null_mut()
                        } else {
                            buf.as_mut_ptr()
                        },
                    )
                } else {
                    let mut buf = vec![0 as WCHAR; 300];
                    GetTempPathW(
                        len,
                        if rng.chance(8) {
                            null_mut()
                        } else {
                            buf.as_mut_ptr()
                        },
                    )
                };
                let name = if op == 41 {
                    "GetTempPathA"
                } else {
                    "GetTempPathW"
                };
                (name, failed_if(n != 0, &[ERROR_NO_UNICODE_TRANSLATION]))
            }
            43 | 44 => {
                // Mostly a given number (nothing is created); sometimes 0, which creates a
                // file in this test's scratch folder.
                let unique = if rng.chance(16) {
                    0
                } else {
                    1 + rng.below(0xFFFF) as UINT
                };
                let prefix = if rng.chance(16) { "" } else { "fz" };
                let errors: &'static [DWORD] = &[
                    ERROR_INVALID_PARAMETER,
                    ERROR_BUFFER_OVERFLOW,
                    ERROR_DIRECTORY,
                    ERROR_ACCESS_DENIED,
                    ERROR_FILE_EXISTS,
                    ERROR_NO_UNICODE_TRANSLATION,
                ];
                let n = if op == 43 {
                    let dir: Vec<u8> = tmp.iter().copied().chain([0]).collect();
                    let prefix: Vec<u8> = prefix.bytes().chain([0]).collect();
                    let mut out = vec![0 as CHAR; MAX_PATH as usize];
                    let dir_ptr = if rng.chance(16) {
                        null()
                    } else {
                        dir.as_ptr().cast()
                    };
                    GetTempFileNameA(dir_ptr, prefix.as_ptr().cast(), unique, out.as_mut_ptr())
                } else {
                    let dir: Vec<WCHAR> = String::from_utf8_lossy(tmp)
                        .chars()
                        .map(|c| c as WCHAR)
                        .chain([0])
                        .collect();
                    let prefix: Vec<WCHAR> =
                        prefix.chars().map(|c| c as WCHAR).chain([0]).collect();
                    let mut out = vec![0 as WCHAR; MAX_PATH as usize];
                    let out_ptr = if rng.chance(16) {
                        null_mut()
                    } else {
                        out.as_mut_ptr()
                    };
                    GetTempFileNameW(dir.as_ptr(), prefix.as_ptr(), unique, out_ptr)
                };
                let name = if op == 43 {
                    "GetTempFileNameA"
                } else {
                    "GetTempFileNameW"
                };
                (name, failed_if(n != 0, errors))
            }
            45 => (
                "GetCurrentProcess",
                Outcome::Asserted(GetCurrentProcess() == INVALID_HANDLE_VALUE),
            ),
            46 => (
                "GetCurrentProcessId",
                Outcome::Asserted(GetCurrentProcessId() != 0),
            ),
            _ => call_io(op, rng, pool, tmp),
        }
    }
}

/// A file name in the test's scratch folder, or `NULL`, or empty.
fn file_name(rng: &mut Rng, tmp: &[u8]) -> Option<String> {
    match rng.below(8) {
        0 => None,
        1 => Some(String::new()),
        2 => Some(format!("{}/no-such-folder/f", String::from_utf8_lossy(tmp))),
        n => Some(format!(
            "{}/fz-file-{}",
            String::from_utf8_lossy(tmp),
            n % 3
        )),
    }
}

/// One random call of the file, port and message functions, numbers 47 and up.
#[allow(clippy::too_many_lines)] // one arm per exported function
fn call_io(op: u64, rng: &mut Rng, pool: &mut Pool, tmp: &[u8]) -> (&'static str, Outcome) {
    let ms = if rng.chance(16) { 1 } else { 0 };
    let flag = BOOL::from(rng.chance(2));
    let (h, h2) = match op {
        51..=59 => (
            pool.pick_from(rng, &pool.files),
            pool.pick_from(rng, &pool.ports),
        ),
        60..=62 => (pool.pick_from(rng, &pool.ports), pool.pick(rng)),
        _ => (pool.pick(rng), pool.pick(rng)),
    };
    let failed_if = |ok: bool, errors: &'static [DWORD]| {
        if ok {
            Outcome::Kept
        } else {
            Outcome::Failed(errors)
        }
    };
    // SAFETY: for every call below, pointer arguments are NULL or point to live buffers of
    // the sizes passed; requests' OVERLAPPEDs and buffers are slots that are never freed;
    // callbacks are the sound functions above.
    unsafe {
        match op {
            47 | 48 => {
                let name = file_name(rng, tmp);
                let access = [0, GENERIC_READ, GENERIC_WRITE, GENERIC_READ | GENERIC_WRITE]
                    [rng.below(4) as usize];
                let disposition = rng.below(7) as DWORD;
                let flags = if rng.chance(2) {
                    FILE_FLAG_OVERLAPPED
                } else {
                    FILE_ATTRIBUTE_NORMAL
                };
                // Now and then the file goes when its last handle is closed.
                let flags = if rng.chance(8) {
                    flags | FILE_FLAG_DELETE_ON_CLOSE
                } else {
                    flags
                };
                let f = if op == 47 {
                    let name = name.map(|n| format!("{n}\0"));
                    let ptr = name.as_ref().map_or(null(), |n| n.as_ptr().cast());
                    CreateFileA(ptr, access, 7, null_mut(), disposition, flags, null_mut())
                } else {
                    let name: Option<Vec<WCHAR>> =
                        name.map(|n| n.chars().map(|c| c as WCHAR).chain([0]).collect());
                    let ptr = name.as_ref().map_or(null(), |n| n.as_ptr());
                    CreateFileW(ptr, access, 7, null_mut(), disposition, flags, null_mut())
                };
                let ok = f != INVALID_HANDLE_VALUE;
                if ok {
                    pool.add(f);
                    remember(&mut pool.files, f);
                }
                let outcome = if ok {
                    Outcome::SetsOnSuccess(&[ERROR_SUCCESS, ERROR_ALREADY_EXISTS])
                } else {
                    Outcome::Failed(&[
                        ERROR_FILE_NOT_FOUND,
                        ERROR_PATH_NOT_FOUND,
                        ERROR_ACCESS_DENIED,
                        ERROR_FILE_EXISTS,
                        ERROR_INVALID_PARAMETER,
                        ERROR_NO_SYSTEM_RESOURCES,
                    ])
                };
                (
                    if op == 47 {
                        "CreateFileA"
                    } else {
                        "CreateFileW"
                    },
                    outcome,
                )
            }
            49 | 50 => {
                let name = file_name(rng, tmp);
                let ok = if op == 49 {
                    let name = name.map(|n| format!("{n}\0"));
                    DeleteFileA(name.as_ref().map_or(null(), |n| n.as_ptr().cast()))
                } else {
                    let name: Option<Vec<WCHAR>> =
                        name.map(|n| n.chars().map(|c| c as WCHAR).chain([0]).collect());
                    DeleteFileW(name.as_ref().map_or(null(), |n| n.as_ptr()))
                };
                (
                    if op == 49 {
                        "DeleteFileA"
                    } else {
                        "DeleteFileW"
                    },
                    failed_if(
                        ok != 0,
                        &[
                            ERROR_FILE_NOT_FOUND,
                            ERROR_PATH_NOT_FOUND,
                            ERROR_ACCESS_DENIED,
                        ],
                    ),
                )
            }
            51..=54 => {
                let slot = pool.slot(rng);
                let ov = if op <= 52 && rng.chance(4) {
                    null_mut()
                } else {
                    &raw mut (*slot).ov
                };
                let buffer = if rng.chance(32) {
                    null_mut()
                } else {
                    (&raw mut (*slot).buffer).cast::<u8>()
                };
                let len = rng.below(65) as DWORD;
                let mut done: DWORD = 0;
                let done_ptr = if rng.chance(4) {
                    null_mut()
                } else {
                    &raw mut done
                };
                let routine: LPOVERLAPPED_COMPLETION_ROUTINE = if rng.chance(16) {
                    None
                } else {
                    Some(count_io_routine)
                };
                let ok = match op {
                    51 => ReadFile(h, buffer.cast(), len, done_ptr, ov),
                    52 => WriteFile(h, buffer.cast_const().cast(), len, done_ptr, ov),
                    53 => ReadFileEx(h, buffer.cast(), len, ov, routine),
                    _ => WriteFileEx(h, buffer.cast_const().cast(), len, ov, routine),
                };
                let name = ["ReadFile", "WriteFile", "ReadFileEx", "WriteFileEx"][op as usize - 51];
                let errors: &'static [DWORD] = if op == 51 || op == 53 {
                    &[
                        ERROR_IO_PENDING,
                        ERROR_INVALID_HANDLE,
                        ERROR_INVALID_PARAMETER,
                        ERROR_ACCESS_DENIED,
                        ERROR_HANDLE_EOF,
                        ERROR_NOACCESS,
                    ]
                } else {
                    &[
                        ERROR_IO_PENDING,
                        ERROR_INVALID_HANDLE,
                        ERROR_INVALID_PARAMETER,
                        ERROR_ACCESS_DENIED,
                        ERROR_INVALID_USER_BUFFER,
                        ERROR_DISK_FULL,
                    ]
                };
                (name, failed_if(ok != 0, errors))
            }
            55 | 56 => {
                let slot = pool.old_slot(rng);
                let ov = if rng.chance(32) {
                    null_mut()
                } else {
                    &raw mut (*slot).ov
                };
                let mut n: DWORD = 0;
                let errors: &'static [DWORD] = &[
                    ERROR_HANDLE_EOF,
                    ERROR_OPERATION_ABORTED,
                    ERROR_INVALID_PARAMETER,
                    ERROR_ACCESS_DENIED,
                    ERROR_DISK_FULL,
                    ERROR_IO_INCOMPLETE,
                    ERROR_INVALID_HANDLE,
                    ERROR_NOACCESS,
                    WAIT_TIMEOUT,
                    WAIT_IO_COMPLETION,
                    // The results of the pipe requests of `call_pipes`, on their slots.
                    ERROR_MORE_DATA,
                    ERROR_BROKEN_PIPE,
                    ERROR_NO_DATA,
                    ERROR_PIPE_NOT_CONNECTED,
                ];
                if op == 55 {
                    let ok = GetOverlappedResult(h, ov, &raw mut n, flag);
                    ("GetOverlappedResult", failed_if(ok != 0, errors))
                } else {
                    let ok =
                        GetOverlappedResultEx(h, ov, &raw mut n, ms, BOOL::from(rng.chance(2)));
                    ("GetOverlappedResultEx", failed_if(ok != 0, errors))
                }
            }
            57 => (
                "CancelIo",
                failed_if(CancelIo(h) != 0, &[ERROR_INVALID_HANDLE]),
            ),
            58 => {
                let ov = if rng.chance(3) {
                    null_mut()
                } else {
                    &raw mut (*pool.old_slot(rng)).ov
                };
                (
                    "CancelIoEx",
                    failed_if(
                        CancelIoEx(h, ov) != 0,
                        &[ERROR_INVALID_HANDLE, ERROR_NOT_FOUND],
                    ),
                )
            }
            59 => {
                let file = if rng.chance(3) {
                    INVALID_HANDLE_VALUE
                } else {
                    h
                };
                let existing = if rng.chance(2) { null_mut() } else { h2 };
                let p = CreateIoCompletionPort(
                    file,
                    existing,
                    rng.next() as usize,
                    rng.below(4) as DWORD,
                );
                if !p.is_null() && p != existing {
                    pool.add(p);
                    remember(&mut pool.ports, p);
                }
                (
                    "CreateIoCompletionPort",
                    failed_if(
                        !p.is_null(),
                        &[
                            ERROR_INVALID_HANDLE,
                            ERROR_ACCESS_DENIED,
                            ERROR_INVALID_PARAMETER,
                            ERROR_NO_SYSTEM_RESOURCES,
                        ],
                    ),
                )
            }
            60 | 61 => {
                let errors: &'static [DWORD] = &[
                    WAIT_TIMEOUT,
                    WAIT_IO_COMPLETION,
                    ERROR_ABANDONED_WAIT_0,
                    ERROR_INVALID_HANDLE,
                    ERROR_INVALID_PARAMETER,
                    ERROR_NOACCESS,
                    ERROR_HANDLE_EOF,
                    ERROR_OPERATION_ABORTED,
                    ERROR_ACCESS_DENIED,
                    ERROR_DISK_FULL,
                ];
                if op == 60 {
                    let (mut n, mut key, mut ov) = (0, 0, null_mut());
                    let n_ptr = if rng.chance(32) {
                        null_mut()
                    } else {
                        &raw mut n
                    };
                    let ok = GetQueuedCompletionStatus(h, n_ptr, &raw mut key, &raw mut ov, ms);
                    ("GetQueuedCompletionStatus", failed_if(ok != 0, errors))
                } else {
                    let mut entries = [OVERLAPPED_ENTRY {
                        lpCompletionKey: 0,
                        lpOverlapped: null_mut(),
                        Internal: 0,
                        dwNumberOfBytesTransferred: 0,
                    }; 4];
                    let mut removed = 0;
                    let count = rng.below(5) as ULONG;
                    let ok = GetQueuedCompletionStatusEx(
                        h,
                        entries.as_mut_ptr(),
                        count,
                        &raw mut removed,
                        ms,
                        flag,
                    );
                    let checked = ok == 0 || (removed >= 1 && removed <= count);
                    let outcome = if checked {
                        failed_if(ok != 0, errors)
                    } else {
                        Outcome::Asserted(false)
                    };
                    ("GetQueuedCompletionStatusEx", outcome)
                }
            }
            62 => {
                let ov = std::ptr::without_provenance_mut(rng.next() as usize);
                (
                    "PostQueuedCompletionStatus",
                    failed_if(
                        PostQueuedCompletionStatus(h, rng.next() as DWORD, rng.next() as usize, ov)
                            != 0,
                        &[ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED],
                    ),
                )
            }
            63 | 64 => {
                let id = match rng.below(3) {
                    0 => GetCurrentThreadId(),
                    1 if !pool.thread_ids.is_empty() => {
                        pool.thread_ids[rng.below(pool.thread_ids.len() as u64) as usize]
                    }
                    _ => rng.next() as DWORD,
                };
                let msg = WM_USER + rng.below(4) as UINT;
                let ok = if op == 63 {
                    PostThreadMessageA(id, msg, rng.next() as usize, rng.next() as isize)
                } else {
                    PostThreadMessageW(id, msg, rng.next() as usize, rng.next() as isize)
                };
                (
                    if op == 63 {
                        "PostThreadMessageA"
                    } else {
                        "PostThreadMessageW"
                    },
                    failed_if(ok != 0, &[ERROR_INVALID_THREAD_ID, ERROR_NOT_ENOUGH_QUOTA]),
                )
            }
            65 | 66 => {
                // Something the filter passes is queued first, so the call never blocks.
                let k = rng.below(4) as UINT;
                if rng.chance(4) {
                    PostQuitMessage(rng.int());
                } else {
                    PostThreadMessageW(GetCurrentThreadId(), WM_USER + k, 0, 0);
                }
                let (min, max) = if rng.chance(2) {
                    (0, 0)
                } else {
                    (WM_USER + k, WM_USER + 3)
                };
                let window = if rng.chance(16) { h } else { null_mut() };
                let mut msg = std::mem::MaybeUninit::<MSG>::uninit();
                let out = if rng.chance(32) {
                    null_mut()
                } else {
                    msg.as_mut_ptr()
                };
                let r = if op == 65 {
                    GetMessageA(out, window, min, max)
                } else {
                    GetMessageW(out, window, min, max)
                };
                (
                    if op == 65 {
                        "GetMessageA"
                    } else {
                        "GetMessageW"
                    },
                    if r == -1 {
                        Outcome::Failed(&[ERROR_INVALID_WINDOW_HANDLE, ERROR_NOACCESS])
                    } else {
                        Outcome::Kept
                    },
                )
            }
            67 | 68 => {
                let window = if rng.chance(16) { h } else { null_mut() };
                let (min, max) = if rng.chance(2) {
                    (0, 0)
                } else {
                    (
                        WM_USER + rng.below(4) as UINT,
                        WM_USER + rng.below(4) as UINT,
                    )
                };
                let mut msg = std::mem::MaybeUninit::<MSG>::uninit();
                let out = if rng.chance(32) {
                    null_mut()
                } else {
                    msg.as_mut_ptr()
                };
                let remove = rng.below(4) as UINT;
                let r = if op == 67 {
                    PeekMessageA(out, window, min, max, remove)
                } else {
                    PeekMessageW(out, window, min, max, remove)
                };
                let failed = GetLastError() != SENTINEL;
                (
                    if op == 67 {
                        "PeekMessageA"
                    } else {
                        "PeekMessageW"
                    },
                    if r == 0 && failed {
                        Outcome::Failed(&[ERROR_INVALID_WINDOW_HANDLE, ERROR_NOACCESS])
                    } else {
                        Outcome::Kept
                    },
                )
            }
            69 => {
                PostQuitMessage(rng.int());
                ("PostQuitMessage", Outcome::Kept)
            }
            70 | 71 => {
                let handles: Vec<HANDLE> = (0..70).map(|_| pool.pick(rng)).collect();
                let count = if rng.chance(8) {
                    rng.below(70) as DWORD
                } else {
                    rng.below(3) as DWORD
                };
                let list = if rng.chance(16) {
                    null()
                } else {
                    handles.as_ptr()
                };
                let mask = if rng.chance(4) {
                    rng.next() as DWORD
                } else {
                    QS_ALLINPUT
                };
                let errors: &'static [DWORD] = &[
                    ERROR_INVALID_PARAMETER,
                    ERROR_INVALID_HANDLE,
                    ERROR_ACCESS_DENIED,
                    ERROR_NOACCESS,
                ];
                let r = if op == 70 {
                    MsgWaitForMultipleObjects(count, list, flag, ms, mask)
                } else {
                    let flags = if rng.chance(8) {
                        rng.next() as DWORD
                    } else {
                        rng.below(8) as DWORD
                    };
                    MsgWaitForMultipleObjectsEx(count, list, ms, mask, flags)
                };
                let name = if op == 70 {
                    "MsgWaitForMultipleObjects"
                } else {
                    "MsgWaitForMultipleObjectsEx"
                };
                (
                    name,
                    if r == WAIT_FAILED {
                        Outcome::Failed(errors)
                    } else {
                        Outcome::Kept
                    },
                )
            }
            115 => {
                let flags = if rng.chance(4) {
                    rng.next() as UCHAR
                } else {
                    rng.below(4) as UCHAR
                };
                (
                    "SetFileCompletionNotificationModes",
                    failed_if(
                        SetFileCompletionNotificationModes(h, flags) != 0,
                        &[ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER],
                    ),
                )
            }
            116..=137 => call_files(op, rng, pool, tmp),
            138..=140 => call_synch_extras(op, rng),
            141..=148 => call_named(op, rng, pool),
            // The NT, pipe and pool calls keep their own numbering, 141 and up.
            149..=164 => call_nt(op - 8, rng, pool),
            165..=175 => call_pipes(op - 24, rng, pool),
            176.. => call_pool(op - 35, rng, pool),
            _ => call_kernel32(op, rng, pool),
        }
    }
}

/// The `Create…Ex` and `Open…` functions of named objects, A or W at random, with random
/// names (some taken by another kind), flags and access masks.
fn call_named(op: u64, rng: &mut Rng, pool: &mut Pool) -> (&'static str, Outcome) {
    const CREATE_FAILS: &[DWORD] = &[
        ERROR_INVALID_HANDLE,
        ERROR_INVALID_PARAMETER,
        ERROR_ACCESS_DENIED,
        ERROR_PRIVILEGE_NOT_HELD,
        ERROR_NO_SYSTEM_RESOURCES,
        ERROR_NO_UNICODE_TRANSLATION,
    ];
    const OPEN_FAILS: &[DWORD] = &[
        ERROR_FILE_NOT_FOUND,
        ERROR_INVALID_HANDLE,
        ERROR_INVALID_PARAMETER,
        ERROR_ACCESS_DENIED,
        ERROR_PRIVILEGE_NOT_HELD,
        ERROR_NO_SYSTEM_RESOURCES,
        ERROR_NO_UNICODE_TRANSLATION,
    ];
    let wide = rng.chance(2);
    let (name_a, named_a) = name_a(rng);
    let (name_w, named_w) = name_w(rng);
    let a: LPCSTR = if named_a {
        name_a.as_ptr().cast()
    } else {
        null()
    };
    let w: LPCWSTR = if named_w { name_w.as_ptr() } else { null() };
    let flags = match rng.below(3) {
        0 => 0,
        1 => rng.below(4) as DWORD,
        _ => rng.next() as DWORD,
    };
    let desired = access(rng);
    let inherit = BOOL::from(rng.chance(2));
    let (initial, maximum) = (rng.int() % 4, rng.int() % 4);
    // SAFETY: every name is NULL or NUL-terminated; no other pointer is passed.
    let (h, name) = unsafe {
        match (op, wide) {
            (141, false) => (
                CreateEventExA(null_mut(), a, flags, desired),
                "CreateEventExA",
            ),
            (141, true) => (
                CreateEventExW(null_mut(), w, flags, desired),
                "CreateEventExW",
            ),
            (142, false) => (
                CreateMutexExA(null_mut(), a, flags, desired),
                "CreateMutexExA",
            ),
            (142, true) => (
                CreateMutexExW(null_mut(), w, flags, desired),
                "CreateMutexExW",
            ),
            (143, false) => (
                CreateSemaphoreExA(null_mut(), initial, maximum, a, flags, desired),
                "CreateSemaphoreExA",
            ),
            (143, true) => (
                CreateSemaphoreExW(null_mut(), initial, maximum, w, flags, desired),
                "CreateSemaphoreExW",
            ),
            (144, false) => (
                CreateWaitableTimerExA(null_mut(), a, flags, desired),
                "CreateWaitableTimerExA",
            ),
            (144, true) => (
                CreateWaitableTimerExW(null_mut(), w, flags, desired),
                "CreateWaitableTimerExW",
            ),
            (145, false) => (OpenEventA(desired, inherit, a), "OpenEventA"),
            (145, true) => (OpenEventW(desired, inherit, w), "OpenEventW"),
            (146, false) => (OpenMutexA(desired, inherit, a), "OpenMutexA"),
            (146, true) => (OpenMutexW(desired, inherit, w), "OpenMutexW"),
            (147, false) => (OpenSemaphoreA(desired, inherit, a), "OpenSemaphoreA"),
            (147, true) => (OpenSemaphoreW(desired, inherit, w), "OpenSemaphoreW"),
            (_, false) => (
                OpenWaitableTimerA(desired, inherit, a),
                "OpenWaitableTimerA",
            ),
            (_, true) => (
                OpenWaitableTimerW(desired, inherit, w),
                "OpenWaitableTimerW",
            ),
        }
    };
    pool.add(h);
    let outcome = match (h.is_null(), op < 145) {
        (true, true) => Outcome::Failed(CREATE_FAILS),
        (true, false) => Outcome::Failed(OPEN_FAILS),
        (false, true) => Outcome::SetsOnSuccess(CREATED),
        (false, false) => Outcome::Kept,
    };
    (name, outcome)
}

/// A path argument in the forms an `…A` or `…W` function takes.
struct PathArg {
    narrow: Option<Vec<u8>>,
    wide: Option<Vec<WCHAR>>,
}

impl PathArg {
    fn new(name: Option<String>) -> Self {
        Self {
            narrow: name.as_ref().map(|n| n.bytes().chain([0]).collect()),
            wide: name.map(|n| n.chars().map(|c| c as WCHAR).chain([0]).collect()),
        }
    }
    fn a(&self) -> LPCSTR {
        self.narrow.as_ref().map_or(null(), |n| n.as_ptr().cast())
    }
    fn w(&self) -> LPCWSTR {
        self.wide.as_ref().map_or(null(), |n| n.as_ptr())
    }
}

/// A file or folder name for the functions that take names: those of [`file_name`], and
/// folders beside them.
fn any_name(rng: &mut Rng, tmp: &[u8]) -> PathArg {
    if rng.chance(3) {
        let n = rng.below(3);
        return PathArg::new(Some(format!("{}/fz-dir-{n}", String::from_utf8_lossy(tmp))));
    }
    PathArg::new(file_name(rng, tmp))
}

/// One random call of the size, position, attribute, folder, move and copy functions,
/// numbers 116 and up.
#[allow(clippy::too_many_lines)] // one arm per exported function
fn call_files(op: u64, rng: &mut Rng, pool: &mut Pool, tmp: &[u8]) -> (&'static str, Outcome) {
    let h = pool.pick_from(rng, &pool.files);
    let failed_if = |ok: bool, errors: &'static [DWORD]| {
        if ok {
            Outcome::Kept
        } else {
            Outcome::Failed(errors)
        }
    };
    // Methods 0–2 and an unknown one; distances that stay below 2^33 (a sparse file of
    // that size costs nothing), negative ones included.
    let method = rng.below(4) as DWORD;
    let low = rng.int();
    const MOVE_ERRORS: &[DWORD] = &[
        ERROR_FILE_NOT_FOUND,
        ERROR_PATH_NOT_FOUND,
        ERROR_ACCESS_DENIED,
        ERROR_NOT_SAME_DEVICE,
        ERROR_INVALID_PARAMETER,
        ERROR_ALREADY_EXISTS,
    ];
    // SAFETY: for every call below, pointer arguments are NULL or point to live values or
    // NUL-terminated strings.
    unsafe {
        match op {
            116 => {
                let mut high: DWORD = 0;
                let r = GetFileSize(
                    h,
                    if rng.chance(2) {
                        &raw mut high
                    } else {
                        null_mut()
                    },
                );
                // INVALID_FILE_SIZE with NO_ERROR is a size whose low half is 0xFFFFFFFF,
                // which a random SetEndOfFile can make: a success.
                (
                    "GetFileSize",
                    failed_if(
                        r != INVALID_FILE_SIZE,
                        &[ERROR_INVALID_HANDLE, ERROR_SUCCESS],
                    ),
                )
            }
            117 => {
                let mut size = LARGE_INTEGER { QuadPart: 0 };
                let out = if rng.chance(8) {
                    null_mut()
                } else {
                    &raw mut size
                };
                (
                    "GetFileSizeEx",
                    failed_if(
                        GetFileSizeEx(h, out) != 0,
                        &[ERROR_INVALID_HANDLE, ERROR_NOACCESS],
                    ),
                )
            }
            118 => {
                let mut high: LONG = [0, 1, -1][rng.below(3) as usize];
                let high_ptr = if rng.chance(2) {
                    &raw mut high
                } else {
                    null_mut()
                };
                let r = SetFilePointer(h, low, high_ptr, method);
                let outcome = if r != INVALID_SET_FILE_POINTER {
                    Outcome::Kept
                } else if GetLastError() == ERROR_SUCCESS {
                    Outcome::SetsOnSuccess(&[ERROR_SUCCESS])
                } else {
                    Outcome::Failed(&[
                        ERROR_INVALID_HANDLE,
                        ERROR_INVALID_PARAMETER,
                        ERROR_NEGATIVE_SEEK,
                    ])
                };
                ("SetFilePointer", outcome)
            }
            119 => {
                let distance = LARGE_INTEGER {
                    QuadPart: i64::from(low),
                };
                let mut now = LARGE_INTEGER { QuadPart: 0 };
                let out = if rng.chance(2) {
                    &raw mut now
                } else {
                    null_mut()
                };
                (
                    "SetFilePointerEx",
                    failed_if(
                        SetFilePointerEx(h, distance, out, method) != 0,
                        &[
                            ERROR_INVALID_HANDLE,
                            ERROR_INVALID_PARAMETER,
                            ERROR_NEGATIVE_SEEK,
                        ],
                    ),
                )
            }
            120 => (
                "SetEndOfFile",
                failed_if(
                    SetEndOfFile(h) != 0,
                    &[ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED],
                ),
            ),
            121 => (
                "FlushFileBuffers",
                failed_if(
                    FlushFileBuffers(h) != 0,
                    &[ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED],
                ),
            ),
            122 | 123 => {
                let name = any_name(rng, tmp);
                let r = if op == 122 {
                    GetFileAttributesA(name.a())
                } else {
                    GetFileAttributesW(name.w())
                };
                (
                    if op == 122 {
                        "GetFileAttributesA"
                    } else {
                        "GetFileAttributesW"
                    },
                    failed_if(
                        r != INVALID_FILE_ATTRIBUTES,
                        &[ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND],
                    ),
                )
            }
            124 | 125 => {
                let name = any_name(rng, tmp);
                let level = rng.below(3) as GET_FILEEX_INFO_LEVELS - 1;
                let mut data = WIN32_FILE_ATTRIBUTE_DATA::default();
                let out: LPVOID = if rng.chance(8) {
                    null_mut()
                } else {
                    (&raw mut data).cast()
                };
                let ok = if op == 124 {
                    GetFileAttributesExA(name.a(), level, out)
                } else {
                    GetFileAttributesExW(name.w(), level, out)
                };
                (
                    if op == 124 {
                        "GetFileAttributesExA"
                    } else {
                        "GetFileAttributesExW"
                    },
                    failed_if(
                        ok != 0,
                        &[
                            ERROR_FILE_NOT_FOUND,
                            ERROR_PATH_NOT_FOUND,
                            ERROR_INVALID_PARAMETER,
                            ERROR_NOACCESS,
                        ],
                    ),
                )
            }
            126 | 127 => {
                let name = any_name(rng, tmp);
                let ok = if op == 126 {
                    CreateDirectoryA(name.a(), null_mut())
                } else {
                    CreateDirectoryW(name.w(), null_mut())
                };
                (
                    if op == 126 {
                        "CreateDirectoryA"
                    } else {
                        "CreateDirectoryW"
                    },
                    failed_if(ok != 0, &[ERROR_ALREADY_EXISTS, ERROR_PATH_NOT_FOUND]),
                )
            }
            128 | 129 => {
                let name = any_name(rng, tmp);
                let ok = if op == 128 {
                    RemoveDirectoryA(name.a())
                } else {
                    RemoveDirectoryW(name.w())
                };
                (
                    if op == 128 {
                        "RemoveDirectoryA"
                    } else {
                        "RemoveDirectoryW"
                    },
                    failed_if(
                        ok != 0,
                        &[
                            ERROR_FILE_NOT_FOUND,
                            ERROR_PATH_NOT_FOUND,
                            ERROR_DIR_NOT_EMPTY,
                            ERROR_DIRECTORY,
                        ],
                    ),
                )
            }
            130..=133 => {
                let (from, to) = (any_name(rng, tmp), any_name(rng, tmp));
                let flags = if rng.chance(8) {
                    rng.next() as DWORD
                } else {
                    rng.below(16) as DWORD
                };
                let (name, ok) = match op {
                    130 => ("MoveFileExA", MoveFileExA(from.a(), to.a(), flags)),
                    131 => ("MoveFileExW", MoveFileExW(from.w(), to.w(), flags)),
                    132 => ("MoveFileA", MoveFileA(from.a(), to.a())),
                    _ => ("MoveFileW", MoveFileW(from.w(), to.w())),
                };
                (name, failed_if(ok != 0, MOVE_ERRORS))
            }
            134 | 135 => {
                let (from, to) = (any_name(rng, tmp), any_name(rng, tmp));
                let fail = BOOL::from(rng.chance(2));
                let ok = if op == 134 {
                    CopyFileA(from.a(), to.a(), fail)
                } else {
                    CopyFileW(from.w(), to.w(), fail)
                };
                (
                    if op == 134 { "CopyFileA" } else { "CopyFileW" },
                    failed_if(
                        ok != 0,
                        &[
                            ERROR_FILE_NOT_FOUND,
                            ERROR_PATH_NOT_FOUND,
                            ERROR_ACCESS_DENIED,
                            ERROR_SHARING_VIOLATION,
                            ERROR_FILE_EXISTS,
                        ],
                    ),
                )
            }
            _ => {
                let len = rng.below(300) as DWORD;
                let n = if op == 136 {
                    let mut buf = vec![0 as CHAR; 300];
                    let out = if rng.chance(8) {
                        null_mut()
                    } else {
                        buf.as_mut_ptr()
                    };
                    GetTempPath2A(len, out)
                } else {
                    let mut buf = vec![0 as WCHAR; 300];
                    let out = if rng.chance(8) {
                        null_mut()
                    } else {
                        buf.as_mut_ptr()
                    };
                    GetTempPath2W(len, out)
                };
                (
                    if op == 136 {
                        "GetTempPath2A"
                    } else {
                        "GetTempPath2W"
                    },
                    failed_if(n != 0, &[ERROR_NO_UNICODE_TRANSLATION]),
                )
            }
        }
    }
}

/// A pipe name: one of this test's (which a server of [`pipe_pair`] may hold), one
/// without the `\\.\pipe\` prefix, or none.
fn pipe_name(rng: &mut Rng) -> PathArg {
    match rng.below(6) {
        0 => PathArg::new(None),
        1 => PathArg::new(Some(format!("fz-not-a-pipe-{}", rng.below(3)))),
        2 => PathArg::new(Some(r"\\.\pipe\".to_owned())),
        _ => PathArg::new(Some(format!(
            r"\\.\pipe\alertable-fuzz-{}-{}",
            std::process::id(),
            rng.below(4)
        ))),
    }
}

/// A fresh overlapped server instance and its client, or `None` (the name was busy). They
/// are closed by the call that made them, so pipes never reach the pool, where a blocking
/// call might wait on one forever.
unsafe fn pipe_pair(rng: &mut Rng) -> Option<(HANDLE, HANDLE)> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = PathArg::new(Some(format!(
        r"\\.\pipe\alertable-fuzz-pair-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )));
    let mode = if rng.chance(2) {
        PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
    } else {
        PIPE_TYPE_BYTE
    };
    // SAFETY: the name is a NUL-terminated string.
    let server = unsafe {
        CreateNamedPipeA(
            name.a(),
            PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
            mode,
            1,
            64,
            64,
            0,
            null_mut(),
        )
    };
    if server == INVALID_HANDLE_VALUE {
        return None;
    }
    // SAFETY: as above.
    let client = unsafe {
        CreateFileA(
            name.a(),
            GENERIC_READ | GENERIC_WRITE,
            0,
            null_mut(),
            OPEN_EXISTING,
            FILE_FLAG_OVERLAPPED,
            null_mut(),
        )
    };
    if rng.chance(3) {
        // Some data waiting for the server, in every call that follows.
        let slot = [7u8; 40];
        let mut ov = OVERLAPPED::new(0, null_mut());
        let mut n = 0;
        // SAFETY: the write copies the bytes at issue; `ov` lives until the write is done.
        unsafe {
            WriteFile(client, slot.as_ptr().cast(), 40, null_mut(), &raw mut ov);
            GetOverlappedResult(client, &raw mut ov, &raw mut n, TRUE);
        }
    }
    Some((server, client))
}

/// One random call of the pipe functions, numbers 141 and up, on a fresh pipe
/// ([`pipe_pair`]) or a random handle of the pool (which holds no pipe).
#[allow(clippy::too_many_lines)] // one arm per exported function
fn call_pipes(op: u64, rng: &mut Rng, pool: &mut Pool) -> (&'static str, Outcome) {
    let failed_if = |ok: bool, errors: &'static [DWORD]| {
        if ok {
            Outcome::Kept
        } else {
            Outcome::Failed(errors)
        }
    };
    const STATE_ERRORS: &[DWORD] = &[
        ERROR_INVALID_HANDLE,
        ERROR_INVALID_PARAMETER,
        ERROR_PIPE_LISTENING,
        ERROR_PIPE_NOT_CONNECTED,
        ERROR_PIPE_CONNECTED,
        ERROR_BROKEN_PIPE,
        ERROR_NO_DATA,
        ERROR_BAD_PIPE,
        ERROR_MORE_DATA,
        ERROR_IO_PENDING,
        ERROR_NOACCESS,
        ERROR_ACCESS_DENIED,
    ];
    // SAFETY: pointer arguments are NULL or point to live values, strings and slots (slots
    // live until the end of the test, as a pending request may write them); the pipes made
    // here are overlapped, so no call on them blocks.
    unsafe {
        let pair = if (143..=148).contains(&op) && !rng.chance(4) {
            pipe_pair(rng)
        } else {
            None
        };
        let h = match pair {
            Some((server, client)) => {
                if rng.chance(3) {
                    client
                } else {
                    server
                }
            }
            None => pool.pick(rng),
        };
        let slot = if rng.chance(4) {
            null_mut()
        } else {
            pool.slot(rng)
        };
        let ov: LPOVERLAPPED = if slot.is_null() {
            null_mut()
        } else {
            &raw mut (*slot).ov
        };
        let mut out = [0 as DWORD; 4];
        let outcome = match op {
            141 | 142 => {
                let name = pipe_name(rng);
                let open = if rng.chance(4) {
                    rng.next() as DWORD
                } else {
                    rng.below(4) as DWORD
                        | if rng.chance(2) {
                            FILE_FLAG_OVERLAPPED
                        } else {
                            0
                        }
                        | if rng.chance(8) {
                            FILE_FLAG_FIRST_PIPE_INSTANCE
                        } else {
                            0
                        }
                };
                let mode = if rng.chance(4) {
                    rng.next() as DWORD
                } else {
                    rng.below(8) as DWORD
                };
                let instances =
                    [0, 1, 2, 254, 255, 256, rng.next() as DWORD][rng.below(7) as usize];
                let made = if op == 141 {
                    CreateNamedPipeA(name.a(), open, mode, instances, 0, 64, 0, null_mut())
                } else {
                    CreateNamedPipeW(name.w(), open, mode, instances, 64, 0, 1, null_mut())
                };
                if made != INVALID_HANDLE_VALUE {
                    CloseHandle(made);
                }
                (
                    if op == 141 {
                        "CreateNamedPipeA"
                    } else {
                        "CreateNamedPipeW"
                    },
                    failed_if(
                        made != INVALID_HANDLE_VALUE,
                        &[
                            ERROR_INVALID_NAME,
                            ERROR_INVALID_PARAMETER,
                            ERROR_PIPE_BUSY,
                            ERROR_ACCESS_DENIED,
                        ],
                    ),
                )
            }
            143 => (
                "ConnectNamedPipe",
                failed_if(ConnectNamedPipe(h, ov) != 0, STATE_ERRORS),
            ),
            144 => (
                "DisconnectNamedPipe",
                failed_if(DisconnectNamedPipe(h) != 0, STATE_ERRORS),
            ),
            145 => {
                let mut buffer = [0u8; 64];
                let data = if rng.chance(3) {
                    null_mut()
                } else {
                    buffer.as_mut_ptr().cast()
                };
                let outs = out.as_mut_ptr();
                let ok = PeekNamedPipe(
                    h,
                    data,
                    rng.below(65) as DWORD,
                    if rng.chance(3) { null_mut() } else { outs },
                    if rng.chance(3) {
                        null_mut()
                    } else {
                        outs.add(1)
                    },
                    if rng.chance(3) {
                        null_mut()
                    } else {
                        outs.add(2)
                    },
                );
                ("PeekNamedPipe", failed_if(ok != 0, STATE_ERRORS))
            }
            146 => {
                let outs = out.as_mut_ptr();
                let ok = GetNamedPipeInfo(
                    h,
                    if rng.chance(3) { null_mut() } else { outs },
                    if rng.chance(3) {
                        null_mut()
                    } else {
                        outs.add(1)
                    },
                    if rng.chance(3) {
                        null_mut()
                    } else {
                        outs.add(2)
                    },
                    if rng.chance(3) {
                        null_mut()
                    } else {
                        outs.add(3)
                    },
                );
                ("GetNamedPipeInfo", failed_if(ok != 0, STATE_ERRORS))
            }
            147 => {
                out[0] = if rng.chance(4) {
                    rng.next() as DWORD
                } else {
                    rng.below(4) as DWORD
                };
                let outs = out.as_mut_ptr();
                let ok = SetNamedPipeHandleState(
                    h,
                    if rng.chance(4) { null_mut() } else { outs },
                    if rng.chance(6) {
                        outs.add(1)
                    } else {
                        null_mut()
                    },
                    if rng.chance(6) {
                        outs.add(2)
                    } else {
                        null_mut()
                    },
                );
                ("SetNamedPipeHandleState", failed_if(ok != 0, STATE_ERRORS))
            }
            148 => {
                let message = [1u8; 16];
                // The reply goes to the slot's own buffer, which outlives the request.
                let reply: LPVOID = if slot.is_null() {
                    null_mut()
                } else {
                    (*slot).buffer.as_mut_ptr().cast()
                };
                let reply_len = if reply.is_null() {
                    0
                } else {
                    rng.below(65) as DWORD
                };
                let ok = TransactNamedPipe(
                    h,
                    message.as_ptr().cast_mut().cast(),
                    rng.below(17) as DWORD,
                    reply,
                    reply_len,
                    out.as_mut_ptr(),
                    ov,
                );
                ("TransactNamedPipe", failed_if(ok != 0, STATE_ERRORS))
            }
            149 => {
                let name = pipe_name(rng);
                let timeout = rng.below(2) as DWORD;
                let errors: &'static [DWORD] = &[
                    ERROR_FILE_NOT_FOUND,
                    ERROR_SEM_TIMEOUT,
                    ERROR_INVALID_NAME,
                    ERROR_ACCESS_DENIED,
                ];
                if rng.chance(2) {
                    (
                        "WaitNamedPipeA",
                        failed_if(WaitNamedPipeA(name.a(), timeout) != 0, errors),
                    )
                } else {
                    (
                        "WaitNamedPipeW",
                        failed_if(WaitNamedPipeW(name.w(), timeout) != 0, errors),
                    )
                }
            }
            150 => {
                // Only names no server holds: a server that never answers would keep the
                // call waiting for its reply.
                let name = PathArg::new(match rng.below(3) {
                    0 => None,
                    1 => Some("fz-not-a-pipe".to_owned()),
                    _ => Some(format!(
                        r"\\.\pipe\alertable-fuzz-nobody-{}",
                        std::process::id()
                    )),
                });
                let mut reply = [0u8; 32];
                let errors: &'static [DWORD] =
                    &[ERROR_FILE_NOT_FOUND, ERROR_INVALID_NAME, ERROR_SEM_TIMEOUT];
                if rng.chance(2) {
                    let ok = CallNamedPipeA(
                        name.a(),
                        reply.as_mut_ptr().cast(),
                        4,
                        reply.as_mut_ptr().cast(),
                        32,
                        out.as_mut_ptr(),
                        rng.below(2) as DWORD,
                    );
                    ("CallNamedPipeA", failed_if(ok != 0, errors))
                } else {
                    let ok = CallNamedPipeW(
                        name.w(),
                        reply.as_mut_ptr().cast(),
                        4,
                        reply.as_mut_ptr().cast(),
                        32,
                        out.as_mut_ptr(),
                        rng.below(2) as DWORD,
                    );
                    ("CallNamedPipeW", failed_if(ok != 0, errors))
                }
            }
            _ => {
                let (mut read, mut write) = (null_mut(), null_mut());
                let ok = CreatePipe(
                    if rng.chance(6) {
                        null_mut()
                    } else {
                        &raw mut read
                    },
                    if rng.chance(6) {
                        null_mut()
                    } else {
                        &raw mut write
                    },
                    null_mut(),
                    rng.below(3) as DWORD * 1000,
                );
                let mut checks = true;
                if ok != 0 {
                    // Data first, so that the synchronous read does not wait.
                    let mut n = 0;
                    let mut buffer = [0u8; 8];
                    checks &=
                        WriteFile(write, b"fuzz".as_ptr().cast(), 4, &raw mut n, null_mut()) != 0;
                    checks &= ReadFile(read, buffer.as_mut_ptr().cast(), 8, &raw mut n, null_mut())
                        != 0
                        && n == 4;
                    CloseHandle(read);
                    CloseHandle(write);
                }
                (
                    "CreatePipe",
                    if ok == 0 {
                        Outcome::Failed(&[ERROR_NOACCESS])
                    } else {
                        Outcome::Asserted(checks)
                    },
                )
            }
        };
        if let Some((server, client)) = pair {
            CloseHandle(client);
            CloseHandle(server);
        }
        outcome
    }
}

/// One random call of the one-time initialization, address-wait and barrier functions,
/// numbers 138 and up. Barriers get a total of one thread, so no call waits for another.
fn call_synch_extras(op: u64, rng: &mut Rng) -> (&'static str, Outcome) {
    // An 8-byte aligned buffer; the structures go at a random offset inside it.
    let mut storage = [0_u64; 6];
    let at = storage
        .as_mut_ptr()
        .cast::<u8>()
        .wrapping_add(rng.below(8) as usize);
    // SAFETY: for every call below, `at` has at least 40 writable bytes of `storage` after it,
    // room for any of these structures and values; out pointers are locals.
    unsafe {
        match op {
            138 => {
                let once = at.cast::<INIT_ONCE>();
                InitOnceInitialize(once);
                let flags = if rng.chance(2) {
                    rng.next() as DWORD
                } else {
                    rng.below(8) as DWORD
                };
                let (mut pending, mut context) = (FALSE, null_mut());
                let begun =
                    InitOnceBeginInitialize(once, flags, &raw mut pending, &raw mut context);
                let begin_error = GetLastError();
                let complete_flags = if rng.chance(2) {
                    rng.next() as DWORD
                } else {
                    rng.below(8) as DWORD
                };
                let value = rng.below(0x100) as usize as PVOID;
                let completed = InitOnceComplete(once, complete_flags, value);
                let complete_error = GetLastError();
                // A begun initialization left pending would make it wait forever.
                InitOnceInitialize(once);
                let mut out: PVOID = null_mut();
                let executed = InitOnceExecuteOnce(once, None, null_mut(), &raw mut out);
                let refused = InitOnceBeginInitialize(null_mut(), 0, null_mut(), null_mut())
                    == FALSE
                    && GetLastError() == ERROR_NOACCESS;
                let ok = (begun == TRUE
                    || [ERROR_INVALID_PARAMETER, ERROR_GEN_FAILURE].contains(&begin_error))
                    && (completed == TRUE
                        || [ERROR_INVALID_PARAMETER, ERROR_GEN_FAILURE].contains(&complete_error))
                    && (executed == TRUE || executed == FALSE)
                    && refused;
                ("InitOnceBeginInitialize", Outcome::Asserted(ok))
            }
            139 => {
                let size = [0, 1, 2, 3, 4, 8, 16][rng.below(7) as usize];
                let mut compare = rng.next();
                if rng.chance(2) {
                    at.cast::<[u8; 8]>().write_unaligned(compare.to_ne_bytes());
                }
                let ms = rng.below(2) as DWORD;
                let address = if rng.chance(16) {
                    null_mut()
                } else {
                    at.cast()
                };
                let r = WaitOnAddress(address, (&raw mut compare).cast(), size, ms);
                (
                    "WaitOnAddress",
                    if r == TRUE {
                        Outcome::Unchecked
                    } else {
                        Outcome::Failed(&[ERROR_TIMEOUT, ERROR_INVALID_PARAMETER, ERROR_NOACCESS])
                    },
                )
            }
            _ => {
                let barrier = at.cast::<SYNCHRONIZATION_BARRIER>();
                let bad = InitializeSynchronizationBarrier(barrier, rng.int().min(0), -1) == FALSE
                    && GetLastError() == ERROR_INVALID_PARAMETER;
                let made = InitializeSynchronizationBarrier(barrier, 1, rng.int().max(-1)) == TRUE;
                let flags = if rng.chance(2) {
                    rng.next() as DWORD
                } else {
                    rng.below(8) as DWORD
                };
                let entered = EnterSynchronizationBarrier(barrier, flags) == TRUE;
                WakeByAddressSingle(at.cast());
                WakeByAddressAll(at.cast());
                let deleted = DeleteSynchronizationBarrier(barrier) == TRUE;
                (
                    "InitializeSynchronizationBarrier",
                    Outcome::Asserted(bad && made && entered && deleted),
                )
            }
        }
    }
}

/// Pool callbacks run: the work, simple, timer, wait and I/O callbacks below count here.
static CALLBACKS_RUN: AtomicUsize = AtomicUsize::new(0);

/// A pool callback's instance actions, with the handle the call was given as context
/// (random: the actions must refuse a bad one quietly), and a critical section the
/// callback enters and leaves through its instance.
unsafe fn instance_actions(instance: PTP_CALLBACK_INSTANCE, context: PVOID) {
    CALLBACKS_RUN.fetch_add(1, Ordering::Relaxed);
    let h: HANDLE = context.cast();
    // SAFETY: `instance` is the running callback's; the handle may be anything, which the
    // functions refuse without effect; the critical section is leaked, so it outlives the
    // callback that leaves it.
    unsafe {
        SetEventWhenCallbackReturns(instance, h);
        ReleaseSemaphoreWhenCallbackReturns(instance, h, 1);
        ReleaseMutexWhenCallbackReturns(instance, h);
        FreeLibraryWhenCallbackReturns(instance, null_mut());
        let cs = Box::leak(Box::new(std::mem::zeroed::<CRITICAL_SECTION>()));
        InitializeCriticalSection(cs);
        EnterCriticalSection(cs);
        LeaveCriticalSectionWhenCallbackReturns(instance, cs);
        CallbackMayRunLong(instance);
        if (h as usize) % 2 == 0 {
            DisassociateCurrentThreadFromCallback(instance);
        }
    }
}

unsafe extern "C" fn pool_work(instance: PTP_CALLBACK_INSTANCE, context: PVOID, _: PTP_WORK) {
    // SAFETY: called by the pool with the running callback's instance.
    unsafe { instance_actions(instance, context) }
}

unsafe extern "C" fn pool_simple(instance: PTP_CALLBACK_INSTANCE, context: PVOID) {
    // SAFETY: as above.
    unsafe { instance_actions(instance, context) }
}

unsafe extern "C" fn pool_timer(instance: PTP_CALLBACK_INSTANCE, context: PVOID, _: PTP_TIMER) {
    // SAFETY: as above.
    unsafe { instance_actions(instance, context) }
}

unsafe extern "C" fn pool_wait(
    instance: PTP_CALLBACK_INSTANCE,
    context: PVOID,
    _: PTP_WAIT,
    _: TP_WAIT_RESULT,
) {
    // SAFETY: as above.
    unsafe { instance_actions(instance, context) }
}

unsafe extern "C" fn pool_io(
    instance: PTP_CALLBACK_INSTANCE,
    context: PVOID,
    _: PVOID,
    _: ULONG,
    _: ULONG_PTR,
    _: PTP_IO,
) {
    // SAFETY: as above.
    unsafe { instance_actions(instance, context) }
}

unsafe extern "C" fn pool_cancelled(_: PVOID, _: PVOID) {
    CALLBACKS_RUN.fetch_add(1, Ordering::Relaxed);
}

unsafe extern "C" fn legacy_callback(_: PVOID, _: BOOLEAN) {
    CALLBACKS_RUN.fetch_add(1, Ordering::Relaxed);
}

unsafe extern "C" fn legacy_work(_: LPVOID) -> DWORD {
    CALLBACKS_RUN.fetch_add(1, Ordering::Relaxed);
    0
}

/// A relative due time or timeout of up to 2 ms, or 0 (now).
fn soon(rng: &mut Rng) -> FILETIME {
    let quad = -(rng.below(3) as i64) * 10_000;
    FILETIME {
        dwLowDateTime: quad as u32,
        dwHighDateTime: (quad >> 32) as u32,
    }
}

/// The thread pool: a whole life of a pool and its objects with random handles, due
/// times and flags (141); the legacy functions (142); `BindIoCompletionCallback` (143).
fn call_pool(op: u64, rng: &mut Rng, pool: &mut Pool) -> (&'static str, Outcome) {
    let h = pool.pick(rng);
    let context: PVOID = pool.pick(rng).cast();
    // SAFETY: every pointer below is NULL or points to a live local or to an object just
    // created by the matching function and closed once; the callbacks are the sound
    // functions above; waits for callbacks never run on a pool thread.
    unsafe {
        match op {
            141 => {
                let tp = CreateThreadpool(null_mut());
                let mut checks = !tp.is_null();
                SetThreadpoolThreadMaximum(tp, 1 + rng.below(3) as DWORD);
                checks &= SetThreadpoolThreadMinimum(tp, rng.below(2) as DWORD) == TRUE;
                let mut env = std::mem::zeroed::<TP_CALLBACK_ENVIRON>();
                InitializeThreadpoolEnvironment(&raw mut env);
                SetThreadpoolCallbackPool(&raw mut env, tp);
                if rng.chance(2) {
                    SetThreadpoolCallbackRunsLong(&raw mut env);
                }
                let group = if rng.chance(2) {
                    let group = CreateThreadpoolCleanupGroup();
                    SetThreadpoolCallbackCleanupGroup(&raw mut env, group, Some(pool_cancelled));
                    group
                } else {
                    null_mut()
                };
                let work = CreateThreadpoolWork(Some(pool_work), context, &raw mut env);
                checks &= !work.is_null();
                for _ in 0..rng.below(4) {
                    SubmitThreadpoolWork(work);
                }
                checks &=
                    TrySubmitThreadpoolCallback(Some(pool_simple), context, &raw mut env) == TRUE;
                let timer = CreateThreadpoolTimer(Some(pool_timer), context, &raw mut env);
                let mut due = soon(rng);
                let due_ptr = if rng.chance(4) {
                    null_mut()
                } else {
                    &raw mut due
                };
                SetThreadpoolTimer(timer, due_ptr, rng.below(2) as DWORD, 0);
                let _ = IsThreadpoolTimerSet(timer);
                let _ = SetThreadpoolTimerEx(timer, due_ptr, 0, rng.below(5) as DWORD);
                let wait = CreateThreadpoolWait(Some(pool_wait), context, &raw mut env);
                let mut timeout = soon(rng);
                let timeout_ptr = if rng.chance(2) {
                    null_mut()
                } else {
                    &raw mut timeout
                };
                SetThreadpoolWait(wait, h, timeout_ptr);
                let _ = SetThreadpoolWaitEx(wait, h, timeout_ptr, null_mut());
                let io = CreateThreadpoolIo(h, Some(pool_io), context, &raw mut env);
                if io.is_null() {
                    let error = GetLastError();
                    checks &= [ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER].contains(&error);
                } else {
                    StartThreadpoolIo(io);
                    CancelThreadpoolIo(io);
                    WaitForThreadpoolIoCallbacks(io, BOOL::from(rng.chance(2)));
                }
                let cancel = BOOL::from(rng.chance(2));
                if group.is_null() || rng.chance(2) {
                    WaitForThreadpoolWorkCallbacks(work, cancel);
                    WaitForThreadpoolTimerCallbacks(timer, cancel);
                    SetThreadpoolWait(wait, null_mut(), null_mut());
                    WaitForThreadpoolWaitCallbacks(wait, cancel);
                    CloseThreadpoolWork(work);
                    CloseThreadpoolTimer(timer);
                    CloseThreadpoolWait(wait);
                    if !io.is_null() {
                        CloseThreadpoolIo(io);
                    }
                }
                if !group.is_null() {
                    CloseThreadpoolCleanupGroupMembers(group, cancel, null_mut());
                    CloseThreadpoolCleanupGroup(group);
                }
                DestroyThreadpoolEnvironment(&raw mut env);
                CloseThreadpool(tp);
                ("CreateThreadpool", Outcome::Asserted(checks))
            }
            142 => {
                let mut checks =
                    QueueUserWorkItem(Some(legacy_work), null_mut(), rng.next() as ULONG) == TRUE;
                let mut wait = null_mut();
                let ms = [0, 1, INFINITE][rng.below(3) as usize];
                if RegisterWaitForSingleObject(
                    &raw mut wait,
                    h,
                    Some(legacy_callback),
                    null_mut(),
                    ms,
                    rng.next() as ULONG & 0x1ff,
                ) == TRUE
                {
                    checks &= if rng.chance(2) {
                        UnregisterWaitEx(wait, INVALID_HANDLE_VALUE) == TRUE
                    } else {
                        UnregisterWait(wait) == TRUE || GetLastError() == ERROR_IO_PENDING
                    };
                } else {
                    checks &= [ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED].contains(&GetLastError());
                }
                let queue = if rng.chance(2) {
                    CreateTimerQueue()
                } else {
                    null_mut()
                };
                let mut timer = null_mut();
                checks &= CreateTimerQueueTimer(
                    &raw mut timer,
                    queue,
                    Some(legacy_callback),
                    null_mut(),
                    rng.below(3) as DWORD,
                    rng.below(2) as DWORD,
                    rng.next() as ULONG,
                ) == TRUE;
                checks &= ChangeTimerQueueTimer(queue, timer, rng.below(3) as ULONG, 0) == TRUE;
                checks &= if rng.chance(2) {
                    DeleteTimerQueueTimer(queue, timer, INVALID_HANDLE_VALUE) == TRUE
                } else {
                    DeleteTimerQueueTimer(queue, timer, null_mut()) == TRUE
                        || GetLastError() == ERROR_IO_PENDING
                };
                if !queue.is_null() {
                    checks &= if rng.chance(2) {
                        DeleteTimerQueueEx(queue, INVALID_HANDLE_VALUE) == TRUE
                    } else {
                        DeleteTimerQueue(queue) == TRUE || GetLastError() == ERROR_IO_PENDING
                    };
                }
                ("RegisterWaitForSingleObject", Outcome::Asserted(checks))
            }
            _ => {
                let callback: LPOVERLAPPED_COMPLETION_ROUTINE = if rng.chance(8) {
                    None
                } else {
                    Some(count_io_routine)
                };
                let ok = BindIoCompletionCallback(h, callback, 0) == TRUE;
                (
                    "BindIoCompletionCallback",
                    if ok {
                        Outcome::Kept
                    } else {
                        Outcome::Failed(&[ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER])
                    },
                )
            }
        }
    }
}

/// Messages `FormatMessage` is given: plain, with escapes, inserts and printf formats,
/// and malformed ones.
const MESSAGES: [&str; 8] = [
    "plain",
    "%1 and %2!d! and %3!-5.2s!%n%0rest",
    "%%%.%!% %r%t",
    "%",
    "%1!f!",
    "%99!*.*s!",
    "line\r\nbreak\n",
    "",
];

/// One random call of the kernel32 neighbours (memory, strings, messages, TLS, thread
/// information, clocks, console), numbers 72 and up.
#[allow(clippy::too_many_lines)] // one arm per exported function
fn call_kernel32(op: u64, rng: &mut Rng, pool: &mut Pool) -> (&'static str, Outcome) {
    let h = pool.pick(rng);
    let failed_if = |ok: bool, errors: &'static [DWORD]| {
        if ok {
            Outcome::Kept
        } else {
            Outcome::Failed(errors)
        }
    };
    let size = match rng.below(8) {
        0 => 0,
        1 => usize::MAX - rng.below(64) as usize,
        2 => 3 << 20,
        _ => rng.below(300) as usize,
    };
    let flags = if rng.chance(4) {
        rng.next() as DWORD
    } else {
        [0, 0x2, 0x8, 0x10, 0x40, 0x42, 0x80, 0x82][rng.below(8) as usize]
    };
    const NO_ERROR_SET: &[DWORD] = &[SENTINEL];
    const ON_LOCAL: &[DWORD] = &[ERROR_INVALID_HANDLE, ERROR_NOT_ENOUGH_MEMORY];
    // SAFETY: for every call below, pointer arguments are NULL, point to live buffers of
    // the sizes passed, or are blocks and handles the functions look up without touching;
    // strings are NUL-terminated; an `Arguments` array is only passed with
    // FORMAT_MESSAGE_ARGUMENT_ARRAY and holds 128 pointers to padded text (the most a
    // message here reads: `%99` with a `*` width and precision).
    unsafe {
        let k = &mut pool.k32;
        match op {
            72 => (
                "GetProcessHeap",
                Outcome::Asserted(
                    GetProcessHeap() == GetProcessHeap() && !GetProcessHeap().is_null(),
                ),
            ),
            73 => {
                let heap = HeapCreate(
                    flags,
                    rng.below(1 << 20) as usize,
                    [0, 4096, 1 << 20][rng.below(3) as usize],
                );
                if !heap.is_null() {
                    if k.heaps.len() >= 8 {
                        // Housekeeping, not the call checked: it may fail on a heap a
                        // random HeapDestroy took already.
                        HeapDestroy(k.heaps.remove(0));
                        SetLastError(SENTINEL);
                    }
                    k.heaps.push(heap);
                }
                (
                    "HeapCreate",
                    failed_if(!heap.is_null(), &[ERROR_INVALID_PARAMETER]),
                )
            }
            74 => {
                let heap = k.heap(rng);
                let p = HeapAlloc(heap, flags, size);
                Kernel32::keep(&mut k.blocks, p);
                ("HeapAlloc", failed_if(!p.is_null(), NO_ERROR_SET))
            }
            75 => {
                let heap = k.heap(rng);
                let old = k.block(rng, &k.blocks);
                let p = HeapReAlloc(heap, flags, old, size);
                Kernel32::keep(&mut k.blocks, p);
                ("HeapReAlloc", failed_if(!p.is_null(), NO_ERROR_SET))
            }
            76 => {
                let heap = k.heap(rng);
                let n = HeapSize(heap, 0, k.block(rng, &k.blocks));
                ("HeapSize", failed_if(n != usize::MAX, NO_ERROR_SET))
            }
            77 => {
                let heap = k.heap(rng);
                let ok = HeapFree(heap, 0, k.block(rng, &k.blocks));
                (
                    "HeapFree",
                    failed_if(ok != 0, &[ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER]),
                )
            }
            78 => {
                let heap = k.heap(rng);
                let ok = HeapDestroy(heap);
                (
                    "HeapDestroy",
                    failed_if(ok != 0, &[ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER]),
                )
            }
            79 | 80 => {
                let p = if op == 79 {
                    LocalAlloc(flags, size)
                } else {
                    GlobalAlloc(flags, size)
                };
                Kernel32::keep(&mut k.locals, p);
                let name = if op == 79 {
                    "LocalAlloc"
                } else {
                    "GlobalAlloc"
                };
                (name, failed_if(!p.is_null(), &[ERROR_NOT_ENOUGH_MEMORY]))
            }
            81 | 82 => {
                let old = k.block(rng, &k.locals);
                let p = if op == 81 {
                    LocalReAlloc(old, size, flags)
                } else {
                    GlobalReAlloc(old, size, flags)
                };
                Kernel32::keep(&mut k.locals, p);
                let name = if op == 81 {
                    "LocalReAlloc"
                } else {
                    "GlobalReAlloc"
                };
                (name, failed_if(!p.is_null(), ON_LOCAL))
            }
            83 | 84 => {
                let m = k.block(rng, &k.locals);
                let n = if op == 83 {
                    LocalSize(m)
                } else {
                    GlobalSize(m)
                };
                let name = if op == 83 { "LocalSize" } else { "GlobalSize" };
                (name, failed_if(n != 0, &[SENTINEL, ERROR_INVALID_HANDLE]))
            }
            85 | 86 => {
                let m = k.block(rng, &k.locals);
                let p = if op == 85 {
                    LocalLock(m)
                } else {
                    GlobalLock(m)
                };
                let name = if op == 85 { "LocalLock" } else { "GlobalLock" };
                (
                    name,
                    failed_if(!p.is_null(), &[ERROR_INVALID_HANDLE, ERROR_DISCARDED]),
                )
            }
            87 | 88 => {
                let m = k.block(rng, &k.locals);
                let ok = if op == 87 {
                    LocalUnlock(m)
                } else {
                    GlobalUnlock(m)
                };
                let name = if op == 87 {
                    "LocalUnlock"
                } else {
                    "GlobalUnlock"
                };
                (
                    name,
                    failed_if(
                        ok != 0,
                        &[ERROR_SUCCESS, ERROR_INVALID_HANDLE, ERROR_NOT_LOCKED],
                    ),
                )
            }
            89 | 90 => {
                let m = k.block(rng, &k.locals);
                let r = if op == 89 {
                    LocalFree(m)
                } else {
                    GlobalFree(m)
                };
                let name = if op == 89 { "LocalFree" } else { "GlobalFree" };
                (name, failed_if(r.is_null(), &[ERROR_INVALID_HANDLE]))
            }
            91 => {
                // Every lstr function, narrow and wide, on NULL or small strings.
                let mut buf = [0 as CHAR; 64];
                let mut wbuf = [0 as WCHAR; 64];
                let s: LPCSTR = if rng.chance(4) {
                    null()
                } else {
                    c"fuzz-str".as_ptr()
                };
                let w: LPCWSTR = if rng.chance(4) {
                    null()
                } else {
                    WIDE_TEXT.as_ptr()
                };
                let d = if rng.chance(8) {
                    null_mut()
                } else {
                    buf.as_mut_ptr()
                };
                let wd = if rng.chance(8) {
                    null_mut()
                } else {
                    wbuf.as_mut_ptr()
                };
                let n = rng.int().clamp(-5, 30);
                let mut ok = lstrlenA(s) >= 0 && lstrlenW(w) >= 0;
                lstrcpyA(d, s);
                lstrcpyW(wd, w);
                lstrcpynA(d, s, n);
                lstrcpynW(wd, w, n);
                lstrcatA(d, s);
                lstrcatW(wd, w);
                ok &= lstrcmpA(s, s) == 0 && lstrcmpiA(s, s) == 0;
                ok &= lstrcmpW(w, w) == 0 && lstrcmpiW(w, w) == 0;
                (
                    "lstrcmpA",
                    Outcome::Asserted(ok && GetLastError() == SENTINEL),
                )
            }
            92 | 93 => {
                let wide = op == 93;
                let mut flags = [
                    FORMAT_MESSAGE_FROM_SYSTEM,
                    FORMAT_MESSAGE_FROM_STRING,
                    FORMAT_MESSAGE_FROM_HMODULE,
                    FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_FROM_HMODULE,
                    FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_FROM_SYSTEM,
                    0,
                ][rng.below(6) as usize]
                    | (rng.below(256) as DWORD * DWORD::from(rng.chance(4)))
                    | if rng.chance(2) {
                        FORMAT_MESSAGE_IGNORE_INSERTS
                    } else {
                        0
                    };
                let args: Vec<usize> = (0..128)
                    .map(|_| {
                        if wide {
                            WIDE_TEXT.as_ptr().addr()
                        } else {
                            NARROW_TEXT.0.as_ptr().addr()
                        }
                    })
                    .collect();
                let arguments = if rng.chance(2) {
                    flags |= FORMAT_MESSAGE_ARGUMENT_ARRAY;
                    args.as_ptr().cast_mut().cast::<va_list>()
                } else {
                    null_mut()
                };
                let allocate = rng.chance(3);
                if allocate {
                    flags |= FORMAT_MESSAGE_ALLOCATE_BUFFER;
                }
                let id = if rng.chance(2) {
                    [2, 6, 87, 317, 0x8007_0057, 12345][rng.below(6) as usize]
                } else {
                    rng.next() as DWORD
                };
                let language = [0, 0x400, 0x409, 0x407, rng.next() as DWORD][rng.below(5) as usize];
                let message = MESSAGES[rng.below(MESSAGES.len() as u64) as usize];
                let narrow: Vec<u8> = message.bytes().chain([0]).collect();
                let wide_message: Vec<WCHAR> =
                    message.chars().map(|c| c as WCHAR).chain([0]).collect();
                let size = rng.below(80) as DWORD;
                let mut out = [0u8; 80];
                let mut wout = [0 as WCHAR; 80];
                let mut allocated: LPVOID = null_mut();
                let n = if wide {
                    let buffer = if allocate {
                        (&raw mut allocated).cast::<WCHAR>()
                    } else if rng.chance(16) {
                        null_mut()
                    } else {
                        wout.as_mut_ptr()
                    };
                    FormatMessageW(
                        flags,
                        wide_message.as_ptr().cast(),
                        id,
                        language,
                        buffer,
                        size,
                        arguments,
                    )
                } else {
                    let buffer = if allocate {
                        (&raw mut allocated).cast::<CHAR>()
                    } else if rng.chance(16) {
                        null_mut()
                    } else {
                        out.as_mut_ptr().cast()
                    };
                    FormatMessageA(
                        flags,
                        narrow.as_ptr().cast(),
                        id,
                        language,
                        buffer,
                        size,
                        arguments,
                    )
                };
                if allocate && n != 0 {
                    LocalFree(allocated);
                }
                let name = if wide {
                    "FormatMessageW"
                } else {
                    "FormatMessageA"
                };
                (
                    name,
                    failed_if(
                        n != 0,
                        &[
                            ERROR_INVALID_PARAMETER,
                            ERROR_MR_MID_NOT_FOUND,
                            ERROR_RESOURCE_LANG_NOT_FOUND,
                            ERROR_RESOURCE_TYPE_NOT_FOUND,
                            ERROR_INSUFFICIENT_BUFFER,
                            ERROR_MORE_DATA,
                            ERROR_NO_WORK_DONE,
                            ERROR_NOACCESS,
                            ERROR_NOT_ENOUGH_MEMORY,
                        ],
                    ),
                )
            }
            94 => {
                let i = TlsAlloc();
                if i != TLS_OUT_OF_INDEXES {
                    k.tls.push(i);
                    if k.tls.len() > 32 {
                        // Housekeeping: may fail on an index a random TlsFree took.
                        TlsFree(k.tls.remove(0));
                        SetLastError(SENTINEL);
                    }
                }
                (
                    "TlsAlloc",
                    failed_if(i != TLS_OUT_OF_INDEXES, &[ERROR_NO_MORE_ITEMS]),
                )
            }
            95..=97 => {
                let i = if k.tls.is_empty() || rng.chance(4) {
                    rng.below(1200) as DWORD
                } else {
                    k.tls[rng.below(k.tls.len() as u64) as usize]
                };
                match op {
                    95 => (
                        "TlsFree",
                        failed_if(TlsFree(i) != 0, &[ERROR_INVALID_PARAMETER]),
                    ),
                    96 => {
                        TlsGetValue(i);
                        let outcome = if i < 1088 {
                            Outcome::SetsOnSuccess(&[ERROR_SUCCESS])
                        } else {
                            Outcome::Failed(&[ERROR_INVALID_PARAMETER])
                        };
                        ("TlsGetValue", outcome)
                    }
                    _ => (
                        "TlsSetValue",
                        failed_if(
                            TlsSetValue(i, std::ptr::without_provenance_mut(rng.next() as usize))
                                != 0,
                            &[ERROR_INVALID_PARAMETER],
                        ),
                    ),
                }
            }
            98 => (
                "GetThreadId",
                failed_if(GetThreadId(h) != 0, &[ERROR_INVALID_HANDLE]),
            ),
            99 => (
                "GetProcessId",
                failed_if(GetProcessId(h) != 0, &[ERROR_INVALID_HANDLE]),
            ),
            100 => {
                let priority = match rng.below(4) {
                    0 => rng.int(),
                    1 => [THREAD_MODE_BACKGROUND_BEGIN, THREAD_MODE_BACKGROUND_END]
                        [rng.below(2) as usize],
                    _ => rng.below(5) as INT - 2,
                };
                let target = if rng.chance(3) { GetCurrentThread() } else { h };
                (
                    "SetThreadPriority",
                    failed_if(
                        SetThreadPriority(target, priority) != 0,
                        &[
                            ERROR_INVALID_HANDLE,
                            ERROR_INVALID_PARAMETER,
                            ERROR_THREAD_MODE_ALREADY_BACKGROUND,
                            ERROR_THREAD_MODE_NOT_BACKGROUND,
                        ],
                    ),
                )
            }
            101 => (
                "GetThreadPriority",
                failed_if(
                    GetThreadPriority(h) != THREAD_PRIORITY_ERROR_RETURN,
                    &[ERROR_INVALID_HANDLE],
                ),
            ),
            102 => {
                let name: Vec<WCHAR> = "fuzz-thread-name-long"
                    .chars()
                    .map(|c| c as WCHAR)
                    .chain([0])
                    .collect();
                let p = if rng.chance(4) { null() } else { name.as_ptr() };
                SetThreadDescription(h, p);
                // HRESULT functions leave the last error alone.
                ("SetThreadDescription", Outcome::Kept)
            }
            103 => {
                let mut out: PWSTR = null_mut();
                let target = if rng.chance(4) {
                    null_mut()
                } else {
                    &raw mut out
                };
                if GetThreadDescription(h, target) == S_OK {
                    LocalFree(out.cast());
                }
                ("GetThreadDescription", Outcome::Kept)
            }
            104 => {
                // The whole family on an aligned target, a misaligned one and NULL.
                let mut long: [LONG; 2] = [rng.int(), 0];
                let mut long64: [LONG64; 2] = [rng.next() as LONG64, 0];
                let mut pointer: PVOID = null_mut();
                let v = rng.int();
                let w = rng.next() as LONG64;
                let l = match rng.below(3) {
                    0 => null_mut(),
                    1 => long
                        .as_mut_ptr()
                        .cast::<u8>()
                        .wrapping_add(1)
                        .cast::<LONG>(),
                    _ => long.as_mut_ptr(),
                };
                let q = match rng.below(3) {
                    0 => null_mut(),
                    1 => long64
                        .as_mut_ptr()
                        .cast::<u8>()
                        .wrapping_add(4)
                        .cast::<LONG64>(),
                    _ => long64.as_mut_ptr(),
                };
                let p = if rng.chance(3) {
                    null_mut()
                } else {
                    &raw mut pointer
                };
                InterlockedExchangeAdd(l, v);
                InterlockedAdd(l, v);
                InterlockedAnd(l, v);
                InterlockedOr(l, v);
                InterlockedXor(l, v);
                InterlockedIncrement64(q);
                InterlockedDecrement64(q);
                InterlockedExchange64(q, w);
                InterlockedCompareExchange64(q, w, w);
                InterlockedExchangeAdd64(q, w);
                InterlockedAdd64(q, w);
                InterlockedAnd64(q, w);
                InterlockedOr64(q, w);
                InterlockedXor64(q, w);
                InterlockedExchangePointer(p, null_mut());
                InterlockedCompareExchangePointer(p, null_mut(), null_mut());
                ("InterlockedExchangeAdd", Outcome::Kept)
            }
            105 | 106 => {
                let mut value = LARGE_INTEGER { QuadPart: 0 };
                let target = if rng.chance(4) {
                    null_mut()
                } else {
                    &raw mut value
                };
                let (name, ok) = if op == 105 {
                    ("QueryPerformanceCounter", QueryPerformanceCounter(target))
                } else {
                    (
                        "QueryPerformanceFrequency",
                        QueryPerformanceFrequency(target),
                    )
                };
                (name, failed_if(ok != 0, &[ERROR_NOACCESS]))
            }
            107 => {
                let mut info = std::mem::MaybeUninit::<SYSTEM_INFO>::uninit();
                let mut time = SYSTEMTIME::default();
                let (ip, tp) = if rng.chance(4) {
                    (null_mut(), null_mut())
                } else {
                    (info.as_mut_ptr(), &raw mut time)
                };
                GetSystemInfo(ip);
                GetSystemTime(tp);
                GetLocalTime(tp);
                ("GetSystemInfo", Outcome::Kept)
            }
            108 => {
                let ft = FILETIME {
                    dwLowDateTime: rng.next() as DWORD,
                    dwHighDateTime: rng.next() as DWORD >> rng.below(33).min(31),
                };
                let mut st = SYSTEMTIME::default();
                let out = if rng.chance(8) {
                    null_mut()
                } else {
                    &raw mut st
                };
                (
                    "FileTimeToSystemTime",
                    failed_if(
                        FileTimeToSystemTime(&raw const ft, out) != 0,
                        &[ERROR_INVALID_PARAMETER, ERROR_NOACCESS],
                    ),
                )
            }
            109 => {
                let field = |rng: &mut Rng, max: u64| rng.below(max) as WORD;
                let st = SYSTEMTIME {
                    wYear: 1500 + field(rng, 30000),
                    wMonth: field(rng, 14),
                    wDayOfWeek: field(rng, 9),
                    wDay: field(rng, 33),
                    wHour: field(rng, 25),
                    wMinute: field(rng, 61),
                    wSecond: field(rng, 61),
                    wMilliseconds: field(rng, 1001),
                };
                let mut ft = FILETIME {
                    dwLowDateTime: 0,
                    dwHighDateTime: 0,
                };
                let out = if rng.chance(8) {
                    null_mut()
                } else {
                    &raw mut ft
                };
                (
                    "SystemTimeToFileTime",
                    failed_if(
                        SystemTimeToFileTime(&raw const st, out) != 0,
                        &[ERROR_INVALID_PARAMETER, ERROR_NOACCESS],
                    ),
                )
            }
            110 => {
                let which = if rng.chance(2) {
                    0xFFFF_FFF4 + rng.below(3) as DWORD
                } else {
                    rng.next() as DWORD
                };
                let r = GetStdHandle(which);
                (
                    "GetStdHandle",
                    failed_if(r != INVALID_HANDLE_VALUE, &[ERROR_INVALID_HANDLE]),
                )
            }
            111..=114 => {
                // Standard handles only with a count of 0: the test's own output and input
                // must stay untouched (a read of standard input could block).
                let std_handle = rng.chance(2);
                let target = if std_handle {
                    GetStdHandle(0xFFFF_FFF4 + rng.below(3) as DWORD)
                } else {
                    h
                };
                let count = if std_handle { 0 } else { rng.below(8) as DWORD };
                let mut buffer = [0 as WCHAR; 8];
                let mut done = 0;
                let (name, ok) = match op {
                    111 => (
                        "WriteConsoleA",
                        WriteConsoleA(
                            target,
                            buffer.as_ptr().cast(),
                            count,
                            &raw mut done,
                            null_mut(),
                        ),
                    ),
                    112 => (
                        "WriteConsoleW",
                        WriteConsoleW(
                            target,
                            buffer.as_ptr().cast(),
                            count,
                            &raw mut done,
                            null_mut(),
                        ),
                    ),
                    113 => (
                        "ReadConsoleA",
                        ReadConsoleA(
                            target,
                            buffer.as_mut_ptr().cast(),
                            count,
                            &raw mut done,
                            null_mut(),
                        ),
                    ),
                    _ => (
                        "ReadConsoleW",
                        ReadConsoleW(
                            target,
                            buffer.as_mut_ptr().cast(),
                            count,
                            &raw mut done,
                            null_mut(),
                        ),
                    ),
                };
                (name, failed_if(ok != 0, &[ERROR_INVALID_HANDLE]))
            }
            _ => ("unused", Outcome::Unchecked),
        }
    }
}

/// An NT timeout for the random calls: `NULL` (none: only where that cannot block), 0, or
/// 1 ms relative.
fn nt_timeout(
    rng: &mut Rng,
    storage: &mut LARGE_INTEGER,
    null_allowed: bool,
) -> *const LARGE_INTEGER {
    match rng.below(3) {
        0 if null_allowed => null(),
        1 => {
            storage.QuadPart = -10_000;
            storage
        }
        _ => {
            storage.QuadPart = 0;
            storage
        }
    }
}

/// One random call of the NT layer, `QueueUserAPC2`, the module functions and
/// `CancelSynchronousIo`, numbers 141 and up. The NT functions never change the last error, so each outcome checks that too.
fn call_nt(op: u64, rng: &mut Rng, pool: &mut Pool) -> (&'static str, Outcome) {
    let h = pool.pick(rng);
    let flag: BOOLEAN = u8::from(rng.chance(2));
    let mut storage = LARGE_INTEGER { QuadPart: 0 };
    let failed_if = |ok: bool, errors: &'static [DWORD]| {
        if ok {
            Outcome::Kept
        } else {
            Outcome::Failed(errors)
        }
    };
    let nt = |status: NTSTATUS, allowed: &[NTSTATUS]| {
        Outcome::Asserted(GetLastError() == SENTINEL && allowed.contains(&status))
    };
    let waited = |status: NTSTATUS, errors: &[NTSTATUS]| {
        let ok = matches!(status as u32, 0..=63 | 0x80..=0xBF | 0xC0 | 0x101 | 0x102)
            || errors.contains(&status);
        Outcome::Asserted(GetLastError() == SENTINEL && ok)
    };
    const MODULES: [&str; 6] = [
        "ntdll.dll",
        "KERNEL32",
        "C:\\Windows\\System32\\kernelbase.dll",
        "user32.dll",
        "",
        "ntdll.dll.dll",
    ];
    const PROCS: [&str; 5] = ["NtTestAlert", "QueueUserAPC2", "SleepEx", "nope", "ntclose"];
    // SAFETY: pointer arguments are NULL or point to locals and live arrays of the sizes
    // passed; strings are NUL-terminated; the APC routines only count, which is also
    // async-signal-safe, so they may run as special APCs anywhere.
    unsafe {
        match op {
            141 => {
                let f: PAPCFUNC = if rng.chance(8) { None } else { Some(count_apc) };
                let flags = [0, 1, 1, 0x1_0000, rng.int()][rng.below(5) as usize];
                (
                    "QueueUserAPC2",
                    failed_if(
                        QueueUserAPC2(f, h, rng.next() as usize, flags) != 0,
                        &[
                            ERROR_INVALID_HANDLE,
                            ERROR_ACCESS_DENIED,
                            ERROR_GEN_FAILURE,
                            ERROR_NOT_SUPPORTED,
                            ERROR_INVALID_PARAMETER,
                        ],
                    ),
                )
            }
            142 => {
                let f: PNTAPCFUNC = if rng.chance(8) {
                    None
                } else {
                    Some(count_nt_apc)
                };
                let s = NtQueueApcThread(h, f, 1, 2, 3);
                (
                    "NtQueueApcThread",
                    nt(
                        s,
                        &[
                            STATUS_SUCCESS,
                            STATUS_INVALID_HANDLE,
                            STATUS_ACCESS_DENIED,
                            STATUS_UNSUCCESSFUL,
                        ],
                    ),
                )
            }
            143 => {
                let reserve = match rng.below(4) {
                    0 => null_mut(),
                    1 => 1 as HANDLE,
                    2 => 0x1_0000 as HANDLE,
                    _ => pool.pick(rng),
                };
                let s = NtQueueApcThreadEx(h, reserve, Some(count_nt_apc), 1, 2, 3);
                (
                    "NtQueueApcThreadEx",
                    nt(
                        s,
                        &[
                            STATUS_SUCCESS,
                            STATUS_INVALID_HANDLE,
                            STATUS_ACCESS_DENIED,
                            STATUS_UNSUCCESSFUL,
                            STATUS_OBJECT_TYPE_MISMATCH,
                        ],
                    ),
                )
            }
            144 => (
                "NtTestAlert",
                nt(NtTestAlert(), &[STATUS_SUCCESS, STATUS_ALERTED]),
            ),
            145 => (
                "NtAlertThread",
                nt(
                    NtAlertThread(h),
                    &[STATUS_SUCCESS, STATUS_INVALID_HANDLE, STATUS_ACCESS_DENIED],
                ),
            ),
            146 => {
                let t = nt_timeout(rng, &mut storage, true);
                let s = NtDelayExecution(flag, t);
                (
                    "NtDelayExecution",
                    nt(
                        s,
                        &[
                            STATUS_SUCCESS,
                            STATUS_NO_YIELD_PERFORMED,
                            STATUS_USER_APC as NTSTATUS,
                            STATUS_ALERTED,
                            STATUS_ACCESS_VIOLATION,
                        ],
                    ),
                )
            }
            147 => {
                let t = nt_timeout(rng, &mut storage, false);
                let s = NtWaitForSingleObject(h, flag, t);
                (
                    "NtWaitForSingleObject",
                    waited(s, &[STATUS_INVALID_HANDLE, STATUS_ACCESS_DENIED]),
                )
            }
            148 => {
                let count = if rng.chance(8) {
                    [0, 65, u32::MAX][rng.below(3) as usize]
                } else {
                    1 + rng.below(4) as u32
                };
                let handles: Vec<HANDLE> = (0..count.min(65)).map(|_| pool.pick(rng)).collect();
                let list = if rng.chance(16) {
                    null()
                } else {
                    handles.as_ptr()
                };
                let kind = [WaitAll, WaitAny, WaitAny, 2][rng.below(4) as usize];
                let t = nt_timeout(rng, &mut storage, false);
                let s = NtWaitForMultipleObjects(count, list, kind, flag, t);
                (
                    "NtWaitForMultipleObjects",
                    waited(
                        s,
                        &[
                            STATUS_INVALID_HANDLE,
                            STATUS_ACCESS_DENIED,
                            STATUS_INVALID_PARAMETER_1,
                            STATUS_INVALID_PARAMETER_3,
                            STATUS_INVALID_PARAMETER_MIX,
                            STATUS_ACCESS_VIOLATION,
                        ],
                    ),
                )
            }
            154 => {
                // Mostly with an owner window, which fails quietly; now and then a real box,
                // which writes one line to standard error.
                let owner = if rng.chance(64) { null_mut() } else { h };
                let style = rng.next() as UINT;
                let (name, r) = if rng.chance(2) {
                    (
                        "MessageBoxA",
                        MessageBoxA(owner, c"fuzz".as_ptr(), null(), style),
                    )
                } else {
                    let text: [WCHAR; 2] = [0x66, 0];
                    (
                        "MessageBoxW",
                        MessageBoxW(owner, text.as_ptr(), null(), style),
                    )
                };
                (name, failed_if(r != 0, &[ERROR_INVALID_WINDOW_HANDLE]))
            }
            155 => (
                "MessageBeep",
                Outcome::Asserted(MessageBeep(rng.next() as UINT) == TRUE),
            ),
            156 => {
                let mut text = *b"mixed Case 123 \xc3\xa9";
                let mut wide: Vec<WCHAR> = "mixed Case é ß".chars().map(|c| c as WCHAR).collect();
                let n = rng.below(20) as DWORD;
                let (name, r) = if rng.chance(2) {
                    let n = n.min(text.len() as DWORD);
                    (
                        "CharUpperBuffA",
                        (CharUpperBuffA(text.as_mut_ptr().cast(), n), n),
                    )
                } else {
                    let n = n.min(wide.len() as DWORD);
                    ("CharUpperBuffW", (CharUpperBuffW(wide.as_mut_ptr(), n), n))
                };
                (
                    name,
                    Outcome::Asserted(r.0 == r.1 && GetLastError() == SENTINEL),
                )
            }
            153 => (
                "CancelSynchronousIo",
                failed_if(
                    CancelSynchronousIo(h) != 0,
                    &[ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED, ERROR_NOT_FOUND],
                ),
            ),
            149 => (
                "NtClose",
                nt(NtClose(h), &[STATUS_SUCCESS, STATUS_INVALID_HANDLE]),
            ),
            150 => {
                let name = MODULES[rng.below(MODULES.len() as u64) as usize];
                let narrow = format!("{name}\0");
                let wide: Vec<WCHAR> = name.chars().map(|c| c as WCHAR).chain([0]).collect();
                let (which, module) = match rng.below(3) {
                    0 => ("GetModuleHandleA", GetModuleHandleA(narrow.as_ptr().cast())),
                    1 => ("GetModuleHandleW", GetModuleHandleW(wide.as_ptr())),
                    _ => ("GetModuleHandleA", GetModuleHandleA(null())),
                };
                (which, failed_if(!module.is_null(), &[ERROR_MOD_NOT_FOUND]))
            }
            151 => {
                let name = MODULES[rng.below(MODULES.len() as u64) as usize];
                let narrow = format!("{name}\0");
                let wide: Vec<WCHAR> = name.chars().map(|c| c as WCHAR).chain([0]).collect();
                let (which, module) = match rng.below(3) {
                    0 => ("LoadLibraryA", LoadLibraryA(narrow.as_ptr().cast())),
                    1 => ("LoadLibraryW", LoadLibraryW(wide.as_ptr())),
                    _ => ("LoadLibraryA", LoadLibraryA(null())),
                };
                if module.is_null() {
                    (
                        which,
                        Outcome::Failed(&[ERROR_MOD_NOT_FOUND, ERROR_INVALID_PARAMETER]),
                    )
                } else {
                    let freed = if rng.chance(2) { module } else { h };
                    (
                        "FreeLibrary",
                        failed_if(FreeLibrary(freed) != 0, &[ERROR_INVALID_HANDLE]),
                    )
                }
            }
            152 => {
                let module = match rng.below(4) {
                    0 => GetModuleHandleA(c"ntdll.dll".as_ptr()),
                    1 => GetModuleHandleA(c"kernel32".as_ptr()),
                    2 => GetModuleHandleA(null()),
                    _ => h,
                };
                let name = format!("{}\0", PROCS[rng.below(PROCS.len() as u64) as usize]);
                let proc_name = if rng.chance(8) {
                    rng.below(0x1_0000) as usize as LPCSTR
                } else {
                    name.as_ptr().cast()
                };
                (
                    "GetProcAddress",
                    failed_if(
                        GetProcAddress(module, proc_name).is_some(),
                        &[ERROR_PROC_NOT_FOUND, ERROR_MOD_NOT_FOUND],
                    ),
                )
            }
            _ => ("unused", Outcome::Unchecked),
        }
    }
}

const OPS: u64 = 179;

/// Functions the random calls do not make, and why.
const NOT_CALLED: [(&str, &str); 1] = [("ExitProcess", "it would end the test")];

/// Functions exercised inside the calls named here.
const EXERCISED_WITHIN: [(&str, &str); 105] = [
    ("InitOnceInitialize", "InitOnceBeginInitialize"),
    ("InitOnceComplete", "InitOnceBeginInitialize"),
    ("InitOnceExecuteOnce", "InitOnceBeginInitialize"),
    (
        "EnterSynchronizationBarrier",
        "InitializeSynchronizationBarrier",
    ),
    (
        "DeleteSynchronizationBarrier",
        "InitializeSynchronizationBarrier",
    ),
    ("WakeByAddressSingle", "InitializeSynchronizationBarrier"),
    ("WakeByAddressAll", "InitializeSynchronizationBarrier"),
    ("ExitThread", "CreateThread"),
    (
        "InitializeCriticalSectionAndSpinCount",
        "InitializeCriticalSection",
    ),
    ("InitializeCriticalSectionEx", "InitializeCriticalSection"),
    ("EnterCriticalSection", "InitializeCriticalSection"),
    ("TryEnterCriticalSection", "InitializeCriticalSection"),
    ("LeaveCriticalSection", "InitializeCriticalSection"),
    ("DeleteCriticalSection", "InitializeCriticalSection"),
    ("SleepConditionVariableCS", "InitializeCriticalSection"),
    ("InitializeConditionVariable", "InitializeCriticalSection"),
    ("InitializeSRWLock", "AcquireSRWLockExclusive"),
    ("AcquireSRWLockShared", "AcquireSRWLockExclusive"),
    ("TryAcquireSRWLockExclusive", "AcquireSRWLockExclusive"),
    ("TryAcquireSRWLockShared", "AcquireSRWLockExclusive"),
    ("ReleaseSRWLockExclusive", "AcquireSRWLockExclusive"),
    ("ReleaseSRWLockShared", "AcquireSRWLockExclusive"),
    ("SleepConditionVariableSRW", "AcquireSRWLockExclusive"),
    ("WakeConditionVariable", "AcquireSRWLockExclusive"),
    ("WakeAllConditionVariable", "AcquireSRWLockExclusive"),
    ("InterlockedDecrement", "InterlockedIncrement"),
    ("InterlockedExchange", "InterlockedIncrement"),
    ("InterlockedCompareExchange", "InterlockedIncrement"),
    ("GetTickCount", "GetTickCount64"),
    ("lstrlenA", "lstrcmpA"),
    ("lstrlenW", "lstrcmpA"),
    ("lstrcpyA", "lstrcmpA"),
    ("lstrcpyW", "lstrcmpA"),
    ("lstrcpynA", "lstrcmpA"),
    ("lstrcpynW", "lstrcmpA"),
    ("lstrcatA", "lstrcmpA"),
    ("lstrcatW", "lstrcmpA"),
    ("lstrcmpW", "lstrcmpA"),
    ("lstrcmpiA", "lstrcmpA"),
    ("lstrcmpiW", "lstrcmpA"),
    ("InterlockedAdd", "InterlockedExchangeAdd"),
    ("InterlockedAnd", "InterlockedExchangeAdd"),
    ("InterlockedOr", "InterlockedExchangeAdd"),
    ("InterlockedXor", "InterlockedExchangeAdd"),
    ("InterlockedIncrement64", "InterlockedExchangeAdd"),
    ("InterlockedDecrement64", "InterlockedExchangeAdd"),
    ("InterlockedExchange64", "InterlockedExchangeAdd"),
    ("InterlockedCompareExchange64", "InterlockedExchangeAdd"),
    ("InterlockedExchangeAdd64", "InterlockedExchangeAdd"),
    ("InterlockedAdd64", "InterlockedExchangeAdd"),
    ("InterlockedAnd64", "InterlockedExchangeAdd"),
    ("InterlockedOr64", "InterlockedExchangeAdd"),
    ("InterlockedXor64", "InterlockedExchangeAdd"),
    ("InterlockedExchangePointer", "InterlockedExchangeAdd"),
    (
        "InterlockedCompareExchangePointer",
        "InterlockedExchangeAdd",
    ),
    ("GetSystemTime", "GetSystemInfo"),
    ("GetLocalTime", "GetSystemInfo"),
    ("SetThreadpoolThreadMaximum", "CreateThreadpool"),
    ("SetThreadpoolThreadMinimum", "CreateThreadpool"),
    ("CloseThreadpool", "CreateThreadpool"),
    ("InitializeThreadpoolEnvironment", "CreateThreadpool"),
    ("SetThreadpoolCallbackPool", "CreateThreadpool"),
    ("SetThreadpoolCallbackRunsLong", "CreateThreadpool"),
    ("SetThreadpoolCallbackCleanupGroup", "CreateThreadpool"),
    ("DestroyThreadpoolEnvironment", "CreateThreadpool"),
    ("CreateThreadpoolCleanupGroup", "CreateThreadpool"),
    ("CloseThreadpoolCleanupGroupMembers", "CreateThreadpool"),
    ("CloseThreadpoolCleanupGroup", "CreateThreadpool"),
    ("CreateThreadpoolWork", "CreateThreadpool"),
    ("SubmitThreadpoolWork", "CreateThreadpool"),
    ("WaitForThreadpoolWorkCallbacks", "CreateThreadpool"),
    ("CloseThreadpoolWork", "CreateThreadpool"),
    ("TrySubmitThreadpoolCallback", "CreateThreadpool"),
    ("CreateThreadpoolTimer", "CreateThreadpool"),
    ("SetThreadpoolTimer", "CreateThreadpool"),
    ("SetThreadpoolTimerEx", "CreateThreadpool"),
    ("IsThreadpoolTimerSet", "CreateThreadpool"),
    ("WaitForThreadpoolTimerCallbacks", "CreateThreadpool"),
    ("CloseThreadpoolTimer", "CreateThreadpool"),
    ("CreateThreadpoolWait", "CreateThreadpool"),
    ("SetThreadpoolWait", "CreateThreadpool"),
    ("SetThreadpoolWaitEx", "CreateThreadpool"),
    ("WaitForThreadpoolWaitCallbacks", "CreateThreadpool"),
    ("CloseThreadpoolWait", "CreateThreadpool"),
    ("CreateThreadpoolIo", "CreateThreadpool"),
    ("StartThreadpoolIo", "CreateThreadpool"),
    ("CancelThreadpoolIo", "CreateThreadpool"),
    ("WaitForThreadpoolIoCallbacks", "CreateThreadpool"),
    ("CloseThreadpoolIo", "CreateThreadpool"),
    ("SetEventWhenCallbackReturns", "CreateThreadpool"),
    ("ReleaseSemaphoreWhenCallbackReturns", "CreateThreadpool"),
    ("ReleaseMutexWhenCallbackReturns", "CreateThreadpool"),
    (
        "LeaveCriticalSectionWhenCallbackReturns",
        "CreateThreadpool",
    ),
    ("FreeLibraryWhenCallbackReturns", "CreateThreadpool"),
    ("CallbackMayRunLong", "CreateThreadpool"),
    ("DisassociateCurrentThreadFromCallback", "CreateThreadpool"),
    ("QueueUserWorkItem", "RegisterWaitForSingleObject"),
    ("UnregisterWait", "RegisterWaitForSingleObject"),
    ("UnregisterWaitEx", "RegisterWaitForSingleObject"),
    ("CreateTimerQueue", "RegisterWaitForSingleObject"),
    ("CreateTimerQueueTimer", "RegisterWaitForSingleObject"),
    ("ChangeTimerQueueTimer", "RegisterWaitForSingleObject"),
    ("DeleteTimerQueueTimer", "RegisterWaitForSingleObject"),
    ("DeleteTimerQueueEx", "RegisterWaitForSingleObject"),
    ("DeleteTimerQueue", "RegisterWaitForSingleObject"),
];

#[test]
fn random_calls_fail_only_as_documented() {
    let mut rng = Rng(SEED);
    let mut pool = Pool {
        handles: Vec::new(),
        threads: Vec::new(),
        slots: Vec::new(),
        thread_ids: Vec::new(),
        files: Vec::new(),
        ports: Vec::new(),
        k32: Kernel32::default(),
    };
    let tmp_dir = common::scratch_dir("fuzz-files");
    let tmp = tmp_dir.to_string_lossy().into_owned().into_bytes();
    let mut called: BTreeMap<&str, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for i in 0..ITERATIONS {
        let op = rng.below(OPS);
        SetLastError(SENTINEL);
        let (name, outcome) = call(op, &mut rng, &mut pool, &tmp);
        *called.entry(name).or_default() += 1;
        let error = GetLastError();
        let problem = match outcome {
            Outcome::Kept if error != SENTINEL => {
                Some(format!("succeeded but changed the last error to {error}"))
            }
            Outcome::SetsOnSuccess(allowed) if error != SENTINEL && !allowed.contains(&error) => {
                Some(format!("succeeded with last error {error}"))
            }
            Outcome::Failed(allowed) if !allowed.contains(&error) => {
                Some(format!("failed with undocumented error {error}"))
            }
            Outcome::Asserted(false) => Some("its checks failed".to_owned()),
            _ => None,
        };
        if let Some(p) = problem {
            problems.push(format!("iteration {i}, {name}: {p}"));
        }
        // Keep the pool from growing without bound: close a random handle now and then.
        if pool.handles.len() > 400 {
            let victim = pool.handles.swap_remove(rng.below(400) as usize);
            CloseHandle(victim);
            pool.handles.push(victim); // now stale
        }
    }

    // Every thread this test made ends: resume those still held, then wait for each.
    let mut codes = BTreeSet::new();
    for &t in &pool.threads {
        while !matches!(ResumeThread(t), 0 | DWORD::MAX) {}
        assert_eq!(
            WaitForSingleObject(t, 60_000),
            WAIT_OBJECT_0,
            "a fuzz thread ended"
        );
        let mut code = 0;
        // SAFETY: `code` is a live DWORD.
        assert_ne!(unsafe { GetExitCodeThread(t, &raw mut code) }, 0);
        assert!(
            (1..=4).contains(&code),
            "exit code {code} is one the routines give"
        );
        codes.insert(code);
    }
    // Each way of ending happened: return, ExitThread, ExitThread inside an APC.
    assert_eq!(
        codes,
        BTreeSet::from([1, 2, 3, 4]),
        "every thread routine ran"
    );
    // Run what is still queued to this thread, and disarm the timers it set.
    while SleepEx(0, TRUE) == WAIT_IO_COMPLETION {}
    for &h in &pool.handles {
        CancelWaitableTimer(h);
        CloseHandle(h);
    }
    let _ = std::fs::remove_dir_all(&tmp_dir);

    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Every function of the headers was called, directly or inside a named call.
    let mut headers = String::new();
    for entry in std::fs::read_dir(common::include_dir()).expect("include/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "h") {
            headers.push_str(&std::fs::read_to_string(&path).expect("a header"));
        }
    }
    let declared: BTreeSet<&str> = headers
        .lines()
        .filter(|l| {
            l.starts_with("WINBASEAPI") || l.starts_with("WINUSERAPI") || l.starts_with("NTSYSAPI")
        })
        .filter_map(|l| l.split('(').next()?.split_whitespace().last())
        .collect();
    for function in declared {
        let covered = called.contains_key(function)
            || NOT_CALLED.iter().any(|(f, _)| *f == function)
            || EXERCISED_WITHIN
                .iter()
                .any(|(f, within)| *f == function && called.contains_key(within));
        assert!(covered, "{function} is never called by the fuzz test");
    }
}
