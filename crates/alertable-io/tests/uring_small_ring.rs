//! The io_uring backend with a completion queue of 8 entries, so at most 4 requests are in
//! the kernel at once: the rest wait their turn in user space, and cancels keep places of
//! their own. Every request still completes exactly once; a request waiting for a place
//! is cancelled without reaching the kernel; a ring full of pipe reads nobody feeds can
//! still be cancelled (K115, K116, K121).
//!
//! A process of its own: the ring is sized before the backend is chosen. On the worker
//! threads (`ALERTABLE_IO_BACKEND=threads`) the sizes have no effect and the tests run as
//! they are.

mod load;

use std::os::fd::OwnedFd;
use std::sync::Once;

use alertable::Alertable;
use alertable_io::{AsyncFile, IoError, Operation};
use load::Load;

/// Sizes the ring before any test issues a request.
fn small_ring() {
    static SIZED: Once = Once::new();
    SIZED.call_once(|| {
        alertable_io::configure_ring_for_tests(2, 8, None);
    });
}

fn pipe() -> (AsyncFile, OwnedFd) {
    let (read_end, write_end) = rustix::pipe::pipe().unwrap();
    (AsyncFile::from_fd(read_end).unwrap(), write_end)
}

#[track_caller]
fn assert_completes_with(op: &Operation, expected: Result<usize, IoError>) {
    assert_eq!(
        op.wait(Some(load::DEADLINE), Alertable::No),
        Ok(alertable::WaitStatus::Signaled(0))
    );
    assert_eq!(op.result(false), expected);
}

/// U3: 400 pipe reads and 400 file requests through a ring that holds 4 at a time.
#[test]
fn requests_beyond_the_bound_wait_and_all_complete() {
    small_ring();
    load::run(Load {
        pipes: 400,
        file_requests: 400,
        burners: 2,
    });
}

/// U3, U4, K116: with the ring's request places all taken by pipe reads nobody feeds,
/// a request waiting for a place is cancelled without reaching the kernel, and the reads
/// in the kernel can still be cancelled: their cancels have places of their own.
#[test]
fn k116_a_full_ring_of_pending_reads_can_be_cancelled() {
    small_ring();
    let pipes: Vec<_> = (0..12).map(|_| pipe()).collect();
    let ops: Vec<Operation> = pipes
        .iter()
        .map(|(file, _)| file.read(0, vec![0; 8]).unwrap())
        .collect();
    // The last ones wait for places; cancel them first, then the ones in the kernel.
    for op in ops.iter().rev() {
        op.cancel().unwrap();
    }
    for op in &ops {
        assert_completes_with(op, Err(IoError::Aborted));
    }
    // The ring works on.
    let (file, write_end) = &pipes[0];
    let op = file.read(0, vec![0; 8]).unwrap();
    assert_eq!(rustix::io::write(write_end, b"12345678").unwrap(), 8);
    assert_completes_with(&op, Ok(8));
}

/// K121: a thread that exits with more pending pipe reads than the ring holds cancels all
/// of them, those in the kernel and those waiting.
#[test]
fn k121_exit_cancels_reads_in_the_kernel_and_waiting() {
    small_ring();
    let pipes: Vec<_> = (0..10).map(|_| pipe()).collect();
    let files: Vec<AsyncFile> = pipes.iter().map(|(file, _)| file.clone()).collect();
    let ops = std::thread::spawn(move || {
        files
            .iter()
            .map(|file| file.read(0, vec![0; 8]).unwrap())
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    for op in &ops {
        assert_completes_with(op, Err(IoError::Aborted));
    }
}
