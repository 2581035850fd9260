//! The peer process of the `cross-process` group: `alertable __peer bench PARENT_PID
//! TRANSPORT …`, started by the group. It dies with the bench (`PR_SET_PDEATHSIG`), and
//! prints nothing: a pipe peer's standard output is its channel back.
//!
//! Every transport serves the same messages the same way: a data message is counted, a
//! count message is answered with the count (which starts again from zero), an echo
//! message is sent back, and a quit message (or the end of the input) ends the peer.

use std::os::fd::AsFd;
use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use alertable::{Alertable, Event, RemoteThread, sleep_ex};

use super::{
    ANSWER, COUNT, DATA, ECHO, HANDLERS, PATIENCE, QUIT, READY, Transport, answer, ice,
    serve_events,
};

/// Runs a peer; `role` is `["bench", PARENT_PID, TRANSPORT, …]`.
pub(crate) fn run(role: &[String]) -> ExitCode {
    let arg = |i: usize| -> &str {
        role.get(i).map_or_else(
            || panic!("bench peer: argument {i} missing"),
            String::as_str,
        )
    };
    let parent: u32 = arg(1).parse().expect("bench peer: a parent pid");
    die_with(parent);
    if arg(2) == "bystander" {
        let quit = Event::open(arg(4)).expect("bench peer: the bench created the event");
        set_ready(arg(3));
        let _ = alertable::wait_one(&quit, None, Alertable::No);
        return ExitCode::SUCCESS;
    }
    if arg(2).starts_with("pipe-") || arg(2).starts_with("socket-") {
        return crate::bench::pipe::peer(&role[2..]);
    }
    if arg(2) == "events" {
        let open = |i| Event::open(arg(i)).expect("bench peer: the bench created the event");
        let (ping, pong, quit) = (open(4), open(5), open(6));
        set_ready(arg(3));
        serve_events(&ping, &pong, &quit);
        return ExitCode::SUCCESS;
    }
    let transport = Transport::from_arg(arg(2)).expect("bench peer: a known transport");
    let size: usize = arg(3).parse().expect("bench peer: a message size");
    match (transport, size) {
        (Transport::Apc, _) => apc(arg(4), arg(5), arg(6)),
        (Transport::SeqPacket, _) => fds(size, std::io::stdin(), std::io::stdin()),
        (Transport::Pipe, _) => fds(size, std::io::stdin(), std::io::stdout()),
        (Transport::Iceoryx2, 8) => iceoryx2::<8>(arg(4)),
        (Transport::Iceoryx2, 64) => iceoryx2::<64>(arg(4)),
        (Transport::Iceoryx2, other) => panic!("bench peer: no {other}-byte iceoryx2 contender"),
    }
    ExitCode::SUCCESS
}

/// Makes this process die when the bench does, and exits now if it already has.
fn die_with(parent: u32) {
    use rustix::process::{Signal, getppid, set_parent_process_death_signal};
    set_parent_process_death_signal(Some(Signal::KILL)).expect("bench peer: PR_SET_PDEATHSIG");
    if getppid().map(|p| p.as_raw_nonzero().get()) != i32::try_from(parent).ok() {
        std::process::exit(1);
    }
}

fn set_ready(name: &str) {
    Event::open(name)
        .expect("bench peer: the bench created the event")
        .set();
}

static COUNTED: AtomicU32 = AtomicU32::new(0);
static QUITTING: AtomicBool = AtomicBool::new(false);
static BENCH: OnceLock<RemoteThread> = OnceLock::new();

fn tell(message: &[u8]) {
    BENCH
        .get()
        .expect("opened before the first message")
        .queue_timeout(ANSWER, message, PATIENCE)
        .expect("bench peer: the bench takes its answers");
}

fn on_data(_: &[u8]) {
    COUNTED.fetch_add(1, Ordering::Relaxed);
}

fn on_count(message: &[u8]) {
    tell(&answer(COUNTED.swap(0, Ordering::Relaxed), message.len()));
}

fn on_echo(message: &[u8]) {
    tell(message);
}

fn on_quit(_: &[u8]) {
    QUITTING.store(true, Ordering::Relaxed);
}

/// Remote APCs: the main thread publishes itself as `name` and sleeps alertably; the
/// handlers answer by remote APC to the bench's thread published as `bench`. Messages of
/// any size: an answer to a count has the length of the question.
fn apc(ready: &str, name: &str, bench: &str) {
    type Handler = fn(&[u8]);
    let handlers: [(u8, Handler); 4] = [
        (DATA, on_data),
        (COUNT, on_count),
        (ECHO, on_echo),
        (QUIT, on_quit),
    ];
    for (tag, handler) in handlers {
        alertable::register_remote_handler(HANDLERS[usize::from(tag)], handler)
            .expect("a short name");
    }
    alertable::publish_current(Some(name)).expect("bench peer: publish");
    let _ = BENCH.set(RemoteThread::open(bench).expect("bench peer: the bench is published"));
    set_ready(ready);
    while !QUITTING.load(Ordering::Relaxed) {
        sleep_ex(None, Alertable::Yes);
    }
}

/// A socket (`input` and `output` the same) or a pair of pipes.
fn fds(size: usize, input: impl AsFd, output: impl AsFd) {
    let mut m = vec![0u8; size];
    let mut counted = 0u32;
    while super::read_message(&input, &mut m) {
        match m[0] {
            DATA => counted += 1,
            COUNT => {
                let a = answer(std::mem::take(&mut counted), size);
                write_all(&output, &a);
            }
            ECHO => write_all(&output, &m),
            _ => return,
        }
    }
}

fn write_all(fd: &impl AsFd, m: &[u8]) {
    let n = rustix::io::write(fd, m).expect("bench peer: the bench reads");
    assert_eq!(n, m.len(), "a message goes in one write");
}

/// iceoryx2: the mirror of the bench's ports.
fn iceoryx2<const N: usize>(prefix: &str) {
    let ports = ice::Ports::<N>::open(prefix, "from-peer", "to-peer").expect("iceoryx2 ports");
    let mut ready = [0u8; N];
    ready[0] = READY;
    ports.send(ready);
    let mut counted = 0u32;
    loop {
        let Some(m) = ports.receive(Duration::from_secs(3600)) else {
            continue;
        };
        match m[0] {
            DATA => counted += 1,
            COUNT => {
                let mut a = [0u8; N];
                a.copy_from_slice(&answer(std::mem::take(&mut counted), N));
                ports.send(a);
            }
            ECHO => ports.send(m),
            _ => return,
        }
    }
}
