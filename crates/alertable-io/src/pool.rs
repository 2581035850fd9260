//! The worker-thread backend: blocking `pread`/`pwrite` on a pool of threads, for kernels
//! (or sandboxes) without io_uring.
//!
//! Requests queue FIFO; an idle worker takes the next one, and a new worker is started
//! when none is idle, up to [`MAX_WORKERS`]. Workers that have nothing to do sleep on a
//! condition variable. A request on a regular file runs to completion once started
//! (a page-cache read or write is short); a request on a stream (a pipe may stay empty
//! forever) waits in `poll` on the stream and on the worker's own eventfd, which a cancel
//! writes to. A request cancelled while still queued is taken off the queue and completed
//! at once.

use std::collections::VecDeque;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use rustix::event::{EventfdFlags, PollFd, PollFlags};
use rustix::io::Errno;

use crate::IoError;
use crate::op::{Kind, OpShared};

/// The most workers the pool starts; requests beyond wait their turn. Streams serve one
/// request per direction at a time, so a worker waits on at most one request of each.
const MAX_WORKERS: usize = 1024;

pub(crate) struct Pool {
    jobs: Mutex<Jobs>,
    work: Condvar,
}

struct Jobs {
    queue: VecDeque<Arc<OpShared>>,
    idle: usize,
    workers: usize,
}

impl Pool {
    pub(crate) fn new() -> Self {
        Self {
            jobs: Mutex::new(Jobs {
                queue: VecDeque::new(),
                idle: 0,
                workers: 0,
            }),
            work: Condvar::new(),
        }
    }

    fn jobs(&self) -> MutexGuard<'_, Jobs> {
        crate::lock(&self.jobs)
    }

    pub(crate) fn submit(&'static self, op: &Arc<OpShared>) {
        if !op.file().stream && crate::sys::complete_at_once(op) {
            return;
        }
        let mut jobs = self.jobs();
        jobs.queue.push_back(op.clone());
        // Each idle worker will take one queued request; more requests than idle workers
        // need a new worker (a worker already woken still counts as idle until it takes
        // its request, and that request is still queued: the two stay in step).
        if jobs.queue.len() <= jobs.idle {
            self.work.notify_one();
        } else if jobs.workers < MAX_WORKERS {
            let started = std::thread::Builder::new()
                .name("alertable-io".into())
                .spawn(|| self.work_forever());
            match started {
                Ok(_) => jobs.workers += 1,
                // Without a new worker the request waits for a busy one; with none at all
                // it fails.
                Err(e) if jobs.workers == 0 => {
                    let op = jobs.queue.pop_back();
                    drop(jobs);
                    if let Some(op) = op {
                        op.complete(Err(IoError::from(e)));
                    }
                }
                Err(_) => {}
            }
        }
    }

    pub(crate) fn cancel(&self, op: &Arc<OpShared>) {
        let queued = {
            let mut jobs = self.jobs();
            let at = jobs.queue.iter().position(|job| Arc::ptr_eq(job, op));
            at.and_then(|at| jobs.queue.remove(at))
        };
        if let Some(op) = queued {
            op.complete(Err(IoError::Aborted));
        }
        // A running stream request was interrupted through its eventfd by the request
        // itself; a running file request finishes normally.
    }

    fn work_forever(&self) {
        // Without an eventfd, stream requests cannot be interrupted; they still complete.
        let wake = rustix::event::eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)
            .ok()
            .map(Arc::new);
        // One for the worker's life: every request it runs gets a reference to it.
        let interrupt = interrupt_of(wake.as_ref());
        loop {
            let op = {
                let mut jobs = self.jobs();
                loop {
                    if let Some(op) = jobs.queue.pop_front() {
                        break op;
                    }
                    jobs.idle += 1;
                    jobs = self.work.wait(jobs).unwrap_or_else(PoisonError::into_inner);
                    jobs.idle -= 1;
                }
            };
            run(&op, wake.as_deref(), interrupt.as_ref());
        }
    }
}

/// How a cancel interrupts a request a worker runs.
type Interrupt = Arc<dyn Fn() + Send + Sync>;

/// Does one request, blocking, and completes it.
fn run(op: &Arc<OpShared>, wake: Option<&OwnedFd>, interrupt: Option<&Interrupt>) {
    if op.cancel_requested() {
        return op.complete(Err(IoError::Aborted));
    }
    let mut buf = op.take_buffer_for_io();
    let result = if op.file().pipe.is_some() {
        pipe_io(op, &mut buf, wake, interrupt)
    } else if op.file().stream {
        stream_io(op, &mut buf, wake, interrupt)
    } else {
        positional_io(op, &mut buf)
    };
    op.put_buffer(buf);
    op.complete(result);
}

/// `pread`, or `pwrite` until everything is written.
fn positional_io(op: &OpShared, buf: &mut [u8]) -> Result<usize, IoError> {
    let fd = op.file().fd();
    match op.kind {
        Kind::Connect | Kind::Transact => unreachable!("only pipes connect or transact"),
        Kind::Read => retry(|| rustix::io::pread(fd, &mut *buf, op.offset)),
        Kind::Write => {
            let mut done = 0;
            while done < buf.len() {
                let offset = op.offset + done as u64;
                match retry(|| rustix::io::pwrite(fd, &buf[done..], offset))? {
                    0 => break,
                    n => done += n,
                }
            }
            Ok(done)
        }
    }
}

/// The interrupt a cancel calls for a request a worker runs: a write to its eventfd. A
/// wake-up left over from a cancel that came too late for its request is found by the
/// worker's next `poll`, which then drains it and looks at its request's cancel flag.
fn interrupt_of(wake: Option<&Arc<OwnedFd>>) -> Option<Interrupt> {
    wake.map(|wake| {
        let wake = wake.clone();
        Arc::new(move || {
            let _ = rustix::io::write(&*wake, &1u64.to_ne_bytes());
        }) as Interrupt
    })
}

/// Waits in `poll` until `fd` has `ready` or `wake` is written; true if `wake` was (and
/// is drained now).
fn wait_for(
    fd: std::os::fd::BorrowedFd<'_>,
    ready: PollFlags,
    wake: Option<&OwnedFd>,
) -> Result<bool, IoError> {
    let mut fds = [
        PollFd::new(&fd, ready),
        PollFd::new(&fd, PollFlags::empty()),
    ];
    let count = if let Some(wake) = wake {
        fds[1] = PollFd::new(wake, PollFlags::IN);
        2
    } else {
        1
    };
    retry(|| rustix::event::poll(&mut fds[..count], None))?;
    let woken = count == 2 && !fds[1].revents().is_empty();
    if woken && let Some(wake) = wake {
        let _ = rustix::io::read(wake, &mut [0u8; 8]);
    }
    Ok(woken)
}

/// A request on a pipe of `pipe.rs`: waits in `poll` for the readiness it needs (or a
/// cancel), then tries it, until it is done. It comes here only after an attempt that
/// had to wait (inside the issuing call, or when it started behind another: P4, P7 of
/// `pipe.rs`), or as a connect, so it waits first; readiness is level-triggered, so what
/// came in between makes the first `poll` return at once.
fn pipe_io(
    op: &Arc<OpShared>,
    buf: &mut [u8],
    wake: Option<&OwnedFd>,
    interrupt: Option<&Interrupt>,
) -> Result<usize, IoError> {
    if !op.set_interrupt(interrupt.cloned()) {
        return Err(IoError::Aborted);
    }
    let fd = op.file().fd();
    let mut readiness = crate::pipe::interest(op);
    let result = loop {
        let ready = match readiness {
            crate::pipe::Readiness::Input => PollFlags::IN,
            crate::pipe::Readiness::Output => PollFlags::OUT,
        };
        match wait_for(fd, ready, wake) {
            Err(e) => break Err(e),
            Ok(_) if op.cancel_requested() => break Err(IoError::Aborted),
            Ok(_) => {}
        }
        match crate::pipe::attempt(op, buf) {
            crate::pipe::Attempt::Done(result) => break result,
            crate::pipe::Attempt::WaitFor(next) => readiness = next,
        }
    };
    op.set_interrupt(None);
    result
}

/// What a pipe that polls writable is sure to take without blocking.
const PIPE_BUF: usize = 4096;

/// Waits for the stream to be ready (or the request to be cancelled), then reads once, or
/// writes everything, a piece at a time.
fn stream_io(
    op: &Arc<OpShared>,
    buf: &mut [u8],
    wake: Option<&OwnedFd>,
    interrupt: Option<&Interrupt>,
) -> Result<usize, IoError> {
    if !op.set_interrupt(interrupt.cloned()) {
        return Err(IoError::Aborted);
    }
    let fd = op.file().fd();
    let ready = match op.kind {
        Kind::Read => PollFlags::IN,
        Kind::Write => PollFlags::OUT,
        Kind::Connect | Kind::Transact => unreachable!("only pipes connect or transact"),
    };
    let mut done = 0;
    let result = loop {
        match wait_for(fd, ready, wake) {
            Err(e) => break Err(e),
            Ok(true) if op.cancel_requested() => break Err(IoError::Aborted),
            // Woken for a cancel that came too late for an earlier request, or for this
            // one's together with the stream's readiness: the stream is looked at again.
            Ok(true) => continue,
            Ok(false) => {}
        }
        // A descriptor in non-blocking mode may find the data gone to another reader:
        // `EAGAIN` (mapped as an OS error) sends us back to `poll`.
        let again = IoError::Os(Errno::AGAIN.raw_os_error());
        match op.kind {
            Kind::Read => match retry(|| rustix::io::read(fd, &mut *buf)) {
                Err(e) if e == again => {}
                other => break other,
            },
            // At most `PIPE_BUF` bytes at a time: a blocking write waits until all of it is
            // written, and only that much is sure to fit once a pipe polls writable. So the
            // request is never stuck in `write`, out of reach of a cancellation.
            Kind::Write => match retry(|| {
                let piece = &buf[done..buf.len().min(done + PIPE_BUF)];
                rustix::io::write(fd, piece)
            }) {
                Ok(n) if done + n < buf.len() && n > 0 => done += n,
                Ok(n) => break Ok(done + n),
                Err(e) if e == again => {}
                Err(e) => break Err(e),
            },
            Kind::Connect | Kind::Transact => unreachable!("only pipes connect or transact"),
        }
    };
    op.set_interrupt(None);
    result
}

/// Runs a system call again when a signal interrupted it.
fn retry<T>(mut call: impl FnMut() -> rustix::io::Result<T>) -> Result<T, IoError> {
    loop {
        match call() {
            Err(Errno::INTR) => continue,
            Err(e) => return Err(IoError::from_errno(e.raw_os_error())),
            Ok(v) => return Ok(v),
        }
    }
}
