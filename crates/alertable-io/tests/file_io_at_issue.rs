//! Spec J102 (revised), J100, J101, J105: a request whose data is at hand — a read of
//! page-cached file data, a read at the end of the file — finishes inside the call that issues it,
//! in every completion style: when the call returns, the result is there, the event is
//! signaled, the packet is on the port, and the routine is queued (it still runs only in
//! a later alertable wait, J92). [`Operation::issue_status`] says so. A request that must
//! wait (an empty pipe) is pending when the call returns.
//!
//! Runs on the backend the process picks; CI runs it again with
//! `ALERTABLE_IO_BACKEND=threads`.

use std::sync::mpsc;
use std::time::Duration;

use alertable::{Alertable, Event, EventReset, SleepStatus, sleep_ex};
use alertable_io::{AsyncFile, CompletionPort, IoError, IssueStatus};

fn cached_file(contents: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, contents).unwrap();
    // Read once: the data is in the page cache.
    assert_eq!(std::fs::read(&path).unwrap(), contents);
    (dir, path)
}

/// J102: a cached read with an event: complete, the event signaled, at return.
#[test]
fn j102_cached_read_with_event_completes_inside_the_call() {
    let (_dir, path) = cached_file(b"0123456789");
    let file = AsyncFile::open(&path).unwrap();
    let event = Event::new(EventReset::Manual, false);
    let op = file.read_with_event(2, vec![0; 4], &event).unwrap();
    assert_eq!(op.issue_status(), IssueStatus::Completed);
    assert!(op.is_complete());
    assert!(
        event.is_set(),
        "the event is signaled before the call returns"
    );
    assert_eq!(op.result(false), Ok(4));
    assert_eq!(op.take_buffer().unwrap(), b"2345");
}

/// J102: a poll-style read of cached data is complete at return. A write finishes inside
/// the call only where the file system takes buffered writes without blocking
/// (`RWF_NOWAIT`; ext4 does not), so only its result is checked.
#[test]
fn j102_cached_read_poll_style_completes_inside_the_call() {
    let (_dir, path) = cached_file(b"0123456789");
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let file = AsyncFile::try_from(file).unwrap();
    let write = file.write(0, b"abcdef".to_vec()).unwrap();
    assert_eq!(write.result(true), Ok(6));
    let read = file.read(1, vec![0; 3]).unwrap();
    assert_eq!(read.issue_status(), IssueStatus::Completed);
    assert_eq!(read.result(false), Ok(3));
    assert_eq!(read.take_buffer().unwrap(), b"bcd");
}

/// J100, J102: a read at the end of the file completes inside the call with
/// `EndOfFile` (38).
#[test]
fn j100_read_at_the_end_completes_inside_the_call_with_end_of_file() {
    let (_dir, path) = cached_file(b"0123");
    let file = AsyncFile::open(&path).unwrap();
    let op = file.read(4, vec![0; 8]).unwrap();
    assert_eq!(op.issue_status(), IssueStatus::Completed);
    assert_eq!(op.result(false), Err(IoError::EndOfFile));
}

/// J92, J101, J102: a cached `read_ex` has its routine queued when the call returns; the
/// routine runs in the next alertable wait, not before; at the end of the file it gets
/// `EndOfFile`.
#[test]
fn j92_j102_cached_read_ex_queues_its_routine_inside_the_call() {
    let (_dir, path) = cached_file(b"0123456789");
    let file = AsyncFile::open(&path).unwrap();
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    let op = file
        .read_ex(0, vec![0; 3], move |result, buffer| {
            tx.send((result, buffer)).unwrap();
        })
        .unwrap();
    assert_eq!(op.issue_status(), IssueStatus::Completed);
    assert_eq!(op.result(false), Ok(3));
    let at_end = file
        .read_ex(10, vec![0; 3], move |result, buffer| {
            tx2.send((result, buffer)).unwrap();
        })
        .unwrap();
    assert_eq!(at_end.issue_status(), IssueStatus::Completed);
    assert_eq!(at_end.result(false), Err(IoError::EndOfFile));
    assert!(rx.try_recv().is_err(), "never inside the call (J92)");
    // Both routines are queued already: one zero-timeout alertable wait runs them.
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(rx.try_recv().unwrap(), (Ok(3), b"012".to_vec()));
    assert_eq!(
        rx.try_recv().unwrap(),
        (Err(IoError::EndOfFile), Vec::new())
    );
}

/// J102: a cached read on a file bound to a port has its packet on the port at return.
#[test]
fn j102_cached_read_posts_its_packet_inside_the_call() {
    let (_dir, path) = cached_file(b"0123456789");
    let file = AsyncFile::open(&path).unwrap();
    let port = CompletionPort::new(0);
    port.associate(&file, 9).unwrap();
    let op = file.read(5, vec![0; 5]).unwrap();
    assert_eq!(op.issue_status(), IssueStatus::Completed);
    let packet = port.get(Some(Duration::ZERO)).unwrap();
    assert_eq!(
        (packet.key, packet.token, packet.status),
        (9, op.token(), Ok(5))
    );
    assert_eq!(packet.buffer.as_deref(), Some(&b"56789"[..]));
}

/// J105: a read of an empty pipe must wait: pending at return, complete once fed.
#[test]
fn j105_read_of_an_empty_pipe_is_pending_at_return() {
    let (read_end, write_end) = rustix::pipe::pipe().unwrap();
    let file = AsyncFile::from_fd(read_end).unwrap();
    let op = file.read(0, vec![0; 4]).unwrap();
    assert_eq!(op.issue_status(), IssueStatus::Pending);
    assert_eq!(rustix::io::write(&write_end, b"data").unwrap(), 4);
    assert_eq!(op.result(true), Ok(4));
    assert_eq!(
        op.issue_status(),
        IssueStatus::Pending,
        "as it stood at issue"
    );
}
