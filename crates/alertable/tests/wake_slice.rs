//! A thread that sleeps long in the library's waits and runs briefly between them asks the
//! kernel for its shortest time slice, so that it runs as soon as it is woken (the way a
//! thread whose wait is satisfied is boosted on Windows); a thread that runs a millisecond
//! or more between waits, twice in a row, or that trades work with a partner (short sleeps
//! in a row), gets its own slice back. Its policy and nice
//! value stay as they were, a change someone else makes meanwhile stays, a thread the library
//! creates starts with the default slice, and a thread under another policy is left alone. The
//! rhythm that decides (which bursts and sleeps count) is unit-tested in `slice.rs`.
//!
//! The kernel keeps a slice per thread from Linux 6.12 on; on an older one, these tests check
//! only that nothing else changes.

// A test is not library code: it needs no loom facade for its flag.
#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    set_attr_with_slice(policy, nice, 0);
}

/// Sets the calling thread's policy, nice value and slice (0: the default).
fn set_attr_with_slice(policy: i32, nice: i32, slice: u64) {
    // SAFETY: all-zero is a valid `sched_attr`.
    let mut attr: libc::sched_attr = unsafe { std::mem::zeroed() };
    attr.size = u32::try_from(std::mem::size_of::<libc::sched_attr>()).expect("size");
    attr.sched_policy = u32::try_from(policy).expect("policy");
    attr.sched_nice = nice;
    attr.sched_runtime = slice;
    // SAFETY: an initialised `sched_attr` of its own size, for the calling thread.
    let set = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &raw const attr, 0) };
    assert_eq!(set, 0, "sched_setattr: {}", std::io::Error::last_os_error());
}

/// Raises the calling thread's nice value (no privilege needed), keeping the rest.
fn renice(nice: i32) {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    let tid = libc::id_t::try_from(tid).expect("a thread id");
    // SAFETY: `setpriority` of one thread (on Linux, a thread id names the thread alone).
    let set = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, nice) };
    assert_eq!(set, 0, "setpriority: {}", std::io::Error::last_os_error());
}

/// Drops every capability of the calling thread (capabilities are per thread on Linux), as
/// an unprivileged thread has none.
fn drop_capabilities() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let header = Header {
        version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
        pid: 0,
    };
    let data = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: a version-3 header and its two data words, for the calling thread.
    let set = unsafe { libc::syscall(libc::SYS_capset, &raw const header, data.as_ptr()) };
    assert_eq!(set, 0, "capset: {}", std::io::Error::last_os_error());
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

/// Two bursts of 3 ms, each ended by a sleep: a busy thread.
fn busy_twice() {
    for _ in 0..2 {
        busy(Duration::from_millis(3));
        idle();
    }
}

/// On a kernel that keeps a slice per thread: the calling thread's own slice, once idling
/// has given it the short one (asserted); `None` on a kernel without slices.
fn idle_to_the_short_slice() -> Option<u64> {
    let own = attr().sched_runtime;
    if own == 0 {
        return None;
    }
    assert!(
        idle_until_slice_is(SHORT),
        "an idle thread has the short slice"
    );
    Some(own)
}

/// Runs `test` on a thread of its own, whose attributes it may change.
fn on_a_thread(test: impl FnOnce() + Send + 'static) {
    std::thread::spawn(test).join().expect("the test thread");
}

#[test]
fn an_idle_thread_asks_for_a_short_slice_and_a_busy_one_gets_its_own_back() {
    on_a_thread(|| {
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
        // One long burst may be a short one kept off the CPU: still short.
        busy(Duration::from_millis(3));
        idle();
        assert_eq!(attr().sched_runtime, SHORT);
        // A second in a row: the next sleep begins with the slice back.
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
    });
}

/// A thread given the short slice while idle gets its own back once it trades work with a
/// partner: several sleeps in a row that were short (the partner's next hand-off came
/// within 0.1 ms), where a short slice would have it preempt the partner at every hand-off
/// whenever the two share a CPU.
#[test]
fn a_thread_trading_work_with_a_partner_gets_its_own_slice_back() {
    on_a_thread(|| {
        let Some(own) = idle_to_the_short_slice() else {
            return;
        };
        let me = alertable::current();
        let stop = Arc::new(AtomicBool::new(false));
        let (ack, acked) = std::sync::mpsc::channel::<()>();
        // Hands off an APC, 40 µs of work after each acknowledgement: longer than this
        // thread watches before it sleeps, far shorter than a long sleep.
        let partner = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    busy(Duration::from_micros(40));
                    let ack = ack.clone();
                    me.queue_apc(move || ack.send(()).expect("the partner waits"))
                        .expect("the thread is alive");
                    acked.recv().expect("the APC acknowledges");
                }
            })
        };
        let traded = (0..20_000).any(|_| {
            sleep_ex(Some(Duration::from_secs(20)), Alertable::Yes);
            attr().sched_runtime == own
        });
        stop.store(true, Ordering::SeqCst);
        while !partner.is_finished() {
            sleep_ex(Some(Duration::from_millis(1)), Alertable::Yes);
        }
        partner.join().expect("the partner");
        assert!(
            traded,
            "a thread trading work with a partner has its own slice"
        );
        // Idle again: short again.
        assert!(idle_until_slice_is(SHORT));
    });
}

#[test]
fn an_unprivileged_thread_gets_its_slice_back_too() {
    on_a_thread(|| {
        drop_capabilities();
        let Some(own) = idle_to_the_short_slice() else {
            return;
        };
        busy_twice();
        assert_eq!(attr().sched_runtime, own, "the slice comes back");
        assert!(idle_until_slice_is(SHORT));
        // Its own changes of policy while the slice is short are not refused (they would
        // be, had the library set the reset-on-fork flag: clearing one needs
        // CAP_SYS_NICE), and the library leaves what they set alone.
        set_attr(libc::SCHED_BATCH, 0);
        set_attr(libc::SCHED_OTHER, 0);
        busy_twice();
        for _ in 0..5 {
            idle();
        }
        assert_eq!(attr().sched_runtime, own, "as the thread set it");
    });
}

#[test]
fn a_thread_keeps_its_nice_value() {
    on_a_thread(|| {
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
    });
}

#[test]
fn a_nice_value_set_while_the_slice_is_short_stays() {
    on_a_thread(|| {
        let Some(own) = idle_to_the_short_slice() else {
            return;
        };
        renice(7);
        busy_twice();
        let now = attr();
        assert_eq!(now.sched_nice, 7, "the thread's own change stays");
        assert_eq!(now.sched_runtime, own);
    });
}

#[test]
fn a_policy_set_while_the_slice_is_short_stays() {
    on_a_thread(|| {
        if idle_to_the_short_slice().is_none() {
            return;
        }
        set_attr_with_slice(libc::SCHED_BATCH, 0, SHORT);
        busy_twice();
        assert_eq!(attr().sched_policy, libc::SCHED_BATCH as u32, "left as set");
    });
}

#[test]
fn a_thread_under_another_policy_is_left_alone() {
    on_a_thread(|| {
        set_attr(libc::SCHED_BATCH, 0);
        let before = attr();
        for _ in 0..5 {
            idle();
        }
        let after = attr();
        assert_eq!(after.sched_policy, libc::SCHED_BATCH as u32);
        assert_eq!(after.sched_runtime, before.sched_runtime);
    });
}

#[test]
fn a_thread_the_library_creates_starts_with_the_default_slice() {
    on_a_thread(|| {
        let Some(own) = idle_to_the_short_slice() else {
            return;
        };
        // A thread created meanwhile inherits the short slice (the kernel's rule; the
        // flag that would stop it is left alone), unless the library creates it.
        let ours = alertable::spawn(|| attr().sched_runtime)
            .expect("a thread")
            .join()
            .expect("the child");
        assert_eq!(ours, own, "a thread of the library starts with the default");
        let theirs = std::thread::spawn(|| attr().sched_runtime)
            .join()
            .expect("the child");
        assert_eq!(theirs, SHORT, "another inherits it");
    });
}
