//! What the cross-process machinery costs threads that do not use it: a local APC
//! ping-pong between two threads of this process, before the process attaches to the
//! object namespace, after it has (other threads published, these two not), and with
//! both threads published (their parkers moved into the namespace, woken by shared
//! futexes).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alertable::{Alertable, ThreadHandle, sleep_ex};

/// The configurations of the table, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Local {
    /// Before anything of this process touched the namespace.
    Detached,
    /// The process is attached (its main thread is published); these threads are not.
    Unpublished,
    /// Both threads are published.
    Published,
}

impl Local {
    pub(super) fn id(self) -> &'static str {
        match self {
            Self::Detached => "local-before-attach",
            Self::Unpublished => "local-unpublished",
            Self::Published => "local-published",
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Detached => "ours: no namespace attached yet",
            Self::Unpublished => "ours: attached, these threads unpublished",
            Self::Published => "ours: both threads published",
        }
    }
}

/// Two threads bouncing an APC `trips` times; the time per round trip, in ns.
pub(super) fn ping_pong(trips: usize, how: Local) -> f64 {
    let publish = how == Local::Published;
    let (to_main, from_pong) = mpsc::channel::<ThreadHandle>();
    let stop = Arc::new(AtomicBool::new(false));
    let pong = {
        let stop = stop.clone();
        alertable::spawn(move || {
            if publish {
                alertable::publish_current(None).expect("the namespace is usable");
            }
            to_main.send(alertable::current()).expect("the bench waits");
            while !stop.load(Ordering::Acquire) {
                sleep_ex(None, Alertable::Yes);
            }
        })
        .expect("a thread")
    };
    let pong_handle = from_pong.recv().expect("pong started");
    let ping = {
        let pong_handle = pong_handle.clone();
        alertable::spawn(move || {
            if publish {
                alertable::publish_current(None).expect("the namespace is usable");
            }
            let me = alertable::current();
            let returned = Arc::new(AtomicU64::new(0));
            let start = Instant::now();
            for i in 1..=trips as u64 {
                let (back_to, back) = (me.clone(), returned.clone());
                pong_handle
                    .queue_apc(move || {
                        back_to
                            .queue_apc(move || back.store(i, Ordering::Release))
                            .expect("ping is alive");
                    })
                    .expect("pong is alive");
                while returned.load(Ordering::Acquire) != i {
                    sleep_ex(None, Alertable::Yes);
                }
            }
            start.elapsed()
        })
        .expect("a thread")
    };
    let elapsed: Duration = ping.join().expect("ping");
    stop.store(true, Ordering::Release);
    pong_handle.queue_apc(|| {}).expect("pong is alive");
    pong.join().expect("pong");
    elapsed.as_secs_f64() * 1e9 / trips as f64
}
