//! A thread that sleeps long in the library's waits and runs briefly between them asks the
//! kernel for its shortest time slice, so that it runs as soon as it is woken (the way a
//! thread whose wait is satisfied is boosted on Windows); a thread that runs a millisecond
//! or more between two waits gets its own slice back. Its policy and nice value stay as they
//! were, and a thread under another policy is left alone.
//!
//! The kernel keeps a slice per thread from Linux 6.12 on; on an older one, these tests check
//! only that nothing else changes.

use std::time::{Duration, Instant};

use alertable::{Alertable, sleep_ex};

/// The slice an idle thread asks for: the kernel's shortest, 0.1 ms.
const SHORT: u64 = 100_000;

/// The calling thread's scheduling attributes.
fn attr() -> libc::sched_attr {
    // SAFETY: all-zero is a valid `sched_attr`.
    let mut attr: libc::sched_attr = unsafe { std::mem::zeroed() };
    let size = u32::try_from(std::mem::size_of::<libc::sched_attr>()).expect("size");
    // SAFETY: a writable `sched_attr` of `size` bytes, for the calling thread.
    let got = unsafe { libc::syscall(libc::SYS_sched_getattr, 0, &raw mut attr, size, 0) };
    assert_eq!(got, 0, "sched_getattr: {}", std::io::Error::last_os_error());
    attr
}

/// Sets the calling thread's policy and nice value, with the default slice.
fn set_attr(policy: i32, nice: i32) {
    // SAFETY: all-zero is a valid `sched_attr`.
    let mut attr: libc::sched_attr = unsafe { std::mem::zeroed() };
    attr.size = u32::try_from(std::mem::size_of::<libc::sched_attr>()).expect("size");
    attr.sched_policy = u32::try_from(policy).expect("policy");
    attr.sched_nice = nice;
    // SAFETY: an initialised `sched_attr` of its own size, for the calling thread.
    let set = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &raw const attr, 0) };
    assert_eq!(set, 0, "sched_setattr: {}", std::io::Error::last_os_error());
}

/// Whether this kernel keeps a slice per thread (it reports it).
fn kernel_has_slices() -> bool {
    attr().sched_runtime != 0
}

/// An idle stretch: a sleep in the library's alertable wait, long enough to count as long.
fn idle() {
    sleep_ex(Some(Duration::from_millis(2)), Alertable::Yes);
}

/// Sleeps idle until the slice is `slice`: the burst between two sleeps is short unless
/// the machine is so loaded that this thread was kept off the CPU for a millisecond, which
/// the next round makes up for.
fn idle_until_slice_is(slice: u64) -> bool {
    (0..200).any(|_| {
        idle();
        attr().sched_runtime == slice
    })
}

/// Runs for `burst` without waiting.
fn busy(burst: Duration) {
    let start = Instant::now();
    while start.elapsed() < burst {
        std::hint::spin_loop();
    }
}

#[test]
fn an_idle_thread_asks_for_a_short_slice_and_a_busy_one_gets_its_own_back() {
    std::thread::spawn(|| {
        let own = attr();
        if !kernel_has_slices() {
            idle();
            assert_eq!(attr().sched_runtime, 0);
            return;
        }
        assert!(own.sched_runtime > SHORT, "the default slice is longer");
        assert!(
            idle_until_slice_is(SHORT),
            "an idle thread has the short slice"
        );
        // A burst of 3 ms between two waits: the next sleep begins with the slice back.
        busy(Duration::from_millis(3));
        idle();
        let back = attr();
        assert_eq!(
            back.sched_runtime, own.sched_runtime,
            "a busy thread has its own"
        );
        assert_eq!(back.sched_flags, own.sched_flags, "and its own flags");
        // Idle again: short again.
        assert!(idle_until_slice_is(SHORT));
        assert_eq!(attr().sched_policy, own.sched_policy);
    })
    .join()
    .expect("the test thread");
}

#[test]
fn a_thread_keeps_its_nice_value() {
    std::thread::spawn(|| {
        set_attr(libc::SCHED_OTHER, 5);
        if !kernel_has_slices() {
            idle();
            assert_eq!(attr().sched_nice, 5);
            return;
        }
        assert!(idle_until_slice_is(SHORT));
        let now = attr();
        assert_eq!(now.sched_nice, 5, "the nice value is kept");
        assert_eq!(now.sched_policy, libc::SCHED_OTHER as u32);
    })
    .join()
    .expect("the test thread");
}

#[test]
fn a_thread_under_another_policy_is_left_alone() {
    std::thread::spawn(|| {
        set_attr(libc::SCHED_BATCH, 0);
        let before = attr();
        for _ in 0..5 {
            idle();
        }
        let after = attr();
        assert_eq!(after.sched_policy, libc::SCHED_BATCH as u32);
        assert_eq!(after.sched_runtime, before.sched_runtime);
    })
    .join()
    .expect("the test thread");
}

#[test]
fn a_thread_that_never_sleeps_long_keeps_its_slice() {
    std::thread::spawn(|| {
        let own = attr().sched_runtime;
        // Sleeps of no time at all: the waits return before they park.
        for _ in 0..100 {
            sleep_ex(Some(Duration::ZERO), Alertable::Yes);
        }
        assert_eq!(attr().sched_runtime, own);
    })
    .join()
    .expect("the test thread");
}

#[test]
fn threads_created_by_an_idle_thread_start_with_the_default_slice() {
    std::thread::spawn(|| {
        let own = attr().sched_runtime;
        if own == 0 {
            return;
        }
        assert!(idle_until_slice_is(SHORT));
        let child = std::thread::spawn(|| attr().sched_runtime)
            .join()
            .expect("the child");
        assert_eq!(child, own, "the short slice is not inherited");
    })
    .join()
    .expect("the test thread");
}
