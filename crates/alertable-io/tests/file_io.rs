//! Asynchronous file I/O, spec sections J (completion routines and I/O APCs, entries
//! 92–114) and K (cancellation, 115–122), on real temporary files and, where a request
//! must stay pending, on pipes: a read of an empty pipe stays in flight until data arrives
//! or it is cancelled.
//!
//! Every completion style is covered — poll ([`Operation`]), event and completion routine
//! — together with synchronous refusals, end of file, cancellation by request, by file and
//! by thread exit, buffer ownership, and a stress run of concurrent reads.
//!
//! The suite runs on the backend the process picks (io_uring where available) and, through
//! `suite_passes_on_worker_threads`, once more in a child process forced onto the worker
//! threads with `ALERTABLE_IO_BACKEND=threads`.
//!
//! Synchronisation is by events, channels, barriers and [`Operation::wait`]; timeouts are
//! safety nets only. Where a routine must not have run, the check follows a zero-timeout
//! alertable wait.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use alertable::{Alertable, Event, EventReset, SleepStatus, WaitStatus, sleep_ex, wait_one};
use alertable_io::{AsyncFile, IoError, Operation, SubmitError, backend_name};
use tempfile::TempDir;

/// The variable that forces a backend.
const BACKEND_VAR: &str = "ALERTABLE_IO_BACKEND";
/// A hang guard: never reached in a passing run.
const LONG: Duration = Duration::from_secs(20);
/// The length of a non-alertable wait that must not run APCs.
const SHORT: Duration = Duration::from_millis(20);

/// What a completion routine received.
type Completion = (Result<usize, IoError>, Vec<u8>);

// ---------------------------------------------------------------------------------------
// Fixtures.

/// A temporary directory holding a file `f` with `contents`.
fn temp_file(contents: &[u8]) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, contents).unwrap();
    (dir, path)
}

/// A pipe: its read end as an [`AsyncFile`], and its write end. Keep the write end open,
/// or reads complete with a broken pipe.
fn pipe() -> (AsyncFile, OwnedFd) {
    let (read_end, write_end) = rustix::pipe::pipe().unwrap();
    (AsyncFile::from_fd(read_end).unwrap(), write_end)
}

/// Writes all of `data` into a pipe.
fn feed(write_end: &OwnedFd, data: &[u8]) {
    assert_eq!(rustix::io::write(write_end, data).unwrap(), data.len());
}

/// A completion routine.
type Routine = Box<dyn FnOnce(Result<usize, IoError>, Vec<u8>) + Send>;

/// A completion routine that sends what it receives, and where it goes.
fn routine_channel() -> (Routine, mpsc::Receiver<Completion>) {
    let (tx, rx) = mpsc::channel();
    (
        Box::new(move |result, buffer| tx.send((result, buffer)).unwrap()),
        rx,
    )
}

/// A zero-timeout alertable wait that finds no APC to run.
#[track_caller]
fn assert_no_apc_pending() {
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Elapsed
    );
}

/// An alertable wait that runs APCs (the timeout is a hang guard).
#[track_caller]
fn run_apcs() {
    assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
}

/// Waits, not alertably, until `op` is complete.
#[track_caller]
fn wait_complete(op: &Operation) {
    assert_eq!(
        op.wait(Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
}

/// Waits, not alertably, until `event` is signaled.
#[track_caller]
fn wait_signaled(event: &Event) {
    assert_eq!(
        wait_one(event, Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
}

/// A manual-reset event, not signaled.
fn manual_event() -> Event {
    Event::new(EventReset::Manual, false)
}

/// The byte at `position` of the stress and large-transfer files.
fn pattern(position: u64) -> u8 {
    (position.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8 ^ position as u8
}

/// The `len` bytes of the pattern from `start` on.
fn pattern_bytes(start: u64, len: usize) -> Vec<u8> {
    (start..start + len as u64).map(pattern).collect()
}

/// A small deterministic generator (xorshift64*): offsets "at random", reproducibly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

// ---------------------------------------------------------------------------------------
// J92, J93, J102: routines run only in alertable waits, exactly once.

/// J92, J102: a `read_ex` that finished at once runs its routine neither inside the call
/// nor in non-alertable waits, but in the next alertable wait, exactly once, with the bytes
/// read and a buffer holding exactly them.
#[test]
fn j92_j102_read_ex_routine_runs_only_in_an_alertable_wait() {
    let (_dir, path) = temp_file(b"hello world");
    let file = AsyncFile::open(&path).unwrap();
    let (routine, rx) = routine_channel();
    let op = file.read_ex(0, vec![0; 64], routine).unwrap();
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Empty),
        "ran inside read_ex"
    );

    wait_complete(&op);
    assert_eq!(op.result(false), Ok(11));
    assert_eq!(sleep_ex(Some(SHORT), Alertable::No), SleepStatus::Elapsed);
    assert_eq!(
        wait_one(&manual_event(), Some(SHORT), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Empty),
        "ran in a non-alertable wait"
    );

    run_apcs();
    assert_eq!(rx.try_recv(), Ok((Ok(11), b"hello world".to_vec())));
    assert_no_apc_pending();
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Disconnected),
        "ran more than once"
    );
}

/// J92, J102: the same for `write_ex`: the routine gets the bytes written and the buffer
/// back, only in an alertable wait, exactly once.
#[test]
fn j92_j102_write_ex_routine_runs_only_in_an_alertable_wait() {
    let dir = tempfile::tempdir().unwrap();
    let file = AsyncFile::create(dir.path().join("f")).unwrap();
    let (routine, rx) = routine_channel();
    let op = file.write_ex(0, b"payload".to_vec(), routine).unwrap();
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Empty),
        "ran inside write_ex"
    );

    wait_complete(&op);
    assert_eq!(sleep_ex(Some(SHORT), Alertable::No), SleepStatus::Elapsed);
    assert_eq!(
        wait_one(&manual_event(), Some(SHORT), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Empty),
        "ran in a non-alertable wait"
    );

    run_apcs();
    assert_eq!(rx.try_recv(), Ok((Ok(7), b"payload".to_vec())));
    assert_no_apc_pending();
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Disconnected),
        "ran more than once"
    );
}

/// J93: a `write_ex` routine reports as many bytes as were written, and they are on disk.
#[test]
fn j93_write_ex_reports_the_length_written_and_the_data_is_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let file = AsyncFile::create(&path).unwrap();
    let (first, rx_first) = routine_channel();
    let (second, rx_second) = routine_channel();
    file.write_ex(0, b"hello ".to_vec(), first).unwrap();
    file.write_ex(6, b"world".to_vec(), second).unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        run_apcs();
        got.extend(rx_first.try_recv().ok());
        got.extend(rx_second.try_recv().ok());
    }
    got.sort_by_key(|(_, buffer)| buffer.len());
    assert_eq!(
        got,
        [(Ok(5), b"world".to_vec()), (Ok(6), b"hello ".to_vec())]
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"hello world");
}

// ---------------------------------------------------------------------------------------
// J95, J105: pending pipe reads completed by a writer.

/// J95: a `read_ex` pending on an empty pipe does not run its routine when a writer
/// completes it; the next alertable wait does, with the data.
#[test]
fn j95_pending_read_ex_completed_by_a_writer_runs_in_the_next_alertable_wait() {
    let (file, write_end) = pipe();
    let (routine, rx) = routine_channel();
    let op = file.read_ex(0, vec![0; 16], routine).unwrap();
    assert_no_apc_pending();
    assert!(!op.is_complete());

    feed(&write_end, b"test");
    wait_complete(&op);
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Empty),
        "ran outside an alertable wait"
    );
    run_apcs();
    assert_eq!(rx.try_recv(), Ok((Ok(4), b"test".to_vec())));
}

/// J105: a read pending on an empty pipe leaves its event unsignaled; a writer's data
/// completes it and signals the event, and the buffer holds the data.
#[test]
fn j105_pending_read_with_event_is_signaled_by_the_writer() {
    let (file, write_end) = pipe();
    let event = manual_event();
    let op = file.read_with_event(0, vec![0; 16], &event).unwrap();
    assert_eq!(
        wait_one(&event, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!(op.result(false), Err(IoError::Incomplete));

    feed(&write_end, b"test");
    wait_signaled(&event);
    assert_eq!(op.result(false), Ok(4));
    assert_eq!(op.take_buffer().unwrap(), b"test");
    assert_no_apc_pending();
}

/// J102, J105: an event request completes whatever its issuing thread does: the issuer
/// sits in a non-alertable wait on something else while another thread writes the data
/// and sees the event signaled.
#[test]
fn j102_j105_event_is_signaled_while_the_issuer_is_never_alertable() {
    let (file, write_end) = pipe();
    let event = manual_event();
    let release = manual_event();
    let (op_tx, op_rx) = mpsc::channel();
    let issuer = alertable::spawn({
        let (file, event, release) = (file.clone(), event.clone(), release.clone());
        move || {
            let op = file.read_with_event(0, vec![0; 16], &event).unwrap();
            op_tx.send(op).unwrap();
            // Busy elsewhere, and never alertable, until the main thread has seen the
            // completion.
            wait_one(&release, Some(LONG), Alertable::No).unwrap()
        }
    })
    .unwrap();
    let op = op_rx.recv().unwrap();

    feed(&write_end, b"data");
    wait_signaled(&event);
    assert_eq!(op.result(false), Ok(4));
    assert_eq!(op.take_buffer().unwrap(), b"data");
    release.set();
    assert_eq!(issuer.join().unwrap(), WaitStatus::Signaled(0));
}

/// J104: a read of a pipe that already holds data completes at once, yet its routine
/// still waits for the next alertable wait.
#[test]
fn j104_immediate_pipe_read_still_queues_the_routine() {
    let (file, write_end) = pipe();
    feed(&write_end, b"ready");
    let (routine, rx) = routine_channel();
    let op = file.read_ex(0, vec![0; 16], routine).unwrap();
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Empty),
        "ran inside read_ex"
    );
    wait_complete(&op);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    run_apcs();
    assert_eq!(rx.try_recv(), Ok((Ok(5), b"ready".to_vec())));
}

/// J96: a write larger than the pipe can hold stays pending — a zero-timeout alertable
/// wait runs no routine — until a reader drains the pipe; then the routine gets the whole
/// length, and the reader all the data.
#[test]
fn j96_write_that_cannot_complete_stays_pending_until_drained() {
    const LEN: usize = 1 << 20;
    let (read_end, write_end) = rustix::pipe::pipe().unwrap();
    let writer = AsyncFile::from_fd(write_end).unwrap();
    let data = pattern_bytes(0, LEN);
    let (routine, rx) = routine_channel();
    let op = writer.write_ex(0, data.clone(), routine).unwrap();
    assert_no_apc_pending();
    assert_eq!(
        op.result(false),
        Err(IoError::Incomplete),
        "a pipe cannot hold 1 MiB"
    );

    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut std::fs::File::from(read_end), &mut got).unwrap();
        got
    });
    wait_complete(&op);
    assert_eq!(op.result(false), Ok(LEN));
    run_apcs();
    let (result, buffer) = rx.try_recv().unwrap();
    assert_eq!(result, Ok(LEN));
    assert!(buffer == data, "the buffer comes back");
    drop((op, writer));
    assert!(
        reader.join().unwrap() == data,
        "the reader got all the data, in order"
    );
}

/// J107: the writer closing its end completes a pending read with a broken pipe
/// (`ERROR_BROKEN_PIPE`, 109): the event is signaled, the routine runs at the next
/// alertable wait.
#[test]
fn j107_writer_closing_completes_pending_reads_with_broken_pipe() {
    let (file, write_end) = pipe();
    let event = manual_event();
    let event_op = file.read_with_event(0, vec![0; 16], &event).unwrap();
    let (routine, rx) = routine_channel();
    let routine_op = file.read_ex(0, vec![0; 16], routine).unwrap();
    assert_no_apc_pending();

    drop(write_end);
    wait_signaled(&event);
    assert_eq!(event_op.result(false).unwrap_err().win32_error(), 109);
    wait_complete(&routine_op);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    run_apcs();
    let (result, buffer) = rx.try_recv().unwrap();
    assert_eq!(result.unwrap_err().win32_error(), 109);
    assert!(buffer.is_empty());
}

// ---------------------------------------------------------------------------------------
// J97, J106: synchronous refusals queue nothing.

/// Makes a request of each style that must be refused with `expected`, and checks that
/// each gives its buffer back, signals nothing and queues no routine.
#[track_caller]
fn assert_refused_in_every_style(file: &AsyncFile, read: bool, offset: u64, expected: IoError) {
    let buffer = b"payload".to_vec();
    let event = manual_event();
    let (routine, rx) = routine_channel();
    let outcomes: [Result<Operation, SubmitError>; 3] = if read {
        [
            file.read(offset, buffer.clone()),
            file.read_with_event(offset, buffer.clone(), &event),
            file.read_ex(offset, buffer.clone(), routine),
        ]
    } else {
        [
            file.write(offset, buffer.clone()),
            file.write_with_event(offset, buffer.clone(), &event),
            file.write_ex(offset, buffer.clone(), routine),
        ]
    };
    for (style, outcome) in ["poll", "event", "routine"].into_iter().zip(outcomes) {
        let refusal = outcome.expect_err(style);
        assert_eq!(refusal.error, expected, "{style}");
        assert_eq!(refusal.win32_error(), expected.win32_error(), "{style}");
        assert_eq!(refusal.buffer, buffer, "{style}: the buffer comes back");
    }
    assert!(!event.is_set(), "a refused request signaled its event");
    assert_no_apc_pending();
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Disconnected),
        "a refused request kept or ran its routine"
    );
}

/// J97, J106: an offset beyond `i64::MAX` is refused at once with `InvalidParameter` (87),
/// reading or writing, in every style.
#[test]
fn j97_j106_offset_beyond_i64_max_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = AsyncFile::create(dir.path().join("f")).unwrap();
    for offset in [i64::MAX as u64 + 1, u64::MAX] {
        assert_refused_in_every_style(&file, true, offset, IoError::InvalidParameter);
        assert_refused_in_every_style(&file, false, offset, IoError::InvalidParameter);
    }
    assert_eq!(IoError::InvalidParameter.win32_error(), 87);
}

/// J97, J106: reading a file opened write-only is refused at once with `AccessDenied` (5).
#[test]
fn j97_j106_reading_a_write_only_file_is_refused_at_once() {
    let (_dir, path) = temp_file(b"contents");
    let write_only = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let file = AsyncFile::from_fd(write_only.into()).unwrap();
    assert_refused_in_every_style(&file, true, 0, IoError::AccessDenied);
    assert_eq!(IoError::AccessDenied.win32_error(), 5);
}

/// J97, J106: writing a file opened read-only is refused at once with `AccessDenied` (5),
/// and the file is unchanged.
#[test]
fn j97_j106_writing_a_read_only_file_is_refused_at_once() {
    let (_dir, path) = temp_file(b"contents");
    let file = AsyncFile::open(&path).unwrap();
    assert_refused_in_every_style(&file, false, 0, IoError::AccessDenied);
    assert_eq!(std::fs::read(&path).unwrap(), b"contents");
}

/// J106: a read of a pipe whose writer is gone is refused at once with a broken pipe
/// (`ERROR_BROKEN_PIPE`, 109), in every style: the buffer comes back, no event, no routine.
#[test]
fn j106_reading_a_disconnected_pipe_is_refused_at_once() {
    let (file, write_end) = pipe();
    drop(write_end);
    let buffer = b"payload".to_vec();
    let event = manual_event();
    let (routine, rx) = routine_channel();
    let outcomes = [
        file.read(0, buffer.clone()),
        file.read_with_event(0, buffer.clone(), &event),
        file.read_ex(0, buffer.clone(), routine),
    ];
    for (style, outcome) in ["poll", "event", "routine"].into_iter().zip(outcomes) {
        let refusal = outcome.expect_err(style);
        assert_eq!(refusal.win32_error(), 109, "{style}");
        assert_eq!(refusal.buffer, buffer, "{style}: the buffer comes back");
    }
    assert!(!event.is_set(), "a refused request signaled its event");
    assert_no_apc_pending();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

// ---------------------------------------------------------------------------------------
// J99, J100, J101: end of file.

/// J99, J100, J101: a read at the end of the file, or beyond it, completes — poll, event
/// and routine alike — with `EndOfFile` (38), no bytes and an empty buffer.
#[test]
fn j99_j100_j101_read_at_or_beyond_the_end_completes_with_end_of_file() {
    let (_dir, path) = temp_file(b"0123456789");
    let file = AsyncFile::open(&path).unwrap();
    for offset in [10, 11, 4096, i64::MAX as u64 / 2] {
        // Poll (J100).
        let op = file.read(offset, vec![0xAA; 8]).unwrap();
        assert_eq!(op.result(true), Err(IoError::EndOfFile), "poll at {offset}");
        assert_eq!(op.result(true).unwrap_err().win32_error(), 38);
        assert_eq!(op.take_buffer(), Some(Vec::new()), "poll at {offset}");

        // Event (J101).
        let event = manual_event();
        let op = file.read_with_event(offset, vec![0xAA; 8], &event).unwrap();
        wait_signaled(&event);
        assert_eq!(
            op.result(false),
            Err(IoError::EndOfFile),
            "event at {offset}"
        );
        assert_eq!(op.take_buffer(), Some(Vec::new()), "event at {offset}");

        // Routine (J99, J101): queued, and run at the next alertable wait.
        let (routine, rx) = routine_channel();
        let op = file.read_ex(offset, vec![0xAA; 8], routine).unwrap();
        wait_complete(&op);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        run_apcs();
        assert_eq!(
            rx.try_recv(),
            Ok((Err(IoError::EndOfFile), Vec::new())),
            "routine at {offset}"
        );
        assert_eq!(op.result(false), Err(IoError::EndOfFile));
    }

    // A read that starts before the end and runs past it is short, not an error.
    let op = file.read(7, vec![0; 8]).unwrap();
    assert_eq!(op.result(true), Ok(3));
    assert_eq!(op.take_buffer().unwrap(), b"789");
}

// ---------------------------------------------------------------------------------------
// J109: I/O routines share the APC FIFO.

/// Appends `entry` to `log` when run: an APC or routine that records its turn.
fn record(log: &Arc<Mutex<Vec<String>>>, entry: &str) -> impl FnOnce() + Send + 'static {
    let (log, entry) = (log.clone(), entry.to_owned());
    move || log.lock().unwrap().push(entry)
}

/// J109: a completion routine is queued as an APC to the issuing thread, in the FIFO that
/// `queue_apc` feeds: APCs queued before the request completes run before its routine,
/// and the routine runs on the issuer.
#[test]
fn j109_routines_share_the_fifo_with_queued_apcs() {
    let (file, write_end) = pipe();
    let me = alertable::current();
    let log = Arc::new(Mutex::new(Vec::new()));
    me.queue_apc(record(&log, "apc 1")).unwrap();
    let routine_log = log.clone();
    let issuer = me.id();
    let op = file
        .read_ex(0, vec![0; 8], move |result, buffer| {
            let on_issuer = alertable::current().id() == issuer;
            let entry = format!("routine {result:?} {buffer:?} on issuer: {on_issuer}");
            routine_log.lock().unwrap().push(entry);
        })
        .unwrap();
    me.queue_apc(record(&log, "apc 2")).unwrap();
    feed(&write_end, b"data");
    wait_complete(&op);
    assert!(
        log.lock().unwrap().is_empty(),
        "nothing runs outside an alertable wait"
    );

    while log.lock().unwrap().len() < 3 {
        run_apcs();
    }
    let routine = format!("routine Ok(4) {:?} on issuer: true", b"data".to_vec());
    assert_eq!(*log.lock().unwrap(), ["apc 1", "apc 2", routine.as_str()]);
    assert_no_apc_pending();
}

/// J109: a request the issuer has seen complete has its routine queued already: an APC
/// queued before the request, its routine, and an APC queued after the issuer saw it
/// complete run in that order, all in one alertable wait. Many rounds, on a file (the
/// request finishes at once) and on a pipe (another thread completes it while the issuer
/// looks).
#[test]
fn j109_routine_of_a_completed_request_runs_before_later_apcs() {
    let (_dir, path) = temp_file(b"data");
    let regular = AsyncFile::open(&path).unwrap();
    let (stream, write_end) = pipe();
    let me = alertable::current();
    for round in 0..10_000 {
        let on_pipe = round % 2 == 1;
        let log = Arc::new(Mutex::new(Vec::new()));
        me.queue_apc(record(&log, "apc 1")).unwrap();
        let routine = record(&log, "routine");
        let file = if on_pipe { &stream } else { &regular };
        let op = file.read_ex(0, vec![0; 1], move |_, _| routine()).unwrap();
        if on_pipe {
            feed(&write_end, b"x");
            // Look without blocking, to see the request the moment it completes.
            while !op.is_complete() {
                std::hint::spin_loop();
            }
        } else {
            wait_complete(&op);
        }
        me.queue_apc(record(&log, "apc 2")).unwrap();
        assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
        assert_eq!(
            *log.lock().unwrap(),
            ["apc 1", "routine", "apc 2"],
            "round {round} (pipe: {on_pipe})"
        );
    }
}

// ---------------------------------------------------------------------------------------
// J114: GetOverlappedResult.

/// J114: while a request is pending, `result(false)` is `Incomplete` (996), `is_complete`
/// false and `take_buffer` `None`; once complete, `result` gives the bytes and
/// `take_buffer` the data, once.
#[test]
fn j114_polling_a_pending_then_complete_request() {
    let (file, write_end) = pipe();
    let op = file.read(0, vec![0; 16]).unwrap();
    assert!(!op.is_complete());
    assert_eq!(op.result(false), Err(IoError::Incomplete));
    assert_eq!(IoError::Incomplete.win32_error(), 996);
    assert_eq!(
        op.take_buffer(),
        None,
        "the buffer is the kernel's while in flight"
    );
    assert_eq!(
        op.wait(Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );

    feed(&write_end, b"abc");
    assert_eq!(op.result(true), Ok(3));
    assert!(op.is_complete());
    assert_eq!(op.result(false), Ok(3));
    assert_eq!(
        op.wait(Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(op.take_buffer(), Some(b"abc".to_vec()));
    assert_eq!(op.take_buffer(), None, "taken once");
    assert_eq!(op.result(false), Ok(3), "the result stays");
}

/// J114: every request has a token of its own.
#[test]
fn j114_tokens_are_unique() {
    let (_dir, path) = temp_file(b"data");
    let file = AsyncFile::open(&path).unwrap();
    let a = file.read(0, vec![0; 4]).unwrap();
    let b = file.read(0, vec![0; 4]).unwrap();
    assert_ne!(a.token(), b.token());
    assert_eq!(a.token(), a.clone().token());
    assert_eq!(a.result(true), Ok(4));
    assert_eq!(b.result(true), Ok(4));
}

// ---------------------------------------------------------------------------------------
// K115–K117, K121: cancellation.

/// K115: `cancel_io` with two pending reads of this thread succeeds; both complete with
/// `Aborted` (995) through their styles — the event is signaled, the routine runs only in
/// an alertable wait — and a second `cancel_io` with nothing pending still succeeds.
#[test]
fn k115_cancel_io_aborts_the_threads_pending_requests() {
    let (file, write_end) = pipe();
    let (routine, rx) = routine_channel();
    let routine_op = file.read_ex(0, vec![0; 16], routine).unwrap();
    let event = manual_event();
    let event_op = file.read_with_event(0, vec![0; 16], &event).unwrap();
    assert_no_apc_pending();
    assert!(!event.is_set());

    assert_eq!(file.cancel_io(), Ok(()));
    wait_signaled(&event);
    assert_eq!(event_op.result(false), Err(IoError::Aborted));
    assert_eq!(IoError::Aborted.win32_error(), 995);
    wait_complete(&routine_op);
    assert_eq!(routine_op.result(false), Err(IoError::Aborted));
    assert_eq!(sleep_ex(Some(SHORT), Alertable::No), SleepStatus::Elapsed);
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Empty),
        "ran outside an alertable wait"
    );
    run_apcs();
    assert_eq!(rx.try_recv(), Ok((Err(IoError::Aborted), Vec::new())));

    assert_eq!(
        file.cancel_io(),
        Ok(()),
        "nothing pending is still a success"
    );

    // The cancelled reads took nothing from the pipe.
    feed(&write_end, b"after");
    let op = file.read(0, vec![0; 16]).unwrap();
    assert_eq!(op.result(true), Ok(5));
    assert_eq!(op.take_buffer().unwrap(), b"after");
}

/// K116: `Operation::cancel` on a pending request succeeds and it completes with
/// `Aborted`; cancelling it again finds nothing: `NotFound` (1168).
#[test]
fn k116_cancel_one_request_then_again() {
    let (file, _write_end) = pipe();
    let op = file.read(0, vec![0; 16]).unwrap();
    assert_eq!(op.cancel(), Ok(()));
    assert_eq!(op.result(true), Err(IoError::Aborted));
    assert_eq!(op.cancel(), Err(IoError::NotFound));
    assert_eq!(IoError::NotFound.win32_error(), 1168);
    assert_eq!(op.result(false), Err(IoError::Aborted));
}

/// K116: a second cancel right after the first, before the request has completed, also
/// finds nothing to cancel: the request is already being cancelled (on every backend,
/// also where the cancellation completes asynchronously).
#[test]
fn k116_second_cancel_at_once_is_not_found() {
    let (file, _write_end) = pipe();
    let op = file.read(0, vec![0; 16]).unwrap();
    assert_eq!(op.cancel(), Ok(()));
    assert_eq!(op.cancel(), Err(IoError::NotFound));
    assert_eq!(op.result(true), Err(IoError::Aborted));
}

/// K116: cancelling a request that already completed normally finds nothing (1168) and
/// leaves its result alone.
#[test]
fn k116_cancel_after_completion_is_not_found() {
    let (_dir, path) = temp_file(b"data");
    let file = AsyncFile::open(&path).unwrap();
    let op = file.read(0, vec![0; 16]).unwrap();
    assert_eq!(op.result(true), Ok(4));
    assert_eq!(op.cancel(), Err(IoError::NotFound));
    assert_eq!(op.result(false), Ok(4));
    assert_eq!(op.take_buffer().unwrap(), b"data");
}

/// K117: of two pending reads, cancelling the second leaves the first, which completes
/// with the data written afterwards.
#[test]
fn k117_selective_cancel_leaves_the_other_request() {
    let (file, write_end) = pipe();
    let first = file.read(0, vec![0; 16]).unwrap();
    let second = file.read(0, vec![0; 16]).unwrap();
    assert_eq!(second.cancel(), Ok(()));
    assert_eq!(second.result(true), Err(IoError::Aborted));
    assert_eq!(first.result(false), Err(IoError::Incomplete));

    feed(&write_end, b"later");
    assert_eq!(first.result(true), Ok(5));
    assert_eq!(first.take_buffer().unwrap(), b"later");
}

/// K115: `cancel_io` cancels only the calling thread's requests: a read another thread
/// issued on the same file survives it and completes with data.
#[test]
fn k115_cancel_io_leaves_other_threads_requests() {
    let (file, write_end) = pipe();
    let event = manual_event();
    let release = manual_event();
    let (op_tx, op_rx) = mpsc::channel();
    let other = alertable::spawn({
        let (file, event, release) = (file.clone(), event.clone(), release.clone());
        move || {
            op_tx
                .send(file.read_with_event(0, vec![0; 16], &event).unwrap())
                .unwrap();
            wait_one(&release, Some(LONG), Alertable::No).unwrap()
        }
    })
    .unwrap();
    let others = op_rx.recv().unwrap();
    let mine = file.read(0, vec![0; 16]).unwrap();

    assert_eq!(file.cancel_io(), Ok(()));
    assert_eq!(mine.result(true), Err(IoError::Aborted));
    assert_eq!(others.result(false), Err(IoError::Incomplete));
    assert!(!event.is_set());

    feed(&write_end, b"yours");
    wait_signaled(&event);
    assert_eq!(others.result(false), Ok(5));
    assert_eq!(others.take_buffer().unwrap(), b"yours");
    release.set();
    assert_eq!(other.join().unwrap(), WaitStatus::Signaled(0));
}

/// Sends on a channel when dropped: tells that a routine's closure is gone.
struct DropSignal(mpsc::Sender<&'static str>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send("dropped");
    }
}

/// K121: when a thread exits, its pending requests are cancelled: the event one's event is
/// signaled, the poll one's result is `Aborted`, and the routine one's routine never runs —
/// its closure is dropped.
#[test]
fn k121_thread_exit_cancels_its_requests() {
    let (file, write_end) = pipe();
    let event = manual_event();
    let (signal_tx, signal_rx) = mpsc::channel();
    let thread = alertable::spawn({
        let (file, event) = (file.clone(), event.clone());
        move || {
            let guard = DropSignal(signal_tx.clone());
            let routine_op = file
                .read_ex(0, vec![0; 16], move |_, _| {
                    let _guard = guard;
                    signal_tx.send("ran").unwrap();
                })
                .unwrap();
            let event_op = file.read_with_event(0, vec![0; 16], &event).unwrap();
            let poll_op = file.read(0, vec![0; 16]).unwrap();
            (routine_op, event_op, poll_op)
        }
    })
    .unwrap();
    let (routine_op, event_op, poll_op) = thread.join().unwrap();

    wait_signaled(&event);
    assert_eq!(event_op.result(false), Err(IoError::Aborted));
    assert_eq!(poll_op.result(true), Err(IoError::Aborted));
    assert_eq!(routine_op.result(true), Err(IoError::Aborted));
    // The closure was dropped without running: the guard's message, then no sender left.
    assert_eq!(signal_rx.recv_timeout(LONG), Ok("dropped"));
    assert_eq!(
        signal_rx.recv_timeout(LONG),
        Err(RecvTimeoutError::Disconnected)
    );

    // The cancelled reads took nothing from the pipe.
    feed(&write_end, b"still here");
    let op = file.read(0, vec![0; 16]).unwrap();
    assert_eq!(op.result(true), Ok(10));
    assert_eq!(op.take_buffer().unwrap(), b"still here");
}

/// K121: a thread that has completed requests before (so its reap buffers exist) and exits
/// with a stream read in the kernel: the exit's cancellation runs during thread-local
/// teardown, after those buffers are gone, and must still complete the read. (It once
/// aborted the process there.) Whether the read has reached the kernel when the thread
/// exits is up to the scheduler, so this runs several rounds.
#[test]
fn k121_exit_after_earlier_completions_cancels_a_stream_read() {
    let (_dir, path) = temp_file(b"0123456789");
    let regular = AsyncFile::open(&path).unwrap();
    let (file, _write_end) = pipe();
    for _ in 0..20 {
        let event = manual_event();
        let thread = alertable::spawn({
            let (file, regular, event) = (file.clone(), regular.clone(), event.clone());
            move || {
                assert_eq!(regular.read(0, vec![0; 4]).unwrap().result(true), Ok(4));
                file.read_with_event(0, vec![0; 16], &event).unwrap()
            }
        })
        .unwrap();
        let op = thread.join().unwrap();
        wait_signaled(&event);
        assert_eq!(op.result(false), Err(IoError::Aborted));
    }
}

/// K115: a write larger than a pipe's free space, which nobody reads, stays pending until
/// it is cancelled, and then completes with `Aborted` — on the worker-thread backend too,
/// whose worker must not be stuck inside `write` out of the cancellation's reach.
#[test]
fn k115_a_write_to_a_full_pipe_can_be_cancelled() {
    let (read_end, write_end) = rustix::pipe::pipe().unwrap();
    let file = AsyncFile::from_fd(write_end).unwrap();
    let event = manual_event();
    let op = file.write_with_event(0, vec![7; 1 << 20], &event).unwrap();
    // Cancel once the write is under way: bytes have reached the pipe.
    let mut fds = [rustix::event::PollFd::new(
        &read_end,
        rustix::event::PollFlags::IN,
    )];
    rustix::event::poll(&mut fds, None).unwrap();
    assert_eq!(op.result(false), Err(IoError::Incomplete));
    assert_eq!(op.cancel(), Ok(()));
    wait_signaled(&event);
    assert_eq!(op.result(false), Err(IoError::Aborted));
    drop(read_end);
}

/// K121: a request that completed before its thread exited, the routine still queued
/// because the thread never waited alertably: the routine never runs, and leaves with the
/// thread — its closure is dropped at the exit, not kept alive by the `Operation`.
#[test]
fn k121_routine_queued_at_exit_is_dropped_with_the_thread() {
    let (_dir, path) = temp_file(b"data");
    let file = AsyncFile::open(&path).unwrap();
    let (signal_tx, signal_rx) = mpsc::channel();
    let thread = alertable::spawn(move || {
        let guard = DropSignal(signal_tx.clone());
        let op = file
            .read_ex(0, vec![0; 16], move |_, _| {
                let _guard = guard;
                signal_tx.send("ran").unwrap();
            })
            .unwrap();
        wait_complete(&op);
        op
    })
    .unwrap();
    let op = thread.join().unwrap();
    assert_eq!(op.result(false), Ok(4));
    assert_eq!(signal_rx.recv_timeout(LONG), Ok("dropped"));
    assert_eq!(
        signal_rx.recv_timeout(LONG),
        Err(RecvTimeoutError::Disconnected)
    );
    drop(op);
}

/// K118: cancelling is per file, not per handle: `cancel_io` through a clone of the file
/// cancels a read issued through another; dropping the handle a read was issued through
/// does not cancel it.
#[test]
fn k118_cancel_is_per_file_and_closing_a_handle_cancels_nothing() {
    let (file, write_end) = pipe();
    let issuing = file.clone();
    let op = issuing.read(0, vec![0; 16]).unwrap();
    assert_eq!(file.cancel_io(), Ok(()));
    assert_eq!(op.result(true), Err(IoError::Aborted));

    let issuing = file.clone();
    let (routine, rx) = routine_channel();
    let op = issuing.read_ex(0, vec![0; 16], routine).unwrap();
    drop(issuing);
    assert_no_apc_pending();
    assert_eq!(op.result(false), Err(IoError::Incomplete));
    feed(&write_end, b"kept");
    wait_complete(&op);
    run_apcs();
    assert_eq!(rx.try_recv(), Ok((Ok(4), b"kept".to_vec())));
}

/// K118: the last handle to a file may go while a read is pending: the read keeps the file
/// open and completes with the data written afterwards.
#[test]
fn k118_dropping_the_last_handle_keeps_a_pending_read_alive() {
    let (file, write_end) = pipe();
    let event = manual_event();
    let op = file.read_with_event(0, vec![0; 16], &event).unwrap();
    drop(file);
    assert_eq!(op.result(false), Err(IoError::Incomplete));
    feed(&write_end, b"kept");
    wait_signaled(&event);
    assert_eq!(op.result(false), Ok(4));
    assert_eq!(op.take_buffer().unwrap(), b"kept");
}

// ---------------------------------------------------------------------------------------
// Buffer ownership.

/// K116: a cancelled read hands its buffer back, empty, with its allocation.
#[test]
fn k116_cancelled_read_hands_back_its_buffer_empty() {
    let (file, _write_end) = pipe();
    let op = file.read(0, vec![0xAA; 4096]).unwrap();
    assert_eq!(op.cancel(), Ok(()));
    assert_eq!(op.result(true), Err(IoError::Aborted));
    let buffer = op.take_buffer().unwrap();
    assert!(buffer.is_empty());
    assert!(buffer.capacity() >= 4096, "the same allocation comes back");
    assert_eq!(op.take_buffer(), None);
}

/// J105: dropping the `Operation` of a pending request neither cancels it nor frees its
/// buffer under the kernel: data written later is consumed by it, the event is signaled
/// and the routine runs with the data.
#[test]
fn j105_dropped_pending_operations_still_complete_safely() {
    let (file, write_end) = pipe();
    let event = manual_event();
    drop(file.read_with_event(0, vec![0; 3], &event).unwrap());
    feed(&write_end, b"abc");
    wait_signaled(&event);

    let (routine, rx) = routine_channel();
    drop(file.read_ex(0, vec![0; 3], routine).unwrap());
    feed(&write_end, b"def");
    run_apcs();
    assert_eq!(rx.try_recv(), Ok((Ok(3), b"def".to_vec())));

    // Both dropped requests consumed their data: the next read sees only what follows.
    let op = file.read(0, vec![0; 16]).unwrap();
    feed(&write_end, b"xyz");
    assert_eq!(op.result(true), Ok(3));
    assert_eq!(op.take_buffer().unwrap(), b"xyz");
}

// ---------------------------------------------------------------------------------------
// Volume.

const STRESS_FILE_LEN: usize = 4 << 20;
const STRESS_READ_LEN: usize = 4096;
const STRESS_THREADS: usize = 4;
const STRESS_READS_PER_THREAD: usize = 250;

/// What one stress thread saw.
#[derive(Debug, Default)]
struct StressReport {
    /// How many times each read's routine ran.
    runs: Vec<usize>,
    /// Routines that got a wrong result or wrong data.
    bad_data: Vec<String>,
    /// Routines that ran on another thread than their issuer.
    wrong_thread: usize,
}

/// J93, J109: 1,000 concurrent 4 KiB reads at random offsets of a 4 MiB file, issued by
/// four threads with routines: every routine runs exactly once, on its issuer, with the
/// right data.
#[test]
fn j93_j109_stress_concurrent_reads_with_routines() {
    let (_dir, path) = temp_file(&pattern_bytes(0, STRESS_FILE_LEN));
    let file = AsyncFile::open(&path).unwrap();
    let start = Arc::new(Barrier::new(STRESS_THREADS));
    let threads: Vec<_> = (0..STRESS_THREADS)
        .map(|t| {
            let (file, start) = (file.clone(), start.clone());
            alertable::spawn(move || {
                let report = Arc::new(Mutex::new(StressReport {
                    runs: vec![0; STRESS_READS_PER_THREAD],
                    ..StressReport::default()
                }));
                let done = Arc::new(AtomicUsize::new(0));
                let issuer = alertable::current().id();
                let mut rng = Rng(0x1234_5678_9ABC_DEF0 ^ ((t as u64 + 1) * 0x9E37_79B9));
                let span = (STRESS_FILE_LEN - STRESS_READ_LEN + 1) as u64;
                start.wait();
                for i in 0..STRESS_READS_PER_THREAD {
                    let offset = rng.next() % span;
                    let (report, done) = (report.clone(), done.clone());
                    file.read_ex(offset, vec![0; STRESS_READ_LEN], move |result, buffer| {
                        let mut report = report.lock().unwrap();
                        report.runs[i] += 1;
                        if alertable::current().id() != issuer {
                            report.wrong_thread += 1;
                        }
                        if result != Ok(STRESS_READ_LEN)
                            || buffer != pattern_bytes(offset, STRESS_READ_LEN)
                        {
                            report
                                .bad_data
                                .push(format!("read {i} at {offset}: {result:?}"));
                        }
                        done.fetch_add(1, Ordering::SeqCst);
                    })
                    .unwrap();
                }
                while done.load(Ordering::SeqCst) < STRESS_READS_PER_THREAD {
                    assert_eq!(
                        sleep_ex(Some(LONG), Alertable::Yes),
                        SleepStatus::Alerted,
                        "thread {t}: {} of {STRESS_READS_PER_THREAD} routines ran",
                        done.load(Ordering::SeqCst)
                    );
                }
                assert_no_apc_pending();
                std::mem::take(&mut *report.lock().unwrap())
            })
            .unwrap()
        })
        .collect();
    for (t, thread) in threads.into_iter().enumerate() {
        let report = thread.join().unwrap();
        assert!(
            report.runs.iter().all(|&n| n == 1),
            "thread {t}: {:?}",
            report.runs
        );
        assert_eq!(report.wrong_thread, 0, "thread {t}");
        assert!(
            report.bad_data.is_empty(),
            "thread {t}: {:?}",
            report.bad_data
        );
    }
}

/// J93: one 1 MiB write then one 1 MiB read: each transfers everything at once.
#[test]
fn j93_one_mebibyte_written_and_read_back_in_one_request() {
    const LEN: usize = 1 << 20;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let file = AsyncFile::create(&path).unwrap();
    let data = pattern_bytes(0, LEN);
    let write = file.write(0, data.clone()).unwrap();
    assert_eq!(write.result(true), Ok(LEN));
    assert_eq!(
        write.take_buffer().unwrap(),
        data,
        "the buffer comes back unchanged"
    );
    assert!(
        std::fs::read(&path).unwrap() == data,
        "the file holds the data"
    );

    let read = file.read(0, vec![0; LEN]).unwrap();
    assert_eq!(read.result(true), Ok(LEN));
    assert!(
        read.take_buffer().unwrap() == data,
        "the read returns the data"
    );
}

// ---------------------------------------------------------------------------------------
// Opening files.

/// DESIGN (I/O): `from_fd` refuses a directory (`EISDIR`, Win32 access denied); so does
/// `open`.
#[test]
fn from_fd_refuses_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let fd: OwnedFd = std::fs::File::open(dir.path()).unwrap().into();
    let error = AsyncFile::from_fd(fd).unwrap_err();
    assert_eq!(
        error.raw_os_error(),
        Some(rustix::io::Errno::ISDIR.raw_os_error())
    );
    let error = AsyncFile::open(dir.path()).unwrap_err();
    assert_eq!(
        error.raw_os_error(),
        Some(rustix::io::Errno::ISDIR.raw_os_error())
    );
}

/// DESIGN (I/O): `open` on a missing path fails with `NotFound`.
#[test]
fn open_missing_path_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let missing: &Path = &dir.path().join("missing");
    let error = AsyncFile::open(missing).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
}

// ---------------------------------------------------------------------------------------
// Error codes.

/// J99, J114, K115, K116, J97: each error names its Win32 code: 38, 995, 996, 1168, 87, 5.
#[test]
fn j99_io_errors_carry_their_win32_codes() {
    let codes = [
        (IoError::EndOfFile, 38),
        (IoError::Aborted, 995),
        (IoError::Incomplete, 996),
        (IoError::NotFound, 1168),
        (IoError::InvalidParameter, 87),
        (IoError::AccessDenied, 5),
    ];
    for (error, code) in codes {
        assert_eq!(error.win32_error(), code, "{error:?}");
        let refusal = SubmitError {
            error,
            buffer: Vec::new(),
        };
        assert_eq!(refusal.win32_error(), code, "{error:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Backends.

/// DESIGN (I/O): the backend forced by `ALERTABLE_IO_BACKEND` is the one that serves.
#[test]
fn backend_is_the_one_the_environment_asks_for() {
    match std::env::var(BACKEND_VAR).as_deref() {
        Ok("threads") => assert_eq!(backend_name(), "threads"),
        Ok("io_uring") => assert_eq!(backend_name(), "io_uring"),
        _ => assert!(matches!(backend_name(), "io_uring" | "threads")),
    }
}

/// DESIGN (I/O): both backends behave the same: this suite, run again in a child process
/// forced onto the worker threads, passes there too.
#[test]
fn suite_passes_on_worker_threads() {
    if std::env::var_os(BACKEND_VAR).is_some() {
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .env(BACKEND_VAR, "threads")
        .args(["--skip", "suite_passes_on_worker_threads"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the suite failed on the worker threads ({})\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

/// K121: a request that completes after its thread's APC queue closed, while the thread is
/// still tearing down its thread-locals, drops its routine unrun — and the completing
/// thread carries on (no lock is held while the refused APC is dropped).
#[test]
fn k121_completion_during_thread_teardown_drops_the_routine() {
    struct BlockOnDrop(Option<(mpsc::Sender<()>, mpsc::Receiver<()>)>);
    impl Drop for BlockOnDrop {
        fn drop(&mut self) {
            if let Some((entered, proceed)) = self.0.take() {
                entered.send(()).unwrap();
                let _ = proceed.recv_timeout(LONG);
            }
        }
    }
    thread_local!(static TEARDOWN: std::cell::RefCell<BlockOnDrop> =
        const { std::cell::RefCell::new(BlockOnDrop(None)) });

    let (file, write_end) = pipe();
    let (entered_tx, entered_rx) = mpsc::channel();
    let (proceed_tx, proceed_rx) = mpsc::channel();
    let (signal_tx, signal_rx) = mpsc::channel();
    let (op_tx, op_rx) = mpsc::channel();
    let thread = alertable::spawn(move || {
        let guard = DropSignal(signal_tx.clone());
        let op = file
            .read_ex(0, vec![0; 16], move |_, _| {
                let _guard = guard;
                signal_tx.send("ran").unwrap();
            })
            .unwrap();
        op_tx.send(op).unwrap();
        // Registered after the request's bookkeeping, so it is torn down first.
        TEARDOWN.with(|t| *t.borrow_mut() = BlockOnDrop(Some((entered_tx, proceed_rx))));
    })
    .unwrap();
    let op = op_rx.recv_timeout(LONG).unwrap();
    entered_rx
        .recv_timeout(LONG)
        .expect("the thread reached its teardown");
    // The thread's APC queue is closed; its requests are not cancelled yet.
    feed(&write_end, b"late");
    wait_complete(&op);
    assert_eq!(op.result(false), Ok(4));
    assert_eq!(signal_rx.recv_timeout(LONG), Ok("dropped"));
    proceed_tx.send(()).unwrap();
    thread.join().unwrap();
    assert_eq!(
        signal_rx.recv_timeout(LONG),
        Err(RecvTimeoutError::Disconnected)
    );
}

// ---------------------------------------------------------------------------------------
// Ordering on streams, request ownership, and completion publication.

/// K117: two reads pending on one pipe are served in the order issued: the first gets the
/// data written first, the second the data written next.
#[test]
fn k117_pending_reads_on_a_stream_are_served_in_order() {
    for _ in 0..10 {
        let (file, write_end) = pipe();
        let first = file.read(0, vec![0; 16]).unwrap();
        let second = file.read(0, vec![0; 16]).unwrap();
        feed(&write_end, b"one");
        wait_complete(&first);
        assert_eq!(first.take_buffer().unwrap(), b"one");
        assert!(!second.is_complete(), "the second read waits for more data");
        feed(&write_end, b"two");
        wait_complete(&second);
        assert_eq!(second.take_buffer().unwrap(), b"two");
    }
}

/// J96: two writes queued on one pipe do not interleave, even when the first is written in
/// parts: the second's bytes follow all of the first's.
#[test]
fn j96_writes_on_a_stream_do_not_interleave() {
    const BIG: usize = 200 << 10;
    for _ in 0..5 {
        let (read_end, write_end) = rustix::pipe::pipe().unwrap();
        let file = AsyncFile::from_fd(write_end).unwrap();
        let big = file.write(0, vec![b'A'; BIG]).unwrap();
        let small = file.write(0, vec![b'B'; 10]).unwrap();
        let mut all = Vec::new();
        let mut buf = vec![0; 64 << 10];
        while all.len() < BIG + 10 {
            let n = rustix::io::read(&read_end, &mut buf).unwrap();
            all.extend_from_slice(&buf[..n]);
        }
        assert_eq!(big.result(true), Ok(BIG));
        assert_eq!(small.result(true), Ok(10));
        assert_eq!(all.iter().position(|&b| b == b'B'), Some(BIG));
    }
}

/// J96 with U5: an APC writes more than a pipe holds and waits for the write's event; the
/// rest of the write goes on although the APC's thread is blocked in the wait.
#[test]
fn j96_a_partial_write_issued_in_an_apc_goes_on_while_the_apc_waits() {
    const LEN: usize = 256 << 10;
    let (read_end, write_end) = rustix::pipe::pipe().unwrap();
    let file = AsyncFile::from_fd(write_end).unwrap();
    let reader = std::thread::spawn(move || {
        let mut got = 0;
        let mut buf = vec![0; 64 << 10];
        while got < LEN {
            got += rustix::io::read(&read_end, &mut buf).unwrap();
        }
        got
    });
    let (tx, rx) = mpsc::channel();
    alertable::current()
        .queue_apc(move || {
            let event = manual_event();
            let op = file.write_with_event(0, vec![7; LEN], &event).unwrap();
            let status = wait_one(&event, Some(LONG), Alertable::No);
            tx.send((status, op.result(false))).unwrap();
        })
        .unwrap();
    run_apcs();
    assert_eq!(rx.recv().unwrap(), (Ok(WaitStatus::Signaled(0)), Ok(LEN)));
    assert_eq!(reader.join().unwrap(), LEN);
}

/// J109/K121: a request issued from an APC, while another thread does I/O and exits,
/// belongs to its issuer only: the other thread's exit does not cancel it.
#[test]
fn k121_another_threads_exit_does_not_cancel_my_request() {
    let (_dir, path) = temp_file(b"");
    let other = AsyncFile::create(&path).unwrap();
    let (file, write_end) = pipe();
    let event = manual_event();
    let (tx, rx) = mpsc::channel();
    {
        let event = event.clone();
        alertable::current()
            .queue_apc(move || {
                tx.send(file.read_with_event(0, vec![0; 16], &event).unwrap())
                    .unwrap();
                let other = other.clone();
                std::thread::spawn(move || {
                    assert_eq!(other.write(0, b"x".to_vec()).unwrap().result(true), Ok(1));
                })
                .join()
                .unwrap();
            })
            .unwrap();
    }
    run_apcs();
    feed(&write_end, b"hello");
    wait_signaled(&event);
    assert_eq!(rx.recv().unwrap().result(false), Ok(5));
}

/// R3: a completion routine always finds its request complete, and the request never
/// reads as incomplete after its routine ran.
#[test]
fn r3_the_routine_sees_its_request_complete() {
    for _ in 0..300 {
        let (file, write_end) = pipe();
        let slot: Arc<Mutex<Option<Operation>>> = Arc::default();
        let (seen_tx, seen_rx) = mpsc::channel();
        let op = {
            let slot = slot.clone();
            file.read_ex(0, vec![0; 8], move |_, _| {
                let op = slot.lock().unwrap().clone().unwrap();
                seen_tx.send(op.is_complete()).unwrap();
            })
            .unwrap()
        };
        *slot.lock().unwrap() = Some(op.clone());
        let writer = std::thread::spawn(move || feed(&write_end, b"x"));
        run_apcs();
        assert!(seen_rx.recv().unwrap(), "complete inside the routine");
        assert_eq!(op.result(false), Ok(1), "and after it");
        writer.join().unwrap();
    }
}

/// K121: a read of a file that is not in the page cache, bound to a port without an
/// event, outlives the thread that issued it and completes whole.
#[test]
fn k121_a_port_read_from_disk_outlives_its_thread() {
    const LEN: usize = 4 << 20;
    let (_dir, path) = temp_file(&vec![0x5a; LEN]);
    {
        let file = std::fs::File::open(&path).unwrap();
        file.sync_all().unwrap();
        rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).unwrap();
    }
    let file = AsyncFile::open(&path).unwrap();
    let port = alertable_io::CompletionPort::new(0);
    port.associate(&file, 9).unwrap();
    let token = alertable::spawn(move || file.read(0, vec![0; LEN]).unwrap().token())
        .unwrap()
        .join()
        .unwrap();
    let packet = port.get(Some(LONG)).unwrap();
    assert_eq!((packet.token, packet.status), (token, Ok(LEN)));
    assert!(packet.buffer.unwrap().iter().all(|&b| b == 0x5a));
}

/// A request whose port is closed before it completes keeps its buffer for the
/// `Operation`.
#[test]
fn a_closed_port_leaves_the_buffer_with_the_request() {
    let (file, write_end) = pipe();
    let port = alertable_io::CompletionPort::new(0);
    port.associate(&file, 1).unwrap();
    let op = file.read(0, vec![0; 8]).unwrap();
    port.close();
    feed(&write_end, b"abc");
    assert_eq!(op.result(true), Ok(3));
    assert_eq!(op.take_buffer().unwrap(), b"abc");
}

/// Many requests waiting on streams do not hold up a request on a regular file (on the
/// worker-thread backend each waiting stream request occupies a worker).
#[test]
fn waiting_stream_requests_do_not_starve_file_requests() {
    let waiting: Vec<_> = (0..80)
        .map(|_| {
            let (file, write_end) = pipe();
            let op = file.read(0, vec![0; 4]).unwrap();
            (file, write_end, op)
        })
        .collect();
    let (_dir, path) = temp_file(b"file");
    let op = AsyncFile::open(&path).unwrap().read(0, vec![0; 8]).unwrap();
    wait_complete(&op);
    assert_eq!(op.result(false), Ok(4));
    for (_, write_end, op) in &waiting {
        feed(write_end, b"x");
        wait_complete(op);
    }
}

/// U5: a request issued inside an APC is handed to the kernel by `submit_deferred`, so code
/// that waits for it outside the library's waits sees it complete.
#[test]
fn submit_deferred_starts_a_request_issued_in_an_apc() {
    let (_dir, path) = temp_file(b"data");
    let file = AsyncFile::open(&path).unwrap();
    let (tx, rx) = mpsc::channel();
    alertable::current()
        .queue_apc(move || {
            let op = file.read(0, vec![0; 4]).unwrap();
            alertable_io::submit_deferred();
            // Spins, as a C program polling HasOverlappedIoCompleted would; the I/O must
            // have started without this thread blocking in a library wait.
            let deadline = std::time::Instant::now() + LONG;
            while !op.is_complete() && std::time::Instant::now() < deadline {
                std::thread::yield_now();
            }
            tx.send(op.result(false)).unwrap();
        })
        .unwrap();
    run_apcs();
    assert_eq!(rx.recv().unwrap(), Ok(4));
}
