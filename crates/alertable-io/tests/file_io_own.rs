//! Completion routines of requests their issuing thread completes itself (O1–O4 of
//! `op.rs`), and files registered with the ring (F1–F3 of `uring.rs`): the routines keep
//! their place in the thread's APC FIFO (J109) through nested alertable waits and panics,
//! are dropped unrun when the thread exits (K121), and a registered file's slot never
//! lets one file's request reach another file.
//!
//! Reads of page-cached data complete inside the issuing call (J102), on the issuing
//! thread, so every routine below is of that kind. Runs on the backend the process picks;
//! CI runs it again with `ALERTABLE_IO_BACKEND=threads`.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alertable::{Alertable, SleepStatus, sleep_ex};
use alertable_io::{AsyncFile, IoError, IssueStatus};

/// A hang guard: never reached in a passing run.
const LONG: Duration = Duration::from_secs(20);

/// A file holding `contents`, read once so that its data is in the page cache.
fn cached_file(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> AsyncFile {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), contents);
    AsyncFile::open(&path).unwrap()
}

/// A log of what ran, in order.
type Log = Arc<Mutex<Vec<String>>>;

/// A routine that logs `name`, the result and the bytes read.
fn logging(log: &Log, name: &str) -> impl FnOnce(Result<usize, IoError>, Vec<u8>) + Send + use<> {
    let (log, name) = (log.clone(), name.to_owned());
    move |result, buffer| {
        let entry = format!("{name} {result:?} {}", String::from_utf8_lossy(&buffer));
        log.lock().unwrap().push(entry);
    }
}

/// J109, O2: routines of reads that completed inside their calls and APCs queued between
/// those calls run in the order they were queued, also when the first routine waits
/// alertably itself: its nested wait runs the rest, in order, before it goes on.
#[test]
fn j109_own_routines_keep_their_fifo_place_through_a_nested_wait() {
    let dir = tempfile::tempdir().unwrap();
    let file = cached_file(&dir, "f", b"abcdef");
    let me = alertable::current();
    for round in 0..200 {
        let log: Log = Arc::new(Mutex::new(Vec::new()));
        let nested = {
            let log = log.clone();
            move |result: Result<usize, IoError>, _: Vec<u8>| {
                log.lock().unwrap().push(format!("r1 {result:?} begins"));
                assert_eq!(
                    sleep_ex(Some(Duration::ZERO), Alertable::Yes),
                    SleepStatus::Alerted
                );
                log.lock().unwrap().push("r1 ends".to_owned());
            }
        };
        let r1 = file.read_ex(0, vec![0; 2], nested).unwrap();
        me.queue_apc({
            let log = log.clone();
            move || log.lock().unwrap().push("apc a".to_owned())
        })
        .unwrap();
        let r2 = file.read_ex(2, vec![0; 2], logging(&log, "r2")).unwrap();
        me.queue_apc({
            let log = log.clone();
            move || log.lock().unwrap().push("apc b".to_owned())
        })
        .unwrap();
        let r3 = file.read_ex(4, vec![0; 2], logging(&log, "r3")).unwrap();
        for op in [&r1, &r2, &r3] {
            assert_eq!(op.issue_status(), IssueStatus::Completed, "round {round}");
        }
        assert!(
            log.lock().unwrap().is_empty(),
            "no routine runs in its call"
        );
        assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
        assert_eq!(
            *log.lock().unwrap(),
            [
                "r1 Ok(2) begins",
                "apc a",
                "r2 Ok(2) cd",
                "apc b",
                "r3 Ok(2) ef",
                "r1 ends"
            ],
            "round {round}"
        );
        assert_eq!(
            sleep_ex(Some(Duration::ZERO), Alertable::Yes),
            SleepStatus::Elapsed,
            "round {round}: nothing left over"
        );
    }
}

/// O2: a routine that panics unwinds out of the wait; the routines queued after it stay
/// queued, in order, for the next alertable wait, and an APC queued before that wait runs
/// after them.
#[test]
fn a_panicking_own_routine_leaves_the_rest_queued_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = cached_file(&dir, "f", b"abcdef");
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    file.read_ex(0, vec![0; 2], |_, _| {
        panic!("a routine that panics (expected by this test)")
    })
    .unwrap();
    file.read_ex(2, vec![0; 2], logging(&log, "r2")).unwrap();
    file.read_ex(4, vec![0; 2], logging(&log, "r3")).unwrap();
    let unwound = catch_unwind(AssertUnwindSafe(|| sleep_ex(Some(LONG), Alertable::Yes)));
    assert!(
        unwound.is_err(),
        "the routine's panic unwound out of the wait"
    );
    assert!(log.lock().unwrap().is_empty());
    alertable::current()
        .queue_apc({
            let log = log.clone();
            move || log.lock().unwrap().push("apc".to_owned())
        })
        .unwrap();
    assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
    assert_eq!(*log.lock().unwrap(), ["r2 Ok(2) cd", "r3 Ok(2) ef", "apc"]);
}

/// K121, O2: a thread that exits with routines of completed reads still queued never runs
/// them, and each routine's captures are dropped (by the time the thread is joined).
#[test]
fn k121_own_routines_queued_at_exit_are_dropped_unrun() {
    let dir = tempfile::tempdir().unwrap();
    let file = cached_file(&dir, "f", b"abcdef");
    let ran = Arc::new(AtomicUsize::new(0));
    let captured = Arc::new(());
    {
        let (ran, captured) = (ran.clone(), captured.clone());
        alertable::spawn(move || {
            for at in 0..6 {
                let (ran, captured) = (ran.clone(), captured.clone());
                let op = file
                    .read_ex(at, vec![0; 1], move |_, _| {
                        let _captured = &captured;
                        ran.fetch_add(1, Ordering::SeqCst);
                    })
                    .unwrap();
                assert_eq!(op.issue_status(), IssueStatus::Completed);
            }
        })
        .unwrap()
        .join()
        .unwrap();
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0, "no routine ran");
    assert_eq!(
        Arc::strong_count(&captured),
        1,
        "every routine was dropped, with its captures"
    );
}

/// More than the reads a file has before the ring registers it (`FIXED_AFTER` of
/// `uring.rs`).
const READS_TO_REGISTER: usize = 70;

/// F1, F2: a file's registered slot goes with the file and is reused by later files;
/// every read reaches its own file's data. More files than the table holds (F3) are read
/// at the end, each through its own slot or descriptor. The reads go to the ring in
/// batches (U10 leaves a lone read to `preadv2`), enough of them to register each file.
#[test]
fn registered_files_never_reach_each_others_data() {
    let dir = tempfile::tempdir().unwrap();
    let all_read = |file: &AsyncFile, contents: &[u8]| {
        let reads = read_in_a_drain(file, READS_TO_REGISTER);
        assert!(
            reads
                .iter()
                .all(|(result, data)| *result == Ok(8) && data == contents),
            "a read reached another file's data: {reads:?}"
        );
    };
    // One file at a time: each takes the slot the one before it left.
    for i in 0..20_u64 {
        let file = cached_file(&dir, "one", &i.to_le_bytes());
        all_read(&file, &i.to_le_bytes());
        all_read(&file, &i.to_le_bytes());
    }
    // Many at once: more than the table's 256 slots.
    let files: Vec<AsyncFile> = (0..260_u64)
        .map(|i| cached_file(&dir, &format!("many-{i}"), &i.to_le_bytes()))
        .collect();
    for _ in 0..2 {
        for (i, file) in files.iter().enumerate() {
            all_read(file, &(i as u64).to_le_bytes());
        }
    }
}

/// Tokens stay unique across threads, each of which takes them in blocks.
#[test]
fn tokens_are_unique_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = cached_file(&dir, "f", b"x");
    let tokens: Vec<Vec<usize>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let file = &file;
                scope.spawn(move || {
                    (0..1_000)
                        .map(|_| file.read(0, vec![0; 1]).unwrap().token())
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let all: HashSet<usize> = tokens.iter().flatten().copied().collect();
    assert_eq!(all.len(), 4_000);
}

/// U10, J100, J101: a read its thread issues alone — outside a drain, or as the one read a
/// routine issues — completes as before whether the page cache holds all of it, part of
/// it (it stops at the end of the file) or none (it starts at the end): whole, short, and
/// `EndOfFile`, in that order.
#[test]
fn u10_reads_issued_alone_complete_whole_short_and_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let file = cached_file(&dir, "f", b"0123456789");
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let chained = {
        let (file, log) = (file.clone(), log.clone());
        move |result: Result<usize, IoError>, buffer: Vec<u8>| {
            let entry = format!("first {result:?} {}", String::from_utf8_lossy(&buffer));
            log.lock().unwrap().push(entry);
            // From the routine: the drain's only read, past the end in part.
            let (file2, log2) = (file.clone(), log.clone());
            file.read_ex(6, vec![0; 8], move |result, buffer| {
                logging(&log2, "short")(result, buffer);
                // And one at the end of the file.
                file2
                    .read_ex(10, vec![0; 8], logging(&log2, "end"))
                    .unwrap();
            })
            .unwrap();
        }
    };
    file.read_ex(0, vec![0; 4], chained).unwrap();
    while log.lock().unwrap().len() < 3 {
        assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
    }
    assert_eq!(
        *log.lock().unwrap(),
        [
            "first Ok(4) 0123",
            "short Ok(4) 6789",
            "end Err(EndOfFile) "
        ]
    );
}

/// Reads the first 8 bytes of `file` `n` times from one APC drain, so that the reads go
/// to the ring together (U10 leaves a lone read to `preadv2`), and returns what the
/// routines got.
fn read_in_a_drain(file: &AsyncFile, n: usize) -> Vec<(Result<usize, IoError>, Vec<u8>)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let file = file.clone();
    alertable::current()
        .queue_apc(move || {
            for _ in 0..n {
                let tx = tx.clone();
                file.read_ex(0, vec![0; 8], move |result, buffer| {
                    tx.send((result, buffer)).unwrap();
                })
                .unwrap();
            }
        })
        .unwrap();
    let mut got = Vec::new();
    while got.len() < n {
        assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
        got.extend(rx.try_iter());
    }
    got
}

/// F4: a child of `fork` shares the ring, and its table of registered files, with its
/// parent; a file it drops must leave the parent's slot alone, or the parent's next reads
/// of that file through the ring fail (`EBADF`: the slot was cleared).
#[test]
fn f4_a_forked_child_dropping_a_file_leaves_the_parents_slot_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = cached_file(&dir, "f", b"parent!!");
    let expected = |n| vec![(Ok(8), b"parent!!".to_vec()); n];
    // Enough requests to register the file (on io_uring).
    assert_eq!(
        read_in_a_drain(&file, READS_TO_REGISTER),
        expected(READS_TO_REGISTER)
    );
    // SAFETY: the child drops its copy of `file` (the last reference there) and leaves
    // with `_exit`, touching nothing else of the parent's state and running no exit
    // handlers; the parent only waits for it.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        drop(file);
        // SAFETY: ends the child at once, as `fork`'s child must in a threaded process.
        unsafe { libc::_exit(0) };
    }
    assert!(pid > 0, "fork failed");
    let mut status = 0;
    // SAFETY: waits for the child made above; `status` is a local it writes.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    assert_eq!(read_in_a_drain(&file, 2), expected(2));
}

/// Issues a chain of `n` reads of `file` from this thread, each from the routine of the one
/// before (so that each routine's request goes back to the pool, O4), and runs it to its
/// end in alertable waits.
fn read_in_a_chain(file: &AsyncFile, n: usize) {
    fn next(file: AsyncFile, left: Arc<AtomicUsize>, buffer: Vec<u8>) {
        if left.load(Ordering::SeqCst) == 0 {
            return;
        }
        left.fetch_sub(1, Ordering::SeqCst);
        let again = file.clone();
        file.read_ex(0, buffer, move |result, mut buffer| {
            assert_eq!(result, Ok(4));
            buffer.resize(4, 0);
            next(again, left, buffer);
        })
        .unwrap();
    }
    let left = Arc::new(AtomicUsize::new(n));
    next(file.clone(), left.clone(), vec![0; 4]);
    while left.load(Ordering::SeqCst) > 0 {
        assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
    }
}

/// Two cached files, "a" holding `aaaa` and "b" holding `bbbb`, with their paths and
/// descriptors (for `open_on`).
fn files_a_and_b(
    dir: &tempfile::TempDir,
) -> (
    [AsyncFile; 2],
    [std::path::PathBuf; 2],
    [std::os::fd::RawFd; 2],
) {
    let files = [
        cached_file(dir, "a", b"aaaa"),
        cached_file(dir, "b", b"bbbb"),
    ];
    let paths = ["a", "b"].map(|name| dir.path().join(name).canonicalize().unwrap());
    let fds = [&files[0], &files[1]].map(std::os::fd::AsRawFd::as_raw_fd);
    (files, paths, fds)
}

/// Whether this process has `fd` open on `path`.
fn open_on(fd: std::os::fd::RawFd, path: &std::path::Path) -> bool {
    std::fs::read_link(format!("/proc/self/fd/{fd}")).is_ok_and(|target| target == path)
}

/// R4, R5, O4: the requests a routine chain reuses (kept whole while their routines run,
/// then put back in the thread's pool) keep their slots in the thread's list of issued
/// requests: the list still finds what the thread has in flight (`cancel_io` aborts a
/// pending pipe read issued after the chain, K115), pooled requests hold no file (a file
/// whose reads are done closes when it is dropped), and the thread's exit cancels what is
/// left in flight (K121).
#[test]
fn r4_pooled_requests_leave_cancel_io_exit_and_closing_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let file = cached_file(&dir, "f", b"abcd");
    let path = dir.path().join("f").canonicalize().unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    let (read_end, write_end) = rustix::pipe::pipe().unwrap();
    let pipe = AsyncFile::from_fd(read_end).unwrap();
    let (left_pending, ran_at_exit) = alertable::spawn(move || {
        read_in_a_chain(&file, 100);
        // Every request of the chain is pooled now; a pipe read waits.
        let (tx, rx) = std::sync::mpsc::channel();
        let pending = pipe
            .read_ex(0, vec![0; 4], move |result, _| tx.send(result).unwrap())
            .unwrap();
        assert_eq!(pending.issue_status(), IssueStatus::Pending);
        assert_eq!(pipe.cancel_io(), Ok(()));
        assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
        assert_eq!(rx.try_recv(), Ok(Err(IoError::Aborted)));
        // Another chain, then the file goes: nothing of this thread keeps it open.
        read_in_a_chain(&file, 100);
        assert!(open_on(fd, &path));
        drop(file);
        assert!(!open_on(fd, &path), "a pooled request kept the file open");
        // A read left pending when the thread exits is cancelled; its routine never runs.
        let ran = Arc::new(AtomicUsize::new(0));
        let left = {
            let ran = ran.clone();
            pipe.read_ex(0, vec![0; 4], move |_, _| {
                ran.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap()
        };
        (left, ran)
    })
    .unwrap()
    .join()
    .unwrap();
    assert_eq!(left_pending.result(true), Err(IoError::Aborted));
    assert_eq!(ran_at_exit.load(Ordering::SeqCst), 0);
    drop(write_end);
}

/// L1–L3 of `lend.rs`: a read a routine issues waits for the end of the drain in its
/// thread's list, which borrows the reference of the handle the call returns. Whatever
/// becomes of the handle — dropped at once, kept past the flush, cloned with the clone
/// dropped, or sent to another thread that waits on it or drops it while the read may
/// still be listed — every read completes once with its data, every handle sees its
/// result, and once all is done no reference is left over (a request holds its file, and
/// the file closes).
#[test]
fn l2_handles_of_deferred_reads_dropped_kept_cloned_or_sent_away() {
    const ROUNDS: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let file = cached_file(&dir, "f", b"abcd");
    let path = dir.path().join("f").canonicalize().unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    let (tx, rx) = std::sync::mpsc::channel::<alertable_io::Operation>();
    let elsewhere = std::thread::spawn(move || {
        let mut seen = 0;
        for op in rx {
            if seen % 2 == 0 {
                assert_eq!(op.result(true), Ok(4));
            }
            seen += 1;
        }
        seen
    });
    let ran = alertable::spawn(move || {
        let ran = Arc::new(AtomicUsize::new(0));
        let kept = Arc::new(Mutex::new(Vec::new()));
        for round in 1..=ROUNDS {
            let (file, ran_here, kept, tx) = (file.clone(), ran.clone(), kept.clone(), tx.clone());
            // The four reads are issued in one APC, so in one drain, and go to the
            // kernel together when it ends.
            alertable::current()
                .queue_apc(move || {
                    let counted = || {
                        let ran = ran_here.clone();
                        move |result: Result<usize, IoError>, buffer: Vec<u8>| {
                            assert_eq!((result, buffer.as_slice()), (Ok(4), &b"abcd"[..]));
                            ran.fetch_add(1, Ordering::SeqCst);
                        }
                    };
                    drop(file.read_ex(0, vec![0; 4], counted()).unwrap());
                    kept.lock()
                        .unwrap()
                        .push(file.read_ex(0, vec![0; 4], counted()).unwrap());
                    drop(file.read_ex(0, vec![0; 4], counted()).unwrap().clone());
                    tx.send(file.read_ex(0, vec![0; 4], counted()).unwrap())
                        .unwrap();
                })
                .unwrap();
            while ran.load(Ordering::SeqCst) < round * 4 {
                assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
            }
        }
        for op in kept.lock().unwrap().drain(..) {
            assert_eq!(op.result(false), Ok(4), "a handle kept past the flush");
        }
        ran.load(Ordering::SeqCst)
    })
    .unwrap()
    .join()
    .unwrap();
    assert_eq!(ran, ROUNDS * 4);
    assert_eq!(elsewhere.join().unwrap(), ROUNDS);
    assert!(
        !open_on(fd, &path),
        "a reference to a request was left over"
    );
}

/// R4, O4: a request its thread completed is kept whole while its routine runs, for the
/// read the routine issues on the same file. A routine that reads another file instead,
/// or waits alertably and so runs the next routines inside it, gets the right data every
/// time, and once the routines are done no request keeps either file open.
#[test]
fn o4_routines_alternating_files_and_nesting_waits_leave_no_file_open() {
    let dir = tempfile::tempdir().unwrap();
    let ([a, b], paths, fds) = files_a_and_b(&dir);
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let logged = log.clone();
    alertable::spawn(move || {
        /// Reads `files[at % 2]`; its routine logs, then reads the other file, and every
        /// third one waits alertably first, running the routines queued meanwhile.
        fn next(files: Arc<[AsyncFile; 2]>, at: usize, left: usize, log: Log) {
            if left == 0 {
                return;
            }
            let file = files[at % 2].clone();
            file.read_ex(0, vec![0; 4], move |result, buffer| {
                let name = if at % 2 == 0 { "a" } else { "b" };
                log.lock().unwrap().push(format!(
                    "{name} {result:?} {}",
                    String::from_utf8_lossy(&buffer)
                ));
                if left % 3 == 0 {
                    sleep_ex(Some(Duration::ZERO), Alertable::Yes);
                }
                next(files, at + 1, left - 1, log);
            })
            .unwrap();
        }
        let files = Arc::new([a, b]);
        next(files.clone(), 0, 60, logged.clone());
        next(files, 1, 60, logged.clone());
        while logged.lock().unwrap().len() < 120 {
            assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
        }
        // The routines are done, and with them every handle to the files; this thread,
        // still running, keeps no request that holds one.
        for (fd, path) in fds.iter().zip(&paths) {
            assert!(
                !open_on(*fd, path),
                "a kept request held {}",
                path.display()
            );
        }
    })
    .unwrap()
    .join()
    .unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 120);
    for entry in log.iter() {
        assert!(
            entry == "a Ok(4) aaaa" || entry == "b Ok(4) bbbb",
            "a routine got another file's data: {entry}"
        );
    }
}

/// R4, O4: a routine's request is kept whole while the routine runs, and no longer: once
/// a routine that waited alertably (running another routine inside it) has returned, its
/// file closes with its last handle, and a routine that panics leaves nothing kept. (That
/// a nested routine's request takes the enclosing one's place is unit-tested in `op.rs`.)
#[test]
fn o4_kept_requests_end_with_their_routines_nested_or_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let ([a, b], paths, fds) = files_a_and_b(&dir);
    alertable::spawn(move || {
        let ran: Log = Arc::new(Mutex::new(Vec::new()));
        let log = ran.clone();
        a.read_ex(0, vec![0; 4], move |result, _| {
            assert_eq!(result, Ok(4));
            // b's routine runs inside this wait.
            sleep_ex(Some(Duration::ZERO), Alertable::Yes);
            log.lock().unwrap().push("a".to_owned());
        })
        .unwrap();
        b.read_ex(0, vec![0; 4], logging(&ran, "b")).unwrap();
        drop(a);
        assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
        assert_eq!(*ran.lock().unwrap(), ["b Ok(4) bbbb", "a"]);
        assert!(!open_on(fds[0], &paths[0]), "a kept request held file a");
        // A routine that panics: its request is not left kept, and the file closes with
        // its last handle.
        b.read_ex(0, vec![0; 4], |_, _| {
            panic!("a routine that panics (expected by this test)")
        })
        .unwrap();
        let unwound = catch_unwind(AssertUnwindSafe(|| sleep_ex(Some(LONG), Alertable::Yes)));
        assert!(unwound.is_err());
        drop(b);
        assert!(
            !open_on(fds[1], &paths[1]),
            "a panicking routine's request kept file b"
        );
    })
    .unwrap()
    .join()
    .unwrap();
}
