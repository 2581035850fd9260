//! `named-pipe`: a named pipe server driven by completion routines, as Microsoft's "Named
//! Pipe Server Using Completion Routines" is built, and two clients. The connect is
//! pending until a client opens the pipe (J113); every read and write of the server
//! completes as a routine that runs on the server thread, inside its alertable wait on the
//! connect event (J92, J93, J105); a client closing its end completes the pending read
//! with `ERROR_BROKEN_PIPE` (109, J107).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, PoisonError};

use alertable::{Alertable, Event, EventReset, WaitStatus, wait_one};
use alertable_io::pipe::{self, NamedPipe, PipeAccess, PipeOptions, PipeType, PipeWait, ReadMode};
use alertable_io::{AsyncFile, IoError};

use super::journal;
use super::verdict::{Mismatch, Outcome, ensure, expect, finish};
use super::{Scenario, say};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "named-pipe",
    summary: "a completion-routine pipe server: routines run in its alertable wait; a client's close gives 109",
    spec: "J92, J93, J105, J107, J113",
    description: "A server thread creates a message pipe, starts an overlapped ConnectNamedPipe \
        (FALSE, ERROR_IO_PENDING: no client yet) and waits with \
        WaitForSingleObjectEx(hConnectEvent, INFINITE, TRUE), as Microsoft's completion-routine \
        server does. When a client connects the wait returns 0; the server starts a ReadFileEx \
        on that instance, creates the next instance and connects it, and waits again. Each \
        read's routine answers with WriteFileEx, each write's routine reads the next request: \
        on Windows every routine runs on the server thread inside that alertable wait, which \
        then returns 192 (WAIT_IO_COMPLETION). Two clients open the pipe one after the other \
        (with WaitNamedPipe while every instance is busy), switch to message mode and send a \
        request with TransactNamedPipe; both stay connected at once. When a client closes its \
        end, the read pending for it completes with ERROR_BROKEN_PIPE (109) and the server \
        disconnects that instance.",
    run,
};

/// The wait the server's routines run in.
const SERVER_WAIT: &str = "WaitForSingleObjectEx(hConnectEvent, INFINITE, TRUE)";

/// How many clients the server serves.
const CLIENTS: usize = 2;

/// The APC parameter a routine records: its session and its step in the session (1: the
/// first read, 2: the write that answers it, 3: the read the client's close ends).
fn routine_param(session: usize, step: usize) -> usize {
    session * 10 + step
}

/// What the server's routines share: how the sessions ended.
#[derive(Clone)]
struct Server {
    /// The error each session's last read completed with, by session.
    endings: Arc<Mutex<Vec<(usize, u32)>>>,
    /// Sessions over.
    finished: Arc<AtomicUsize>,
    /// Tells the main thread that a session is over.
    ended: Sender<usize>,
    /// Tells the main thread that a session's server waits for its next request (its
    /// read after the first answer is pending), so that a close completes that read.
    waiting: Sender<usize>,
}

impl Server {
    /// Reads the next request of `session`; its routine answers it.
    fn read_request(&self, pipe: Arc<NamedPipe>, session: usize, step: usize) {
        let server = self.clone();
        let instance = pipe.clone();
        let issued = pipe.read_ex(0, vec![0; 128], move |result, data| {
            journal::apc_callback(routine_param(session, step));
            match result {
                Ok(n) => {
                    let request = String::from_utf8_lossy(&data).into_owned();
                    journal::note(format!(
                        "ReadCompletion (client {session}): dwErrorCode=0, {n} bytes: {request:?}"
                    ));
                    server.write_reply(instance, session, step + 1, format!("reply to {request}"));
                }
                Err(error) => server.end(&instance, session, error),
            }
        });
        match issued {
            Ok(_) if step == 3 => {
                let _ = self.waiting.send(session);
            }
            Ok(_) => {}
            Err(refused) => self.end(&pipe, session, refused.error),
        }
    }

    /// Writes `reply` to `session`; its routine reads the next request.
    fn write_reply(&self, pipe: Arc<NamedPipe>, session: usize, step: usize, reply: String) {
        let server = self.clone();
        let instance = pipe.clone();
        let issued = pipe.write_ex(0, reply.into_bytes(), move |result, _| {
            journal::apc_callback(routine_param(session, step));
            match result {
                Ok(n) => {
                    journal::note(format!(
                        "WriteCompletion (client {session}): dwErrorCode=0, {n} bytes"
                    ));
                    server.read_request(instance, session, step + 1);
                }
                Err(error) => server.end(&instance, session, error),
            }
        });
        if let Err(refused) = issued {
            self.end(&pipe, session, refused.error);
        }
    }

    /// Ends `session` after its request failed with `error`: disconnects the instance.
    fn end(&self, pipe: &NamedPipe, session: usize, error: IoError) {
        let disconnected = match pipe.disconnect() {
            Ok(()) => "TRUE".to_owned(),
            Err(e) => format!("FALSE (error {})", e.win32_error()),
        };
        journal::note(format!(
            "ReadCompletion (client {session}): dwErrorCode={}; DisconnectNamedPipe -> {disconnected}",
            error.win32_error()
        ));
        self.endings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((session, error.win32_error()));
        self.finished.fetch_add(1, Ordering::SeqCst);
        let _ = self.ended.send(session);
    }
}

/// Creates an instance and starts its overlapped connect, which must be pending.
fn listen(name: &str, event: &Event) -> Result<Arc<NamedPipe>, Mismatch> {
    let options = PipeOptions {
        pipe_type: PipeType::Message,
        read_mode: ReadMode::Message,
        ..PipeOptions::default()
    };
    let instance = NamedPipe::create(name, &options)
        .map_err(|e| Mismatch::new(format!("CreateNamedPipe failed with {}", e.win32_error())))?;
    event.reset();
    match instance.connect_with_event(event) {
        Ok(_) => journal::note("ConnectNamedPipe -> FALSE, ERROR_IO_PENDING (997)"),
        Err(e) => {
            return Err(Mismatch::new(format!(
                "ConnectNamedPipe with no client failed with {}, not ERROR_IO_PENDING (997)",
                e.win32_error()
            )));
        }
    }
    Ok(Arc::new(instance))
}

/// The server thread: serves [`CLIENTS`] sessions; returns what its waits returned.
fn serve(name: &str, server: &Server, listening: &Sender<()>) -> Result<Vec<u32>, Mismatch> {
    let event = Event::new(EventReset::Manual, false);
    let mut instance = Some(listen(name, &event)?);
    let _ = listening.send(());
    let mut sessions = 0;
    let mut waits = Vec::new();
    while server.finished.load(Ordering::SeqCst) < CLIENTS {
        let status = journal::within(SERVER_WAIT, || wait_one(&event, None, Alertable::Yes))
            .map_err(|e| Mismatch::new(format!("{SERVER_WAIT} failed: {e}")))?;
        journal::note(format!("{SERVER_WAIT} returned {}", status.as_win32()));
        waits.push(status.as_win32());
        if status != WaitStatus::Signaled(0) {
            continue;
        }
        let Some(connected) = instance.take() else {
            return Err(Mismatch::new(
                "the connect event was set with no connect pending",
            ));
        };
        sessions += 1;
        server.read_request(connected, sessions, 1);
        instance = if sessions < CLIENTS {
            Some(listen(name, &event)?)
        } else {
            event.reset();
            None
        };
    }
    Ok(waits)
}

/// A client: opens the pipe (waiting while every instance is busy), switches to message
/// mode and sends its request with a transaction; returns its end and the reply.
fn client(name: &str, number: usize) -> Result<(AsyncFile, String), Mismatch> {
    let file = loop {
        match pipe::open(name, PipeAccess::Duplex) {
            Ok(file) => break file,
            Err(IoError::PipeBusy) => {
                journal::note(format!(
                    "client {number}: CreateFile -> ERROR_PIPE_BUSY (231); WaitNamedPipe"
                ));
                pipe::wait(name, PipeWait::Forever).map_err(|e| {
                    Mismatch::new(format!("WaitNamedPipe failed with {}", e.win32_error()))
                })?;
            }
            Err(e) => {
                return Err(Mismatch::new(format!(
                    "client {number}: CreateFile failed with {}",
                    e.win32_error()
                )));
            }
        }
    };
    file.set_read_mode(ReadMode::Message)
        .map_err(|e| Mismatch::new(format!("SetNamedPipeHandleState failed: {e}")))?;
    let request = format!("hello from client {number}");
    let reply = file
        .transact(request.clone().into_bytes(), vec![0; 128])
        .map_err(|e| Mismatch::new(format!("TransactNamedPipe refused: {e}")))?;
    let result = reply.result(true);
    let text = String::from_utf8_lossy(&reply.take_buffer().unwrap_or_default()).into_owned();
    journal::note(format!(
        "client {number}: TransactNamedPipe({request:?}) -> {}, {text:?}",
        match result {
            Ok(_) => "TRUE".to_owned(),
            Err(e) => format!("FALSE (error {})", e.win32_error()),
        }
    ));
    Ok((file, text))
}

/// Runs the scenario.
fn run() -> Outcome {
    let name = format!(r"\\.\pipe\alertable-tour-{}", std::process::id());
    let (listening, is_listening) = mpsc::channel();
    let (ended, has_ended) = mpsc::channel();
    let (waiting, is_waiting) = mpsc::channel();
    let server = Server {
        endings: Arc::new(Mutex::new(Vec::new())),
        finished: Arc::new(AtomicUsize::new(0)),
        ended,
        waiting,
    };
    let worker = {
        let (name, server) = (name.clone(), server.clone());
        alertable::spawn(move || serve(&name, &server, &listening)).map_err(Mismatch::spawn)?
    };
    let tid = worker.thread().id();
    expect(&is_listening, "that the pipe listens")?;

    let mut ends = Vec::new();
    let mut replies = Vec::new();
    for number in 1..=CLIENTS {
        let (file, reply) = client(&name, number)?;
        ends.push(file);
        replies.push(reply);
    }
    for _ in 1..=CLIENTS {
        expect(&is_waiting, "that a session waits for its next request")?;
    }
    say("  -- the clients close their ends, one after the other --");
    for (number, end) in ends.into_iter().enumerate() {
        journal::note(format!("client {}: CloseHandle", number + 1));
        drop(end);
        let session = expect(&has_ended, "that the session ended")?;
        ensure(session == number + 1, || {
            format!("closing client {} ended session {session}", number + 1)
        })?;
    }
    let waits = finish(worker)??;

    let record = journal::take();
    for (number, reply) in replies.iter().enumerate() {
        let expected = format!("reply to hello from client {}", number + 1);
        ensure(*reply == expected, || {
            format!("client {} got {reply:?}, not {expected:?}", number + 1)
        })?;
    }
    let runs = record.apcs();
    for run in &runs {
        ensure(run.tid == tid && run.during == Some(SERVER_WAIT), || {
            format!(
                "the routine with param={} ran on thread {} {}, not on the server {tid} inside {SERVER_WAIT}",
                run.param,
                run.tid,
                journal::place(run.during)
            )
        })?;
    }
    let mut params: Vec<usize> = runs.iter().map(|run| run.param).collect();
    params.sort_unstable();
    let expected: Vec<usize> = (1..=CLIENTS)
        .flat_map(|session| (1..=3).map(move |step| routine_param(session, step)))
        .collect();
    ensure(params == expected, || {
        format!("the routines that ran were {params:?}, not {expected:?}")
    })?;
    let endings = server
        .endings
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    ensure(endings == [(1, 109), (2, 109)], || {
        format!("the sessions ended with {endings:?}, not ERROR_BROKEN_PIPE (109) each")
    })?;
    let connects = waits.iter().filter(|&&w| w == 0).count();
    let alerted = waits.iter().filter(|&&w| w == 192).count();
    ensure(
        connects == CLIENTS && alerted + connects == waits.len(),
        || {
            format!(
                "the server's waits returned {waits:?}: expected 0 per client and 192 otherwise"
            )
        },
    )?;
    Ok(format!(
        "both connects were pending until their client came, the server's {} routines all ran \
         on its thread inside its alertable wait ({connects} waits returned 0 for a client, \
         {alerted} returned 192), each client got its reply, and each close completed the \
         pending read with ERROR_BROKEN_PIPE (109)",
        runs.len()
    ))
}
