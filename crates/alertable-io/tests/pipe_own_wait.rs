//! A pipe read that waits stays with the thread that issued it, whose waits in the library
//! sleep on the pipe and complete the read themselves (`held.rs`): the routine runs once,
//! and only in an alertable wait (J92, J93, J95, J105); a read whose thread does not wait
//! in the library, or that another thread waits for or polls, still completes, through
//! the backend; cancellation (995, K115) and a peer's close (109, J107) reach a thread
//! asleep in its poll.
//!
//! `alertable_io::completed_by_own_wait()` counts, per thread, the requests that thread
//! completed in its own wait; the tests use it to tell the two paths apart. The suite runs
//! on the backend the process picks and once more in a child process forced onto the
//! worker threads (`own_wait_suite_passes_on_worker_threads`).

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use alertable::{Alertable, SleepStatus, WaitStatus, sleep_ex};
use alertable_io::pipe::{self, NamedPipe, PipeAccess, PipeOptions, PipeType, ReadMode};
use alertable_io::{AsyncFile, IoError, IssueStatus, Operation, completed_by_own_wait};

const BACKEND_VAR: &str = "ALERTABLE_IO_BACKEND";
/// A hang guard: never reached in a passing run.
const LONG: Duration = Duration::from_secs(20);

fn unique_name(tag: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        r"\\.\pipe\alertable-own-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A message pipe's server and its client, connected.
fn connected() -> (NamedPipe, AsyncFile) {
    let name = unique_name("pair");
    let options = PipeOptions {
        pipe_type: PipeType::Message,
        read_mode: ReadMode::Message,
        ..PipeOptions::default()
    };
    let server = NamedPipe::create(&name, &options).unwrap();
    let client = pipe::open(&name, PipeAccess::Duplex).unwrap();
    server.connect_blocking().unwrap();
    (server, client)
}

/// What the routines of a test saw: each call's result and bytes.
type Calls = Arc<Mutex<Vec<(Result<usize, IoError>, Vec<u8>)>>>;

fn calls() -> Calls {
    Arc::new(Mutex::new(Vec::new()))
}

/// Issues a 16-byte routine read on `server` whose routine records what it saw.
fn read_recorded(server: &NamedPipe) -> (Calls, Operation) {
    let seen = calls();
    let s = seen.clone();
    let op = server
        .read_ex(0, vec![0; 16], move |result, buf| {
            s.lock().unwrap().push((result, buf));
        })
        .unwrap();
    (seen, op)
}

/// Waits until thread `tid` of this process sleeps in `ppoll` (its `/proc` entry shows the
/// system call it is blocked in): the only way to know it sleeps there, and not on the
/// futex or on its way in.
fn wait_until_in_ppoll(tid: i32) {
    let path = format!("/proc/self/task/{tid}/syscall");
    let ppoll = libc::SYS_ppoll.to_string();
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.split_whitespace().next() == Some(ppoll.as_str()) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "thread {tid} never slept in ppoll: {text}"
        );
        std::thread::yield_now();
    }
}

/// Starts a thread that waits until thread `tid` sleeps in `ppoll`, then writes `message`
/// to `client` and waits for the write; it returns the client, to be dropped after the
/// reader is done.
fn write_once_asleep(
    tid: i32,
    client: AsyncFile,
    message: &'static [u8],
) -> std::thread::JoinHandle<AsyncFile> {
    std::thread::spawn(move || {
        wait_until_in_ppoll(tid);
        let written = client.write(0, message.to_vec()).unwrap().result(true);
        assert_eq!(written, Ok(message.len()));
        client
    })
}

/// An alertable sleep that something ends before its timeout: it must be woken, not end
/// because the timeout passed.
#[track_caller]
fn sleep_until_woken() {
    let start = std::time::Instant::now();
    assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
    assert!(start.elapsed() < LONG, "woken only by the timeout");
}

fn gettid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// J92, J95, J105: a routine read that finds nothing stays pending; the peer's message
/// completes it in its own thread's wait, even a non-alertable one (the request shows
/// complete), and the routine runs exactly once, in the next alertable wait only.
#[test]
fn routine_read_completes_in_its_threads_own_wait_and_runs_once_alertably() {
    let (server, client) = connected();
    let before = completed_by_own_wait();
    let (seen, op) = read_recorded(&server);
    assert_eq!(op.issue_status(), IssueStatus::Pending);
    let me = gettid();
    let writer = write_once_asleep(me, client, b"hello");
    // Not alertable: the read completes here, its routine does not run.
    assert_eq!(
        op.wait(Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(
        completed_by_own_wait(),
        before + 1,
        "completed by this thread's own wait, not by the backend"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "no routine outside an alertable wait"
    );
    sleep_until_woken();
    assert_eq!(*seen.lock().unwrap(), vec![(Ok(5), b"hello".to_vec())]);
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Elapsed,
        "the routine runs once"
    );
    drop(writer.join().unwrap());
}

/// J93: the same read, completed while its thread sleeps alertably in `sleep_ex`: the
/// sleep ends with the routine run, once, by the thread's own poll.
#[test]
fn routine_read_ends_an_alertable_sleep_of_its_thread() {
    let (server, client) = connected();
    let before = completed_by_own_wait();
    let (seen, _) = read_recorded(&server);
    let me = gettid();
    let writer = write_once_asleep(me, client, b"ping");
    sleep_until_woken();
    assert_eq!(*seen.lock().unwrap(), vec![(Ok(4), b"ping".to_vec())]);
    assert_eq!(completed_by_own_wait(), before + 1);
    drop(writer.join().unwrap());
}

/// J105: a poll-style read whose thread then blocks outside the library, while another
/// thread waits for it: that wait hands it to the backend, which completes it.
#[test]
fn read_waited_for_by_another_thread_completes_through_the_backend() {
    let (server, client) = connected();
    let before = completed_by_own_wait();
    let op = server.read(0, vec![0; 16]).unwrap();
    assert_eq!(op.issue_status(), IssueStatus::Pending);
    let (done_tx, done_rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        assert_eq!(
            client.write(0, b"abc".to_vec()).unwrap().result(true),
            Ok(3)
        );
        assert_eq!(op.result(true), Ok(3));
        assert_eq!(op.take_buffer().unwrap(), b"abc");
        done_tx.send(()).unwrap();
        client
    });
    // Blocked outside the library: this thread never attempts the read.
    done_rx.recv_timeout(LONG).unwrap();
    assert_eq!(completed_by_own_wait(), before);
    drop(waiter.join().unwrap());
}

/// J105: a routine read whose thread does not wait at all, but polls the request: the
/// poll hands it to the backend, the request completes, and the routine still runs once,
/// at the next alertable wait.
#[test]
fn read_polled_by_its_thread_completes_through_the_backend() {
    let (server, client) = connected();
    let before = completed_by_own_wait();
    let (seen, op) = read_recorded(&server);
    assert!(!op.is_complete());
    assert_eq!(
        client.write(0, b"xyz".to_vec()).unwrap().result(true),
        Ok(3)
    );
    let deadline = std::time::Instant::now() + LONG;
    while !op.is_complete() {
        assert!(std::time::Instant::now() < deadline, "never completed");
        std::thread::yield_now();
    }
    assert_eq!(completed_by_own_wait(), before);
    assert!(seen.lock().unwrap().is_empty());
    sleep_until_woken();
    assert_eq!(*seen.lock().unwrap(), vec![(Ok(3), b"xyz".to_vec())]);
}

/// A non-alertable `sleep_ex` does not watch the pipe: a read held by its thread goes to
/// the backend before the sleep, so that the read completes whatever the thread does
/// next; here it waits for the read afterwards, and the backend, not its own wait,
/// completes it.
#[test]
fn read_goes_to_the_backend_when_its_thread_sleeps_not_alertably() {
    let (server, client) = connected();
    let before = completed_by_own_wait();
    let op = server.read(0, vec![0; 16]).unwrap();
    assert_eq!(op.issue_status(), IssueStatus::Pending);
    sleep_ex(Some(Duration::from_millis(1)), Alertable::No);
    let writer = std::thread::spawn(move || {
        assert_eq!(client.write(0, b"zz".to_vec()).unwrap().result(true), Ok(2));
        client
    });
    assert_eq!(op.result(true), Ok(2));
    assert_eq!(completed_by_own_wait(), before, "the backend completed it");
    drop(writer.join().unwrap());
}

/// K115, J99: a cancel from another thread reaches a read whose thread sleeps alertably in
/// its poll: the routine runs there with `ERROR_OPERATION_ABORTED`, once.
#[test]
fn cancel_reaches_a_thread_asleep_in_its_poll() {
    let (server, _client) = connected();
    let (seen, op) = read_recorded(&server);
    let me = gettid();
    let canceller = std::thread::spawn(move || {
        wait_until_in_ppoll(me);
        op.cancel().unwrap();
    });
    sleep_until_woken();
    canceller.join().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, Err(IoError::Aborted));
    assert_eq!(seen[0].0.unwrap_err().win32_error(), 995);
}

/// J107: the client closes while the server's thread sleeps in its poll: the pending read
/// completes with `ERROR_BROKEN_PIPE` (109) there, and its routine runs once.
#[test]
fn peer_close_reaches_a_thread_asleep_in_its_poll() {
    let (server, client) = connected();
    let before = completed_by_own_wait();
    let (seen, _) = read_recorded(&server);
    let me = gettid();
    let closer = std::thread::spawn(move || {
        wait_until_in_ppoll(me);
        drop(client);
    });
    sleep_until_woken();
    closer.join().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0.unwrap_err().win32_error(), 109);
    assert_eq!(completed_by_own_wait(), before + 1);
}

/// An APC from another thread ends the alertable sleep of a thread asleep in its poll
/// (parker P5), and the read stays pending and held for the next wait.
#[test]
fn apc_reaches_a_thread_asleep_in_its_poll() {
    let (server, client) = connected();
    let before = completed_by_own_wait();
    let (seen, _) = read_recorded(&server);
    let me = alertable::current();
    let tid = gettid();
    let (ran_tx, ran_rx) = mpsc::channel();
    let queuer = std::thread::spawn(move || {
        wait_until_in_ppoll(tid);
        me.queue_apc(move || ran_tx.send(()).unwrap()).unwrap();
    });
    sleep_until_woken();
    ran_rx.try_recv().unwrap();
    queuer.join().unwrap();
    assert!(seen.lock().unwrap().is_empty());
    let writer = write_once_asleep(tid, client, b"later");
    sleep_until_woken();
    assert_eq!(*seen.lock().unwrap(), vec![(Ok(5), b"later".to_vec())]);
    assert_eq!(completed_by_own_wait(), before + 1);
    drop(writer.join().unwrap());
}

/// H1–H5 under contention: a message and a cancel race a thread that sleeps alertably on
/// its read, many times over; every read's routine runs exactly once, with the message or
/// with `ERROR_OPERATION_ABORTED`, and a message not taken by a cancelled read is taken
/// by the next read.
#[test]
fn cancel_racing_a_message_completes_each_read_once() {
    let (server, client) = connected();
    let client = Arc::new(client);
    const ROUNDS: usize = 200;
    for round in 0..ROUNDS {
        let (seen, op) = read_recorded(&server);
        let c = client.clone();
        let racer = std::thread::spawn(move || {
            let message = format!("m{round}").into_bytes();
            let w = c.write(0, message).unwrap();
            let _ = op.cancel();
            assert!(w.result(true).is_ok());
        });
        while seen.lock().unwrap().is_empty() {
            sleep_ex(Some(LONG), Alertable::Yes);
        }
        racer.join().unwrap();
        assert_eq!(
            sleep_ex(Some(Duration::ZERO), Alertable::Yes),
            SleepStatus::Elapsed
        );
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "round {round}: one routine");
        match &seen[0] {
            (Ok(n), buf) => {
                assert_eq!(&buf[..*n], format!("m{round}").as_bytes());
            }
            (Err(IoError::Aborted), _) => {
                // The message waits for the next read: taken at once at its issue.
                let r = server.read(0, vec![0; 16]).unwrap();
                assert_eq!(
                    r.result(true).map(|_| r.take_buffer().unwrap()),
                    Ok(format!("m{round}").into_bytes())
                );
            }
            other => panic!("round {round}: {other:?}"),
        }
    }
}

/// A thread that turns to an event loop of its own (an `ApcNotifier`) gives its held read
/// to the backend: the loop, which never waits in the library, still gets the routine's
/// APC through the descriptor, and runs it once.
#[test]
fn read_held_before_an_event_loop_takes_over_completes_through_the_backend() {
    use rustix::event::{PollFd, PollFlags, poll};
    let (server, client) = connected();
    let before = completed_by_own_wait();
    let (seen, _) = read_recorded(&server);
    let notifier = alertable::ApcNotifier::new().unwrap();
    let writer = std::thread::spawn(move || {
        assert_eq!(
            client.write(0, b"loop".to_vec()).unwrap().result(true),
            Ok(4)
        );
        client
    });
    let deadline = std::time::Instant::now() + LONG;
    while seen.lock().unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the routine never ran"
        );
        let mut fds = [PollFd::new(&notifier, PollFlags::IN)];
        let second = rustix::time::Timespec {
            tv_sec: 1,
            tv_nsec: 0,
        };
        poll(&mut fds, Some(&second)).unwrap();
        notifier.dispatch();
    }
    assert_eq!(*seen.lock().unwrap(), vec![(Ok(4), b"loop".to_vec())]);
    assert_eq!(completed_by_own_wait(), before);
    drop(writer.join().unwrap());
}

/// J105: a read whose own thread only looks at it with zero-timeout waits (the
/// `GetOverlappedResultEx(…, 0, …)` loop) never sleeps in its poll, so the look hands the
/// read to the backend, which completes it.
#[test]
fn read_looked_at_with_zero_timeout_waits_completes_through_the_backend() {
    let (server, client) = connected();
    let before = completed_by_own_wait();
    let op = server.read(0, vec![0; 16]).unwrap();
    assert_eq!(op.issue_status(), IssueStatus::Pending);
    assert_eq!(
        client.write(0, b"look".to_vec()).unwrap().result(true),
        Ok(4)
    );
    let deadline = std::time::Instant::now() + LONG;
    while op.wait(Some(Duration::ZERO), Alertable::No) != Ok(WaitStatus::Signaled(0)) {
        assert!(std::time::Instant::now() < deadline, "never completed");
        std::thread::yield_now();
    }
    assert_eq!(op.result(false), Ok(4));
    assert_eq!(completed_by_own_wait(), before);
}

/// A write that must wait for room is not kept by its thread: it goes on in the backend
/// while the thread does other things, and completes once the reader has drained the pipe.
#[test]
fn write_that_waits_for_room_goes_to_the_backend() {
    let name = unique_name("bytes");
    let server = NamedPipe::create(&name, &PipeOptions::default()).unwrap();
    let client = pipe::open(&name, PipeAccess::Duplex).unwrap();
    server.connect_blocking().unwrap();
    let before = completed_by_own_wait();
    const LEN: usize = 4 << 20;
    let op = client.write(0, vec![7; LEN]).unwrap();
    assert_eq!(
        op.issue_status(),
        IssueStatus::Pending,
        "more than a socket holds"
    );
    // The reader drains the pipe while this thread waits outside the library.
    let (done_tx, done_rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut got = 0;
        while got < LEN {
            let r = server.read(0, vec![0; 64 << 10]).unwrap();
            got += r.result(true).unwrap();
        }
        done_tx.send(()).unwrap();
        server
    });
    done_rx.recv_timeout(LONG).unwrap();
    assert_eq!(op.result(true), Ok(LEN));
    assert_eq!(completed_by_own_wait(), before);
    drop(reader.join().unwrap());
}

/// The suite once more, on the worker threads.
#[test]
fn own_wait_suite_passes_on_worker_threads() {
    if std::env::var_os(BACKEND_VAR).is_some() {
        return; // already the child, or forced by whoever runs the suite
    }
    let status = Command::new(std::env::current_exe().unwrap())
        .env(BACKEND_VAR, "threads")
        .args(["--test-threads", "1", "--quiet"])
        .status()
        .unwrap();
    assert!(status.success());
}
