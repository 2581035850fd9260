//! The `churn` workload: threads that exit with APCs queued and I/O pending.
//!
//! Over and over, a thread starts (sometimes suspended, with APCs queued before it runs),
//! issues a read on an empty pipe and a few reads of the soak's file in random completion
//! styles (now and then from inside an APC it runs, or after the file's pages were evicted
//! from the page cache, so that the reads are still in flight when it exits), and blocks
//! non-alertably while the coordinator queues APCs to it — before or
//! while it exits. Then the coordinator checks what the specification promises:
//!
//! - APCs queued before a suspended thread starts run before its entry point (C34);
//! - APCs still queued when it exits never run and are dropped, each exactly once, and
//!   queueing to it once it has exited fails (C35, A4);
//! - its pending reads are cancelled: event and poll reads end with
//!   [`IoError::Aborted`] (or their data, had they finished first), completion routines
//!   never run and are dropped (K121), while reads bound to a completion port without an
//!   event outlive the thread and complete normally (K121);
//! - a cancelled pipe read consumed nothing: bytes written afterwards are all read back.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use alertable::{Alertable, Event, EventReset, WaitStatus};
use alertable_io::{AsyncFile, CompletionPort, IoError, Operation};

use super::files::SoakFile;
use super::{Counter, PATIENCE, Rng, Soak};

const WORKLOAD: &str = "churn";

/// The port key of the churn's bound file.
const KEY: usize = 0xC4;

/// Counts its own drop, and complains if the closure holding it ever runs.
#[derive(Debug)]
struct MustNotRun {
    dropped: Arc<AtomicU64>,
}

impl Drop for MustNotRun {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, Ordering::Release);
    }
}

/// What the exiting thread issued, sent to the coordinator before it blocks.
#[derive(Default)]
struct Issued {
    pipe: Option<(Operation, Option<Event>)>,
    /// Poll and event reads of the file: (offset, len, operation, event).
    reads: Vec<(u64, usize, Operation, Option<Event>)>,
    /// Port reads: (offset, len, token).
    port_reads: Vec<(u64, usize, usize)>,
    /// Routine reads (pipe and file) issued: each must be dropped, never run.
    routines: u64,
}

#[derive(Debug, Clone)]
struct Counters {
    threads: Counter,
    queued: Counter,
    refused: Counter,
    early: Counter,
    pipe_aborted: Counter,
    file_reads: Counter,
    routines_dropped: Counter,
    evictions: Counter,
}

pub(super) fn run(soak: &Arc<Soak>) {
    let mut rng = soak.rng(WORKLOAD, 0);
    let file = match SoakFile::create(&soak.dir, "churn", &mut rng) {
        Ok(file) => Arc::new(file),
        Err(error) => {
            soak.violation(WORKLOAD, format_args!("cannot create the file: {error}"));
            return;
        }
    };
    let counters = Counters {
        threads: soak.headline(WORKLOAD, "threads exited"),
        queued: soak.counter(WORKLOAD, "APCs dropped at exit"),
        refused: soak.counter(WORKLOAD, "APCs refused after exit"),
        early: soak.counter(WORKLOAD, "APCs run before start"),
        pipe_aborted: soak.counter(WORKLOAD, "pipe reads aborted"),
        file_reads: soak.counter(WORKLOAD, "file reads"),
        routines_dropped: soak.counter(WORKLOAD, "routines dropped"),
        evictions: soak.counter(WORKLOAD, "cache evictions"),
    };
    // Two coordinators, so that threads also exit while others start.
    let other = {
        let (soak2, file, counters) = (Arc::clone(soak), Arc::clone(&file), counters.clone());
        super::spawn(soak, WORKLOAD, move || {
            coordinate(&soak2, &file, &counters, 2)
        })
    };
    coordinate(soak, &file, &counters, 1);
    super::join_worker(soak, WORKLOAD, "a churn coordinator", other);
}

/// One coordinator: threads live and die, one after the other, until the soak stops. Each
/// coordinator has its own port, so that it takes only its own threads' packets.
fn coordinate(soak: &Arc<Soak>, file: &Arc<SoakFile>, counters: &Counters, stream: u64) {
    let mut rng = soak.rng(WORKLOAD, stream);
    let (plain, bound) = match (AsyncFile::open(&file.path), AsyncFile::open(&file.path)) {
        (Ok(plain), Ok(bound)) => (plain, bound),
        (Err(error), _) | (_, Err(error)) => {
            soak.violation(WORKLOAD, format_args!("cannot open the file: {error}"));
            return;
        }
    };
    let port = CompletionPort::new(0);
    if let Err(error) = port.associate(&bound, KEY) {
        soak.violation(WORKLOAD, format_args!("cannot bind the file: {error}"));
        return;
    }
    while soak.running() {
        once(soak, file, &plain, &bound, &port, counters, &mut rng);
    }
}

/// One thread's life and the checks after its death.
fn once(
    soak: &Arc<Soak>,
    file: &Arc<SoakFile>,
    plain: &AsyncFile,
    bound: &AsyncFile,
    port: &CompletionPort,
    counters: &Counters,
    rng: &mut Rng,
) {
    let (pipe_reader, pipe_writer) = match rustix::pipe::pipe() {
        Ok(ends) => ends,
        Err(error) => {
            soak.violation(WORKLOAD, format_args!("cannot create a pipe: {error}"));
            return;
        }
    };
    let pipe = match AsyncFile::from_fd(pipe_reader) {
        Ok(pipe) => pipe,
        Err(error) => {
            soak.violation(WORKLOAD, format_args!("cannot wrap a pipe: {error}"));
            return;
        }
    };
    let dropped = Arc::new(AtomicU64::new(0));
    let go = Event::new(EventReset::Manual, false);
    let (issued_tx, issued_rx) = mpsc::channel();
    let early_ran = Arc::new(AtomicU64::new(0));
    let early = if rng.percent(30) {
        rng.between(1, 4)
    } else {
        0
    };
    let suspended = early > 0;
    let seed = rng.next_u64();
    if rng.percent(30) {
        // The thread's reads then wait for the disk, and are in flight when it exits.
        file.evict(plain, rng);
        counters.evictions.inc();
    }

    let thread = {
        let (soak, file, plain, bound, pipe, go, dropped, early_ran) = (
            Arc::clone(soak),
            Arc::clone(file),
            plain.clone(),
            bound.clone(),
            pipe.clone(),
            go.clone(),
            Arc::clone(&dropped),
            Arc::clone(&early_ran),
        );
        alertable::Builder::new()
            .name("soak-churn-exit".to_owned())
            .suspended(suspended)
            .spawn(move || {
                let ran = early_ran.load(Ordering::Relaxed);
                if ran != early {
                    soak.violation(
                        WORKLOAD,
                        format_args!(
                            "{ran} of the {early} APCs queued before the thread started ran \
                             before its entry point (C34)"
                        ),
                    );
                }
                let mut rng = Rng::new(seed, 1);
                let issued = issue(&soak, &file, &plain, &bound, &pipe, &dropped, &mut rng);
                let _ = issued_tx.send(issued);
                // Not alertable: nothing queued to this thread may run before it exits.
                let _ = alertable::wait_one(&go, Some(PATIENCE), Alertable::No);
            })
    };
    let thread = match thread {
        Ok(thread) => thread,
        Err(error) => {
            soak.violation(WORKLOAD, format_args!("cannot spawn a thread: {error}"));
            return;
        }
    };
    let handle = thread.thread().clone();
    if suspended {
        for _ in 0..early {
            let early_ran = Arc::clone(&early_ran);
            if handle
                .queue_apc(move || {
                    early_ran.fetch_add(1, Ordering::Relaxed);
                })
                .is_err()
            {
                soak.violation(WORKLOAD, "queueing to a suspended thread failed");
            }
        }
        counters.early.add(early);
        if let Err(error) = handle.resume() {
            soak.violation(WORKLOAD, format_args!("resume failed: {error}"));
        }
    }
    let Ok(issued) = issued_rx.recv_timeout(PATIENCE) else {
        soak.violation(WORKLOAD, "the exiting thread never reported its reads");
        go.set();
        super::join(soak, WORKLOAD, "an exiting thread", thread);
        return;
    };

    // Queue APCs that must never run: all before the thread is let go, or racing its exit.
    let racing = rng.percent(50);
    if racing {
        go.set();
    }
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..rng.between(1, 16) {
        let guard = MustNotRun {
            dropped: Arc::clone(&dropped),
        };
        let soak2 = Arc::clone(soak);
        let queued = handle.queue_apc(move || {
            let _ = &guard;
            soak2.violation(
                WORKLOAD,
                "an APC queued to a thread that never waited alertably ran (C35)",
            );
        });
        match queued {
            Ok(()) => accepted += 1,
            Err(_) if racing => refused += 1,
            Err(error) => soak.violation(
                WORKLOAD,
                format_args!("queueing to a live thread failed: {error}"),
            ),
        }
    }
    go.set();
    if super::join(soak, WORKLOAD, "an exiting thread", thread).is_none() {
        return;
    }
    counters.threads.inc();

    // Once it has exited, queueing fails and drops the closure at once (A4).
    let guard = MustNotRun {
        dropped: Arc::clone(&dropped),
    };
    if handle.queue_apc(move || drop(guard)).is_ok() {
        soak.violation(WORKLOAD, "queueing to an exited thread succeeded (A4)");
    }

    // Every closure queued or issued with a routine is dropped, once: the refused ones at
    // once, the rest when the thread's queue is torn down.
    let expected = accepted + refused + issued.routines + 1;
    let started = Instant::now();
    loop {
        let now = dropped.load(Ordering::Acquire);
        if now == expected {
            break;
        }
        if now > expected || started.elapsed() > PATIENCE {
            soak.violation(
                WORKLOAD,
                format_args!(
                    "{now} closures dropped, expected {expected}: {accepted} APCs queued, \
                     {} routines of pending reads, {} refused (C35, K121)",
                    issued.routines,
                    refused + 1
                ),
            );
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    counters.queued.add(accepted);
    counters.refused.add(refused + 1);
    counters.routines_dropped.add(issued.routines);

    check_pipe(soak, &pipe, pipe_writer, issued.pipe, counters, rng);
    for (offset, len, op, event) in issued.reads {
        let completed = match &event {
            Some(event) => matches!(
                alertable::wait_one(event, Some(PATIENCE), Alertable::No),
                Ok(WaitStatus::Signaled(0))
            ),
            None => matches!(
                op.wait(Some(PATIENCE), Alertable::No),
                Ok(WaitStatus::Signaled(0))
            ),
        };
        if !completed {
            soak.violation(
                WORKLOAD,
                format_args!("a read at {offset} of an exited thread never completed (K121)"),
            );
            continue;
        }
        let buffer = op.take_buffer();
        if let Some(wrong) = file.verify(offset, len, op.result(false), buffer.as_deref(), true) {
            soak.violation(WORKLOAD, format_args!("after thread exit: {wrong}"));
        }
        counters.file_reads.inc();
    }
    // Port reads outlive their thread: they complete normally, never aborted (K121).
    let mut port_reads = issued.port_reads;
    while !port_reads.is_empty() {
        match port.get(Some(PATIENCE)) {
            Ok(packet) => {
                let Some(at) = port_reads.iter().position(|r| r.2 == packet.token) else {
                    soak.violation(
                        WORKLOAD,
                        format_args!("a port packet for no read in flight: {packet:?}"),
                    );
                    continue;
                };
                let (offset, len, _) = port_reads.swap_remove(at);
                if let Some(wrong) =
                    file.verify(offset, len, packet.status, packet.buffer.as_deref(), false)
                {
                    soak.violation(
                        WORKLOAD,
                        format_args!("a port read outliving its thread (K121): {wrong}"),
                    );
                }
                counters.file_reads.inc();
            }
            Err(error) => {
                soak.violation(
                    WORKLOAD,
                    format_args!(
                        "{} port reads of an exited thread never completed: {error:?}",
                        port_reads.len()
                    ),
                );
                break;
            }
        }
    }
}

/// Runs on the thread that is about to exit: a pending pipe read, and a few file reads —
/// sometimes issued from inside an APC the thread runs, so that they start when its drain
/// ends, just before the thread exits.
fn issue(
    soak: &Arc<Soak>,
    file: &Arc<SoakFile>,
    plain: &AsyncFile,
    bound: &AsyncFile,
    pipe: &AsyncFile,
    dropped: &Arc<AtomicU64>,
    rng: &mut Rng,
) -> Issued {
    let mut issued = Issued::default();
    // Set while the thread runs its APCs: a routine of a read issued inside one may run in
    // the same drain (B24) — not after.
    let draining = Arc::new(AtomicBool::new(false));
    let len = rng.between(1, 4096) as usize;
    match rng.below(3) {
        0 => match pipe.read(0, vec![0; len]) {
            Ok(op) => issued.pipe = Some((op, None)),
            Err(e) => soak.violation(WORKLOAD, format_args!("a pipe read was refused: {e}")),
        },
        1 => {
            let event = Event::new(EventReset::Manual, false);
            match pipe.read_with_event(0, vec![0; len], &event) {
                Ok(op) => issued.pipe = Some((op, Some(event))),
                Err(e) => soak.violation(WORKLOAD, format_args!("a pipe read was refused: {e}")),
            }
        }
        _ => match pipe.read_ex(
            0,
            vec![0; len],
            never_run(soak, dropped, &draining, "pipe read"),
        ) {
            Ok(_) => issued.routines += 1,
            Err(e) => soak.violation(WORKLOAD, format_args!("a pipe read_ex was refused: {e}")),
        },
    }
    if !rng.percent(30) {
        issue_file_reads(
            soak,
            file,
            plain,
            bound,
            dropped,
            &draining,
            rng,
            &mut issued,
        );
        return issued;
    }
    let shared = Arc::new(Mutex::new(Issued::default()));
    let queued = {
        let (soak, file, plain, bound, dropped, draining, shared) = (
            Arc::clone(soak),
            Arc::clone(file),
            plain.clone(),
            bound.clone(),
            Arc::clone(dropped),
            Arc::clone(&draining),
            Arc::clone(&shared),
        );
        let mut rng = Rng::new(rng.next_u64(), 2);
        alertable::current().queue_apc(move || {
            let mut issued = shared.lock().unwrap_or_else(PoisonError::into_inner);
            issue_file_reads(
                &soak,
                &file,
                &plain,
                &bound,
                &dropped,
                &draining,
                &mut rng,
                &mut issued,
            );
        })
    };
    draining.store(true, Ordering::Relaxed);
    let ran = alertable::test_alert();
    draining.store(false, Ordering::Relaxed);
    if queued.is_err() || !ran {
        soak.violation(
            WORKLOAD,
            "an APC the thread queued to itself did not run in test_alert (A3)",
        );
    }
    let from_apc = std::mem::take(&mut *shared.lock().unwrap_or_else(PoisonError::into_inner));
    issued.reads.extend(from_apc.reads);
    issued.port_reads.extend(from_apc.port_reads);
    issued.routines += from_apc.routines;
    issued
}

/// A completion routine that must never run — its thread exits without waiting alertably —
/// except in the drain that issued it, while `draining` is set; its drop is counted.
fn never_run(
    soak: &Arc<Soak>,
    dropped: &Arc<AtomicU64>,
    draining: &Arc<AtomicBool>,
    what: &'static str,
) -> impl FnOnce(Result<usize, IoError>, Vec<u8>) + Send + 'static {
    let guard = MustNotRun {
        dropped: Arc::clone(dropped),
    };
    let (soak, draining) = (Arc::clone(soak), Arc::clone(draining));
    move |result: Result<usize, IoError>, _: Vec<u8>| {
        let _ = &guard;
        if draining.load(Ordering::Relaxed) {
            return;
        }
        soak.violation(
            WORKLOAD,
            format_args!(
                "the routine of a {what} ran ({result:?}), though its thread never waited \
                 alertably and exited (K121)"
            ),
        );
    }
}

/// Up to four reads of the file in random completion styles, recorded in `issued`.
#[allow(clippy::too_many_arguments)] // the thread's context, spelled out
fn issue_file_reads(
    soak: &Arc<Soak>,
    file: &SoakFile,
    plain: &AsyncFile,
    bound: &AsyncFile,
    dropped: &Arc<AtomicU64>,
    draining: &Arc<AtomicBool>,
    rng: &mut Rng,
    issued: &mut Issued,
) {
    for _ in 0..rng.below(5) {
        let (offset, len) = file.random_read(rng);
        let buffer = vec![0; len];
        match rng.below(4) {
            0 => match plain.read(offset, buffer) {
                Ok(op) => issued.reads.push((offset, len, op, None)),
                Err(e) => soak.violation(WORKLOAD, format_args!("a read was refused: {e}")),
            },
            1 => {
                let event = Event::new(EventReset::Manual, false);
                match plain.read_with_event(offset, buffer, &event) {
                    Ok(op) => issued.reads.push((offset, len, op, Some(event))),
                    Err(e) => soak.violation(WORKLOAD, format_args!("a read was refused: {e}")),
                }
            }
            2 => match plain.read_ex(
                offset,
                buffer,
                never_run(soak, dropped, draining, "file read"),
            ) {
                Ok(_) => issued.routines += 1,
                Err(e) => soak.violation(WORKLOAD, format_args!("a read_ex was refused: {e}")),
            },
            _ => match bound.read(offset, buffer) {
                Ok(op) => issued.port_reads.push((offset, len, op.token())),
                Err(e) => soak.violation(WORKLOAD, format_args!("a port read was refused: {e}")),
            },
        }
    }
}

/// The pipe read of an exited thread ended aborted (unless it was a routine read, checked
/// by its drop), and consumed nothing: bytes written now all come back to a new read.
fn check_pipe(
    soak: &Soak,
    pipe: &AsyncFile,
    writer: std::os::fd::OwnedFd,
    read: Option<(Operation, Option<Event>)>,
    counters: &Counters,
    rng: &mut Rng,
) {
    if let Some((op, event)) = read {
        let completed = match &event {
            Some(event) => alertable::wait_one(event, Some(PATIENCE), Alertable::No),
            None => op.wait(Some(PATIENCE), Alertable::No),
        };
        if completed != Ok(WaitStatus::Signaled(0)) {
            soak.violation(
                WORKLOAD,
                format_args!("the pipe read of an exited thread never ended: {completed:?} (K121)"),
            );
            return;
        }
        match op.result(false) {
            Err(IoError::Aborted) => counters.pipe_aborted.inc(),
            other => soak.violation(
                WORKLOAD,
                format_args!(
                    "the pipe read of an exited thread ended with {other:?}, not \
                     ERROR_OPERATION_ABORTED (K121)"
                ),
            ),
        }
    }
    let message: Vec<u8> = (0..rng.between(1, 64)).map(|i| i as u8 ^ 0x5a).collect();
    let mut writer = std::fs::File::from(writer);
    if let Err(error) = writer.write_all(&message) {
        soak.violation(WORKLOAD, format_args!("cannot write to the pipe: {error}"));
        return;
    }
    drop(writer);
    let mut got = Vec::new();
    loop {
        let op = match pipe.read(0, vec![0; 128]) {
            Ok(op) => op,
            Err(refused)
                if refused.error == IoError::Os(rustix::io::Errno::PIPE.raw_os_error()) =>
            {
                break;
            }
            Err(refused) => {
                soak.violation(WORKLOAD, format_args!("a pipe read was refused: {refused}"));
                return;
            }
        };
        if op.wait(Some(PATIENCE), Alertable::No) != Ok(WaitStatus::Signaled(0)) {
            soak.violation(WORKLOAD, "a read of a pipe holding data never completed");
            let _ = op.cancel();
            return;
        }
        match op.result(false) {
            Ok(_) => got.extend(op.take_buffer().unwrap_or_default()),
            // The writer is closed and everything read: the end of the stream.
            Err(_) => break,
        }
    }
    if got != message {
        soak.violation(
            WORKLOAD,
            format_args!(
                "bytes written to a pipe after its pending read was aborted came back as \
                 {got:02x?}, not {message:02x?}: the aborted read consumed some"
            ),
        );
    }
}
