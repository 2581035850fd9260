//! Files bound to completion ports: the fourth completion style (spec section L, entries
//! 121, 132, and J108), on real temporary files and pipes.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::sync::mpsc;
use std::time::Duration;

use alertable::{Alertable, Event, EventReset, SleepStatus, WaitStatus, sleep_ex, wait_one};
use alertable_io::{AsyncFile, CompletionPacket, CompletionPort, IoError, PortError};

/// A hang guard: never reached in a passing run.
const LONG: Duration = Duration::from_secs(20);

fn temp_file(contents: &[u8]) -> (tempfile::TempDir, AsyncFile) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    std::fs::write(&path, contents).unwrap();
    let file = AsyncFile::try_from(
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap(),
    )
    .unwrap();
    (dir, file)
}

fn pipe() -> (AsyncFile, OwnedFd) {
    let (read_end, write_end) = rustix::pipe::pipe().unwrap();
    (AsyncFile::from_fd(read_end).unwrap(), write_end)
}

fn feed(write_end: &OwnedFd, data: &[u8]) {
    std::fs::File::from(write_end.try_clone().unwrap())
        .write_all(data)
        .unwrap();
}

fn take(port: &CompletionPort) -> CompletionPacket {
    port.get(Some(LONG)).expect("a packet arrives")
}

/// L132: a request on a bound file completes as a packet carrying the key, the request's
/// token, the byte count and the buffer — also when it finished at once.
#[test]
fn l132_requests_on_a_bound_file_complete_as_packets() {
    let (_dir, file) = temp_file(b"0123456789");
    let port = CompletionPort::new(0);
    port.associate(&file, 42).unwrap();
    assert_eq!(file.completion_port().map(|(_, key)| key), Some(42));

    let read = file.read(2, vec![0; 4]).unwrap();
    let packet = take(&port);
    assert_eq!(
        packet,
        CompletionPacket {
            key: 42,
            token: read.token(),
            status: Ok(4),
            buffer: Some(b"2345".to_vec()),
        }
    );
    assert_eq!(read.result(false), Ok(4), "the request reports too");
    assert_eq!(read.take_buffer(), None, "the buffer went with the packet");

    let write = file.write(10, b"ab".to_vec()).unwrap();
    let packet = take(&port);
    assert_eq!((packet.token, packet.status), (write.token(), Ok(2)));
    assert_eq!(packet.buffer.as_deref(), Some(&b"ab"[..]));
    assert_eq!(port.get(Some(Duration::ZERO)), Err(PortError::TimedOut));
}

/// L127 with J100: a failed request's packet comes back whole, with the error as status.
#[test]
fn l127_end_of_file_packet_is_whole() {
    let (_dir, file) = temp_file(b"abc");
    let port = CompletionPort::new(1);
    port.associate(&file, 1).unwrap();
    let read = file.read(3, vec![0; 8]).unwrap();
    let packet = take(&port);
    assert_eq!(packet.key, 1);
    assert_eq!(packet.token, read.token());
    assert_eq!(packet.status, Err(IoError::EndOfFile));
    assert_eq!(packet.status.unwrap_err().win32_error(), 38);
    assert_eq!(packet.buffer, Some(Vec::new()));
}

/// J108: a completion routine on a bound file is refused at once; one issued before the
/// binding completes through its routine only, without a packet.
#[test]
fn j108_routines_and_ports_do_not_mix() {
    let (file, write_end) = pipe();
    let (tx, rx) = mpsc::channel();
    let early = file
        .read_ex(0, vec![0; 8], move |result, buffer| {
            tx.send((result, buffer)).unwrap();
        })
        .unwrap();
    let port = CompletionPort::new(0);
    port.associate(&file, 5).unwrap();

    let refused = file
        .read_ex(0, vec![1, 2, 3], |_, _| unreachable!())
        .unwrap_err();
    assert_eq!(refused.error, IoError::InvalidParameter);
    assert_eq!(refused.win32_error(), 87);
    assert_eq!(refused.buffer, vec![1, 2, 3], "the buffer comes back");

    feed(&write_end, b"early");
    early.wait(Some(LONG), Alertable::No).unwrap();
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(rx.try_recv().unwrap(), (Ok(5), b"early".to_vec()));
    assert_eq!(port.get(Some(Duration::ZERO)), Err(PortError::TimedOut));
}

/// A file is bound once; a closed port binds nothing.
#[test]
fn binding_twice_or_to_a_closed_port_is_refused() {
    let (_dir, file) = temp_file(b"");
    let port = CompletionPort::new(0);
    port.associate(&file, 1).unwrap();
    assert_eq!(port.associate(&file, 2), Err(PortError::InvalidParameter));
    assert_eq!(
        CompletionPort::new(0).associate(&file, 3),
        Err(PortError::InvalidParameter)
    );
    let (_dir2, other) = temp_file(b"");
    let closed = CompletionPort::new(0);
    closed.close();
    assert_eq!(closed.associate(&other, 1), Err(PortError::Closed));
    assert!(other.completion_port().is_none());
}

/// An event request on a bound file signals the event and posts the packet.
#[test]
fn event_and_packet_both_complete() {
    let (_dir, file) = temp_file(b"xyz");
    let port = CompletionPort::new(0);
    port.associate(&file, 9).unwrap();
    let event = Event::new(EventReset::Manual, false);
    let read = file.read_with_event(0, vec![0; 3], &event).unwrap();
    assert_eq!(
        wait_one(&event, Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    let packet = take(&port);
    assert_eq!((packet.token, packet.status), (read.token(), Ok(3)));
}

/// K121: a request on a bound file without an event outlives its thread and completes to
/// the port later; one with an event is cancelled at the thread's exit and posts an
/// aborted packet (995).
#[test]
fn k121_port_requests_outlive_their_thread_unless_they_have_an_event() {
    let (file, write_end) = pipe();
    let port = CompletionPort::new(0);
    port.associate(&file, 3).unwrap();
    let event = Event::new(EventReset::Manual, false);
    let (tokens_tx, tokens_rx) = mpsc::channel();
    {
        let file = file.clone();
        let event = event.clone();
        alertable::spawn(move || {
            let with_event = file.read_with_event(0, vec![0; 8], &event).unwrap();
            let plain = file.read(0, vec![0; 8]).unwrap();
            tokens_tx.send((with_event.token(), plain.token())).unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
    }
    let (with_event, plain) = tokens_rx.recv().unwrap();
    let aborted = take(&port);
    assert_eq!(
        (aborted.token, aborted.status),
        (with_event, Err(IoError::Aborted))
    );
    assert_eq!(
        wait_one(&event, Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(port.get(Some(Duration::ZERO)), Err(PortError::TimedOut));

    feed(&write_end, b"later");
    let packet = take(&port);
    assert_eq!((packet.token, packet.status), (plain, Ok(5)));
    assert_eq!(packet.buffer.as_deref(), Some(&b"later"[..]));
}

/// A bound file keeps its port open after the last `CompletionPort` handle is dropped.
#[test]
fn a_bound_file_keeps_its_port_open() {
    let (_dir, file) = temp_file(b"kept");
    let port = CompletionPort::new(0);
    port.associate(&file, 1).unwrap();
    let observer = port.clone();
    drop(port);
    assert!(!observer.is_closed());
    let read = file.read(0, vec![0; 4]).unwrap();
    let packet = take(&observer);
    assert_eq!((packet.token, packet.status), (read.token(), Ok(4)));
}
