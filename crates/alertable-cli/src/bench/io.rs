//! `io`: 4 KiB reads at random offsets of a page-cached file, at queue depth 1 and 32.
//!
//! Ours issues [`AsyncFile::read_ex`] requests from one thread and keeps `depth` of them in
//! flight: each completion routine checks the block it was given and issues the next read
//! with the same buffer, and the thread waits in `sleep_ex(None, Alertable::Yes)`, where
//! the routines run. Against it:
//!
//! - **raw io_uring**: the `io-uring` crate driving a ring of its own the same way — one
//!   thread, `depth` reads in flight, a submit-and-reap loop — with no library around it:
//!   the floor ours is built on;
//! - **raw io_uring with APCs**: that ring with the file registered, each completion
//!   queued as an APC to the reading thread, which runs them after each reap; the APCs
//!   issue the next reads. No request records, cancellation or thread-exit rules: the
//!   least a completion routine can cost, and so how much of ours' time is the model's
//!   and how much its bookkeeping's;
//! - **pread threads**: blocking `pread` (`FileExt::read_at`) on `depth` threads (at most
//!   [`MAX_THREADS`]) sharing the reads: what one writes without asynchronous I/O.
//!
//! The file ([`Workload::file_bytes`]) is created in the temporary directory, filled,
//! flushed to disk, read once from start to end so that every page is cached, and deleted
//! at the end (also when a run panics). Its block `b` begins with `b` as a little-endian
//! `u64`, followed by a pattern of `b`: every read is checked (length and block number),
//! and the first [`FULL_CHECKS`] of each run byte for byte, so a contender that read
//! nothing, or the wrong block, fails the run instead of looking fast. The offsets are
//! 4 KiB-aligned, from a fixed-seed xorshift, the same for every contender.
//!
//! The library picks its backend once per process. When it is io_uring, the worker-thread
//! backend's row comes from a second run of this binary, `alertable bench io`, with
//! `ALERTABLE_IO_BACKEND=threads` and [`SHARED_FILE_VAR`] naming this run's file: that run
//! measures only ours, on the same (cached) file and the first fifth of the same offsets
//! ([`SECOND_RUN_SHARE`]), and hands its samples back through `--json`. Its runs are not
//! interleaved with the others'.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::mem::ManuallyDrop;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use alertable::{Alertable, sleep_ex};
use alertable_io::{AsyncFile, IoError};
use io_uring::{IoUring, opcode, types};

use super::goals::Status;
use super::report::{GroupReport, Kind, Table};
use super::throughput::thousands;
use super::{Progress, Settings, alloc};

/// The size of a read, and the alignment of its offset.
const BLOCK: usize = 4096;

/// The queue depths measured: one table each.
const DEPTHS: [usize; 2] = [1, 32];

/// The most threads the `pread` contender starts.
const MAX_THREADS: usize = 32;

/// Reads of each run compared with the file byte for byte (all of them are checked for
/// their length and block number).
const FULL_CHECKS: usize = 4;

/// Set (to the path of the file to read) in the second run of this binary that measures
/// the worker-thread backend: that run reads the given file instead of creating one, and
/// measures only ours.
const SHARED_FILE_VAR: &str = "ALERTABLE_BENCH_IO_FILE";

/// The second run does this fraction of the reads per run: 1 in 5.
const SECOND_RUN_SHARE: usize = 5;

/// The library's variable that forces a backend.
const BACKEND_VAR: &str = "ALERTABLE_IO_BACKEND";

/// Ours must reach at least this share of raw io_uring's throughput at every depth: beat
/// the plain ring, not only come near it.
const GOAL_SHARE: f64 = 1.0;

/// The goal, as the goal list words it.
pub(crate) const GOAL: &str = "read_ex ≥ 1.0× raw io_uring's throughput at queue depths 32 and 1";

/// How much work the group does.
#[derive(Debug, Clone, Copy)]
struct Workload {
    /// The size of the file read.
    file_bytes: u64,
    /// Reads per timed run.
    reads: usize,
}

/// The group's workload, at the scale of the other groups' (`Settings` has no field of
/// this group's own): a 256 MiB file in a full run, 32 MiB under `--quick`.
fn workload(s: &Settings) -> Workload {
    if s.throughput_ops < Settings::full().throughput_ops {
        Workload {
            file_bytes: 32 << 20,
            reads: 5_000,
        }
    } else {
        Workload {
            file_bytes: 256 << 20,
            reads: 50_000,
        }
    }
}

/// Whether this process is the second run that measures the worker-thread backend.
fn is_child() -> bool {
    std::env::var_os(SHARED_FILE_VAR).is_some()
}

/// Who reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contender {
    /// `read_ex` with completion routines, on this process's backend.
    Ours,
    /// The `io-uring` crate, one ring, one thread.
    RawUring,
    /// The same ring with the file registered, each completion handed to the reading
    /// thread as an APC that issues the next read: the least a completion routine can cost.
    ApcFloor,
    /// Blocking `pread` on `min(depth, MAX_THREADS)` threads.
    Pread,
}

impl Contender {
    fn id(self) -> &'static str {
        match self {
            Self::Ours if alertable_io::backend_name() == "io_uring" => "ours-read-ex-io-uring",
            Self::Ours => "ours-read-ex-threads",
            Self::RawUring => "raw-io-uring",
            Self::ApcFloor => "raw-io-uring-apcs",
            Self::Pread => "pread-threads",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Ours if alertable_io::backend_name() == "io_uring" => {
                "ours: read_ex + sleep_ex, io_uring backend"
            }
            Self::Ours => "ours: read_ex + sleep_ex, worker-thread backend",
            Self::RawUring => "raw io_uring (io-uring crate, 1 ring, 1 thread)",
            Self::ApcFloor => "raw io_uring, registered file, 1 APC per completion",
            Self::Pread => "blocking pread, 1 thread per request in flight",
        }
    }

    /// The contenders this process measures: ours alone in the second run, and the raw
    /// ring only where io_uring can be set up.
    fn measured() -> Vec<Self> {
        if is_child() {
            return vec![Self::Ours];
        }
        let mut contenders = vec![Self::Ours];
        if IoUring::new(2).is_ok() {
            contenders.push(Self::RawUring);
            contenders.push(Self::ApcFloor);
        }
        contenders.push(Self::Pread);
        contenders
    }

    fn run(self, data: &DataFile, depth: usize, offsets: &Arc<[u64]>) -> Measured {
        match self {
            Self::Ours => run_ours(&data.path, depth, offsets.clone()),
            Self::RawUring => run_raw_uring(&data.file, depth, offsets),
            Self::ApcFloor => run_apc_floor(&data.file, depth, offsets.clone()),
            Self::Pread => run_pread(&data.file, depth, offsets),
        }
    }
}

/// Whether to measure the worker-thread backend in a second run of this binary: only
/// when this process runs io_uring (otherwise its own row is that backend already).
fn measures_threads_backend() -> bool {
    !is_child() && alertable_io::backend_name() == "io_uring"
}

/// What one timed run measured.
#[derive(Debug, Clone, Copy)]
struct Measured {
    elapsed: Duration,
    /// Allocations made by the whole process over the timed span.
    allocations: u64,
}

/// The file read, deleted on drop when this process created it.
struct DataFile {
    path: PathBuf,
    file: File,
    owned: bool,
}

impl Drop for DataFile {
    fn drop(&mut self) {
        if self.owned {
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl DataFile {
    /// Creates the file in the temporary directory, fills it, flushes it to disk and
    /// reads it once, so that every page is in the page cache.
    fn create(bytes: u64) -> Self {
        let path =
            std::env::temp_dir().join(format!("alertable-bench-io-{}.dat", std::process::id()));
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        // From here on, a panic deletes the file.
        let data = Self {
            path,
            file,
            owned: true,
        };
        let blocks = bytes / BLOCK as u64;
        let mut chunk = vec![0; 256 * BLOCK];
        let mut writer = &data.file;
        for first in (0..blocks).step_by(256) {
            let count = (blocks - first).min(256);
            for (i, block) in chunk
                .chunks_exact_mut(BLOCK)
                .take(count as usize)
                .enumerate()
            {
                fill_block(first + i as u64, block);
            }
            writer
                .write_all(&chunk[..count as usize * BLOCK])
                .expect("write the benchmark file");
        }
        data.file.sync_data().expect("flush the benchmark file");
        data.warm(bytes);
        data
    }

    /// Opens the file another run created, and makes sure it is cached.
    fn shared(path: PathBuf) -> Self {
        let file =
            File::open(&path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        let data = Self {
            path,
            file,
            owned: false,
        };
        let bytes = data.file.metadata().expect("stat the benchmark file").len();
        data.warm(bytes);
        data
    }

    /// Reads the whole file once, from start to end, and checks that it is all there.
    fn warm(&self, bytes: u64) {
        let mut chunk = vec![0; 256 * BLOCK];
        let mut read = 0;
        loop {
            let n = self
                .file
                .read_at(&mut chunk, read)
                .expect("read the benchmark file");
            if n == 0 {
                break;
            }
            read += n as u64;
        }
        assert_eq!(read, bytes, "the benchmark file is complete");
    }

    fn blocks(&self) -> u64 {
        self.file.metadata().expect("stat the benchmark file").len() / BLOCK as u64
    }
}

/// The content of block `b`: `b` as a little-endian `u64`, then a pattern of `b`.
fn fill_block(b: u64, block: &mut [u8]) {
    block[..8].copy_from_slice(&b.to_le_bytes());
    let seed = b.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for (j, byte) in block.iter_mut().enumerate().skip(8) {
        // The low byte of a per-block rotation: any byte out of place shows.
        *byte = (seed.rotate_left(j as u32 % 64) ^ j as u64) as u8;
    }
}

/// `n` block-aligned offsets into a file of `blocks` blocks, from a fixed-seed xorshift64.
fn random_offsets(n: usize, blocks: u64) -> Arc<[u64]> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % blocks) * BLOCK as u64
        })
        .collect()
}

/// The checks of one run's reads.
#[derive(Debug, Default)]
struct Tally {
    reads: usize,
    /// Reads that failed, came back short, or held another block.
    bad: usize,
    /// Reads compared byte for byte.
    compared: usize,
    /// The first bad read, described.
    first_bad: Option<String>,
}

impl Tally {
    /// Checks the read at `offset`, which returned `result` and left `data`.
    fn check(&mut self, offset: u64, result: Result<usize, String>, data: &[u8]) {
        self.reads += 1;
        let b = offset / BLOCK as u64;
        let problem = match result {
            Err(e) => Some(format!("failed: {e}")),
            Ok(n) if n != BLOCK || data.len() < BLOCK => Some(format!("read {n} bytes")),
            Ok(_) if data[..8] != b.to_le_bytes() => Some("holds another block".to_owned()),
            Ok(_) if self.compared < FULL_CHECKS => {
                self.compared += 1;
                let mut expected = [0; BLOCK];
                fill_block(b, &mut expected);
                (data[..BLOCK] != expected).then(|| "differs from the file".to_owned())
            }
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            self.bad += 1;
            self.first_bad
                .get_or_insert_with(|| format!("the read of block {b} {problem}"));
        }
    }

    fn merge(&mut self, other: Self) {
        self.reads += other.reads;
        self.bad += other.bad;
        self.compared += other.compared;
        if self.first_bad.is_none() {
            self.first_bad = other.first_bad;
        }
    }

    /// Panics unless every one of `n` reads was checked and good.
    fn assert_clean(&self, n: usize, who: &str) {
        assert!(
            self.bad == 0 && self.reads == n && self.compared > 0,
            "{who}: {} of {n} reads checked, {} bad ({})",
            self.reads,
            self.bad,
            self.first_bad.as_deref().unwrap_or("none failed")
        );
    }
}

/// The state of a run of ours, on the thread that issues the reads and runs the routines.
struct OursRun {
    file: AsyncFile,
    offsets: Arc<[u64]>,
    /// Offsets handed to `read_ex` (or refused) so far.
    issued: usize,
    /// Reads whose routine ran (or that were refused) so far.
    done: usize,
    tally: Tally,
}

thread_local! {
    /// The run in progress on this thread. Completion routines must be `Send`, so they
    /// find the run here rather than capturing it; they run on this thread (J109).
    static OURS: RefCell<Option<OursRun>> = const { RefCell::new(None) };
}

impl OursRun {
    /// Issues the next read with `buffer`, if any is left; a refused request counts as a
    /// bad read and the next offset is tried.
    fn issue_next(&mut self, mut buffer: Vec<u8>) {
        while let Some(&offset) = self.offsets.get(self.issued) {
            self.issued += 1;
            let routine = move |result, buffer| on_read(offset, result, buffer);
            match self.file.read_ex(offset, buffer, routine) {
                Ok(_) => return,
                Err(refused) => {
                    self.tally
                        .check(offset, Err(refused.error.to_string()), &[]);
                    self.done += 1;
                    buffer = refused.buffer;
                }
            }
        }
    }
}

/// The completion routine: checks the block, then issues the next read with the buffer.
fn on_read(offset: u64, result: Result<usize, IoError>, mut buffer: Vec<u8>) {
    OURS.with_borrow_mut(|run| {
        let run = run.as_mut().expect("a run is in progress on this thread");
        run.tally
            .check(offset, result.map_err(|e| e.to_string()), &buffer);
        run.done += 1;
        // A read leaves the buffer holding exactly the bytes read: grow it back (within
        // its capacity) for the next one.
        buffer.resize(BLOCK, 0);
        run.issue_next(buffer);
    });
}

/// Ours: a fresh alertable thread issues `depth` reads, then waits alertably while the
/// routines keep `depth` in flight until every offset is read.
fn run_ours(path: &Path, depth: usize, offsets: Arc<[u64]>) -> Measured {
    let file = AsyncFile::open(path).expect("open the benchmark file for asynchronous I/O");
    let n = offsets.len();
    let (measured, tally) = alertable::spawn(move || {
        let buffers: Vec<Vec<u8>> = (0..depth.min(n)).map(|_| vec![0; BLOCK]).collect();
        OURS.set(Some(OursRun {
            file,
            offsets,
            issued: 0,
            done: 0,
            tally: Tally::default(),
        }));
        let allocations = alloc::allocations();
        let start = Instant::now();
        for buffer in buffers {
            OURS.with_borrow_mut(|run| run.as_mut().expect("the run").issue_next(buffer));
        }
        while OURS.with_borrow(|run| run.as_ref().expect("the run").done < n) {
            sleep_ex(None, Alertable::Yes);
        }
        let measured = Measured {
            elapsed: start.elapsed(),
            allocations: alloc::allocations() - allocations,
        };
        let run = OURS.take().expect("the run");
        (measured, run.tally)
    })
    .expect("spawn the reading thread")
    .join()
    .expect("the reading thread");
    tally.assert_clean(n, "read_ex");
    measured
}

/// Raw io_uring: one ring of `depth` entries on this thread; a loop that fills the free
/// slots with reads, submits them and waits for one completion, then reaps them all.
fn run_raw_uring(file: &File, depth: usize, offsets: &[u64]) -> Measured {
    let n = offsets.len();
    let entries = u32::try_from(depth.next_power_of_two()).expect("a small queue depth");
    let mut ring = IoUring::new(entries).expect("set up an io_uring");
    let fd = types::Fd(file.as_raw_fd());
    // Slot `i` is bytes `i * BLOCK..(i + 1) * BLOCK`. Never freed while the kernel may
    // write into it: a panic leaks it (`ManuallyDrop`), and it is dropped only at the end,
    // with nothing in flight.
    let mut buffers = ManuallyDrop::new(vec![0u8; depth * BLOCK]);
    let base = buffers.as_mut_ptr();
    let mut free: Vec<usize> = (0..depth).rev().collect();
    let mut slot_offset = vec![0u64; depth];
    let mut tally = Tally::default();
    let (mut issued, mut in_flight) = (0, 0);

    let allocations = alloc::allocations();
    let start = Instant::now();
    loop {
        {
            let mut sq = ring.submission();
            while issued < n {
                let Some(slot) = free.pop() else { break };
                let offset = offsets[issued];
                let entry = opcode::Read::new(fd, base.wrapping_add(slot * BLOCK), BLOCK as u32)
                    .offset(offset)
                    .build()
                    .user_data(slot as u64);
                // SAFETY: the entry points at slot `slot` of `buffers`, BLOCK bytes inside
                // its allocation (`slot < depth`), which no other request in flight uses
                // (the slot left `free` here and returns to it only once its completion is
                // reaped) and this function neither reads nor writes until then. The
                // allocation outlives the request: it is never dropped while requests are
                // in flight (the loop ends only with `in_flight == 0`, and a panic leaks
                // it), and is not moved or resized (the vector is never touched again but
                // through `base`). `fd` stays open: `file` is borrowed for the whole
                // function.
                unsafe { sq.push(&entry) }.expect("room: at most `depth` entries in flight");
                slot_offset[slot] = offset;
                issued += 1;
                in_flight += 1;
            }
        }
        if in_flight == 0 {
            break;
        }
        submit_and_wait_one(&ring);
        for cqe in ring.completion() {
            let slot = cqe.user_data() as usize;
            in_flight -= 1;
            // SAFETY: the kernel is done with slot `slot` (its completion is this one), and
            // this function writes no slot while it is checked.
            unsafe { check_slot(&mut tally, slot_offset[slot], base, slot, cqe.result()) };
            free.push(slot);
        }
    }
    let measured = Measured {
        elapsed: start.elapsed(),
        allocations: alloc::allocations() - allocations,
    };
    // Nothing is in flight: the buffers may go.
    drop(ManuallyDrop::into_inner(buffers));
    tally.assert_clean(n, "raw io_uring");
    measured
}

/// Submits what the ring's submission queue holds and waits for one completion, again if
/// a signal interrupts the wait.
fn submit_and_wait_one(ring: &IoUring) {
    loop {
        match ring.submit_and_wait(1) {
            Ok(_) => return,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => panic!("io_uring_enter: {e}"),
        }
    }
}

/// Checks the read at `offset` whose completion (`result`, as the kernel reports it)
/// filled slot `slot` (bytes `slot * BLOCK..(slot + 1) * BLOCK`) of the buffers at `base`.
///
/// # Safety
///
/// The buffers at `base` are one allocation of more than `slot` blocks, zeroed when made;
/// the kernel is done with slot `slot` (this is its completion), and nothing writes the
/// slot during the call.
unsafe fn check_slot(tally: &mut Tally, offset: u64, base: *const u8, slot: usize, result: i32) {
    let len = usize::try_from(result).unwrap_or(0).min(BLOCK);
    // SAFETY: the caller's promise: the slot's bytes are initialised (zeroed at allocation,
    // then written by the kernel) and nobody writes them while this view lives; the view
    // covers that slot alone, not the slots still in flight.
    let data = unsafe { std::slice::from_raw_parts(base.wrapping_add(slot * BLOCK), len) };
    let result =
        usize::try_from(result).map_err(|_| std::io::Error::from_raw_os_error(-result).to_string());
    tally.check(offset, result, data);
}

/// The state of an APC-floor run (`run_apc_floor`), on the thread that reads.
struct FloorRun {
    ring: IoUring,
    /// The file: registered as slot 0 where the kernel allows it.
    target: FloorFile,
    /// The start of `depth` slots of `BLOCK` bytes (see `run_apc_floor`).
    base: *mut u8,
    offsets: Arc<[u64]>,
    /// The offset each slot's read is at.
    slot_offset: Vec<u64>,
    /// Offsets put into the submission queue so far.
    issued: usize,
    /// Reads whose APC ran so far.
    done: usize,
    tally: Tally,
}

/// How the APC floor's ring names the file.
#[derive(Clone, Copy)]
enum FloorFile {
    Registered,
    Descriptor(types::Fd),
}

thread_local! {
    /// The APC floor's run on this thread; its APCs find it here, as ours find `OURS`.
    static FLOOR: RefCell<Option<FloorRun>> = const { RefCell::new(None) };
}

impl FloorRun {
    /// Puts the next offset's read into the submission queue, into slot `slot`.
    fn issue_next(&mut self, slot: usize) {
        let Some(&offset) = self.offsets.get(self.issued) else {
            return;
        };
        self.issued += 1;
        let buffer = self.base.wrapping_add(slot * BLOCK);
        let entry = match self.target {
            FloorFile::Registered => opcode::Read::new(types::Fixed(0), buffer, BLOCK as u32),
            FloorFile::Descriptor(fd) => opcode::Read::new(fd, buffer, BLOCK as u32),
        }
        .offset(offset)
        .build()
        .user_data(slot as u64);
        // SAFETY: as in `run_raw_uring`: the entry points at slot `slot`, `BLOCK` bytes
        // inside the allocation behind `base` (`slot < depth`), which no other read in
        // flight uses (a slot is reissued only from its own completion's APC) and nothing
        // reads or writes until that completion; the allocation outlives every read (it
        // is dropped only once nothing is in flight, and leaked on a panic), and the file
        // stays open, borrowed by `run_apc_floor` for the whole run.
        unsafe { self.ring.submission().push(&entry) }
            .expect("room: at most `depth` entries in flight");
        self.slot_offset[slot] = offset;
    }
}

/// The completion of slot `slot`'s read, run as an APC on the reading thread: checks the
/// block, then issues the next read into the same slot.
fn on_floor_read(slot: usize, result: i32) {
    FLOOR.with_borrow_mut(|run| {
        let run = run
            .as_mut()
            .expect("a floor run is in progress on this thread");
        let offset = run.slot_offset[slot];
        // SAFETY: the kernel is done with slot `slot` (this is its completion), and the
        // slot is reissued only below, after the check.
        unsafe { check_slot(&mut run.tally, offset, run.base, slot, result) };
        run.done += 1;
        run.issue_next(slot);
    });
}

/// The APC floor: the raw ring of [`run_raw_uring`], its file registered, where each
/// completion is queued as an APC (a closure of 16 bytes, stored without an allocation)
/// to this thread, and the APCs, run by `test_alert` after each reap, issue the next
/// reads. No request records, no cancellation, no thread-exit rules: what is left is the
/// ring and one APC per completion, the least a completion-routine read can cost.
fn run_apc_floor(file: &File, depth: usize, offsets: Arc<[u64]>) -> Measured {
    let n = offsets.len();
    let entries = u32::try_from(depth.next_power_of_two()).expect("a small queue depth");
    let ring = IoUring::new(entries).expect("set up an io_uring");
    let target = match ring.submitter().register_files(&[file.as_raw_fd()]) {
        Ok(()) => FloorFile::Registered,
        Err(_) => FloorFile::Descriptor(types::Fd(file.as_raw_fd())),
    };
    // As in `run_raw_uring`: slot `i` is bytes `i * BLOCK..(i + 1) * BLOCK`, leaked on a
    // panic, dropped only with nothing in flight.
    let mut buffers = ManuallyDrop::new(vec![0u8; depth * BLOCK]);
    FLOOR.set(Some(FloorRun {
        ring,
        target,
        base: buffers.as_mut_ptr(),
        offsets,
        slot_offset: vec![0; depth],
        issued: 0,
        done: 0,
        tally: Tally::default(),
    }));
    let me = alertable::current();
    let allocations = alloc::allocations();
    let start = Instant::now();
    FLOOR.with_borrow_mut(|run| {
        let run = run.as_mut().expect("the run");
        for slot in 0..depth.min(n) {
            run.issue_next(slot);
        }
    });
    while FLOOR.with_borrow_mut(|run| {
        let run = run.as_mut().expect("the run");
        if run.done == n {
            return false;
        }
        submit_and_wait_one(&run.ring);
        for cqe in run.ring.completion() {
            let (slot, result) = (cqe.user_data() as usize, cqe.result());
            me.queue_apc(move || on_floor_read(slot, result))
                .expect("this thread is alive");
        }
        true
    }) {
        alertable::test_alert();
    }
    let measured = Measured {
        elapsed: start.elapsed(),
        allocations: alloc::allocations() - allocations,
    };
    let run = FLOOR.take().expect("the run");
    // Nothing is in flight: the buffers may go.
    drop(run.ring);
    drop(ManuallyDrop::into_inner(buffers));
    run.tally.assert_clean(n, "raw io_uring with APCs");
    measured
}

/// Blocking `pread`: `min(depth, MAX_THREADS)` threads, each reading its share of the
/// offsets in turn; the clock runs from the first one's start to the last one's end (each
/// stamps its own, so that a late wake-up of this thread cannot shorten the span).
fn run_pread(file: &File, depth: usize, offsets: &[u64]) -> Measured {
    let n = offsets.len();
    let threads = depth.clamp(1, MAX_THREADS);
    let barrier = Barrier::new(threads + 1);
    thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let share = &offsets[n * t / threads..n * (t + 1) / threads];
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut buffer = vec![0; BLOCK];
                    let mut tally = Tally::default();
                    barrier.wait();
                    let start = Instant::now();
                    for &offset in share {
                        let result = file.read_at(&mut buffer, offset);
                        let len = *result.as_ref().unwrap_or(&0);
                        tally.check(offset, result.map_err(|e| e.to_string()), &buffer[..len]);
                    }
                    (start, Instant::now(), tally)
                })
            })
            .collect();
        let allocations = alloc::allocations();
        barrier.wait();
        let mut span: Option<(Instant, Instant)> = None;
        let mut tally = Tally::default();
        for worker in workers {
            let (start, end, worker_tally) = worker.join().expect("a pread thread");
            span = Some(span.map_or((start, end), |(s, e)| (s.min(start), e.max(end))));
            tally.merge(worker_tally);
        }
        let (start, end) = span.expect("one thread at least");
        let measured = Measured {
            elapsed: end.duration_since(start),
            allocations: alloc::allocations() - allocations,
        };
        tally.assert_clean(n, "pread");
        measured
    })
}

/// One depth's samples of one contender: ns per read, and allocations per read.
#[derive(Debug, Default)]
struct Samples {
    ns_per_read: Vec<f64>,
    allocations_per_read: Vec<f64>,
}

impl Samples {
    fn push(&mut self, m: Measured, n: usize) {
        self.ns_per_read
            .push(m.elapsed.as_secs_f64() * 1e9 / n as f64);
        self.allocations_per_read
            .push(m.allocations as f64 / n as f64);
    }
}

/// Runs every contender at `depth`: one untimed warm-up run each (a tenth of the reads),
/// then `reps` timed runs, interleaved.
fn measure_depth(
    s: &Settings,
    progress: &Progress,
    data: &DataFile,
    depth: usize,
    offsets: &Arc<[u64]>,
) -> Vec<(Contender, Samples)> {
    let contenders = Contender::measured();
    let n = offsets.len();
    let warmup: Arc<[u64]> = offsets[..(n / 10).max(depth)].into();
    for &c in &contenders {
        progress.run(format!("{}, depth {depth}: warm-up", c.name()), || {
            c.run(data, depth, &warmup)
        });
    }
    let mut samples: Vec<(Contender, Samples)> = contenders
        .iter()
        .map(|&c| (c, Samples::default()))
        .collect();
    for rep in 1..=s.reps {
        for (c, samples) in &mut samples {
            let m = progress.run(
                format!("{}, depth {depth}: run {rep}/{}", c.name(), s.reps),
                || c.run(data, depth, offsets),
            );
            samples.push(m, n);
        }
    }
    samples
}

/// The worker-thread backend's samples per depth, from a second run of this binary.
fn threads_backend_samples(s: &Settings, data: &DataFile) -> Result<Vec<Samples>, String> {
    let json = std::env::temp_dir().join(format!(
        "alertable-bench-io-{}-threads.json",
        std::process::id()
    ));
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let mut command = Command::new(exe);
    command.args(["bench", "io", "--json"]).arg(&json);
    if s.throughput_ops < Settings::full().throughput_ops {
        command.arg("--quick");
    }
    let output = command
        .env(BACKEND_VAR, "threads")
        .env(SHARED_FILE_VAR, &data.path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run this binary again: {e}"));
    let text = fs::read_to_string(&json);
    let _ = fs::remove_file(&json);
    let output = output?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(format!(
            "the run with {BACKEND_VAR}=threads failed ({}): {}",
            output.status,
            last.unwrap_or("no message")
        ));
    }
    let text =
        text.map_err(|e| format!("no results from the run with {BACKEND_VAR}=threads: {e}"))?;
    parse_child_results(&text)
}

/// Takes ours' samples, per depth, out of the second run's `--json` results.
fn parse_child_results(text: &str) -> Result<Vec<Samples>, String> {
    let results: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("unreadable results: {e}"))?;
    let tables = results["groups"][0]["tables"]
        .as_array()
        .ok_or("no tables in the results")?;
    let numbers = |value: &serde_json::Value| -> Option<Vec<f64>> {
        value
            .as_array()?
            .iter()
            .map(serde_json::Value::as_f64)
            .collect()
    };
    tables
        .iter()
        .map(|table| {
            let row = &table["rows"][0];
            if row["id"] != "ours-read-ex-threads" {
                return Err(format!(
                    "the run with {BACKEND_VAR}=threads measured {} instead",
                    row["id"]
                ));
            }
            let ns_per_read = numbers(&row["samples"]).ok_or("no samples")?;
            let allocations = row["extra"]["allocations_per_read"]
                .as_f64()
                .unwrap_or(f64::NAN);
            Ok(Samples {
                allocations_per_read: vec![allocations; ns_per_read.len()],
                ns_per_read,
            })
        })
        .collect()
}

/// The median of `samples` (which are few).
fn median(samples: &[f64]) -> f64 {
    super::stats::Summary::of(samples).median
}

pub(crate) fn steps(s: &Settings) -> u64 {
    let runs = DEPTHS.len() * Contender::measured().len() * (s.reps + 1);
    (1 + runs + usize::from(measures_threads_backend())) as u64
}

/// `io`.
pub(crate) fn run(s: &Settings, progress: &Progress) -> GroupReport {
    let work = workload(s);
    let data = match std::env::var_os(SHARED_FILE_VAR) {
        Some(path) => progress.run("open and cache the shared file", || {
            DataFile::shared(PathBuf::from(path))
        }),
        None => progress.run(
            format!(
                "create, flush and cache a {} MiB file",
                work.file_bytes >> 20
            ),
            || DataFile::create(work.file_bytes),
        ),
    };
    // The worker-thread backend pays two cross-thread wake-ups per read at depth 1: its
    // second run does a fifth of the reads, to keep the group's time in bounds.
    let reads = if is_child() {
        work.reads / SECOND_RUN_SHARE
    } else {
        work.reads
    };
    let offsets = random_offsets(reads, data.blocks());
    let mut measured: Vec<Vec<(Contender, Samples)>> = DEPTHS
        .iter()
        .map(|&depth| measure_depth(s, progress, &data, depth, &offsets))
        .collect();
    let threads_backend = measures_threads_backend().then(|| {
        progress.run(
            format!("ours with {BACKEND_VAR}=threads (second run)"),
            || threads_backend_samples(s, &data),
        )
    });
    drop(data);

    let mut tables = Vec::with_capacity(DEPTHS.len());
    for (d, (&depth, samples)) in DEPTHS.iter().zip(&mut measured).enumerate() {
        let mut table = Table::new(
            format!(
                "queue depth {depth}: {} reads of 4 KiB per run at random 4 KiB-aligned offsets \
                 of a page-cached {} MiB file; {} runs",
                thousands(reads),
                work.file_bytes >> 20,
                s.reps
            ),
            Kind::Time,
        );
        let mut add = |id, name, samples: &Samples| {
            let extra = BTreeMap::from([
                (
                    "allocations_per_read",
                    median(&samples.allocations_per_read),
                ),
                ("queue_depth", depth as f64),
            ]);
            table.push(id, name, samples.ns_per_read.clone(), extra);
        };
        let (ours, others) = samples.split_first().expect("ours is measured");
        add(ours.0.id(), ours.0.name(), &ours.1);
        let child = threads_backend.as_ref().and_then(|r| r.as_ref().ok());
        if let Some(samples) = child.and_then(|c| c.get(d)) {
            add(
                "ours-read-ex-threads",
                "ours: read_ex + sleep_ex, worker-thread backend (second run)",
                samples,
            );
        }
        for (c, samples) in others {
            let name = match (c, depth.min(MAX_THREADS)) {
                (Contender::Pread, 1) => "blocking pread, 1 thread",
                (Contender::Pread, 32) => "blocking pread, 32 threads",
                (c, _) => c.name(),
            };
            add(c.id(), name, samples);
        }
        tables.push(table.finish());
    }

    let mut notes = Vec::new();
    if !is_child() {
        notes.extend(ratio_notes(&tables));
        notes.push(format!(
            "ours: one thread keeps `depth` read_ex requests in flight; each routine checks its \
             block and issues the next read; the thread loops in sleep_ex(None, Alertable::Yes). \
             Raw io_uring: the same on a ring of its own, submit_and_wait(1) then reap. Raw \
             io_uring with APCs: that ring, the file registered, each completion queued as an \
             APC to the thread, which runs them after each reap and whose APCs issue the next \
             reads (no request records, cancellation or thread-exit rules: the floor of a \
             completion routine). pread: min(depth, {MAX_THREADS}) threads share the offsets"
        ));
        notes.push(allocation_note(&tables));
        notes.push(format!(
            "every read is checked (4,096 bytes, and the block number it starts with); the \
             first {FULL_CHECKS} of each run are compared with the file byte for byte"
        ));
        match &threads_backend {
            Some(Ok(_)) => notes.push(format!(
                "worker-thread backend: measured by a second run of this binary with \
                 {BACKEND_VAR}=threads (the backend is chosen once per process), on the same \
                 cached file, reading the first {} of the same offsets per run (a fifth: at \
                 depth 1 each read is two cross-thread wake-ups), after the rows above and \
                 not interleaved with them",
                thousands(reads / SECOND_RUN_SHARE)
            )),
            Some(Err(why)) => notes.push(format!("worker-thread backend not measured: {why}")),
            None => notes.push(format!(
                "this process runs the {} backend: its row is ours",
                alertable_io::backend_name()
            )),
        }
        let (status, measured) = match goal(&tables) {
            Some((true, measured)) => (Status::Met, measured),
            Some((false, measured)) => (Status::Missed, measured),
            None => (
                Status::NotRun,
                "needs the io_uring backend and the raw ring".to_owned(),
            ),
        };
        notes.push(format!("goal [{status}] {GOAL}: {measured}"));
    }
    GroupReport {
        name: "io",
        description: "4 KiB random reads from a page-cached file: read_ex routines vs raw io_uring (plain, and with an APC per completion) vs pread threads",
        tables,
        notes,
    }
}

/// Ours against each other row of each table, as throughput and time ratios.
fn ratio_notes(tables: &[Table]) -> Vec<String> {
    let mut notes = vec![
        "ratios, ours (first row) against each: ops/s = ours' ÷ theirs (above 1: ours reads \
         faster); ns/op = ours' ÷ theirs (above 1: ours takes longer)"
            .to_owned(),
    ];
    for (table, depth) in tables.iter().zip(DEPTHS) {
        let Some((ours, others)) = table.rows.split_first() else {
            continue;
        };
        for row in others {
            let time = ours.summary.median / row.summary.median;
            notes.push(format!(
                "  depth {depth:>2}: vs {:<60} ops/s {:.2}×   ns/op {time:.2}×",
                row.contender,
                1.0 / time
            ));
        }
    }
    notes
}

/// Allocations per read, at each depth, for every row.
fn allocation_note(tables: &[Table]) -> String {
    let cells: Vec<String> = tables
        .iter()
        .zip(DEPTHS)
        .map(|(table, depth)| {
            let per_row: Vec<String> = table
                .rows
                .iter()
                .map(|row| {
                    let a = row.extra.get("allocations_per_read").copied();
                    format!("{} {:.2}", row.id, a.unwrap_or(f64::NAN))
                })
                .collect();
            format!("depth {depth}: {}", per_row.join(", "))
        })
        .collect();
    format!(
        "allocations per read, anywhere in the process (median run): {}",
        cells.join("; ")
    )
}

/// The goal: ours (io_uring backend) reaches at least [`GOAL_SHARE`] of raw io_uring's
/// throughput at depth 32 and at depth 1. `None` when a row is missing.
pub(crate) fn goal(tables: &[Table]) -> Option<(bool, String)> {
    let mut met = true;
    let mut measured = Vec::new();
    for depth in [32, 1] {
        let table = tables.get(DEPTHS.iter().position(|&d| d == depth)?)?;
        let ours = table.row("ours-read-ex-io-uring")?;
        let raw = table.row("raw-io-uring")?;
        let share = raw.summary.median / ours.summary.median;
        met &= share >= GOAL_SHARE;
        measured.push(format!(
            "depth {depth}: read_ex {:.0} ns/op ({:.2} M/s) vs raw io_uring {:.0} ns/op \
             ({:.2} M/s): {share:.2}× its throughput",
            ours.summary.median,
            1e3 / ours.summary.median,
            raw.summary.median,
            1e3 / raw.summary.median
        ));
    }
    Some((met, measured.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_aligned_in_range_and_spread() {
        let offsets = random_offsets(10_000, 1_000);
        assert!(
            offsets
                .iter()
                .all(|&o| o % BLOCK as u64 == 0 && o < 1_000 * BLOCK as u64)
        );
        let mut distinct = offsets.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 990, "nearly every block is read");
        assert_eq!(offsets, random_offsets(10_000, 1_000), "a fixed sequence");
    }

    #[test]
    fn the_tally_catches_short_and_wrong_reads() {
        let mut block = vec![0; BLOCK];
        fill_block(7, &mut block);
        let mut good = Tally::default();
        good.check(7 * BLOCK as u64, Ok(BLOCK), &block);
        good.assert_clean(1, "good");

        let mut wrong = Tally::default();
        wrong.check(8 * BLOCK as u64, Ok(BLOCK), &block);
        wrong.check(7 * BLOCK as u64, Ok(100), &block[..100]);
        wrong.check(7 * BLOCK as u64, Err("EIO".to_owned()), &[]);
        block[100] ^= 1;
        wrong.check(7 * BLOCK as u64, Ok(BLOCK), &block);
        assert_eq!((wrong.reads, wrong.bad), (4, 4));
    }

    #[test]
    fn child_results_are_read_back() {
        let text = r#"{"groups": [{"tables": [
            {"rows": [{"id": "ours-read-ex-threads", "samples": [1.5, 2.5],
                       "extra": {"allocations_per_read": 3.0}}]}]}]}"#;
        let samples = parse_child_results(text).expect("parsed");
        assert_eq!(samples[0].ns_per_read, [1.5, 2.5]);
        assert_eq!(samples[0].allocations_per_read, [3.0, 3.0]);
        let wrong = text.replace("-threads", "-io-uring");
        assert!(parse_child_results(&wrong).is_err());
    }
}
