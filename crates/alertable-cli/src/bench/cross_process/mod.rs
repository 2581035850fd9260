//! `cross-process`: messages between two processes. The bench starts each peer process
//! itself, by running its own binary again with the hidden `__peer bench …` arguments
//! ([`peer::run`]); each peer serves one transport and one message size for the whole
//! group, so the runs of the contenders can be interleaved as in the other groups.
//!
//! - **Throughput**: this process sends N messages of 8 or 64 bytes, then one that asks
//!   for the count; the peer counts them and answers with the count, which must be N. The
//!   time until the answer is back, per message.
//! - **Round trip**: this process sends one 8-byte message, the peer sends it back, this
//!   process waits for it; per round trip.
//! - **Named events**: a set of one auto-reset event and a wait on another, answered by a
//!   thread that waits on the first and sets the second; in two processes, and in two
//!   threads of one process.
//! - **Idle CPU**: the CPU time and context switches, from `/proc/PID/task/TID`, of each
//!   peer's serving thread while nothing is sent for a window.
//! - **Bystanders**: the remote-APC throughput again, with 0, 4 and 8 more processes
//!   attached to the object namespace, which a remote queue's dead-process sweep visits.
//!
//! Contenders: ours, remote APCs ([`alertable::RemoteThread::queue`]) to a published thread
//! that waits in `sleep_ex(None, Alertable::Yes)`, each message a call of a named handler;
//! a Unix domain socket pair of type `SOCK_SEQPACKET` and a pair of pipes, with blocking
//! `write` and `read` (the peer sleeps in `read`); iceoryx2 publish-subscribe with a
//! notification per sample, the peer asleep in its listener (`ice.rs`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs;
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use alertable::{
    Alertable, Event, EventReset, RemoteThread, WaitStatus, Waitable, sleep_ex, wait_any, wait_one,
};

use super::report::{GroupReport, Kind, Table};
use super::throughput::thousands;
use super::{Progress, Settings};

mod ice;
mod peer;

pub(crate) use peer::run as peer;

mod local;
use local::Local;

/// What a message asks of the peer: its first byte.
const DATA: u8 = 1;
/// "Answer with the number of data messages since the last such question."
const COUNT: u8 = 2;
/// "Send this message back."
const ECHO: u8 = 3;
/// "Exit."
const QUIT: u8 = 4;
/// An iceoryx2 peer's first sample: its ports are open.
const READY: u8 = 5;

/// The handler names of the remote-APC contender, by tag.
const HANDLERS: [&str; 5] = ["", "bench.data", "bench.count", "bench.echo", "bench.quit"];
/// The handler the peer's answers call in this process.
const ANSWER: &str = "bench.answer";

/// How long either side waits for the other before deciding that it never will: far
/// beyond anything a loaded machine needs; it turns a broken transport into a panic
/// rather than a bench that never ends.
const PATIENCE: Duration = Duration::from_secs(60);

/// The message sizes of the throughput tables; the round trips use the first.
const SIZES: [usize; 2] = [8, 64];

/// The transports, in table order (ours first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Apc,
    SeqPacket,
    Pipe,
    Iceoryx2,
}

impl Transport {
    const ALL: [Self; 4] = [Self::Apc, Self::SeqPacket, Self::Pipe, Self::Iceoryx2];

    fn id(self) -> &'static str {
        match self {
            Self::Apc => "ours-remote-apc",
            Self::SeqPacket => "unix-seqpacket",
            Self::Pipe => "pipe",
            Self::Iceoryx2 => "iceoryx2",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Apc => "ours: RemoteThread::queue",
            Self::SeqPacket => "Unix socket (SOCK_SEQPACKET)",
            Self::Pipe => "pipe (a pair)",
            Self::Iceoryx2 => "iceoryx2 0.10 (pub-sub + event)",
        }
    }

    /// The argument that names it to the peer.
    fn arg(self) -> &'static str {
        match self {
            Self::Apc => "apc",
            Self::SeqPacket => "seqpacket",
            Self::Pipe => "pipe",
            Self::Iceoryx2 => "iceoryx2",
        }
    }

    fn from_arg(arg: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.arg() == arg)
    }
}

/// A message of `size` bytes carrying `tag`.
fn message(tag: u8, size: usize) -> Vec<u8> {
    let mut m = vec![0u8; size];
    m[0] = tag;
    m
}

/// The count an answer carries (bytes 4..8).
fn count_of(answer: &[u8]) -> u32 {
    u32::from_le_bytes(
        answer[4..8]
            .try_into()
            .expect("answers are at least 8 bytes"),
    )
}

/// An answer of `size` bytes carrying `count`.
fn answer(count: u32, size: usize) -> Vec<u8> {
    let mut m = message(COUNT, size);
    m[4..8].copy_from_slice(&count.to_le_bytes());
    m
}

/// A name no other run of the bench uses.
pub(super) fn unique(what: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "alertable-bench-{}-{what}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The command that starts a peer with `args`.
pub(super) fn peer_command(args: &[&str]) -> Command {
    let exe = std::env::current_exe().expect("the bench knows its own binary");
    let mut command = Command::new(exe);
    command
        .args(["__peer", "bench", &std::process::id().to_string()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command
}

/// A named manual-reset event, new.
pub(super) fn manual_event(name: &str) -> Event {
    Event::create_named(name, EventReset::Manual, false)
        .expect("a fresh name")
        .into_inner()
}

/// Waits until `ready` is set by a peer, or fails if `child` exited first.
pub(super) fn await_ready(ready: &Event, child: &mut Child) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let status = wait_one(ready, Some(Duration::from_millis(100)), Alertable::No);
        if status == Ok(WaitStatus::Signaled(0)) {
            return;
        }
        if let Ok(Some(exit)) = child.try_wait() {
            panic!("a bench peer exited before it was ready: {exit}");
        }
        assert!(Instant::now() < deadline, "a bench peer never became ready");
    }
}

/// Ends a peer: it has been asked to exit (or its input closed); kill it if it has not
/// within a while.
pub(super) fn reap(child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    let _ = child.wait();
}

thread_local! {
    /// The last answer a peer sent to this thread by remote APC.
    static ANSWERED: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

fn on_answer(message: &[u8]) {
    ANSWERED.set(Some(message.to_vec()));
}

/// Publishes the calling thread for the peers' answers, once; its name.
fn publish_me() -> String {
    let name = format!("alertable-bench-{}", std::process::id());
    thread_local! {
        static PUBLISHED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if !PUBLISHED.get() {
        alertable::register_remote_handler(ANSWER, on_answer).expect("a short name");
        alertable::publish_current(Some(&name)).expect("the namespace is usable");
        PUBLISHED.set(true);
    }
    name
}

/// Waits alertably until a peer's answer has run here; returns it.
fn await_answer() -> Vec<u8> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(answer) = ANSWERED.take() {
            return answer;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "a bench peer never answered");
        sleep_ex(Some(left), Alertable::Yes);
    }
}

/// The connection to one peer process.
enum Link {
    Apc {
        peer: RemoteThread,
    },
    /// A socket (both fds are the same socket) or a pair of pipes.
    Fds {
        to_peer: OwnedFd,
        from_peer: OwnedFd,
    },
    Ice8(Box<ice::Ports<8>>),
    Ice64(Box<ice::Ports<64>>),
}

/// A peer process, and how to reach it.
struct Peer {
    transport: Transport,
    size: usize,
    /// The process; `None` for a second size served by the same remote-APC peer (its
    /// messages carry their length), which keeps the namespace to the two processes the
    /// comparison is about.
    child: Option<Child>,
    /// The process's id.
    pid: u32,
    /// Taken only when the peer is dropped, so that its input closes before it is reaped.
    link: Option<Link>,
}

impl Peer {
    /// Starts a peer serving `transport` with `size`-byte messages; for the remote-APC
    /// transport, `apc` may be a peer that already serves it, for another size.
    fn start(transport: Transport, size: usize, apc: Option<&Self>) -> Self {
        let size_arg = size.to_string();
        if let (
            Transport::Apc,
            Some(Self {
                link: Some(Link::Apc { peer }),
                pid,
                ..
            }),
        ) = (transport, apc)
        {
            return Self {
                transport,
                size,
                child: None,
                pid: *pid,
                link: Some(Link::Apc { peer: peer.clone() }),
            };
        }
        let (child, link) = match transport {
            Transport::Apc => {
                let me = publish_me();
                let name = unique("apc");
                let ready_name = unique("ready");
                let ready = manual_event(&ready_name);
                let mut child =
                    peer_command(&[transport.arg(), &size_arg, &ready_name, &name, &me])
                        .spawn()
                        .expect("the bench can run itself");
                await_ready(&ready, &mut child);
                let peer = RemoteThread::open(&name).expect("the peer published itself");
                (child, Link::Apc { peer })
            }
            // Sockets and pipes need no sign that the peer is ready: what is written before
            // it reads waits in the kernel.
            Transport::SeqPacket => {
                use rustix::net::{AddressFamily, SocketFlags, SocketType, socketpair};
                let (mine, theirs) = socketpair(
                    AddressFamily::UNIX,
                    SocketType::SEQPACKET,
                    SocketFlags::CLOEXEC,
                    None,
                )
                .expect("a SOCK_SEQPACKET socket pair");
                let child = peer_command(&[transport.arg(), &size_arg])
                    .stdin(Stdio::from(theirs))
                    .spawn()
                    .expect("the bench can run itself");
                let from_peer = mine.try_clone().expect("dup of a socket");
                let link = Link::Fds {
                    to_peer: mine,
                    from_peer,
                };
                (child, link)
            }
            Transport::Pipe => {
                let mut child = peer_command(&[transport.arg(), &size_arg])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("the bench can run itself");
                let link = Link::Fds {
                    to_peer: child.stdin.take().expect("piped").into(),
                    from_peer: child.stdout.take().expect("piped").into(),
                };
                (child, link)
            }
            // The peer says it is ready with a sample of its own.
            Transport::Iceoryx2 => {
                let prefix = unique("iceoryx2");
                let link = match size {
                    8 => Link::Ice8(Box::new(
                        ice::Ports::open(&prefix, "to-peer", "from-peer").expect("iceoryx2 ports"),
                    )),
                    64 => Link::Ice64(Box::new(
                        ice::Ports::open(&prefix, "to-peer", "from-peer").expect("iceoryx2 ports"),
                    )),
                    other => panic!("no iceoryx2 contender for {other}-byte messages"),
                };
                let child = peer_command(&[transport.arg(), &size_arg, &prefix])
                    .spawn()
                    .expect("the bench can run itself");
                (child, link)
            }
        };
        let peer = Self {
            transport,
            size,
            pid: child.id(),
            child: Some(child),
            link: Some(link),
        };
        if transport == Transport::Iceoryx2 {
            let ready = peer.receive();
            assert_eq!(
                ready[0], READY,
                "the iceoryx2 peer's first sample says it is ready"
            );
        }
        peer
    }

    fn link(&self) -> &Link {
        self.link.as_ref().expect("taken only when dropped")
    }

    /// The peer's serving thread: its main thread.
    fn pid(&self) -> u32 {
        self.pid
    }

    fn send(&self, tag: u8) {
        match self.link() {
            Link::Apc { peer } => peer
                .queue_timeout(HANDLERS[tag as usize], &message(tag, self.size), PATIENCE)
                .expect("the peer takes its remote APCs"),
            Link::Fds { to_peer, .. } => {
                let m = message(tag, self.size);
                let n = rustix::io::write(to_peer, &m).expect("the peer reads its input");
                assert_eq!(n, m.len(), "a message goes in one write");
            }
            Link::Ice8(ports) => {
                let mut m = [0u8; 8];
                m[0] = tag;
                ports.send(m);
            }
            Link::Ice64(ports) => {
                let mut m = [0u8; 64];
                m[0] = tag;
                ports.send(m);
            }
        }
    }

    fn receive(&self) -> Vec<u8> {
        match self.link() {
            Link::Apc { .. } => await_answer(),
            Link::Fds { from_peer, .. } => {
                let mut m = vec![0u8; self.size];
                assert!(read_message(from_peer, &mut m), "the peer closed its end");
                m
            }
            Link::Ice8(ports) => ports.receive(PATIENCE).expect("an answer").to_vec(),
            Link::Ice64(ports) => ports.receive(PATIENCE).expect("an answer").to_vec(),
        }
    }

    /// Sends `count` data messages and asks for the count; the time until the answer.
    fn throughput(&self, count: usize) -> Duration {
        let start = Instant::now();
        for _ in 0..count {
            self.send(DATA);
        }
        self.send(COUNT);
        let answer = self.receive();
        let elapsed = start.elapsed();
        assert_eq!(
            count_of(&answer) as usize,
            count,
            "{}: the peer got every message once",
            self.transport.name()
        );
        elapsed
    }

    /// `trips` round trips.
    fn round_trips(&self, trips: usize) -> Duration {
        let start = Instant::now();
        for _ in 0..trips {
            self.send(ECHO);
            let back = self.receive();
            assert_eq!(back[0], ECHO, "the peer sends the message back");
        }
        start.elapsed()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // Closing its input ends a socket or pipe peer's read loop; the others are asked.
        if !matches!(self.link(), Link::Fds { .. }) && !thread::panicking() {
            self.send(QUIT);
        }
        drop(self.link.take());
        reap(&mut child);
    }
}

/// Reads one message of `m.len()` bytes; false at end of input.
pub(super) fn read_message(fd: &impl AsFd, m: &mut [u8]) -> bool {
    let mut got = 0;
    while got < m.len() {
        match rustix::io::read(fd, &mut m[got..]) {
            Ok(0) => return false,
            Ok(n) => got += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => panic!("read from a bench peer: {e}"),
        }
    }
    true
}

/// Two auto-reset events and a thread (here or in a peer) that answers a set of `ping`
/// with a set of `pong`, until `quit` is set.
struct EventPair {
    ping: Event,
    pong: Event,
    quit: Event,
    server: Server,
}

enum Server {
    Process(Child),
    Thread(thread::JoinHandle<()>),
}

/// The answering loop, the same in both places.
fn serve_events(ping: &Event, pong: &Event, quit: &Event) {
    loop {
        match wait_any(&[ping as &dyn Waitable, quit], None, Alertable::No) {
            Ok(WaitStatus::Signaled(0)) => pong.set(),
            Ok(WaitStatus::Signaled(1)) => return,
            other => panic!("the event server's wait returned {other:?}"),
        }
    }
}

/// How the pair is set up.
#[derive(Debug, Clone, Copy)]
enum PairKind {
    /// Named events, the server in a peer process.
    NamedTwoProcesses,
    /// Named events, the server in a thread of this process.
    NamedOneProcess,
    /// Unnamed events, the server in a thread of this process.
    UnnamedOneProcess,
}

impl PairKind {
    const ALL: [Self; 3] = [
        Self::NamedTwoProcesses,
        Self::NamedOneProcess,
        Self::UnnamedOneProcess,
    ];

    fn id(self) -> &'static str {
        match self {
            Self::NamedTwoProcesses => "ours-named-two-processes",
            Self::NamedOneProcess => "ours-named-one-process",
            Self::UnnamedOneProcess => "ours-unnamed-one-process",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::NamedTwoProcesses => "named events, two processes",
            Self::NamedOneProcess => "named events, two threads of one process",
            Self::UnnamedOneProcess => "unnamed events, two threads of one process",
        }
    }
}

impl EventPair {
    fn start(kind: PairKind) -> Self {
        let auto = |name: &str| {
            Event::create_named(name, EventReset::Auto, false)
                .expect("a fresh name")
                .into_inner()
        };
        let names = [unique("ping"), unique("pong"), unique("quit")];
        let (ping, pong, quit) = match kind {
            PairKind::UnnamedOneProcess => (
                Event::new(EventReset::Auto, false),
                Event::new(EventReset::Auto, false),
                Event::new(EventReset::Manual, false),
            ),
            _ => (auto(&names[0]), auto(&names[1]), manual_event(&names[2])),
        };
        let server = match kind {
            PairKind::NamedTwoProcesses => {
                let ready_name = unique("ready");
                let ready = manual_event(&ready_name);
                let mut child =
                    peer_command(&["events", &ready_name, &names[0], &names[1], &names[2]])
                        .spawn()
                        .expect("the bench can run itself");
                await_ready(&ready, &mut child);
                Server::Process(child)
            }
            _ => {
                let (ping, pong, quit) = (ping.clone(), pong.clone(), quit.clone());
                Server::Thread(thread::spawn(move || serve_events(&ping, &pong, &quit)))
            }
        };
        Self {
            ping,
            pong,
            quit,
            server,
        }
    }

    fn round_trips(&self, trips: usize) -> Duration {
        let start = Instant::now();
        for _ in 0..trips {
            self.ping.set();
            let status = wait_one(&self.pong, Some(PATIENCE), Alertable::No);
            assert_eq!(status, Ok(WaitStatus::Signaled(0)), "the server answered");
        }
        start.elapsed()
    }
}

impl Drop for EventPair {
    fn drop(&mut self) {
        self.quit.set();
        match &mut self.server {
            Server::Process(child) => reap(child),
            Server::Thread(handle) => {
                while !handle.is_finished() {
                    thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }
}

/// What `/proc` says of thread `tid` of process `pid`: nanoseconds on a CPU, and context
/// switches.
fn thread_usage(pid: u32, tid: u32) -> (u64, u64) {
    let base = format!("/proc/{pid}/task/{tid}");
    let cpu_ns = fs::read_to_string(format!("{base}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let switches = fs::read_to_string(format!("{base}/status"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("ctxt_switches:"))
        .filter_map(|l| l.split(':').nth(1)?.trim().parse::<u64>().ok())
        .sum();
    (cpu_ns, switches)
}

/// The scheduler state of thread `tid` of process `pid` ('S': asleep in the kernel).
fn thread_state(pid: u32, tid: u32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Waits until every peer's main thread sleeps in the kernel.
fn await_asleep(peers: &[&Peer]) {
    let deadline = Instant::now() + PATIENCE;
    for p in peers {
        while thread_state(p.pid(), p.pid()) != Some('S') {
            assert!(
                Instant::now() < deadline,
                "a bench peer never went to sleep"
            );
            thread::sleep(Duration::from_micros(200));
        }
    }
}

pub(crate) fn steps(s: &Settings) -> u64 {
    let per_rep = Transport::ALL.len() * (SIZES.len() + 1)
        + PairKind::ALL.len()
        + BYSTANDERS.len()
        + LOCAL.len();
    ((per_rep * (s.reps + 1)) + s.reps) as u64
}

/// How many other processes are attached to the object namespace, besides the bench and
/// its remote-APC peer, in the rows of the bystanders table.
const BYSTANDERS: [usize; 3] = [0, 4, 8];

/// A process that only attaches to the object namespace (by opening a named event) and
/// waits there until told to exit.
struct Bystander {
    child: Child,
}

impl Bystander {
    fn start(quit: &str) -> Self {
        let ready_name = unique("ready");
        let ready = manual_event(&ready_name);
        let mut child = peer_command(&["bystander", &ready_name, quit])
            .spawn()
            .expect("the bench can run itself");
        await_ready(&ready, &mut child);
        Self { child }
    }
}

/// Measures remote-APC throughput (8 bytes, to `peer`) with each number of
/// [`BYSTANDERS`] attached; `samples[i]` for `BYSTANDERS[i]`.
fn with_bystanders(s: &Settings, progress: &Progress, peer: &Peer) -> Vec<Vec<f64>> {
    let quit_name = unique("quit");
    let quit = manual_event(&quit_name);
    let mut bystanders: Vec<Bystander> = Vec::new();
    let mut samples = Vec::new();
    for &count in &BYSTANDERS {
        while bystanders.len() < count {
            bystanders.push(Bystander::start(&quit_name));
        }
        let mut these = Vec::with_capacity(s.reps);
        for rep in 0..=s.reps {
            let n = if rep == 0 {
                (s.cross_process_messages / 10).max(1)
            } else {
                s.cross_process_messages
            };
            let what = format!("remote APCs, {count} bystanders, run {rep}/{}", s.reps);
            let d = progress.run(what, || peer.throughput(n));
            if rep > 0 {
                these.push(d.as_secs_f64() * 1e9 / n as f64);
            }
        }
        samples.push(these);
    }
    quit.set();
    for mut b in bystanders {
        reap(&mut b.child);
    }
    samples
}

/// The local hand-off table's rows.
const LOCAL: [Local; 3] = [Local::Detached, Local::Unpublished, Local::Published];

/// `cross-process`.
pub(crate) fn run(s: &Settings, progress: &Progress) -> GroupReport {
    let messages = s.cross_process_messages;
    let trips = s.cross_process_trips;
    // Before anything attaches this process to the namespace (this group runs last, and no
    // other group names objects): the local hand-off as every other group sees it.
    let mut local = vec![Vec::with_capacity(s.reps); LOCAL.len()];
    for rep in 0..=s.reps {
        let t = if rep == 0 { (trips / 10).max(1) } else { trips };
        let what = format!("{}: run {rep}/{}", Local::Detached.name(), s.reps);
        let ns = progress.run(what, || local::ping_pong(t, Local::Detached));
        if rep > 0 {
            local[0].push(ns);
        }
    }
    // Attached now (this thread is published, as the peers' answers need): the same
    // hand-off between two threads that are not published, and between two that are,
    // still before any peer runs.
    publish_me();
    for rep in 0..=s.reps {
        let t = if rep == 0 { (trips / 10).max(1) } else { trips };
        for (i, &how) in LOCAL.iter().enumerate().skip(1) {
            let what = format!("{}: run {rep}/{}", how.name(), s.reps);
            let ns = progress.run(what, || local::ping_pong(t, how));
            if rep > 0 {
                local[i].push(ns);
            }
        }
    }
    // peers[size][transport]; one remote-APC peer serves both sizes.
    let mut peers: Vec<Vec<Peer>> = Vec::new();
    for &size in &SIZES {
        let first_apc = peers.first().and_then(|p: &Vec<Peer>| p.first());
        let sized = Transport::ALL
            .iter()
            .map(|&t| Peer::start(t, size, first_apc))
            .collect();
        peers.push(sized);
    }

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
    let mut throughput = vec![vec![Vec::with_capacity(s.reps); Transport::ALL.len()]; SIZES.len()];
    let mut round_trip = vec![Vec::with_capacity(s.reps); Transport::ALL.len()];
    for rep in 0..=s.reps {
        let (n, t) = (work(rep, messages), work(rep, trips));
        for (sized, samples) in peers.iter().zip(&mut throughput) {
            for (peer, samples) in sized.iter().zip(samples.iter_mut()) {
                let what = format!("{}, {} B", peer.transport.name(), peer.size);
                let d = progress.run(label(rep, &what), || peer.throughput(n));
                if rep > 0 {
                    samples.push(ns_per(d, n));
                }
            }
        }
        for (peer, samples) in peers[0].iter().zip(&mut round_trip) {
            let what = format!("{} round trips", peer.transport.name());
            let d = progress.run(label(rep, &what), || peer.round_trips(t));
            if rep > 0 {
                samples.push(ns_per(d, t));
            }
        }
    }

    // Idle CPU of the 8-byte peers' serving threads, all in the same windows.
    let idle: Vec<&Peer> = peers[0].iter().collect();
    let mut cpu_us = vec![Vec::with_capacity(s.reps); idle.len()];
    let mut switches = vec![Vec::with_capacity(s.reps); idle.len()];
    for rep in 1..=s.reps {
        progress.run(format!("idle window {rep}/{}", s.reps), || {
            await_asleep(&idle);
            let begin: Vec<(u64, u64)> = idle
                .iter()
                .map(|p| thread_usage(p.pid(), p.pid()))
                .collect();
            thread::sleep(s.idle_cpu_window);
            for (((p, begin), cpu), sw) in
                idle.iter().zip(begin).zip(&mut cpu_us).zip(&mut switches)
            {
                let end = thread_usage(p.pid(), p.pid());
                cpu.push(end.0.saturating_sub(begin.0) as f64 / 1e3);
                sw.push(end.1.saturating_sub(begin.1) as f64);
            }
        });
    }
    let idle: Vec<Transport> = idle.iter().map(|p| p.transport).collect();
    let bystanders = with_bystanders(s, progress, &peers[0][0]);
    // The event pairs run alone: no other peer attached to the namespace.
    drop(peers);

    let pairs: Vec<EventPair> = PairKind::ALL.iter().map(|&k| EventPair::start(k)).collect();
    let mut events = vec![Vec::with_capacity(s.reps); PairKind::ALL.len()];
    for rep in 0..=s.reps {
        let t = work(rep, trips);
        for ((pair, kind), samples) in pairs.iter().zip(PairKind::ALL).zip(&mut events) {
            let d = progress.run(label(rep, kind.name()), || pair.round_trips(t));
            if rep > 0 {
                samples.push(ns_per(d, t));
            }
        }
    }
    drop(pairs);

    let mut tables = Vec::new();
    for (size, samples) in SIZES.iter().zip(throughput) {
        let mut table = Table::new(
            format!(
                "throughput, {size}-byte messages: {} per run from this process to a peer \
                 process, then one asking for the count; {} runs; one op = one message",
                thousands(messages),
                s.reps
            ),
            Kind::Time,
        );
        for (t, samples) in Transport::ALL.iter().zip(samples) {
            table.push(t.id(), t.name(), samples, BTreeMap::new());
        }
        tables.push(table.finish());
    }
    let mut table = Table::new(
        format!(
            "round trip, 8-byte messages: {} per run, the peer sends each back; {} runs; \
             one op = one round trip",
            thousands(trips),
            s.reps
        ),
        Kind::Time,
    );
    for (t, samples) in Transport::ALL.iter().zip(round_trip) {
        table.push(t.id(), t.name(), samples, BTreeMap::new());
    }
    tables.push(table.finish());
    let mut table = Table::new(
        format!(
            "named events: Event::set + wait_one on an auto-reset pair, answered by a thread \
             in wait_any; {} per run; {} runs; one op = one round trip",
            thousands(trips),
            s.reps
        ),
        Kind::Time,
    );
    for (k, samples) in PairKind::ALL.iter().zip(events) {
        table.push(k.id(), k.name(), samples, BTreeMap::new());
    }
    tables.push(table.finish());
    let window_us = s.idle_cpu_window.as_secs_f64() * 1e6;
    let mut table = Table::new(
        format!(
            "idle peers: the serving thread of each 8-byte peer, idle for {} ms, {} windows; \
             CPU time from /proc/PID/task/TID/schedstat",
            s.idle_cpu_window.as_millis(),
            s.reps
        ),
        Kind::IdleCpu,
    );
    for ((&t, cpu), sw) in idle.iter().zip(cpu_us).zip(switches) {
        let mut extra = BTreeMap::new();
        extra.insert("window_us", window_us);
        extra.insert("context_switches", super::stats::Summary::of(&sw).median);
        table.push(t.id(), idle_name(t), cpu, extra);
    }
    tables.push(table.finish());

    let mut table = Table::new(
        format!(
            "remote APCs with bystanders: the 8-byte throughput of the first table while \
             0, 4 or 8 more processes are attached to the object namespace (each has \
             opened a named event and waits on another); {} runs",
            s.reps
        ),
        Kind::Time,
    );
    for (count, samples) in BYSTANDERS.iter().zip(bystanders) {
        let (id, name) = match count {
            0 => ("ours-remote-apc", "ours: no bystander"),
            4 => ("ours-remote-apc-4-bystanders", "ours: 4 bystanders"),
            _ => ("ours-remote-apc-8-bystanders", "ours: 8 bystanders"),
        };
        table.push(id, name, samples, BTreeMap::new());
    }
    tables.push(table.finish());

    let mut table = Table::new(
        format!(
            "local hand-off: an APC bounced between two threads of this process, {} per run; \
             before the process attached to the namespace, after (these threads \
             unpublished), and with both published; {} runs; one op = one round trip",
            thousands(trips),
            s.reps
        ),
        Kind::Time,
    );
    for (how, samples) in LOCAL.iter().zip(local) {
        table.push(how.id(), how.name(), samples, BTreeMap::new());
    }
    tables.push(table.finish());

    GroupReport {
        name: "cross-process",
        description: "messages to a peer process: remote APCs vs a Unix socket, pipes, iceoryx2",
        tables,
        notes: vec![
            "each peer is this binary run again; the peers' main threads serve the messages"
                .to_owned(),
        ],
    }
}

fn idle_name(t: Transport) -> &'static str {
    match t {
        Transport::Apc => "ours: published thread in sleep_ex",
        Transport::SeqPacket => "socket peer blocked in read",
        Transport::Pipe => "pipe peer blocked in read",
        Transport::Iceoryx2 => "iceoryx2 peer in its listener's wait",
    }
}
