//! A load of I/O requests all in flight at once — pipe reads that wait for data, regular
//! file reads and writes — in every completion style (poll, event, completion routine,
//! completion port), with CPU-burning threads competing for the processors. Shared by the
//! load tests: each counts every completion of every request and checks its data.

#![allow(dead_code)]

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use alertable::{Alertable, Event, EventReset, SleepStatus, WaitStatus, sleep_ex, wait_one};
use alertable_io::{AsyncFile, CompletionPort, IoError, Operation};

/// How long the whole load may take before what is missing counts as lost. Far beyond
/// what a passing run needs (seconds), even on a loaded machine.
pub(crate) const DEADLINE: Duration = Duration::from_secs(90);

/// The bytes of the test files: byte `i` is a function of `i`.
pub(crate) fn pattern(position: u64) -> u8 {
    (position.wrapping_mul(31) ^ (position >> 8)) as u8
}

fn pattern_bytes(start: u64, len: usize) -> Vec<u8> {
    (start..start + len as u64).map(pattern).collect()
}

/// Raises the soft limit on open descriptors to the hard limit: the load holds thousands
/// of pipes.
pub(crate) fn raise_descriptor_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        setrlimit(Resource::Nofile, limit).expect("raising the descriptor limit");
    }
    limit.current.unwrap_or(u64::MAX)
}

/// The shape of a load.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    /// Pipe reads, all pending until a feeder writes to every pipe.
    pub(crate) pipes: usize,
    /// Regular-file requests (reads, and one write in eight), issued while the pipe reads
    /// are pending.
    pub(crate) file_requests: usize,
    /// Threads spinning on the CPU meanwhile.
    pub(crate) burners: usize,
}

/// The four completion styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Poll,
    Event,
    Routine,
    Port,
}

impl Style {
    fn of(i: usize) -> Self {
        [Self::Poll, Self::Event, Self::Routine, Self::Port][i % 4]
    }
}

/// What one request is and what it must complete with.
struct Expected {
    style: Style,
    result: Result<usize, IoError>,
    /// For a read: the bytes it must return.
    data: Option<Vec<u8>>,
}

/// Every completion seen, per request.
struct Tally {
    expected: Vec<Expected>,
    completions: Vec<AtomicUsize>,
    wrong: Mutex<Vec<String>>,
    done: AtomicUsize,
}

impl Tally {
    fn record(&self, id: usize, result: Result<usize, IoError>, buffer: Option<&[u8]>) {
        self.completions[id].fetch_add(1, Ordering::SeqCst);
        let expected = &self.expected[id];
        let data_ok = match (&expected.data, buffer) {
            (Some(data), Some(buffer)) => data.as_slice() == buffer,
            (Some(_), None) => false,
            (None, _) => true,
        };
        if result != expected.result || !data_ok {
            self.wrong.lock().unwrap().push(format!(
                "request {id} ({:?}): {result:?}, expected {:?}; data {}",
                expected.style,
                expected.result,
                if data_ok { "right" } else { "wrong" }
            ));
        }
        self.done.fetch_add(1, Ordering::SeqCst);
    }
}

/// A request issued in the poll or event style, checked by the main thread at the end.
struct Watched {
    id: usize,
    op: Operation,
    event: Option<Event>,
}

/// Waits, on an issuing thread, until the poll- and event-style requests it issued (ids in
/// `ids`) have completed: a thread's exit cancels the requests it issued that are still in
/// flight (K121), so an issuer that left before them would turn them into `Aborted`.
/// Waiting on a completed request consumes nothing; the main thread collects them later.
fn await_own(watched: &Mutex<Vec<Watched>>, ids: std::ops::Range<usize>, deadline: Instant) {
    // Every request is issued by now (the issuers passed `all`), so nothing is pushed
    // while the list is held.
    for w in watched
        .lock()
        .unwrap()
        .iter()
        .filter(|w| ids.contains(&w.id))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = w.op.wait(Some(left), Alertable::No);
    }
}

/// Runs `load` and asserts that every request completed exactly once with the right
/// result and data, and that nothing else was delivered. Returns the time from the first
/// request issued to the last completion seen.
pub(crate) fn run(load: Load) -> Duration {
    raise_descriptor_limit();
    const FILE_LEN: u64 = 64 << 10;
    const READ_LEN: usize = 512;
    const WRITE_LEN: usize = 64;
    let dir = tempfile::tempdir().unwrap();
    let read_path = dir.path().join("read");
    let ported_path = dir.path().join("ported");
    let write_path = dir.path().join("write");
    std::fs::write(&read_path, pattern_bytes(0, FILE_LEN as usize)).unwrap();
    std::fs::write(&ported_path, pattern_bytes(0, FILE_LEN as usize)).unwrap();
    let port = CompletionPort::new(0);
    let read_file = AsyncFile::open(&read_path).unwrap();
    let ported_file = AsyncFile::open(&ported_path).unwrap();
    port.associate(&ported_file, 1).unwrap();
    let write_file = AsyncFile::create(&write_path).unwrap();

    // Request ids: pipes first, then file requests.
    let mut expected = Vec::with_capacity(load.pipes + load.file_requests);
    for i in 0..load.pipes {
        expected.push(Expected {
            style: Style::of(i),
            result: Ok(8),
            data: Some((i as u64).to_le_bytes().to_vec()),
        });
    }
    for j in 0..load.file_requests {
        let style = Style::of(j / 2);
        let offset = (j as u64 * 4099) % (FILE_LEN - READ_LEN as u64);
        let write = j % 8 == 7 && style != Style::Port;
        expected.push(if write {
            Expected {
                style,
                result: Ok(WRITE_LEN),
                data: None,
            }
        } else {
            Expected {
                style,
                result: Ok(READ_LEN),
                data: Some(pattern_bytes(offset, READ_LEN)),
            }
        });
    }
    let total = expected.len();
    let tally = Arc::new(Tally {
        completions: (0..total).map(|_| AtomicUsize::new(0)).collect(),
        expected,
        wrong: Mutex::new(Vec::new()),
        done: AtomicUsize::new(0),
    });

    let mut pipes = Vec::with_capacity(load.pipes);
    for i in 0..load.pipes {
        let (read_end, write_end) = rustix::pipe::pipe().unwrap();
        let file = AsyncFile::from_fd(read_end).unwrap();
        if Style::of(i) == Style::Port {
            port.associate(&file, 2).unwrap();
        }
        pipes.push((file, write_end));
    }

    let stop_burning = Arc::new(AtomicBool::new(false));
    let burners: Vec<_> = (0..load.burners)
        .map(|_| {
            let stop = stop_burning.clone();
            std::thread::spawn(move || {
                let mut x = 1u64;
                while !stop.load(Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            })
        })
        .collect();

    let tokens: Arc<Mutex<HashMap<usize, usize>>> = Arc::new(Mutex::new(HashMap::new()));
    let watched: Arc<Mutex<Vec<Watched>>> = Arc::new(Mutex::new(Vec::new()));
    let routines_of = |range: std::ops::Range<usize>| {
        range
            .filter(|&id| tally.expected[id].style == Style::Routine)
            .count()
    };
    let start = Instant::now();
    let deadline = start + DEADLINE;
    // The pipe reads are pending: the file requests start.
    let pipes_issued = Arc::new(Barrier::new(2));
    // Everything is issued: the feeder starts, so that the pipe reads complete in a burst
    // with nobody else entering the kernel.
    let all_issued = Arc::new(Barrier::new(3));

    // Issues every pipe read (all stay pending), then runs their routines.
    let pipe_files: Vec<AsyncFile> = pipes.iter().map(|(file, _)| file.clone()).collect();
    let pipe_issuer = {
        let (tally, tokens, watched, issued, all) = (
            tally.clone(),
            tokens.clone(),
            watched.clone(),
            pipes_issued.clone(),
            all_issued.clone(),
        );
        let routines = routines_of(0..load.pipes);
        let pipes = load.pipes;
        alertable::spawn(move || {
            let ran = Arc::new(AtomicUsize::new(0));
            for (id, file) in pipe_files.iter().enumerate() {
                issue(&tally, &tokens, &watched, &ran, id, file, Kind::Read(8), 0);
            }
            issued.wait();
            all.wait();
            let ran = run_routines(&ran, routines, deadline, "pipe");
            await_own(&watched, 0..pipes, deadline);
            ran
        })
        .unwrap()
    };

    // Feeds every pipe once everything is issued.
    let feeder = {
        let issued = all_issued.clone();
        let write_ends: Vec<OwnedFd> = pipes.into_iter().map(|(_, w)| w).collect();
        std::thread::spawn(move || {
            issued.wait();
            for (i, write_end) in write_ends.iter().enumerate() {
                let data = (i as u64).to_le_bytes();
                assert_eq!(rustix::io::write(write_end, &data).unwrap(), data.len());
            }
            write_ends
        })
    };

    // Issues the file requests while the pipe reads are pending and being fed.
    let file_issuer = {
        let (tally, tokens, watched, issued, all) = (
            tally.clone(),
            tokens.clone(),
            watched.clone(),
            pipes_issued.clone(),
            all_issued.clone(),
        );
        let routines = routines_of(load.pipes..total);
        let pipes = load.pipes;
        alertable::spawn(move || {
            let ran = Arc::new(AtomicUsize::new(0));
            issued.wait();
            for j in 0..total - pipes {
                let id = pipes + j;
                let offset = (j as u64 * 4099) % (FILE_LEN - READ_LEN as u64);
                let (file, kind, offset) = match &tally.expected[id] {
                    Expected { data: None, .. } => {
                        (&write_file, Kind::Write(WRITE_LEN), (j * WRITE_LEN) as u64)
                    }
                    Expected {
                        style: Style::Port, ..
                    } => (&ported_file, Kind::Read(READ_LEN), offset),
                    _ => (&read_file, Kind::Read(READ_LEN), offset),
                };
                issue(&tally, &tokens, &watched, &ran, id, file, kind, offset);
            }
            all.wait();
            let ran = run_routines(&ran, routines, deadline, "file");
            await_own(&watched, pipes..total, deadline);
            ran
        })
        .unwrap()
    };

    // Ports: every packet, exactly the expected number.
    let port_expected = (0..total)
        .filter(|&id| tally.expected[id].style == Style::Port)
        .count();
    let mut port_seen = 0;
    while port_seen < port_expected {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(packet) = port.get(Some(left)) else {
            break;
        };
        // The issuer records the token right after issuing: wait for it if need be.
        let id = loop {
            if let Some(&id) = tokens.lock().unwrap().get(&packet.token) {
                break id;
            }
            assert!(Instant::now() < deadline, "packet of an unknown request");
            std::thread::yield_now();
        };
        tally.record(id, packet.status, packet.buffer.as_deref());
        port_seen += 1;
    }

    let pipe_routines = pipe_issuer.join().unwrap();
    let file_routines = file_issuer.join().unwrap();
    let _write_ends = feeder.join().unwrap();

    // Poll and event requests.
    for w in std::mem::take(&mut *watched.lock().unwrap()) {
        let left = deadline.saturating_duration_since(Instant::now());
        let signaled = match &w.event {
            Some(event) => wait_one(event, Some(left), Alertable::No),
            None => w.op.wait(Some(left), Alertable::No),
        };
        if signaled == Ok(WaitStatus::Signaled(0)) {
            let result = w.op.result(false);
            let buffer = w.op.take_buffer();
            tally.record(w.id, result, buffer.as_deref());
        }
    }
    let elapsed = start.elapsed();
    stop_burning.store(true, Ordering::Relaxed);
    for burner in burners {
        burner.join().unwrap();
    }

    // Nothing more arrives.
    assert!(
        port.get(Some(Duration::ZERO)).is_err(),
        "a packet beyond those expected"
    );
    let missing: Vec<usize> = (0..total)
        .filter(|&id| tally.completions[id].load(Ordering::SeqCst) == 0)
        .collect();
    let repeated: Vec<usize> = (0..total)
        .filter(|&id| tally.completions[id].load(Ordering::SeqCst) > 1)
        .collect();
    let mut missing_by_style = HashMap::new();
    for &id in &missing {
        *missing_by_style
            .entry(format!(
                "{} {:?}",
                if id < load.pipes { "pipe" } else { "file" },
                tally.expected[id].style
            ))
            .or_insert(0usize) += 1;
    }
    assert!(
        missing.is_empty() && repeated.is_empty(),
        "on {}: {} of {total} requests never completed ({missing_by_style:?}; routines run: \
         pipe {pipe_routines}, file {file_routines}), {} completed more than once",
        alertable_io::backend_name(),
        missing.len(),
        repeated.len()
    );
    let wrong = tally.wrong.lock().unwrap();
    assert!(
        wrong.is_empty(),
        "{} wrong: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
    assert_eq!(tally.done.load(Ordering::SeqCst), total);
    // The written bytes are on disk.
    let written = std::fs::read(&write_path).unwrap();
    for id in load.pipes..total {
        if tally.expected[id].data.is_none() {
            let at = (id - load.pipes) * WRITE_LEN;
            assert_eq!(
                &written[at..at + WRITE_LEN],
                &[(id % 251) as u8; WRITE_LEN][..]
            );
        }
    }
    elapsed
}

#[derive(Clone, Copy)]
enum Kind {
    Read(usize),
    Write(usize),
}

/// Issues request `id` in its style.
#[allow(clippy::too_many_arguments)]
fn issue(
    tally: &Arc<Tally>,
    tokens: &Mutex<HashMap<usize, usize>>,
    watched: &Mutex<Vec<Watched>>,
    ran: &Arc<AtomicUsize>,
    id: usize,
    file: &AsyncFile,
    kind: Kind,
    offset: u64,
) {
    let buffer = match kind {
        Kind::Read(len) => vec![0; len],
        Kind::Write(len) => vec![(id % 251) as u8; len],
    };
    let style = tally.expected[id].style;
    let event = (style == Style::Event).then(|| Event::new(EventReset::Manual, false));
    let op = match (style, kind) {
        (Style::Routine, _) => {
            let (tally, ran) = (tally.clone(), ran.clone());
            let routine = move |result, buffer: Vec<u8>| {
                tally.record(id, result, Some(&buffer));
                ran.fetch_add(1, Ordering::SeqCst);
            };
            match kind {
                Kind::Read(_) => file.read_ex(offset, buffer, routine),
                Kind::Write(_) => file.write_ex(offset, buffer, routine),
            }
        }
        (Style::Event, Kind::Read(_)) => {
            file.read_with_event(offset, buffer, event.as_ref().unwrap())
        }
        (Style::Event, Kind::Write(_)) => {
            file.write_with_event(offset, buffer, event.as_ref().unwrap())
        }
        (_, Kind::Read(_)) => file.read(offset, buffer),
        (_, Kind::Write(_)) => file.write(offset, buffer),
    }
    .unwrap_or_else(|e| panic!("request {id} refused: {e}"));
    match style {
        Style::Port => {
            tokens.lock().unwrap().insert(op.token(), id);
        }
        Style::Poll | Style::Event => watched.lock().unwrap().push(Watched { id, op, event }),
        Style::Routine => {}
    }
}

/// Waits alertably until `expected` routines issued by this thread ran (or the deadline
/// passes); then checks that no other APC is pending. Returns how many ran.
fn run_routines(ran: &AtomicUsize, expected: usize, deadline: Instant, what: &str) -> usize {
    while ran.load(Ordering::SeqCst) < expected {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let _ = sleep_ex(Some(left), Alertable::Yes);
    }
    let n = ran.load(Ordering::SeqCst);
    if n == expected {
        assert_eq!(
            sleep_ex(Some(Duration::ZERO), Alertable::Yes),
            SleepStatus::Elapsed,
            "{what}: a routine beyond those expected"
        );
    }
    n
}
