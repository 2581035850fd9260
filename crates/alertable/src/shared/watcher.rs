//! The process's watcher of shared objects for its registered waits (X10 in `shared/mod.rs`).
//!
//! A signal in another process wakes the thread records that list the object (X4), and a
//! thread waiting here has one. A registered wait (`registered.rs`, the thread pool's
//! waits) has no thread: it sits in the object's local wait list, which only this
//! process's own signals look at. So once a registered wait links on a shared object, one
//! thread of the process — the watcher, started then — lists every shared object that has
//! local waiters in its own record and sleeps on it, a slice at a time (X6). Woken, it
//! satisfies what the objects' state now allows in their local wait lists, under the
//! dispatcher lock, as a local signal would: registered waits are told after the lock is
//! released (W6), thread waits are woken (W7). It wakes nobody in other processes (the
//! signal it answers did that). With no shared object left to watch it sleeps without a
//! deadline until the next registration on one.

use std::sync::{Arc, OnceLock, Weak};
use std::time::Instant;

use super::object::{Proxy, list_wait, record_of};
use super::{SLICE, attached};
use crate::dispatch::Dispatcher;
use crate::thread::{ThreadHandle, with_current};

static WATCHER: OnceLock<ThreadHandle> = OnceLock::new();

/// A registered wait has linked on a shared object: the watcher (started now if need be)
/// lists it from its next look on. Call it without the dispatcher lock.
pub(crate) fn registered_on_shared() {
    let watcher = WATCHER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("alertable-shared-watcher".into())
            .spawn(move || {
                let _ = tx.send(crate::current());
                run();
            })
            .expect("cannot start the shared-object watcher thread");
        rx.recv()
            .expect("the watcher thread sends its handle first")
    });
    watcher.inner.parker.unpark();
}

/// This process's proxies whose local wait lists are not empty, at most as many as a
/// record lists (the rest are looked at every slice, X6).
fn watched(lock: &Dispatcher) -> Vec<Arc<Proxy>> {
    let Some(ns) = attached() else {
        return Vec::new();
    };
    let proxies: Vec<Arc<Proxy>> = ns.proxies().values().filter_map(Weak::upgrade).collect();
    proxies
        .into_iter()
        .filter(|p| !p.released() && !p.wait_list().is_empty(lock))
        .take(super::MAX_WAIT)
        .collect()
}

fn run() {
    with_current(|ctx| {
        loop {
            let mut lock = Dispatcher::lock();
            let objects = watched(&lock);
            if objects.is_empty() {
                drop(lock);
                ctx.park_for_objects(None);
                continue;
            }
            if let Some(ns) = attached() {
                let guard = lock.shared(ns);
                if let Some(record) = record_of(&guard, ctx) {
                    list_wait(&guard, record, objects.iter().map(|p| p.index()));
                }
            }
            // A change before the listing is seen here; later ones wake the record (X4).
            for proxy in &objects {
                proxy.wait_list().wake_waiters(&mut lock);
            }
            // Not held while asleep: an object whose last handle closes meanwhile goes
            // with it, as a name must (X9).
            let objects: Vec<Weak<Proxy>> = objects.iter().map(Arc::downgrade).collect();
            drop(lock);
            ctx.park_for_objects(Some(Instant::now() + SLICE));
            let mut lock = Dispatcher::lock();
            super::unregister_wait(&lock, ctx.thread());
            for proxy in objects.iter().filter_map(Weak::upgrade) {
                proxy.wait_list().wake_waiters(&mut lock);
                // A last reference dropped here is released when the hold ends.
            }
            super::sweep_and_recheck(&lock);
        }
    });
}
