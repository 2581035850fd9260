//! Named and anonymous pipes (`alertable_io::pipe`): connecting in every completion style,
//! reads and writes through the request machinery, message mode, peeking, transactions,
//! the pipe errors of Windows, cancellation, thread exit, and a client in another process.
//! Spec entries J104–J107 and J113 (section J), K115/K121 (section K).
//!
//! The suite runs on the backend the process picks and, through
//! `pipe_suite_passes_on_worker_threads`, once more in a child process forced onto the
//! worker threads. Synchronisation is by events, channels and [`Operation::wait`];
//! timeouts are hang guards only.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use alertable::{Alertable, Event, EventReset, SleepStatus, WaitStatus, sleep_ex, wait_one};
use alertable_io::pipe::{
    self, NamedPipe, PipeAccess, PipeEnd, PipeOptions, PipeType, PipeWait, ReadMode,
};
use alertable_io::{AsyncFile, CompletionPort, IoError, IssueStatus, Operation};

const BACKEND_VAR: &str = "ALERTABLE_IO_BACKEND";
/// Set in a child process that plays a pipe's client (`child_client`).
const CHILD_VAR: &str = "ALERTABLE_PIPE_TEST_CHILD";
/// A hang guard: never reached in a passing run.
const LONG: Duration = Duration::from_secs(20);

const BROKEN_PIPE: u32 = 109;

/// A pipe name of this test process, unique.
fn unique_name(tag: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        r"\\.\pipe\alertable-test-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Waits until `end` sees that its other end has gone (`POLLHUP` or `POLLRDHUP`), after
/// the other end was dropped here. The hang-up is not always at once: a child process that
/// another test is starting holds copies of this process's descriptors until its exec has
/// closed them (the parent is let go a little before that), so the dropped end may outlive
/// its drop for a moment. The checks of J106 then ask what a request issued after the
/// hang-up does, whatever else the machine is running.
#[track_caller]
fn await_hang_up(end: &AsyncFile) {
    let mut poll = libc::pollfd {
        fd: std::os::fd::AsRawFd::as_raw_fd(end),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    let timeout = libc::c_int::try_from(LONG.as_millis()).expect("a timeout in ms");
    let ready = loop {
        // SAFETY: one valid `pollfd` for a descriptor `end` keeps open.
        let ready = unsafe { libc::poll(&raw mut poll, 1, timeout) };
        if ready >= 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            break ready;
        }
    };
    assert!(
        ready == 1 && poll.revents & (libc::POLLHUP | libc::POLLRDHUP) != 0,
        "the other end never went: {ready}, {:#x}",
        poll.revents
    );
}

fn message_options() -> PipeOptions {
    PipeOptions {
        pipe_type: PipeType::Message,
        read_mode: ReadMode::Message,
        ..PipeOptions::default()
    }
}

/// A server and its client, connected.
fn connected(options: &PipeOptions) -> (NamedPipe, AsyncFile) {
    let name = unique_name("pair");
    let server = NamedPipe::create(&name, options).unwrap();
    let client = pipe::open(&name, PipeAccess::Duplex).unwrap();
    server.connect_blocking().unwrap();
    (server, client)
}

fn manual_event() -> Event {
    Event::new(EventReset::Manual, false)
}

#[track_caller]
fn wait_complete(op: &Operation) {
    assert_eq!(
        op.wait(Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
}

#[track_caller]
fn assert_no_apc_pending() {
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Elapsed
    );
}

#[track_caller]
fn run_apcs() {
    assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
}

/// Writes `data` and waits for the write.
#[track_caller]
fn send(file: &AsyncFile, data: &[u8]) {
    let op = file.write(0, data.to_vec()).unwrap();
    assert_eq!(op.result(true), Ok(data.len()));
}

/// Reads once with a buffer of `len`, waiting: the result and the bytes.
#[track_caller]
fn receive(file: &AsyncFile, len: usize) -> (Result<usize, IoError>, Vec<u8>) {
    let op = file.read(0, vec![0; len]).unwrap();
    let result = op.result(true);
    (result, op.take_buffer().unwrap())
}

// ---------------------------------------------------------------------------------------
// J113: connect in every completion style.

/// J113: a connect without a client is pending; the client's open completes it with 0 in
/// the poll style.
#[test]
fn j113_connect_is_pending_until_a_client_opens_poll_style() {
    let name = unique_name("poll");
    let server = NamedPipe::create(&name, &PipeOptions::default()).unwrap();
    let connect = server.connect().unwrap();
    assert_eq!(connect.issue_status(), IssueStatus::Pending);
    assert_eq!(connect.result(false), Err(IoError::Incomplete));
    let _client = pipe::open(&name, PipeAccess::Duplex).unwrap();
    assert_eq!(connect.result(true), Ok(0));
}

/// J113: the event of a pending connect is signaled when the client opens.
#[test]
fn j113_connect_signals_its_event_when_a_client_opens() {
    let name = unique_name("event");
    let server = NamedPipe::create(&name, &PipeOptions::default()).unwrap();
    let event = manual_event();
    let connect = server.connect_with_event(&event).unwrap();
    assert_eq!(
        wait_one(&event, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    let _client = pipe::open(&name, PipeAccess::Duplex).unwrap();
    assert_eq!(
        wait_one(&event, Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(connect.result(false), Ok(0));
}

/// J113: a connect's routine runs only in an alertable wait of the issuing thread, after
/// the client opened.
#[test]
fn j113_connect_routine_runs_in_the_next_alertable_wait() {
    let name = unique_name("routine");
    let server = NamedPipe::create(&name, &PipeOptions::default()).unwrap();
    let (tx, rx) = mpsc::channel();
    let connect = server
        .connect_ex(move |result| tx.send(result).unwrap())
        .unwrap();
    let _client = pipe::open(&name, PipeAccess::Duplex).unwrap();
    wait_complete(&connect);
    assert!(
        rx.try_recv().is_err(),
        "the routine waits for an alertable wait"
    );
    run_apcs();
    assert_eq!(rx.try_recv(), Ok(Ok(0)));
}

/// J113: a connect on an instance bound to a completion port completes there.
#[test]
fn j113_connect_completes_to_the_port() {
    let name = unique_name("port");
    let server = NamedPipe::create(&name, &PipeOptions::default()).unwrap();
    let port = CompletionPort::new(0);
    port.associate(&server, 9).unwrap();
    let connect = server.connect().unwrap();
    let _client = pipe::open(&name, PipeAccess::Duplex).unwrap();
    let packet = port.get(Some(LONG)).unwrap();
    assert_eq!(
        (packet.key, packet.token, packet.status),
        (9, connect.token(), Ok(0))
    );
}

/// J113: a client that came before the connect makes it fail with ERROR_PIPE_CONNECTED
/// (535), with nothing queued: the event stays as it was, no routine runs.
#[test]
fn j113_client_before_connect_gives_pipe_connected_and_queues_nothing() {
    let name = unique_name("early");
    let server = NamedPipe::create(&name, &PipeOptions::default()).unwrap();
    let client = pipe::open(&name, PipeAccess::Duplex).unwrap();
    let event = manual_event();
    let error = server.connect_with_event(&event).unwrap_err();
    assert_eq!((error, error.win32_error()), (IoError::PipeConnected, 535));
    assert_eq!(
        wait_one(&event, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    let (tx, rx) = mpsc::channel();
    let error = server.connect_ex(move |r| tx.send(r).unwrap()).unwrap_err();
    assert_eq!(error, IoError::PipeConnected);
    assert_no_apc_pending();
    assert!(rx.try_recv().is_err());
    // Connected indeed: data flows.
    send(&client, b"hello");
    assert_eq!(receive(&server, 16), (Ok(5), b"hello".to_vec()));
}

// ---------------------------------------------------------------------------------------
// J104–J107: reads and writes.

/// J104: a read with data waiting completes inside the call, and its routine is still
/// queued, to run at the next alertable wait.
#[test]
fn j104_a_read_with_data_waiting_completes_at_once_and_still_queues_its_routine() {
    let (server, client) = connected(&PipeOptions::default());
    send(&client, b"ready");
    let (tx, rx) = mpsc::channel();
    let read = server
        .read_ex(0, vec![0; 16], move |result, buffer| {
            tx.send((result, buffer)).unwrap()
        })
        .unwrap();
    assert_eq!(read.issue_status(), IssueStatus::Completed);
    assert!(rx.try_recv().is_err(), "never inside the call (J92)");
    run_apcs();
    assert_eq!(rx.try_recv(), Ok((Ok(5), b"ready".to_vec())));
}

/// J104 (and J109's order): a routine read or write that the pipe finishes inside the call
/// answers through its handle as a complete request does — done at issue, its result
/// there, nothing to wait for, cancel or take back (the buffer is the routine's) — and
/// its routine runs in the thread's APC order, after the APCs queued before it and before
/// those queued after; `cancel_io` no longer touches it.
#[test]
fn j104_a_routine_request_finished_inside_the_call_answers_through_its_handle() {
    type Log =
        std::sync::Arc<std::sync::Mutex<Vec<(&'static str, Result<usize, IoError>, Vec<u8>)>>>;
    let (server, client) = connected(&PipeOptions::default());
    send(&client, b"abcdef");
    let order: Log = Default::default();
    let me = alertable::current();
    let noted = |tag: &'static str| {
        let order = order.clone();
        move || order.lock().unwrap().push((tag, Ok(0), Vec::new()))
    };
    let routine = |tag: &'static str| {
        let order = order.clone();
        move |result: Result<usize, IoError>, buffer: Vec<u8>| {
            order.lock().unwrap().push((tag, result, buffer));
        }
    };
    me.queue_apc(noted("before")).unwrap();
    let read = server.read_ex(0, vec![0; 4], routine("read")).unwrap();
    me.queue_apc(noted("between")).unwrap();
    let write = server
        .write_ex(0, b"xy".to_vec(), routine("write"))
        .unwrap();
    let rest = server.read_ex(0, vec![0; 8], routine("rest")).unwrap();
    for op in [&read, &write, &rest] {
        assert_eq!(op.issue_status(), IssueStatus::Completed);
        assert!(op.is_complete());
        assert_eq!(
            op.wait(Some(Duration::ZERO), Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        assert_eq!(op.take_buffer(), None, "the buffer is the routine's");
        assert_eq!(op.cancel(), Err(IoError::NotFound), "complete already");
        assert!(format!("{op:?}").contains("complete: true"));
    }
    assert_eq!(
        (read.result(false), write.result(true), rest.result(false)),
        (Ok(4), Ok(2), Ok(2))
    );
    assert_ne!(read.token(), rest.token());
    assert!(
        order.lock().unwrap().is_empty(),
        "never inside the call (J92)"
    );
    server.cancel_io().unwrap();
    run_apcs();
    assert_no_apc_pending();
    assert_eq!(
        *order.lock().unwrap(),
        [
            ("before", Ok(0), Vec::new()),
            ("read", Ok(4), b"abcd".to_vec()),
            ("between", Ok(0), Vec::new()),
            ("write", Ok(2), b"xy".to_vec()),
            ("rest", Ok(2), b"ef".to_vec()),
        ]
    );
    assert_eq!(receive(&client, 8), (Ok(2), b"xy".to_vec()));
}

/// Tells a channel when it is dropped.
struct Dropped(mpsc::Sender<()>);

impl Drop for Dropped {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// K121: the routine of a read finished inside the call is only queued; if its thread
/// exits before an alertable wait, the routine never runs and what it captured is dropped.
#[test]
fn k121_a_routine_finished_inside_the_call_is_dropped_unrun_at_thread_exit() {
    let (server, client) = connected(&PipeOptions::default());
    send(&client, b"data");
    let (ran_tx, ran_rx) = mpsc::channel::<()>();
    let (dropped_tx, dropped_rx) = mpsc::channel::<()>();
    let read = {
        let server = server.file().clone();
        std::thread::spawn(move || {
            let dropped = Dropped(dropped_tx);
            server
                .read_ex(0, vec![0; 8], move |_, _| {
                    let _kept = &dropped;
                    ran_tx.send(()).unwrap();
                })
                .unwrap()
        })
        .join()
        .unwrap()
    };
    assert_eq!(read.result(false), Ok(4));
    assert_eq!(dropped_rx.recv_timeout(LONG), Ok(()));
    assert!(ran_rx.try_recv().is_err(), "the routine never ran");
}

/// Byte mode: a routine write the socket takes only in part goes on from where it stopped,
/// and a write issued after it follows it, whole: the reader gets both in order, and both
/// routines report all their bytes, in the order issued.
#[test]
fn byte_mode_a_routine_write_sent_in_part_keeps_its_place() {
    let (server, client) = connected(&PipeOptions::default());
    let big: Vec<u8> = (0..400_000u32).map(|i| (i % 253) as u8).collect();
    let expected = [big.clone(), b"tail".to_vec()].concat();
    let (done_tx, done_rx) = mpsc::channel();
    let noted = |tag: &'static str| {
        let done = done_tx.clone();
        move |result: Result<usize, IoError>, _: Vec<u8>| done.send((tag, result)).unwrap()
    };
    let first = client.write_ex(0, big.clone(), noted("first")).unwrap();
    let second = client
        .write_ex(0, b"tail".to_vec(), noted("second"))
        .unwrap();
    assert_eq!(
        first.issue_status(),
        IssueStatus::Pending,
        "more than the socket holds"
    );
    // Read only now: the first write cannot have gone whole.
    let reader = {
        let server = server.file().clone();
        let len = expected.len();
        std::thread::spawn(move || {
            let mut got = Vec::new();
            while got.len() < len {
                let (result, bytes) = receive(&server, 65536);
                assert_eq!(result, Ok(bytes.len()));
                got.extend_from_slice(&bytes);
            }
            got
        })
    };
    let mut done = Vec::new();
    while done.len() < 2 {
        assert_ne!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Elapsed);
        done.extend(done_rx.try_iter());
    }
    assert_eq!(done, [("first", Ok(big.len())), ("second", Ok(4))]);
    assert_eq!(
        (first.result(false), second.result(false)),
        (Ok(big.len()), Ok(4))
    );
    assert_eq!(reader.join().unwrap(), expected);
}

/// J104 in the event and poll styles: a read the pipe finishes inside the call signals its
/// event before the call returns, and its buffer (cut to the bytes read) comes back once,
/// through whichever of the handle's clones asks first.
#[test]
fn j104_a_request_finished_inside_the_call_gives_its_buffer_back_once() {
    let (server, client) = connected(&PipeOptions::default());
    send(&client, b"onetwo");
    let event = manual_event();
    let first = server.read_with_event(0, vec![0; 3], &event).unwrap();
    assert_eq!(
        wait_one(&event, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(first.issue_status(), IssueStatus::Completed);
    assert_eq!(first.take_buffer(), Some(b"one".to_vec()));
    assert_eq!(first.take_buffer(), None, "taken once");

    let second = server.read(0, vec![0; 8]).unwrap();
    let clone = second.clone();
    let clone_of_clone = clone.clone();
    assert_eq!(clone.result(false), Ok(3));
    assert_eq!(clone.token(), second.token());
    assert_eq!(clone_of_clone.take_buffer(), Some(b"two".to_vec()));
    assert_eq!(second.take_buffer(), None, "taken through a clone");
    assert_eq!(clone.take_buffer(), None);
    assert_no_apc_pending();
}

/// J105: a read without data is pending, its event not signaled; the writer's write
/// completes it, and its routine runs only in an alertable wait.
#[test]
fn j105_a_pending_read_completes_when_the_other_end_writes() {
    let (server, client) = connected(&message_options());
    let event = manual_event();
    let read = server.read_with_event(0, vec![0; 16], &event).unwrap();
    assert_eq!(read.issue_status(), IssueStatus::Pending);
    assert_eq!(
        wait_one(&event, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    let (tx, rx) = mpsc::channel();
    let routine_read = client
        .read_ex(0, vec![0; 16], move |result, buffer| {
            tx.send((result, buffer)).unwrap()
        })
        .unwrap();
    send(&client, b"to server");
    assert_eq!(
        wait_one(&event, Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(read.result(false), Ok(9));
    send(&server, b"to client");
    wait_complete(&routine_read);
    assert!(rx.try_recv().is_err());
    run_apcs();
    assert_eq!(rx.try_recv(), Ok((Ok(9), b"to client".to_vec())));
}

/// J106: once the client is gone, a read is refused at once with ERROR_BROKEN_PIPE and a
/// write with ERROR_NO_DATA (232), in every style, queuing nothing.
#[test]
fn j106_requests_on_a_pipe_whose_client_left_are_refused_and_queue_nothing() {
    let (server, client) = connected(&PipeOptions::default());
    drop(client);
    await_hang_up(&server);
    let event = manual_event();
    let refused = server.read_with_event(0, vec![0; 8], &event).unwrap_err();
    assert_eq!(refused.win32_error(), BROKEN_PIPE);
    assert_eq!(refused.buffer.len(), 8);
    let refused = server
        .read_ex(0, vec![0; 8], |_, _| panic!("no routine"))
        .unwrap_err();
    assert_eq!(refused.win32_error(), BROKEN_PIPE);
    let refused = server
        .write_with_event(0, b"x".to_vec(), &event)
        .unwrap_err();
    assert_eq!(
        (refused.error, refused.win32_error()),
        (IoError::NoData, 232)
    );
    assert_eq!(
        wait_one(&event, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert_no_apc_pending();
}

/// J106 on a message pipe, in the poll, event, routine and port styles and for reads,
/// writes and transactions: with the client gone, each is refused inside the call with its
/// buffer whole, and nothing is signaled, queued or posted.
#[test]
fn j106_a_message_pipe_whose_client_left_refuses_every_request_in_every_style() {
    let (server, client) = connected(&message_options());
    drop(client);
    await_hang_up(&server);
    let event = manual_event();
    let refused = server.read(0, vec![7; 8]).unwrap_err();
    assert_eq!(
        (refused.win32_error(), refused.buffer),
        (BROKEN_PIPE, vec![7; 8])
    );
    let refused = server.read_with_event(0, vec![0; 8], &event).unwrap_err();
    assert_eq!(refused.win32_error(), BROKEN_PIPE);
    let refused = server
        .read_ex(0, vec![0; 8], |_, _| panic!("no routine"))
        .unwrap_err();
    assert_eq!(refused.win32_error(), BROKEN_PIPE);
    let refused = server.write(0, b"gone".to_vec()).unwrap_err();
    assert_eq!(
        (refused.error, refused.buffer),
        (IoError::NoData, b"gone".to_vec())
    );
    let refused = server
        .write_ex(0, b"gone".to_vec(), |_, _| panic!("no routine"))
        .unwrap_err();
    assert_eq!(refused.error, IoError::NoData);
    let refused = server
        .transact_with_event(b"question".to_vec(), vec![0; 8], &event)
        .unwrap_err();
    assert_eq!(refused.error, IoError::NoData);
    assert_eq!(
        wait_one(&event, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert_no_apc_pending();

    let (server, client) = connected(&message_options());
    let port = CompletionPort::new(0);
    port.associate(&server, 1).unwrap();
    drop(client);
    await_hang_up(&server);
    let refused = server.read(0, vec![0; 8]).unwrap_err();
    assert_eq!(refused.win32_error(), BROKEN_PIPE);
    let refused = server.write(0, b"gone".to_vec()).unwrap_err();
    assert_eq!(refused.error, IoError::NoData);
    let refused = server
        .transact(b"question".to_vec(), vec![0; 8])
        .unwrap_err();
    assert_eq!(refused.error, IoError::NoData);
    assert_eq!(
        port.get(Some(Duration::ZERO)).unwrap_err(),
        alertable_io::PortError::TimedOut
    );
}

/// J106 after data: what the client wrote before it left is still read, each read
/// completing inside the call (J104, its routine run once, in an alertable wait); only the
/// read that finds nothing left is refused. Requests that move no bytes are refused too.
/// In byte and in message mode.
#[test]
fn j106_data_a_client_left_behind_is_read_before_reads_are_refused() {
    for options in [PipeOptions::default(), message_options()] {
        let (server, client) = connected(&options);
        send(&client, b"last");
        send(&client, b"words");
        drop(client);
        await_hang_up(&server);
        let (tx, rx) = mpsc::channel();
        // A byte pipe may hand both writes to one read; a message pipe takes two.
        let mut reads = 0;
        let refused = loop {
            let tx = tx.clone();
            match server.read_ex(0, vec![0; 16], move |result, buffer| {
                tx.send((result, buffer)).unwrap()
            }) {
                Ok(read) => assert_eq!(read.issue_status(), IssueStatus::Completed),
                Err(refused) => break refused,
            }
            reads += 1;
            assert!(reads <= 2, "{options:?}");
        };
        assert_eq!(refused.win32_error(), BROKEN_PIPE, "{options:?}");
        if options.pipe_type == PipeType::Message {
            assert_eq!(reads, 2);
        }
        assert!(rx.try_recv().is_err(), "never inside the call (J92)");
        run_apcs();
        let mut got = Vec::new();
        while let Ok((result, buffer)) = rx.try_recv() {
            assert_eq!(result, Ok(buffer.len()));
            got.extend(buffer);
        }
        assert_eq!(got, b"lastwords", "{options:?}");
        assert_no_apc_pending();
        let refused = server.read(0, Vec::new()).unwrap_err();
        assert_eq!(refused.win32_error(), BROKEN_PIPE, "{options:?}");
        let refused = server.write(0, Vec::new()).unwrap_err();
        assert_eq!(refused.error, IoError::NoData, "{options:?}");
    }
}

/// J104 for every style: a write that the pipe takes inside the call signals its event,
/// posts its packet and queues its routine exactly once.
#[test]
fn j104_requests_completed_inside_the_call_notify_exactly_once() {
    let (server, client) = connected(&message_options());
    let event = manual_event();
    let write = server.write_with_event(0, b"one".to_vec(), &event).unwrap();
    assert_eq!(write.issue_status(), IssueStatus::Completed);
    assert_eq!(
        wait_one(&event, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let write = server
        .write_ex(0, b"two".to_vec(), move |result, buffer| {
            assert_eq!((result, buffer), (Ok(3), b"two".to_vec()));
            counted.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    assert_eq!(write.issue_status(), IssueStatus::Completed);
    assert_eq!(
        runs.load(Ordering::Relaxed),
        0,
        "never inside the call (J92)"
    );
    run_apcs();
    assert_no_apc_pending();
    assert_eq!(runs.load(Ordering::Relaxed), 1);

    let port = CompletionPort::new(0);
    port.associate(&client, 5).unwrap();
    let read = client.read(0, vec![0; 8]).unwrap();
    assert_eq!(read.issue_status(), IssueStatus::Completed);
    let packet = port.get(Some(Duration::ZERO)).unwrap();
    assert_eq!(
        (packet.key, packet.token, packet.status),
        (5, read.token(), Ok(3))
    );
    assert_eq!(packet.buffer.as_deref(), Some(&b"one"[..]));
    assert_eq!(
        port.get(Some(Duration::ZERO)).unwrap_err(),
        alertable_io::PortError::TimedOut
    );
}

/// J107: a pending read completes with ERROR_BROKEN_PIPE and 0 bytes when the other end
/// closes: its event is signaled and its routine runs at the next alertable wait.
#[test]
fn j107_the_other_end_closing_completes_pending_reads_with_broken_pipe() {
    let (server, client) = connected(&message_options());
    let event = manual_event();
    let read = server.read_with_event(0, vec![0; 8], &event).unwrap();
    let (tx, rx) = mpsc::channel();
    let (server2, client2) = connected(&PipeOptions::default());
    let routine_read = server2
        .read_ex(0, vec![0; 8], move |result, buffer| {
            tx.send((result, buffer)).unwrap()
        })
        .unwrap();
    drop(client);
    drop(client2);
    assert_eq!(
        wait_one(&event, Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(read.result(false).unwrap_err().win32_error(), BROKEN_PIPE);
    wait_complete(&routine_read);
    run_apcs();
    let (result, buffer) = rx.try_recv().unwrap();
    assert_eq!(result.unwrap_err().win32_error(), BROKEN_PIPE);
    assert!(buffer.is_empty());
}

/// Byte mode: writes of any size arrive in order, whole, through reads of another size.
#[test]
fn byte_mode_moves_large_writes_in_order() {
    let (server, client) = connected(&PipeOptions::default());
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let write = client.write(0, data.clone()).unwrap();
    let mut got = Vec::new();
    while got.len() < data.len() {
        let (result, bytes) = receive(&server, 7000);
        assert_eq!(result, Ok(bytes.len()));
        got.extend_from_slice(&bytes);
    }
    assert_eq!(write.result(true), Ok(data.len()));
    assert_eq!(got, data);
}

// ---------------------------------------------------------------------------------------
// Message mode, peek, transact.

/// A read smaller than the message gets what fits with ERROR_MORE_DATA (234) and the
/// rest on the next read; message boundaries stay.
#[test]
fn message_mode_a_short_read_gets_more_data_and_the_rest_next() {
    let (server, client) = connected(&message_options());
    send(&client, b"0123456789");
    send(&client, b"next");
    let (result, bytes) = receive(&server, 4);
    assert_eq!(
        (result, bytes.as_slice()),
        (Err(IoError::MoreData(4)), &b"0123"[..])
    );
    assert_eq!(IoError::MoreData(4).win32_error(), 234);
    let (result, bytes) = receive(&server, 4);
    assert_eq!(
        (result, bytes.as_slice()),
        (Err(IoError::MoreData(4)), &b"4567"[..])
    );
    assert_eq!(receive(&server, 4), (Ok(2), b"89".to_vec()));
    assert_eq!(receive(&server, 100), (Ok(4), b"next".to_vec()));
}

/// A message larger than the buffer sizes the server asked for goes through whole, both
/// ways: the sizes are advisory, as on Windows.
#[test]
fn message_mode_messages_larger_than_the_buffer_sizes_go_through_whole() {
    let options = PipeOptions {
        in_buffer_size: 1024,
        out_buffer_size: 1024,
        ..message_options()
    };
    let (server, client) = connected(&options);
    let message: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    for (from, to) in [(&client, server.file()), (server.file(), &client)] {
        let write = from.write(0, message.clone()).unwrap();
        let read = to.read(0, vec![0; 200_000]).unwrap();
        wait_complete(&write);
        assert_eq!(write.result(false), Ok(100_000));
        wait_complete(&read);
        assert_eq!(read.result(false), Ok(100_000));
        assert_eq!(read.take_buffer().unwrap(), message);
    }
}

/// P5: a read queued behind one that takes part of a message gets the rest, which waits
/// in user space where no poll of the socket would report it.
#[test]
fn message_mode_a_queued_read_gets_the_rest_of_the_message() {
    let (server, client) = connected(&message_options());
    let first = server.read(0, vec![0; 4]).unwrap();
    let second = server.read(0, vec![0; 100]).unwrap();
    send(&client, b"0123456789");
    assert_eq!(first.result(true), Err(IoError::MoreData(4)));
    assert_eq!(
        second.wait(Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0)),
        "the second read never saw the rest"
    );
    assert_eq!(second.result(false), Ok(6));
    assert_eq!(second.take_buffer().unwrap(), b"456789");
}

/// The routine of a message read in part gets ERROR_MORE_DATA and the part (J104).
#[test]
fn message_mode_more_data_reaches_the_routine() {
    let (server, client) = connected(&message_options());
    send(&client, b"abcdef");
    let (tx, rx) = mpsc::channel();
    server
        .read_ex(0, vec![0; 3], move |result, buffer| {
            tx.send((result, buffer)).unwrap()
        })
        .unwrap();
    run_apcs();
    assert_eq!(
        rx.try_recv(),
        Ok((Err(IoError::MoreData(3)), b"abc".to_vec()))
    );
}

/// A client starts in byte read mode and may switch to message mode; a byte pipe refuses
/// message read mode.
#[test]
fn read_mode_of_a_client_starts_as_bytes_and_can_be_set() {
    let (_server, client) = connected(&message_options());
    assert_eq!(client.read_mode(), Ok(ReadMode::Byte));
    client.set_read_mode(ReadMode::Message).unwrap();
    assert_eq!(client.read_mode(), Ok(ReadMode::Message));
    let (_server, byte_client) = connected(&PipeOptions::default());
    assert_eq!(
        byte_client.set_read_mode(ReadMode::Message),
        Err(IoError::InvalidParameter)
    );
}

/// Peek reports the bytes available and those left in the current message, without
/// taking them; after a partial read, it sees the rest of the message.
#[test]
fn peek_reports_bytes_available_and_left_in_the_message() {
    let (server, client) = connected(&message_options());
    let empty = server.peek_pipe(16).unwrap();
    assert_eq!((empty.available, empty.left_in_message), (0, 0));
    send(&client, b"first message");
    send(&client, b"second");
    let peeked = server.peek_pipe(5).unwrap();
    assert_eq!(peeked.data, b"first");
    assert_eq!(peeked.available, 19);
    assert_eq!(peeked.left_in_message, 8);
    assert_eq!(
        receive(&server, 6),
        (Err(IoError::MoreData(6)), b"first ".to_vec())
    );
    let peeked = server.peek_pipe(100).unwrap();
    assert_eq!(peeked.data, b"message");
    assert_eq!((peeked.available, peeked.left_in_message), (13, 0));
    assert_eq!(receive(&server, 100), (Ok(7), b"message".to_vec()));
}

/// A long message read with a tiny buffer, then peeked at, then read in the rest, in two
/// parts: every byte comes once and in order, the reads of a part end with
/// ERROR_MORE_DATA, peek counts what is left of it, and the next message is whole and
/// apart (P5: what a read does not take waits for the next). The same for a message pipe
/// read in byte mode, whose reads take what fits without ERROR_MORE_DATA.
#[test]
fn message_mode_a_tiny_read_of_a_long_message_leaves_the_rest_for_peek_and_reads() {
    let message: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
    for mode in [ReadMode::Message, ReadMode::Byte] {
        let (server, client) = connected(&message_options());
        server.set_read_mode(mode).unwrap();
        let more = |n| {
            if mode == ReadMode::Message {
                Err(IoError::MoreData(n))
            } else {
                Ok(n)
            }
        };
        send(&client, &message);
        send(&client, b"after");
        assert_eq!(receive(&server, 8), (more(8), message[..8].to_vec()));
        let peeked = server.peek_pipe(16).unwrap();
        assert_eq!(peeked.data, message[8..24]);
        assert_eq!(peeked.left_in_message, 300_000 - 24);
        assert_eq!(peeked.available, 300_000 - 8 + 5);
        assert_eq!(receive(&server, 100), (more(100), message[8..108].to_vec()));
        assert_eq!(
            receive(&server, 400_000),
            (Ok(300_000 - 108), message[108..].to_vec())
        );
        assert_eq!(receive(&server, 3), (more(3), b"aft".to_vec()));
        assert_eq!(receive(&server, 10), (Ok(2), b"er".to_vec()));
        drop(client);
        await_hang_up(&server);
        let refused = server.read(0, vec![0; 10]).unwrap_err();
        assert_eq!(refused.win32_error(), BROKEN_PIPE);
    }
}

/// Transact writes a message and completes with the reply; it needs message read mode.
#[test]
fn transact_writes_a_message_and_reads_the_reply() {
    let (server, client) = connected(&message_options());
    assert_eq!(
        client
            .transact(b"q".to_vec(), vec![0; 8])
            .unwrap_err()
            .error,
        IoError::BadPipe
    );
    client.set_read_mode(ReadMode::Message).unwrap();
    let transact = client.transact(b"question".to_vec(), vec![0; 32]).unwrap();
    assert_eq!(receive(&server, 32), (Ok(8), b"question".to_vec()));
    send(&server, b"answer");
    assert_eq!(transact.result(true), Ok(6));
    assert_eq!(transact.take_buffer().unwrap(), b"answer");
}

// ---------------------------------------------------------------------------------------
// States and errors.

/// A listening instance refuses reads with ERROR_PIPE_LISTENING (536); after a disconnect,
/// with ERROR_PIPE_NOT_CONNECTED (233); a new connect takes the next client.
#[test]
fn instance_states_listening_connected_disconnected() {
    let name = unique_name("states");
    let server = NamedPipe::create(&name, &PipeOptions::default()).unwrap();
    assert_eq!(server.read(0, vec![0; 4]).unwrap_err().win32_error(), 536);
    assert_eq!(server.disconnect(), Err(IoError::PipeListening));
    let client = pipe::open(&name, PipeAccess::Duplex).unwrap();
    server.connect_blocking().unwrap();
    let pending = server.read(0, vec![0; 4]).unwrap();
    server.disconnect().unwrap();
    assert_eq!(pending.result(true), Err(IoError::PipeNotConnected));
    assert_eq!(
        server.write(0, b"x".to_vec()).unwrap_err().win32_error(),
        233
    );
    assert_eq!(
        client.read(0, vec![0; 4]).unwrap_err().win32_error(),
        BROKEN_PIPE
    );
    assert_eq!(server.disconnect(), Err(IoError::PipeNotConnected));
    let connect = server.connect().unwrap();
    let second = pipe::open(&name, PipeAccess::Duplex).unwrap();
    assert_eq!(connect.result(true), Ok(0));
    send(&second, b"again");
    assert_eq!(receive(&server, 8), (Ok(5), b"again".to_vec()));
}

/// Every instance connected: ERROR_PIPE_BUSY (231) for a client, and for a server past
/// the instance limit; an unknown name is ERROR_FILE_NOT_FOUND (2); a bad name
/// ERROR_INVALID_NAME (123).
#[test]
fn busy_missing_and_invalid_names() {
    let name = unique_name("busy");
    let options = PipeOptions {
        max_instances: Some(1),
        ..PipeOptions::default()
    };
    let _server = NamedPipe::create(&name, &options).unwrap();
    assert_eq!(
        NamedPipe::create(&name, &options)
            .unwrap_err()
            .win32_error(),
        231
    );
    let _client = pipe::open(&name, PipeAccess::Duplex).unwrap();
    assert_eq!(
        pipe::open(&name, PipeAccess::Duplex).unwrap_err(),
        IoError::PipeBusy
    );
    assert_eq!(
        pipe::open(&unique_name("missing"), PipeAccess::Duplex)
            .unwrap_err()
            .win32_error(),
        2
    );
    assert_eq!(
        pipe::open("nopipe", PipeAccess::Duplex)
            .unwrap_err()
            .win32_error(),
        123
    );
    let first = PipeOptions {
        first_instance: true,
        ..PipeOptions::default()
    };
    assert_eq!(
        NamedPipe::create(&name, &first).unwrap_err(),
        IoError::AccessDenied
    );
}

/// Names are case-insensitive; an inbound pipe refuses a client that wants to read.
#[test]
fn names_ignore_case_and_access_must_match() {
    let name = unique_name("Case");
    let options = PipeOptions {
        access: PipeAccess::Inbound,
        ..PipeOptions::default()
    };
    let server = NamedPipe::create(&name, &options).unwrap();
    let upper = name.to_uppercase().replace(r"\\.\PIPE\", r"\\.\pipe\");
    assert_eq!(
        pipe::open(&upper, PipeAccess::Duplex).unwrap_err(),
        IoError::AccessDenied
    );
    let client = pipe::open(&upper, PipeAccess::Outbound).unwrap();
    assert_eq!(server.pipe_info().unwrap().end, PipeEnd::Server);
    assert_eq!(client.pipe_info().unwrap().end, PipeEnd::Client);
    send(&client, b"in");
    assert_eq!(receive(&server, 4), (Ok(2), b"in".to_vec()));
    assert_eq!(
        server.write(0, b"x".to_vec()).unwrap_err().error,
        IoError::AccessDenied
    );
}

/// WaitNamedPipe: ERROR_SEM_TIMEOUT (121) while every instance is busy; returns once an
/// instance listens again.
#[test]
fn wait_times_out_while_busy_and_returns_when_an_instance_listens() {
    let name = unique_name("wait");
    let server = NamedPipe::create(&name, &PipeOptions::default()).unwrap();
    pipe::wait(&name, PipeWait::For(Duration::ZERO)).unwrap();
    let client = pipe::open(&name, PipeAccess::Duplex).unwrap();
    server.connect_blocking().unwrap();
    assert_eq!(
        pipe::wait(&name, PipeWait::For(Duration::from_millis(10))),
        Err(IoError::Timeout)
    );
    let waiter = {
        let name = name.clone();
        std::thread::spawn(move || pipe::wait(&name, PipeWait::Forever))
    };
    drop(client);
    server.disconnect().unwrap();
    let _connect = server.connect().unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(()));
    assert_eq!(
        pipe::wait(&unique_name("nowait"), PipeWait::Default)
            .unwrap_err()
            .win32_error(),
        2
    );
}

/// The directory the library keeps the pipe `name` in (default location).
fn name_dir_of(name: &str) -> std::path::PathBuf {
    let short = name[r"\\.\pipe\".len()..].to_lowercase();
    let hash = short.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    std::path::PathBuf::from(format!(
        "/tmp/alertable-pipes-{}/{hash:016x}",
        rustix::process::geteuid().as_raw()
    ))
}

/// P6: the last instance of a name takes the name's directory along, so names leave
/// nothing behind; instances made and dropped at once from two threads all succeed.
#[test]
fn the_last_instance_removes_the_name_and_creators_never_trip_on_it() {
    let name = unique_name("gone");
    let server = NamedPipe::create(&name, &PipeOptions::default()).unwrap();
    let second = NamedPipe::create(&name, &PipeOptions::default()).unwrap();
    drop(server);
    assert!(name_dir_of(&name).exists(), "an instance is left");
    drop(second);
    assert!(!name_dir_of(&name).exists(), "the name's directory stayed");

    let name = unique_name("churn");
    let churn = || {
        let name = name.clone();
        std::thread::spawn(move || {
            for _ in 0..200 {
                drop(NamedPipe::create(&name, &PipeOptions::default()).unwrap());
            }
        })
    };
    let (a, b) = (churn(), churn());
    a.join().unwrap();
    b.join().unwrap();
    assert!(!name_dir_of(&name).exists());
}

/// A pipe directory open to other users is refused with ERROR_ACCESS_DENIED; so is the
/// socket of another user (checked where the process may give one away: as root).
#[test]
fn another_users_pipe_is_refused_with_access_denied() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = std::env::temp_dir().join(format!("alertable-pipe-open-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    std::fs::set_permissions(&scratch, std::fs::Permissions::from_mode(0o755)).unwrap();
    let result = Command::new(std::env::current_exe().unwrap())
        .env("ALERTABLE_PIPE_DIR", &scratch)
        .env(CHILD_VAR, format!("open-denied {}", unique_name("open")))
        .args(["--exact", "child_client", "--nocapture"])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );

    if rustix::process::geteuid().as_raw() != 0 {
        return;
    }
    let name = unique_name("owner");
    let _server = NamedPipe::create(&name, &PipeOptions::default()).unwrap();
    let socket = std::fs::read_dir(name_dir_of(&name))
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "s"))
        .expect("a listening instance has its socket");
    std::os::unix::fs::chown(&socket, Some(65534), Some(65534)).unwrap();
    assert_eq!(
        pipe::open(&name, PipeAccess::Duplex).unwrap_err(),
        IoError::AccessDenied
    );
}

// ---------------------------------------------------------------------------------------
// Cancellation and thread exit.

/// K115: cancelling gives ERROR_OPERATION_ABORTED (995) to a pending connect, read and
/// write, each through its style.
#[test]
fn k115_cancel_aborts_pending_connect_read_and_write() {
    let name = unique_name("cancel");
    let server = NamedPipe::create(&name, &PipeOptions::default()).unwrap();
    let event = manual_event();
    let connect = server.connect_with_event(&event).unwrap();
    connect.cancel().unwrap();
    assert_eq!(
        wait_one(&event, Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(connect.result(false).unwrap_err().win32_error(), 995);

    let (server, client) = connected(&PipeOptions {
        out_buffer_size: 4096,
        in_buffer_size: 4096,
        ..PipeOptions::default()
    });
    let (tx, rx) = mpsc::channel();
    let read = server
        .read_ex(0, vec![0; 8], move |result, _| tx.send(result).unwrap())
        .unwrap();
    server.cancel_io().unwrap();
    wait_complete(&read);
    run_apcs();
    assert_eq!(rx.try_recv(), Ok(Err(IoError::Aborted)));

    // Writes until one must wait for the reader, then cancels it.
    let pending = loop {
        let write = client.write(0, vec![7; 64 * 1024]).unwrap();
        if write.issue_status() == IssueStatus::Pending && !write.is_complete() {
            break write;
        }
    };
    // Nobody reads: the write cannot finish before it is cancelled.
    pending.cancel().unwrap();
    assert_eq!(pending.result(true).unwrap_err().win32_error(), 995);
}

/// K121: when the thread that issued a routine read exits, the read is cancelled and its
/// routine never runs; an event read of another thread completes aborted.
#[test]
fn k121_a_threads_exit_cancels_its_pipe_requests() {
    let (server, _client) = connected(&PipeOptions::default());
    let (tx, rx) = mpsc::channel::<()>();
    let read = {
        let server = server.file().clone();
        std::thread::spawn(move || {
            let event = Event::new(EventReset::Manual, false);
            server.read_with_event(0, vec![0; 4], &event).unwrap()
        })
        .join()
        .unwrap()
    };
    assert_eq!(read.result(true), Err(IoError::Aborted));
    let routine_read = {
        let server = server.file().clone();
        std::thread::spawn(move || {
            server
                .read_ex(0, vec![0; 4], move |_, _| tx.send(()).unwrap())
                .unwrap()
        })
        .join()
        .unwrap()
    };
    assert_eq!(routine_read.result(true), Err(IoError::Aborted));
    assert!(rx.recv_timeout(Duration::from_millis(1)).is_err());
}

/// FlushFileBuffers: returns once the reader has taken everything written, and at once
/// when the reader is gone.
#[test]
fn flush_waits_until_the_reader_has_everything() {
    let (server, client) = connected(&PipeOptions::default());
    send(&client, &[5; 1000]);
    let (done, flushed) = mpsc::channel();
    let writer = client.clone();
    let flusher = std::thread::spawn(move || {
        let result = writer.flush_pipe();
        done.send(()).unwrap();
        result
    });
    // The flush cannot end before the read below has taken the bytes.
    assert!(flushed.try_recv().is_err(), "flushed with the bytes unread");
    let (result, _) = receive(&server, 1000);
    assert_eq!(result, Ok(1000));
    flushed.recv_timeout(LONG).unwrap();
    assert_eq!(flusher.join().unwrap(), Ok(()));
    send(&client, b"left behind");
    drop(server);
    assert_eq!(client.flush_pipe(), Ok(()));
}

/// GetNamedPipeInfo: the end, the type, the sizes and the instance limit.
#[test]
fn pipe_info_reports_end_type_sizes_and_instances() {
    let options = PipeOptions {
        max_instances: Some(3),
        out_buffer_size: 100,
        in_buffer_size: 200,
        ..message_options()
    };
    let (server, client) = connected(&options);
    let info = server.pipe_info().unwrap();
    assert_eq!(
        (
            info.end,
            info.pipe_type,
            info.out_buffer_size,
            info.in_buffer_size,
            info.max_instances
        ),
        (PipeEnd::Server, PipeType::Message, 100, 200, Some(3))
    );
    assert_eq!(client.pipe_info().unwrap().end, PipeEnd::Client);
    let (read, write) = pipe::anonymous(0).unwrap();
    let info = read.pipe_info().unwrap();
    assert_eq!(
        (
            info.end,
            info.pipe_type,
            info.out_buffer_size,
            info.max_instances
        ),
        (PipeEnd::Server, PipeType::Byte, 4096, Some(1))
    );
    assert_eq!(write.pipe_info().unwrap().end, PipeEnd::Client);
}

// ---------------------------------------------------------------------------------------
// Anonymous pipes.

/// CreatePipe: a byte stream one way; the reader sees ERROR_BROKEN_PIPE once the writer is
/// gone, and the writer ERROR_NO_DATA once the reader is.
#[test]
fn anonymous_pipe_moves_bytes_and_reports_the_other_end_gone() {
    let (read, write) = pipe::anonymous(0).unwrap();
    send(&write, b"anon");
    assert_eq!(receive(&read, 16), (Ok(4), b"anon".to_vec()));
    assert_eq!(
        read.write(0, b"x".to_vec()).unwrap_err().error,
        IoError::AccessDenied
    );
    let pending = read.read(0, vec![0; 4]).unwrap();
    drop(write);
    assert_eq!(pending.result(true).unwrap_err().win32_error(), BROKEN_PIPE);

    let (read, write) = pipe::anonymous(0).unwrap();
    drop(read);
    assert_eq!(
        write.write(0, b"x".to_vec()).unwrap_err().win32_error(),
        232
    );
}

// ---------------------------------------------------------------------------------------
// Between processes.

/// A server here, its client in another process: messages both ways, in message mode.
#[test]
fn a_client_in_another_process_exchanges_messages() {
    let name = unique_name("process");
    let server = NamedPipe::create(&name, &message_options()).unwrap();
    let connect = server.connect().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_VAR, format!("echo {name}"))
        .args(["--exact", "child_client", "--nocapture"])
        .spawn()
        .unwrap();
    assert_eq!(connect.result(true), Ok(0));
    send(&server, b"ping from the server");
    assert_eq!(
        receive(&server, 64),
        (Ok(20), b"PING FROM THE SERVER".to_vec())
    );
    assert!(child.wait().unwrap().success());
}

/// The client side of the tests above, run in a child process (does nothing otherwise).
#[test]
fn child_client() {
    let Ok(task) = std::env::var(CHILD_VAR) else {
        return;
    };
    let (what, name) = task.split_once(' ').unwrap();
    match what {
        "echo" => {
            let client = pipe::open(name, PipeAccess::Duplex).unwrap();
            client.set_read_mode(ReadMode::Message).unwrap();
            let (result, message) = receive(&client, 64);
            assert_eq!(result, Ok(message.len()));
            send(&client, &message.to_ascii_uppercase());
        }
        "open-denied" => {
            assert_eq!(
                pipe::open(name, PipeAccess::Duplex).unwrap_err(),
                IoError::AccessDenied
            );
        }
        other => panic!("unknown child task {other}"),
    }
}

/// The whole suite again on the worker threads.
#[test]
fn pipe_suite_passes_on_worker_threads() {
    if std::env::var_os(BACKEND_VAR).is_some() || std::env::var_os(CHILD_VAR).is_some() {
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .env(BACKEND_VAR, "threads")
        .args(["--skip", "pipe_suite_passes_on_worker_threads"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
