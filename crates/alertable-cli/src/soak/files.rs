//! The `files` workload: reads of 1–16 KiB at random offsets of a file whose every byte is
//! known, across its end too, in the four completion styles, some cancelled mid-flight.
//!
//! Each reader thread issues batches of up to eight reads — poll ([`AsyncFile::read`]),
//! event, completion routine (whose routine sometimes issues the next read of a chain, from
//! inside the APC) and completion port — now and then after evicting part of the file from
//! the page cache, so that reads wait for the disk — cancels some of them ([`Operation::cancel`], now
//! and then [`AsyncFile::cancel_io`]) and collects every result. Each result must be one
//! the documentation allows: the exact bytes (as many as the file has from the offset, up
//! to the length asked for), [`IoError::EndOfFile`] at or past the end (J100, J101), or
//! [`IoError::Aborted`] for a read that was cancelled (K115, K116). Anything else — an
//! `EFAULT` from a buffer the kernel found unmapped, a short read, a byte that differs —
//! is a violation, and so is a request that never completes.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alertable::{Alertable, Event, EventReset, WaitStatus};
use alertable_io::{AsyncFile, CompletionPacket, CompletionPort, IoError, Operation, PortError};

use super::rng::mix;
use super::{Counter, PATIENCE, Rng, Soak};

const WORKLOAD: &str = "files";

/// The largest read.
pub(super) const MAX_READ: u64 = 16 * 1024;

/// The port key of the readers' bound files.
const KEY: usize = 0x50A4;

/// The file the `files` and `churn` workloads read: created at start, removed at the end,
/// never written meanwhile. Byte `i` is a function of `i` alone ([`SoakFile::byte`]).
#[derive(Debug)]
pub(super) struct SoakFile {
    pub(super) path: PathBuf,
    pub(super) size: u64,
}

impl SoakFile {
    /// Creates the file in `dir`, of a random size between 256 and 320 KiB (not a multiple
    /// of anything in particular, so reads meet its end at every alignment).
    pub(super) fn create(dir: &Path, name: &str, rng: &mut Rng) -> std::io::Result<Self> {
        let size = rng.between(256 * 1024, 320 * 1024);
        let path = dir.join(format!("alertable-soak-{}-{name}", std::process::id()));
        let contents: Vec<u8> = (0..size).map(Self::byte).collect();
        let mut file = fs::File::create(&path)?;
        file.write_all(&contents)?;
        // Written back, so that its pages are clean and can be evicted.
        file.sync_all()?;
        Ok(Self { path, size })
    }

    /// Evicts a random window of the file (now and then all of it) from the page cache:
    /// reads there then wait for the disk, and complete later, on the kernel's schedule,
    /// rather than inside the call that issued them. Where eviction does nothing (a file
    /// system in memory) nothing changes.
    pub(super) fn evict(&self, file: &AsyncFile, rng: &mut Rng) {
        let (offset, len) = if rng.percent(20) {
            (0, None)
        } else {
            (rng.below(self.size), NonZeroU64::new(64 * 1024))
        };
        let _ = rustix::fs::fadvise(file, offset, len, rustix::fs::Advice::DontNeed);
    }

    /// The byte at `position`.
    pub(super) fn byte(position: u64) -> u8 {
        (mix(position / 8) >> (8 * (position % 8))) as u8
    }

    /// A random read: an offset from 0 to just past the end (so that some reads cross
    /// it and some start beyond it), and a length from 1 byte to [`MAX_READ`].
    pub(super) fn random_read(&self, rng: &mut Rng) -> (u64, usize) {
        let offset = if rng.percent(10) {
            // Near the end, where reads are cut short or find nothing.
            self.size - MAX_READ.min(self.size) + rng.below(2 * MAX_READ)
        } else {
            rng.below(self.size + MAX_READ)
        };
        (offset, rng.between(1, MAX_READ) as usize)
    }

    /// Checks the outcome of a read of `len` bytes at `offset`: `None` if it is one the
    /// documentation allows, or what is wrong. `may_abort` says whether the read was
    /// cancelled (or its thread exited), so that [`IoError::Aborted`] is allowed.
    pub(super) fn verify(
        &self,
        offset: u64,
        len: usize,
        result: Result<usize, IoError>,
        buffer: Option<&[u8]>,
        may_abort: bool,
    ) -> Option<String> {
        let what = format!(
            "a read of {len} bytes at offset {offset} (file size {})",
            self.size
        );
        match result {
            Ok(n) => {
                if offset >= self.size {
                    return Some(format!(
                        "{what} returned Ok({n}) instead of ERROR_HANDLE_EOF (J100)"
                    ));
                }
                let expected = (len as u64).min(self.size - offset) as usize;
                if n != expected {
                    return Some(format!(
                        "{what} returned {n} bytes, not {expected}: a short read inside the file"
                    ));
                }
                let Some(buffer) = buffer else {
                    return Some(format!("{what} succeeded but its buffer did not come back"));
                };
                if buffer.len() != n {
                    return Some(format!(
                        "{what} returned {n} bytes but its buffer holds {}",
                        buffer.len()
                    ));
                }
                let wrong = buffer
                    .iter()
                    .enumerate()
                    .find(|&(i, &b)| b != Self::byte(offset + i as u64));
                wrong.map(|(i, &b)| {
                    format!(
                        "{what}: byte {i} (file offset {}) is {b:#04x}, the file holds {:#04x}",
                        offset + i as u64,
                        Self::byte(offset + i as u64)
                    )
                })
            }
            Err(IoError::EndOfFile) if offset >= self.size => None,
            Err(IoError::EndOfFile) => Some(format!(
                "{what} failed with ERROR_HANDLE_EOF although it starts inside the file"
            )),
            Err(IoError::Aborted) if may_abort => None,
            Err(IoError::Aborted) => Some(format!(
                "{what} was aborted (ERROR_OPERATION_ABORTED) but nobody cancelled it"
            )),
            Err(IoError::Os(errno)) => Some(format!(
                "{what} failed with errno {errno} ({}; Win32 error {}): not an error a read \
                 of a regular file can document",
                std::io::Error::from_raw_os_error(errno),
                IoError::Os(errno).win32_error()
            )),
            Err(error) => Some(format!(
                "{what} failed with {error:?} (Win32 error {}): not an error a read of a \
                 regular file can document",
                error.win32_error()
            )),
        }
    }
}

impl Drop for SoakFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// The counters of the workload.
#[derive(Debug, Clone)]
struct Counters {
    reads: Counter,
    bytes: Counter,
    eof: Counter,
    aborted: Counter,
    cancels: Counter,
    evictions: Counter,
    styles: [Counter; 4],
}

/// What a read's completion is checked against.
#[derive(Debug)]
struct Expect {
    offset: u64,
    len: usize,
    /// Set before the read is cancelled.
    cancelled: Arc<AtomicBool>,
    /// The reader's `cancel_io` count when the read was issued.
    cancel_epoch: u64,
}

/// What a reader thread's routines share with it.
struct Chain {
    soak: Arc<Soak>,
    file: Arc<SoakFile>,
    counters: Counters,
    /// Incremented just before each `cancel_io`.
    cancel_ios: AtomicU64,
    /// Routine reads issued and not yet run (only the reader's thread touches it).
    pending: AtomicU64,
}

impl Chain {
    fn may_abort(&self, expect: &Expect) -> bool {
        expect.cancelled.load(Ordering::Relaxed)
            || self.cancel_ios.load(Ordering::Relaxed) > expect.cancel_epoch
    }

    /// Checks one completion and counts it.
    fn complete(
        &self,
        style: &str,
        expect: &Expect,
        result: Result<usize, IoError>,
        buffer: Option<&[u8]>,
    ) {
        let may_abort = self.may_abort(expect);
        if let Some(wrong) = self
            .file
            .verify(expect.offset, expect.len, result, buffer, may_abort)
        {
            self.soak
                .violation(WORKLOAD, format_args!("{style}: {wrong}"));
        }
        self.counters.reads.inc();
        match result {
            Ok(n) => self.counters.bytes.add(n as u64),
            Err(IoError::EndOfFile) => self.counters.eof.inc(),
            Err(IoError::Aborted) => self.counters.aborted.inc(),
            Err(_) => {}
        }
    }

    /// Issues a routine-style read on the calling thread; its routine checks the result
    /// and, while `links` remain, issues the next read of the chain (from inside the APC).
    fn issue_routine(
        self: &Arc<Self>,
        file: &AsyncFile,
        rng: &mut Rng,
        links: u32,
    ) -> Option<Expect> {
        let (offset, len) = self.file.random_read(rng);
        let expect = Expect {
            offset,
            len,
            cancelled: Arc::new(AtomicBool::new(false)),
            cancel_epoch: self.cancel_ios.load(Ordering::Relaxed),
        };
        let (cancelled, cancel_epoch) = (Arc::clone(&expect.cancelled), expect.cancel_epoch);
        let chain = Arc::clone(self);
        let next_file = file.clone();
        let mut next_rng = Rng::new(rng.next_u64(), 0);
        self.pending.fetch_add(1, Ordering::Relaxed);
        // A chained read is issued inside an APC and may still be in flight when its
        // reader next calls `cancel_io`: the epoch of its issue tells.
        let routine = move |result: Result<usize, IoError>, buffer: Vec<u8>| {
            let expect = Expect {
                offset,
                len,
                cancelled,
                cancel_epoch,
            };
            chain.complete("routine", &expect, result, Some(&buffer));
            chain.pending.fetch_sub(1, Ordering::Relaxed);
            if links > 0 && chain.soak.running() {
                chain.issue_routine(&next_file, &mut next_rng, links - 1);
            }
        };
        match file.read_ex(offset, vec![0; len], routine) {
            Ok(_) => Some(expect),
            Err(refused) => {
                self.pending.fetch_sub(1, Ordering::Relaxed);
                self.soak.violation(
                    WORKLOAD,
                    format_args!("read_ex at {offset} was refused: {:?}", refused.error),
                );
                None
            }
        }
    }
}

pub(super) fn run(soak: &Arc<Soak>) {
    let mut rng = soak.rng(WORKLOAD, 0);
    let file = match SoakFile::create(&soak.dir, "files", &mut rng) {
        Ok(file) => Arc::new(file),
        Err(error) => {
            soak.violation(
                WORKLOAD,
                format_args!("cannot create the file in {}: {error}", soak.dir.display()),
            );
            return;
        }
    };
    let counters = Counters {
        reads: soak.headline(WORKLOAD, "reads"),
        bytes: soak.counter(WORKLOAD, "bytes"),
        eof: soak.counter(WORKLOAD, "end of file"),
        aborted: soak.counter(WORKLOAD, "aborted"),
        cancels: soak.counter(WORKLOAD, "cancels"),
        evictions: soak.counter(WORKLOAD, "cache evictions"),
        styles: [
            soak.counter(WORKLOAD, "by poll"),
            soak.counter(WORKLOAD, "by event"),
            soak.counter(WORKLOAD, "by routine"),
            soak.counter(WORKLOAD, "by port"),
        ],
    };
    let readers: Vec<_> = (0..soak.readers)
        .map(|r| {
            let chain = Arc::new(Chain {
                soak: Arc::clone(soak),
                file: Arc::clone(&file),
                counters: counters.clone(),
                cancel_ios: AtomicU64::new(0),
                pending: AtomicU64::new(0),
            });
            super::spawn(soak, WORKLOAD, move || {
                let mut rng = chain.soak.rng(WORKLOAD, 1 + r as u64);
                read(&chain, &mut rng);
            })
        })
        .collect();
    for reader in readers {
        super::join_worker(soak, WORKLOAD, "a reader", reader);
    }
}

/// The completion styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Poll,
    Event,
    Routine,
    Port,
}

/// One read of a batch, in flight.
struct InFlight {
    style: Style,
    expect: Expect,
    op: Option<Operation>,
    event: Option<Event>,
}

/// A reader thread: batches of reads until the soak stops.
fn read(chain: &Arc<Chain>, rng: &mut Rng) {
    let soak = &chain.soak;
    let open = || AsyncFile::open(&chain.file.path);
    let (plain, bound) = match (open(), open()) {
        (Ok(plain), Ok(bound)) => (plain, bound),
        (Err(error), _) | (_, Err(error)) => {
            soak.violation(WORKLOAD, format_args!("cannot open the file: {error}"));
            return;
        }
    };
    let port = CompletionPort::new(1);
    if let Err(error) = port.associate(&bound, KEY) {
        soak.violation(
            WORKLOAD,
            format_args!("cannot bind the file to a port: {error}"),
        );
        return;
    }
    while soak.running() {
        if rng.percent(10) {
            chain.file.evict(&plain, rng);
            chain.counters.evictions.inc();
        }
        let mut batch = Vec::new();
        for _ in 0..rng.between(1, 8) {
            let style = match rng.below(4) {
                0 => Style::Poll,
                1 => Style::Event,
                2 => Style::Routine,
                _ => Style::Port,
            };
            chain.counters.styles[style as usize].inc();
            if style == Style::Routine {
                let links = if rng.percent(30) {
                    rng.between(1, 3) as u32
                } else {
                    0
                };
                if let Some(expect) = chain.issue_routine(&plain, rng, links) {
                    batch.push(InFlight {
                        style,
                        expect,
                        op: None,
                        event: None,
                    });
                }
                continue;
            }
            let (offset, len) = chain.file.random_read(rng);
            let expect = Expect {
                offset,
                len,
                cancelled: Arc::new(AtomicBool::new(false)),
                cancel_epoch: chain.cancel_ios.load(Ordering::Relaxed),
            };
            let buffer = vec![0; len];
            let mut event = None;
            let issued = match style {
                Style::Poll => plain.read(offset, buffer),
                Style::Event => {
                    let reset = if rng.percent(50) {
                        EventReset::Manual
                    } else {
                        EventReset::Auto
                    };
                    let e = event.insert(Event::new(reset, false));
                    plain.read_with_event(offset, buffer, e)
                }
                _ => bound.read(offset, buffer),
            };
            match issued {
                Ok(op) => batch.push(InFlight {
                    style,
                    expect,
                    op: Some(op),
                    event,
                }),
                Err(refused) => soak.violation(
                    WORKLOAD,
                    format_args!("a read at {offset} was refused: {:?}", refused.error),
                ),
            }
        }

        // Cancel some of them, in flight or not.
        for request in &batch {
            if let Some(op) = &request.op {
                if rng.percent(15) {
                    request.expect.cancelled.store(true, Ordering::Relaxed);
                    chain.counters.cancels.inc();
                    match op.cancel() {
                        Ok(()) | Err(IoError::NotFound) => {}
                        Err(error) => soak.violation(
                            WORKLOAD,
                            format_args!("Operation::cancel returned {error:?} (K116)"),
                        ),
                    }
                }
            }
        }
        if rng.percent(3) {
            chain.cancel_ios.fetch_add(1, Ordering::Relaxed);
            chain.counters.cancels.inc();
            let target = if rng.percent(50) { &plain } else { &bound };
            if let Err(error) = target.cancel_io() {
                soak.violation(
                    WORKLOAD,
                    format_args!("cancel_io returned {error:?} (K115)"),
                );
            }
        }

        collect(chain, &port, batch, rng);
    }
    // Routine reads of chains still in flight: wait for them, so that none is lost.
    wait_routines(chain);
}

/// Collects every completion of a batch (and of the routine chains it started).
fn collect(chain: &Arc<Chain>, port: &CompletionPort, batch: Vec<InFlight>, rng: &mut Rng) {
    let soak = &chain.soak;
    let mut by_token: HashMap<usize, Expect> = HashMap::new();
    for request in batch {
        match request.style {
            Style::Poll => {
                let op = request.op.expect("a poll read has its operation");
                let alertable = if rng.percent(50) {
                    Alertable::Yes
                } else {
                    Alertable::No
                };
                if !wait_op(&op, alertable) {
                    soak.violation(
                        WORKLOAD,
                        format_args!(
                            "poll: a read at {} never completed ({} s)",
                            request.expect.offset,
                            PATIENCE.as_secs()
                        ),
                    );
                    continue;
                }
                let result = op.result(false);
                let buffer = op.take_buffer();
                chain.complete("poll", &request.expect, result, buffer.as_deref());
            }
            Style::Event => {
                let (op, event) = (
                    request.op.expect("an event read has its operation"),
                    request.event.expect("an event read has its event"),
                );
                let alertable = if rng.percent(50) {
                    Alertable::Yes
                } else {
                    Alertable::No
                };
                if !wait_event(&event, alertable) {
                    soak.violation(
                        WORKLOAD,
                        format_args!(
                            "event: a read at {} never signaled its event ({} s)",
                            request.expect.offset,
                            PATIENCE.as_secs()
                        ),
                    );
                    continue;
                }
                let result = op.result(false);
                if result == Err(IoError::Incomplete) {
                    soak.violation(
                        WORKLOAD,
                        format_args!(
                            "event: the event of a read at {} was signaled before it completed",
                            request.expect.offset
                        ),
                    );
                    continue;
                }
                let buffer = op.take_buffer();
                chain.complete("event", &request.expect, result, buffer.as_deref());
            }
            Style::Routine => {}
            Style::Port => {
                let op = request.op.expect("a port read has its operation");
                by_token.insert(op.token(), request.expect);
            }
        }
    }
    while !by_token.is_empty() {
        let mut packets = Vec::new();
        let taken = if rng.percent(50) {
            port.get(Some(PATIENCE)).map(|packet| packets.push(packet))
        } else {
            port.get_many(&mut packets, by_token.len(), Some(PATIENCE), Alertable::Yes)
                .map(drop)
        };
        match taken {
            Ok(()) | Err(PortError::Alerted) => {}
            Err(error) => {
                soak.violation(
                    WORKLOAD,
                    format_args!(
                        "port: {} reads never completed ({error:?} after {} s)",
                        by_token.len(),
                        PATIENCE.as_secs()
                    ),
                );
                break;
            }
        }
        for packet in packets {
            check_packet(chain, &mut by_token, packet);
        }
    }
    wait_routines(chain);
}

/// Checks a packet against the read it completes.
fn check_packet(chain: &Chain, by_token: &mut HashMap<usize, Expect>, packet: CompletionPacket) {
    let Some(expect) = by_token.remove(&packet.token) else {
        chain.soak.violation(
            WORKLOAD,
            format_args!(
                "port: a packet for no read in flight (token {:#x}, or a second packet for one)",
                packet.token
            ),
        );
        return;
    };
    if packet.key != KEY {
        chain.soak.violation(
            WORKLOAD,
            format_args!("port: a packet carries key {:#x}, not {KEY:#x}", packet.key),
        );
    }
    chain.complete("port", &expect, packet.status, packet.buffer.as_deref());
}

/// Waits, in alertable waits, until every routine read of this thread has run.
fn wait_routines(chain: &Chain) {
    let started = Instant::now();
    while chain.pending.load(Ordering::Relaxed) > 0 {
        let left = PATIENCE.saturating_sub(started.elapsed());
        if left.is_zero() {
            chain.soak.violation(
                WORKLOAD,
                format_args!(
                    "routine: {} completion routines never ran ({} s)",
                    chain.pending.load(Ordering::Relaxed),
                    PATIENCE.as_secs()
                ),
            );
            // Count them as gone, so that the next batch is judged on its own.
            chain.pending.store(0, Ordering::Relaxed);
            return;
        }
        // Routines run in this wait; it ends when they have, or after a while to look again.
        let _ = alertable::sleep_ex(Some(left.min(Duration::from_millis(100))), Alertable::Yes);
    }
}

/// Waits for an operation to complete, up to [`PATIENCE`]; routines may run meanwhile if
/// `alertable`.
fn wait_op(op: &Operation, alertable: Alertable) -> bool {
    let started = Instant::now();
    loop {
        let left = PATIENCE.saturating_sub(started.elapsed());
        match op.wait(Some(left), alertable) {
            Ok(WaitStatus::Signaled(0)) => return op.is_complete(),
            Ok(WaitStatus::Alerted) if !left.is_zero() => continue,
            _ => return false,
        }
    }
}

/// Waits for a request's event, up to [`PATIENCE`].
fn wait_event(event: &Event, alertable: Alertable) -> bool {
    let started = Instant::now();
    loop {
        let left = PATIENCE.saturating_sub(started.elapsed());
        match alertable::wait_one(event, Some(left), alertable) {
            Ok(WaitStatus::Signaled(0)) => return true,
            Ok(WaitStatus::Alerted) if !left.is_zero() => continue,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of 1000 bytes that is never created: `verify` only needs its size.
    fn file() -> SoakFile {
        SoakFile {
            path: PathBuf::from("/nonexistent/alertable-soak-verify"),
            size: 1000,
        }
    }

    fn bytes(offset: u64, n: usize) -> Vec<u8> {
        (0..n as u64).map(|i| SoakFile::byte(offset + i)).collect()
    }

    #[test]
    fn exact_data_and_documented_errors_pass() {
        let f = file();
        assert_eq!(
            f.verify(10, 100, Ok(100), Some(&bytes(10, 100)), false),
            None
        );
        // Cut at the end of the file.
        assert_eq!(
            f.verify(990, 100, Ok(10), Some(&bytes(990, 10)), false),
            None
        );
        assert_eq!(
            f.verify(1000, 5, Err(IoError::EndOfFile), None, false),
            None
        );
        assert_eq!(
            f.verify(5000, 5, Err(IoError::EndOfFile), None, false),
            None
        );
        assert_eq!(f.verify(10, 5, Err(IoError::Aborted), None, true), None);
    }

    #[test]
    fn anything_else_is_a_violation() {
        let f = file();
        let efault = f.verify(10, 100, Err(IoError::Os(14)), None, true).unwrap();
        assert!(efault.contains("errno 14"), "{efault}");
        let short = f
            .verify(10, 100, Ok(50), Some(&bytes(10, 50)), false)
            .unwrap();
        assert!(short.contains("short read"), "{short}");
        let mut wrong = bytes(10, 100);
        wrong[42] ^= 1;
        let differs = f.verify(10, 100, Ok(100), Some(&wrong), false).unwrap();
        assert!(differs.contains("byte 42"), "{differs}");
        assert!(
            f.verify(10, 100, Ok(100), Some(&bytes(10, 99)), false)
                .is_some()
        );
        assert!(f.verify(10, 100, Ok(100), None, false).is_some());
        assert!(
            f.verify(10, 5, Err(IoError::Aborted), None, false)
                .is_some()
        );
        assert!(
            f.verify(10, 5, Err(IoError::EndOfFile), None, false)
                .is_some()
        );
        assert!(f.verify(1000, 5, Ok(0), Some(&[]), false).is_some());
    }
}
