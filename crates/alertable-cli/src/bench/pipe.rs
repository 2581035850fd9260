//! `pipe`: named pipes (`alertable_io::pipe`) between two processes, against the raw Unix
//! domain sockets they are carried by. The bench starts each peer process itself, as
//! `cross-process` does ([`super::cross_process`]), and is the client; the peer serves.
//!
//! - **Round trip**: 8-byte messages on a message pipe, each sent back by the peer. Ours:
//!   the peer is a [`NamedPipe`] server whose thread sleeps in
//!   `sleep_ex(None, Alertable::Yes)`, and whose completion routines chain the requests: a
//!   `read_ex` completes into a `write_ex` of the same message, which completes into the
//!   next `read_ex`. The bench sends each message with `transact` (one request: the write
//!   and the read of the reply), or with a `write` then a `read`, waiting for each.
//!   Theirs: a `SOCK_SEQPACKET` socket pair, blocking `write` and `read` on both sides.
//! - **Throughput**: a byte pipe; per run an 8-byte header (the number of bytes to follow)
//!   then that many bytes in 4 KiB writes, each waited for; the peer counts what it reads
//!   (4 KiB reads: chained `read_ex` in ours) and answers one byte when it has all of it.
//!   Theirs: a `SOCK_STREAM` socket pair, blocking `write` and `read` on both sides.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::process::{Child, ExitCode, Stdio};
use std::time::{Duration, Instant};

use alertable::{Alertable, sleep_ex};
use alertable_io::AsyncFile;
use alertable_io::pipe::{self, NamedPipe, PipeAccess, PipeOptions, PipeType, ReadMode};

use super::cross_process::{await_ready, manual_event, peer_command, read_message, reap, unique};
use super::report::{GroupReport, Kind, Table};
use super::throughput::thousands;
use super::{Progress, Settings};

/// The size of a round-trip message.
const MESSAGE: usize = 8;
/// The size of a throughput write, and of the peer's reads.
const CHUNK: usize = 4096;

/// A round-trip contender, in table order (ours first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trip {
    Transact,
    WriteRead,
    SeqPacket,
}

impl Trip {
    const ALL: [Self; 3] = [Self::Transact, Self::WriteRead, Self::SeqPacket];

    fn id(self) -> &'static str {
        match self {
            Self::Transact => "ours-transact",
            Self::WriteRead => "ours-write-read",
            Self::SeqPacket => "unix-seqpacket",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Transact => "ours: NamedPipe, client transact",
            Self::WriteRead => "ours: NamedPipe, client write + read",
            Self::SeqPacket => "raw Unix socket (SOCK_SEQPACKET)",
        }
    }
}

/// A throughput contender, in table order (ours first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Pipe,
    Socket,
}

impl Stream {
    const ALL: [Self; 2] = [Self::Pipe, Self::Socket];

    fn id(self) -> &'static str {
        match self {
            Self::Pipe => "ours-named-pipe",
            Self::Socket => "unix-stream",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Pipe => "ours: NamedPipe, byte mode",
            Self::Socket => "raw Unix socket (SOCK_STREAM)",
        }
    }
}

/// Any contender of the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contender {
    Trip(Trip),
    Stream(Stream),
}

impl Contender {
    const ALL: [Self; 5] = [
        Self::Trip(Trip::Transact),
        Self::Trip(Trip::WriteRead),
        Self::Trip(Trip::SeqPacket),
        Self::Stream(Stream::Pipe),
        Self::Stream(Stream::Socket),
    ];

    fn id(self) -> &'static str {
        match self {
            Self::Trip(trip) => trip.id(),
            Self::Stream(stream) => stream.id(),
        }
    }
}

/// The order of the contenders in run `rep`: a rotation of [`Contender::ALL`] by a step
/// prime to their count, the step and the start moving from run to run, so that each
/// contender follows each of the others in turn instead of always the same one (a plain
/// rotation keeps every contender's neighbours).
fn order(rep: usize) -> impl Iterator<Item = Contender> {
    let n = Contender::ALL.len();
    let step = 1 + rep % (n - 1);
    let start = rep / (n - 1);
    (0..n).map(move |k| Contender::ALL[(start + k * step) % n])
}

/// One note per contender: its timed runs grouped by the contender that ran just before.
fn by_predecessor(runs: &[(Contender, Option<Contender>, f64)]) -> Vec<String> {
    Contender::ALL
        .iter()
        .map(|&contender| {
            let groups: Vec<String> = Contender::ALL
                .iter()
                .filter_map(|&before| {
                    let figures: Vec<String> = runs
                        .iter()
                        .filter(|&&(c, b, _)| c == contender && b == Some(before))
                        .map(|&(_, _, ns)| thousands(ns.round() as usize))
                        .collect();
                    (!figures.is_empty())
                        .then(|| format!("after {}: {}", before.id(), figures.join(" / ")))
                })
                .collect();
            format!("{}: {}", contender.id(), groups.join("; "))
        })
        .collect()
}

/// The bench's end of a connection to a peer process.
enum End {
    /// A client of the peer's named pipe.
    Pipe(AsyncFile),
    /// A socket whose other end is the peer's standard input.
    Socket(OwnedFd),
}

/// A peer process and the bench's end of its connection.
struct Peer {
    child: Child,
    /// Taken only when the peer is dropped, so that the connection closes (which ends the
    /// peer) before it is reaped.
    end: Option<End>,
}

impl Peer {
    /// A named-pipe server peer: `message` for the echoing message pipe, else the counting
    /// byte pipe.
    fn named_pipe(message: bool) -> Self {
        let name = format!(r"\\.\pipe\{}", unique("pipe"));
        let ready_name = unique("ready");
        let ready = manual_event(&ready_name);
        let role = if message { "pipe-echo" } else { "pipe-sink" };
        let mut child = peer_command(&[role, &ready_name, &name])
            .spawn()
            .expect("the bench can run itself");
        // On a thread of its own, so that this one never waits on a named object (`run`).
        std::thread::scope(|scope| {
            scope
                .spawn(|| await_ready(&ready, &mut child))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        });
        let client = pipe::open(&name, PipeAccess::Duplex).expect("the peer's pipe opens");
        if message {
            client
                .set_read_mode(ReadMode::Message)
                .expect("a message pipe reads messages");
        }
        Self {
            child,
            end: Some(End::Pipe(client)),
        }
    }

    /// A socket peer: `SOCK_SEQPACKET` echoing, or `SOCK_STREAM` counting. What is written
    /// before it reads waits in the kernel: no sign of readiness is needed.
    fn socket(message: bool) -> Self {
        use rustix::net::{AddressFamily, SocketFlags, SocketType, socketpair};
        let (kind, role) = if message {
            (SocketType::SEQPACKET, "socket-echo")
        } else {
            (SocketType::STREAM, "socket-sink")
        };
        let (mine, theirs) = socketpair(AddressFamily::UNIX, kind, SocketFlags::CLOEXEC, None)
            .expect("a Unix socket pair");
        let child = peer_command(&[role])
            .stdin(Stdio::from(theirs))
            .spawn()
            .expect("the bench can run itself");
        Self {
            child,
            end: Some(End::Socket(mine)),
        }
    }

    fn end(&self) -> &End {
        self.end.as_ref().expect("taken only when dropped")
    }

    /// `trips` round trips of 8-byte messages; with a pipe, through `transact` or not.
    fn round_trips(&self, trips: usize, transact: bool) -> Duration {
        let mut reply = vec![0u8; MESSAGE];
        let start = Instant::now();
        for i in 0..trips {
            let message = (i as u64).to_le_bytes().to_vec();
            match self.end() {
                End::Pipe(client) if transact => {
                    let op = client
                        .transact(message, reply)
                        .expect("the peer takes the message");
                    assert_eq!(op.result(true), Ok(MESSAGE), "the peer sends it back");
                    reply = op.take_buffer().expect("a transact's buffer comes back");
                }
                End::Pipe(client) => {
                    let op = client.write(0, message).expect("the peer reads");
                    assert_eq!(op.result(true), Ok(MESSAGE), "a message goes whole");
                    let op = client.read(0, reply).expect("the peer answers");
                    assert_eq!(op.result(true), Ok(MESSAGE), "the peer sends it back");
                    reply = op.take_buffer().expect("a read's buffer comes back");
                }
                End::Socket(fd) => {
                    let n = rustix::io::write(fd, &message).expect("the peer reads");
                    assert_eq!(n, MESSAGE, "a message goes in one write");
                    assert!(read_message(fd, &mut reply), "the peer closed its end");
                }
            }
            assert_eq!(
                reply[..],
                (i as u64).to_le_bytes(),
                "the peer sends back the message it got"
            );
            reply.resize(MESSAGE, 0);
        }
        start.elapsed()
    }

    /// Sends a header and `chunks` 4 KiB writes, and waits for the peer's answer that it
    /// has read them all.
    fn throughput(&self, chunks: usize) -> Duration {
        let header = ((chunks * CHUNK) as u64).to_le_bytes();
        let mut chunk = vec![0x5a_u8; CHUNK];
        let start = Instant::now();
        match self.end() {
            End::Pipe(client) => {
                let write = |buffer: Vec<u8>| {
                    let len = buffer.len();
                    let op = client.write(0, buffer).expect("the peer reads");
                    assert_eq!(op.result(true), Ok(len), "a write goes whole");
                    op.take_buffer().expect("a write's buffer comes back")
                };
                write(header.to_vec());
                for _ in 0..chunks {
                    chunk = write(chunk);
                }
                let op = client.read(0, vec![0; 1]).expect("the peer answers");
                assert_eq!(
                    op.result(true),
                    Ok(1),
                    "the peer answers when it has it all"
                );
            }
            End::Socket(fd) => {
                write_all(fd, &header);
                for _ in 0..chunks {
                    write_all(fd, &chunk);
                }
                let mut answer = [0u8; 1];
                assert!(read_message(fd, &mut answer), "the peer closed its end");
            }
        }
        start.elapsed()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Closing the connection ends the peer.
        drop(self.end.take());
        reap(&mut self.child);
    }
}

/// Writes all of `data` (a stream socket may take it in parts).
fn write_all(fd: &impl std::os::fd::AsFd, mut data: &[u8]) {
    while !data.is_empty() {
        match rustix::io::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => panic!("write to a bench peer: {e}"),
        }
    }
}

/// The progress bar's steps of `pipe`: every contender's runs, warm-up included.
pub(crate) fn steps(s: &Settings) -> u64 {
    ((Trip::ALL.len() + Stream::ALL.len()) * (s.reps + 1)) as u64
}

/// `pipe`, on a thread of its own: a client thread that has waited on a named object (the
/// bench's main thread has, for the peers' readiness and in `cross-process`) parks on
/// shared memory from then on, so its waits cannot sleep on its pipe (P4 and P5 of the
/// core's `parker.rs`), which a pipe client's thread seldom has reason to do.
pub(crate) fn run(s: &Settings, progress: &Progress) -> GroupReport {
    std::thread::scope(|scope| {
        scope
            .spawn(|| run_here(s, progress))
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn run_here(s: &Settings, progress: &Progress) -> GroupReport {
    let (trips, chunks) = (s.pipe_trips, s.pipe_chunks);
    let echo_pipe = Peer::named_pipe(true);
    let echo_socket = Peer::socket(true);
    let sink_pipe = Peer::named_pipe(false);
    let sink_socket = Peer::socket(false);

    let ns_per = |d: Duration, n: usize| d.as_secs_f64() * 1e9 / n as f64;
    // Run 0 warms every contender up, untimed.
    let work = |rep: usize, n: usize| if rep == 0 { (n / 10).max(1) } else { n };
    let label = |rep: usize, what: &str| {
        if rep == 0 {
            format!("{what}: warm-up")
        } else {
            format!("{what}: run {rep}/{}", s.reps)
        }
    };
    let mut round_trip = vec![Vec::with_capacity(s.reps); Trip::ALL.len()];
    let mut throughput = vec![Vec::with_capacity(s.reps); Stream::ALL.len()];
    // Each timed run's contender, the one run just before it, and its ns per op.
    let mut runs: Vec<(Contender, Option<Contender>, f64)> = Vec::new();
    let mut previous = None;
    for rep in 0..=s.reps {
        let (t, c) = (work(rep, trips), work(rep, chunks));
        for contender in order(rep) {
            let (ns, what) = match contender {
                Contender::Trip(trip) => {
                    let d = progress.run(label(rep, trip.name()), || match trip {
                        Trip::Transact => echo_pipe.round_trips(t, true),
                        Trip::WriteRead => echo_pipe.round_trips(t, false),
                        Trip::SeqPacket => echo_socket.round_trips(t, false),
                    });
                    (ns_per(d, t), &mut round_trip[trip as usize])
                }
                Contender::Stream(stream) => {
                    let d = progress.run(label(rep, stream.name()), || match stream {
                        Stream::Pipe => sink_pipe.throughput(c),
                        Stream::Socket => sink_socket.throughput(c),
                    });
                    (ns_per(d, c), &mut throughput[stream as usize])
                }
            };
            if rep > 0 {
                what.push(ns);
                runs.push((contender, previous, ns));
            }
            previous = Some(contender);
        }
    }
    drop((echo_pipe, echo_socket, sink_pipe, sink_socket));

    let mut table = Table::new(
        format!(
            "round trip, {MESSAGE}-byte messages: {} per run to a peer process, which sends \
             each back; {} runs; one op = one round trip",
            thousands(trips),
            s.reps
        ),
        Kind::Time,
    );
    for (t, samples) in Trip::ALL.iter().zip(round_trip) {
        table.push(t.id(), t.name(), samples, BTreeMap::new());
    }
    let mut tables = vec![table.finish()];
    let mut table = Table::new(
        format!(
            "throughput, 4 KiB writes: {} per run (then one byte back) to a peer process; \
             {} runs; one op = one 4 KiB write",
            thousands(chunks),
            s.reps
        ),
        Kind::Time,
    );
    for (t, samples) in Stream::ALL.iter().zip(throughput) {
        table.push(t.id(), t.name(), samples, BTreeMap::new());
    }
    tables.push(table.finish());

    GroupReport {
        name: "pipe",
        description: "named pipes to a peer process: round trip and 4 KiB throughput vs the \
                      raw Unix sockets under them",
        tables,
        notes: [
            "each peer is this binary run again; its main thread serves, ours from the \
             completion routines of its alertable sleep"
                .to_owned(),
            "the five contenders of both tables run in a different order each run (a \
             rotation by a varying step), so that none always follows the same one; below, \
             each contender's runs by the one that ran just before it (ns per op: each run's \
             figure)"
                .to_owned(),
        ]
        .into_iter()
        .chain(by_predecessor(&runs))
        .collect(),
    }
}

// ---------------------------------------------------------------------------------------
// The peers.

thread_local! {
    /// The served connection has ended (the bench closed its end).
    static DONE: Cell<bool> = const { Cell::new(false) };
    /// What the counting peer has read of the current run.
    static SINK: RefCell<Sink> = const { RefCell::new(Sink::new()) };
}

/// Counts a byte stream of runs, each an 8-byte length then that many bytes.
struct Sink {
    header: [u8; 8],
    have: usize,
    left: u64,
}

impl Sink {
    const fn new() -> Self {
        Self {
            header: [0; 8],
            have: 0,
            left: 0,
        }
    }

    /// Takes `data`; true if it ended a run.
    fn take(&mut self, mut data: &[u8]) -> bool {
        let mut ended = false;
        while !data.is_empty() {
            if self.have < 8 {
                let n = (8 - self.have).min(data.len());
                self.header[self.have..self.have + n].copy_from_slice(&data[..n]);
                self.have += n;
                data = &data[n..];
                if self.have == 8 {
                    self.left = u64::from_le_bytes(self.header);
                }
            } else {
                let n = data
                    .len()
                    .min(usize::try_from(self.left).unwrap_or(usize::MAX));
                self.left -= n as u64;
                data = &data[n..];
            }
            if self.have == 8 && self.left == 0 {
                self.have = 0;
                ended = true;
            }
        }
        ended
    }
}

/// Runs a peer of this group; `role` is `[ROLE, …]` after `__peer bench PARENT_PID`.
pub(crate) fn peer(role: &[String]) -> ExitCode {
    let arg = |i: usize| -> &str {
        role.get(i).map_or_else(
            || panic!("bench pipe peer: argument {i} missing"),
            String::as_str,
        )
    };
    match arg(0) {
        "pipe-echo" | "pipe-sink" => {
            let message = arg(0) == "pipe-echo";
            let options = PipeOptions {
                pipe_type: if message {
                    PipeType::Message
                } else {
                    PipeType::Byte
                },
                read_mode: if message {
                    ReadMode::Message
                } else {
                    ReadMode::Byte
                },
                ..PipeOptions::default()
            };
            let server =
                NamedPipe::create(arg(2), &options).expect("bench pipe peer: a fresh name");
            alertable::Event::open(arg(1))
                .expect("bench pipe peer: the bench created the event")
                .set();
            server
                .connect_blocking()
                .expect("bench pipe peer: the bench connects");
            let file = server.file().clone();
            if message {
                echo_read(&file, vec![0; MESSAGE]);
            } else {
                sink_read(&file, vec![0; CHUNK]);
            }
            while !DONE.get() {
                sleep_ex(None, Alertable::Yes);
            }
        }
        "socket-echo" => {
            let input = std::io::stdin();
            let mut m = [0u8; MESSAGE];
            while read_message(&input, &mut m) {
                write_all(&input, &m);
            }
        }
        "socket-sink" => {
            let input = std::io::stdin();
            let mut sink = Sink::new();
            let mut buffer = vec![0u8; CHUNK];
            loop {
                match rustix::io::read(&input, &mut buffer) {
                    Ok(0) => break,
                    Ok(n) => {
                        if sink.take(&buffer[..n]) {
                            write_all(&input, &[1]);
                        }
                    }
                    Err(rustix::io::Errno::INTR) => {}
                    Err(e) => panic!("bench pipe peer: read: {e}"),
                }
            }
        }
        other => panic!("bench pipe peer: no role {other:?}"),
    }
    ExitCode::SUCCESS
}

/// Reads the next message; its routine writes it back, and that write's routine reads
/// the next. An error (the bench closed its end) ends the chain.
fn echo_read(file: &AsyncFile, buffer: Vec<u8>) {
    let next = file.clone();
    let issued = file.read_ex(0, buffer, move |result, buffer| {
        if result.is_err() {
            DONE.set(true);
            return;
        }
        let again = next.clone();
        let issued = next.write_ex(0, buffer, move |result, mut buffer| {
            if result.is_err() {
                DONE.set(true);
                return;
            }
            buffer.resize(MESSAGE, 0);
            echo_read(&again, buffer);
        });
        if issued.is_err() {
            DONE.set(true);
        }
    });
    if issued.is_err() {
        DONE.set(true);
    }
}

/// Reads the next 4 KiB; its routine counts them and reads again, or, at the end of a run,
/// writes the one-byte answer first.
fn sink_read(file: &AsyncFile, buffer: Vec<u8>) {
    let next = file.clone();
    let issued = file.read_ex(0, buffer, move |result, mut buffer| {
        if result.is_err() {
            DONE.set(true);
            return;
        }
        let ended = SINK.with_borrow_mut(|sink| sink.take(&buffer));
        buffer.resize(CHUNK, 0);
        if !ended {
            sink_read(&next, buffer);
            return;
        }
        let again = next.clone();
        let issued = next.write_ex(0, vec![1], move |result, _| {
            if result.is_err() {
                DONE.set(true);
                return;
            }
            sink_read(&again, buffer);
        });
        if issued.is_err() {
            DONE.set(true);
        }
    });
    if issued.is_err() {
        DONE.set(true);
    }
}
