//! `read-file-ex`: asynchronous reads with completion routines. A routine is an APC to the
//! thread that issued the read: never run inside `ReadFileEx` (J92) nor in a
//! non-alertable wait, even once the read is done (J102), but in the next alertable wait,
//! with the error code Windows would give it — 0, `ERROR_HANDLE_EOF` (38) at the end of
//! the file (J99, J101), `ERROR_OPERATION_ABORTED` (995) when `CancelIo` ends it (K115,
//! K116).

use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use alertable::{Alertable, SleepStatus};
use alertable_io::{AsyncFile, IoError, Operation, SubmitError};

use super::Scenario;
use super::journal::{self, Event, INFINITE_ALERTABLE};
use super::verdict::{Mismatch, Outcome, ensure, finish};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "read-file-ex",
    summary: "ReadFileEx's routine waits for an alertable wait (192); EOF gives it 38, CancelIo 995",
    spec: "J92, J99, J101, J102, K115, K116",
    description: "A worker writes a small file, opens it for overlapped I/O and reads 8 \
        bytes from it with ReadFileEx and a completion routine. On Windows the call returns \
        TRUE and the routine has not run, even if the read is already done: it is a user \
        APC to the thread that issued the read. The worker waits for the read to complete \
        with GetOverlappedResult(..., TRUE) and then sleeps 100 ms with SleepEx(100, \
        FALSE): the routine still does not run, and that sleep returns 0. It runs in the \
        next SleepEx(INFINITE, TRUE), which returns 192 (WAIT_IO_COMPLETION), with error 0 \
        and the 8 bytes. A second ReadFileEx, at the end of the file, also returns TRUE; \
        its routine gets ERROR_HANDLE_EOF (38) and 0 bytes. Last, a ReadFileEx on an empty \
        pipe stays pending; CancelIo ends it, and its routine gets ERROR_OPERATION_ABORTED \
        (995) and 0 bytes in the next alertable wait, not inside CancelIo. Cancelling that \
        request again with CancelIoEx fails with ERROR_NOT_FOUND (1168); CancelIo with \
        nothing pending succeeds.",
    run,
};

/// What the file holds.
const CONTENT: &[u8] = b"Completion routines run only in alertable waits.\n";

/// Where the first read starts, and how much it asks for: the word "routines".
const CHUNK_AT: u64 = 11;
const CHUNK_LEN: usize = 8;

/// How long the non-alertable sleep lasts.
const NAP: Duration = Duration::from_millis(100);

/// The three routines, by the parameter their APC line shows.
const FIRST: usize = 1;
const AT_EOF: usize = 2;
const CANCELLED: usize = 3;

/// What a completion routine was given.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Completion {
    result: Result<usize, IoError>,
    data: Vec<u8>,
}

impl Completion {
    /// The routine's `dwErrorCode`.
    fn error_code(&self) -> u32 {
        self.result.map_or_else(IoError::win32_error, |_| 0)
    }

    /// The routine's `dwNumberOfBytesTransfered`.
    fn bytes(&self) -> usize {
        *self.result.as_ref().unwrap_or(&0)
    }
}

/// Where a completion routine leaves what it was given.
#[derive(Debug, Clone, Default)]
struct Slot(Arc<Mutex<Option<Completion>>>);

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Completion>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the routine has run.
    fn ran(&self) -> bool {
        self.lock().is_some()
    }

    /// What the routine was given, if it ran.
    fn take(&self) -> Option<Completion> {
        self.lock().take()
    }

    /// A completion routine that records its run (where it ran, what it got) and leaves
    /// what it got here.
    fn routine(
        &self,
        name: usize,
    ) -> impl FnOnce(Result<usize, IoError>, Vec<u8>) + Send + 'static {
        let slot = self.clone();
        move |result, data| {
            journal::apc_callback(name);
            let done = Completion { result, data };
            journal::note(format!(
                "ReadCompletion #{name}: dwErrorCode={}, dwNumberOfBytesTransfered={}, data={:?}",
                done.error_code(),
                done.bytes(),
                String::from_utf8_lossy(&done.data)
            ));
            *slot.lock() = Some(done);
        }
    }

    /// `SleepEx(INFINITE, TRUE)` to run the routine — unless it has run already, out of
    /// turn, when nothing would end that sleep.
    fn sleep_until_run(&self) -> Option<SleepStatus> {
        (!self.ran()).then(|| journal::sleep(None, Alertable::Yes))
    }
}

/// "has not run" / "has run", for the journal.
fn has_run(run: bool) -> &'static str {
    if run { "has run" } else { "has not run" }
}

/// `ReadFileEx`'s return value as Win32 shows it.
fn show_issued(issued: &Result<Operation, SubmitError>) -> String {
    match issued {
        Ok(_) => "TRUE".to_owned(),
        Err(refused) => format!("FALSE (error {})", refused.win32_error()),
    }
}

/// `CancelIo` / `CancelIoEx`'s return value as Win32 shows it.
fn show_cancel(result: Result<(), IoError>) -> String {
    match result {
        Ok(()) => "TRUE".to_owned(),
        Err(e) => format!("FALSE (error {})", e.win32_error()),
    }
}

/// The file the scenario reads, deleted when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// The first read: done, then held through a non-alertable wait, then delivered.
#[derive(Debug)]
struct FirstRead {
    ran_in_call: bool,
    overlapped: Result<usize, IoError>,
    ran_in_plain_wait: bool,
    plain: SleepStatus,
    ran_in_plain_sleep: bool,
    /// `None`: not slept, the routine having run already.
    alerted: Option<SleepStatus>,
    got: Option<Completion>,
}

/// The read at the end of the file.
#[derive(Debug)]
struct EofRead {
    ran_in_call: bool,
    alerted: Option<SleepStatus>,
    got: Option<Completion>,
}

/// The cancelled read on the pipe.
#[derive(Debug)]
struct CancelledRead {
    pending: bool,
    cancel_io: Result<(), IoError>,
    ran_in_cancel: bool,
    alerted: Option<SleepStatus>,
    got: Option<Completion>,
    overlapped: Result<usize, IoError>,
    cancel_again: Result<(), IoError>,
    cancel_io_again: Result<(), IoError>,
}

/// Everything the worker saw.
#[derive(Debug)]
struct Seen {
    backend: &'static str,
    first: FirstRead,
    eof: EofRead,
    cancelled: CancelledRead,
}

/// Issues a read with the routine `name`, and notes the call and whether the routine ran
/// inside it.
fn issue(
    file: &AsyncFile,
    what: &str,
    offset: u64,
    len: usize,
    name: usize,
) -> Result<(Operation, Slot, bool), String> {
    let slot = Slot::default();
    let issued = file.read_ex(offset, vec![0; len], slot.routine(name));
    let ran_in_call = slot.ran();
    journal::note(format!(
        "ReadFileEx({what}, {len} bytes at offset {offset}, ReadCompletion #{name}) -> {}; \
         ReadCompletion #{name} {}",
        show_issued(&issued),
        has_run(ran_in_call)
    ));
    let op = issued.map_err(|refused| {
        format!(
            "ReadFileEx({what}) returned FALSE (error {}) where Windows returns TRUE",
            refused.win32_error()
        )
    })?;
    Ok((op, slot, ran_in_call))
}

/// The worker: three reads, each followed by the waits that show where its routine runs.
fn worker() -> Result<Seen, String> {
    journal::record(Event::Started);
    let backend = alertable_io::backend_name();
    journal::note(format!("asynchronous I/O backend: {backend}"));

    let path = std::env::temp_dir().join(format!("alertable-tour-{}.txt", std::process::id()));
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let _delete = TempFile(path.clone());
    fs::write(&path, CONTENT).map_err(|e| format!("cannot write {name}: {e}"))?;
    let file = AsyncFile::open(&path).map_err(|e| format!("cannot open {name}: {e}"))?;
    journal::note(format!(
        "CreateFile(\"{name}\", GENERIC_READ, ..., FILE_FLAG_OVERLAPPED) -> hFile ({} bytes)",
        CONTENT.len()
    ));

    // 1. A read that is done before anything waits alertably.
    let (op, slot, ran_in_call) = issue(&file, "hFile", CHUNK_AT, CHUNK_LEN, FIRST)?;
    let overlapped = journal::within("GetOverlappedResult(hFile, &ov, &n, TRUE)", || {
        op.result(true)
    });
    let ran_in_plain_wait = slot.ran();
    journal::note(format!(
        "GetOverlappedResult(hFile, &ov, &n, TRUE) -> {}; ReadCompletion #{FIRST} {}",
        show_result(overlapped),
        has_run(ran_in_plain_wait)
    ));
    let plain = journal::sleep(Some(NAP), Alertable::No);
    let ran_in_plain_sleep = slot.ran();
    journal::note(format!(
        "ReadCompletion #{FIRST} {}",
        has_run(ran_in_plain_sleep)
    ));
    let alerted = slot.sleep_until_run();
    let first = FirstRead {
        ran_in_call,
        overlapped,
        ran_in_plain_wait,
        plain,
        ran_in_plain_sleep,
        alerted,
        got: slot.take(),
    };

    // 2. A read at the end of the file.
    let end = CONTENT.len() as u64;
    let (_op, slot, ran_in_call) = issue(&file, "hFile", end, 16, AT_EOF)?;
    let alerted = slot.sleep_until_run();
    let eof = EofRead {
        ran_in_call,
        alerted,
        got: slot.take(),
    };

    // 3. A read on an empty pipe, cancelled. The write end stays open: nothing ends the
    // read but the cancel.
    let (reader, _writer) =
        rustix::pipe::pipe().map_err(|e| format!("cannot create a pipe: {e}"))?;
    let pipe = AsyncFile::from_fd(reader)
        .map_err(|e| format!("cannot use the pipe for asynchronous I/O: {e}"))?;
    journal::note(
        "CreatePipe(&hRead, &hWrite, ...): hRead opened for overlapped I/O; nothing written",
    );
    let (op, slot, _) = issue(&pipe, "hRead", 0, 16, CANCELLED)?;
    let pending = !op.is_complete();
    journal::note(format!(
        "HasOverlappedIoCompleted(&ov) -> {}",
        if pending { "FALSE" } else { "TRUE" }
    ));
    let cancel_io = pipe.cancel_io();
    let ran_in_cancel = slot.ran();
    journal::note(format!(
        "CancelIo(hRead) -> {}; ReadCompletion #{CANCELLED} {}",
        show_cancel(cancel_io),
        has_run(ran_in_cancel)
    ));
    let alerted = slot.sleep_until_run();
    let got = slot.take();
    let overlapped = op.result(false);
    let cancel_again = op.cancel();
    let cancel_io_again = pipe.cancel_io();
    journal::note(format!(
        "GetOverlappedResult(hRead, &ov, &n, FALSE) -> {}; CancelIoEx(hRead, &ov) -> {}; \
         CancelIo(hRead) -> {}",
        show_result(overlapped),
        show_cancel(cancel_again),
        show_cancel(cancel_io_again)
    ));
    let cancelled = CancelledRead {
        pending,
        cancel_io,
        ran_in_cancel,
        alerted,
        got,
        overlapped,
        cancel_again,
        cancel_io_again,
    };
    Ok(Seen {
        backend,
        first,
        eof,
        cancelled,
    })
}

/// `GetOverlappedResult`'s outcome as Win32 shows it.
fn show_result(result: Result<usize, IoError>) -> String {
    match result {
        Ok(n) => format!("TRUE, n={n}"),
        Err(e) => format!("FALSE (error {})", e.win32_error()),
    }
}

/// What an alertable sleep returned, or why there was none.
fn show_sleep(status: Option<SleepStatus>) -> String {
    status.map_or_else(
        || "nothing (not called: the routine had run before it)".to_owned(),
        |s| s.as_win32().to_string(),
    )
}

/// Runs the scenario and checks each fact against Windows.
fn run() -> Outcome {
    let worker = alertable::spawn(worker).map_err(Mismatch::spawn)?;
    let tid = worker.thread().id();
    let seen = finish(worker)?.map_err(Mismatch::new)?;
    let record = journal::take();
    let nap = journal::sleep_call(Some(NAP), Alertable::No);

    // The first read.
    let first = &seen.first;
    ensure(!first.ran_in_call, || {
        format!("ReadCompletion #{FIRST} ran inside ReadFileEx")
    })?;
    ensure(first.overlapped == Ok(CHUNK_LEN), || {
        format!(
            "GetOverlappedResult on the first read gave {}, not TRUE with n={CHUNK_LEN}",
            show_result(first.overlapped)
        )
    })?;
    ensure(!first.ran_in_plain_wait, || {
        format!("ReadCompletion #{FIRST} ran inside GetOverlappedResult, which is not alertable")
    })?;
    ensure(
        !first.ran_in_plain_sleep && first.plain == SleepStatus::Elapsed,
        || {
            format!(
                "{nap} returned {} with ReadCompletion #{FIRST} {}; expected 0, not run",
                first.plain.as_win32(),
                has_run(first.ran_in_plain_sleep)
            )
        },
    )?;
    ensure(first.alerted == Some(SleepStatus::Alerted), || {
        format!(
            "{INFINITE_ALERTABLE} after the first read returned {}, not 192",
            show_sleep(first.alerted)
        )
    })?;
    let want = &CONTENT[CHUNK_AT as usize..CHUNK_AT as usize + CHUNK_LEN];
    let got = first.got.as_ref();
    ensure(
        got.is_some_and(|c| c.result == Ok(CHUNK_LEN) && c.data == want),
        || {
            format!(
                "ReadCompletion #{FIRST} got {got:?}, not error 0 with {:?}",
                String::from_utf8_lossy(want)
            )
        },
    )?;

    // The read at the end of the file.
    let eof = &seen.eof;
    ensure(!eof.ran_in_call, || {
        format!("ReadCompletion #{AT_EOF} ran inside ReadFileEx")
    })?;
    ensure(eof.alerted == Some(SleepStatus::Alerted), || {
        format!(
            "{INFINITE_ALERTABLE} after the read at the end of the file returned {}, not 192",
            show_sleep(eof.alerted)
        )
    })?;
    let got = eof.got.as_ref();
    ensure(
        got.is_some_and(|c| {
            c.result == Err(IoError::EndOfFile) && c.error_code() == 38 && c.data.is_empty()
        }),
        || {
            format!(
                "ReadCompletion #{AT_EOF} got {got:?}, not error 38 (ERROR_HANDLE_EOF) with 0 bytes"
            )
        },
    )?;

    // The cancelled read.
    let cancelled = &seen.cancelled;
    ensure(cancelled.pending, || {
        "the read on the empty pipe was complete before anything was written".to_owned()
    })?;
    ensure(cancelled.cancel_io.is_ok(), || {
        format!("CancelIo returned {}", show_cancel(cancelled.cancel_io))
    })?;
    ensure(!cancelled.ran_in_cancel, || {
        format!("ReadCompletion #{CANCELLED} ran inside CancelIo")
    })?;
    ensure(cancelled.alerted == Some(SleepStatus::Alerted), || {
        format!(
            "{INFINITE_ALERTABLE} after CancelIo returned {}, not 192",
            show_sleep(cancelled.alerted)
        )
    })?;
    let got = cancelled.got.as_ref();
    ensure(
        got.is_some_and(|c| {
            c.result == Err(IoError::Aborted) && c.error_code() == 995 && c.data.is_empty()
        }),
        || {
            format!(
                "ReadCompletion #{CANCELLED} got {got:?}, not error 995 \
                 (ERROR_OPERATION_ABORTED) with 0 bytes"
            )
        },
    )?;
    ensure(cancelled.overlapped == Err(IoError::Aborted), || {
        format!(
            "GetOverlappedResult on the cancelled read gave {}, not FALSE (error 995)",
            show_result(cancelled.overlapped)
        )
    })?;
    ensure(cancelled.cancel_again == Err(IoError::NotFound), || {
        format!(
            "CancelIoEx on the finished read returned {}, not FALSE (error 1168)",
            show_cancel(cancelled.cancel_again)
        )
    })?;
    ensure(cancelled.cancel_io_again.is_ok(), || {
        format!(
            "CancelIo with nothing pending returned {}, not TRUE",
            show_cancel(cancelled.cancel_io_again)
        )
    })?;

    // All three routines: once each, in order, on the worker, inside its alertable sleeps.
    record.check_apcs(tid, FIRST..CANCELLED + 1, Some(INFINITE_ALERTABLE))?;
    Ok(format!(
        "no routine ran inside ReadFileEx or CancelIo; the first routine stayed pending through \
         GetOverlappedResult and {nap} (which returned 0) and ran in {INFINITE_ALERTABLE}, \
         which returned 192, with error 0 and {CHUNK_LEN} bytes; the read at the end of the \
         file got 38 and 0 bytes; the cancelled pipe read got 995 and 0 bytes, and \
         cancelling it again gave 1168 (backend: {})",
        seen.backend
    ))
}
