//! The registry of running actors, by name and by id: [`lookup`] and [`lookup_id`].
//!
//! An actor's name is reserved when [`spawn`](crate::spawn) begins (so two spawns cannot
//! both take it), its entry becomes visible when its thread starts, just before `on_start`
//! (so that actors it writes to during start-up can answer), and it is removed before the
//! actor's record is written, so a lookup never finds a stopped actor.
//! Entries hold type-erased [`ActorRef`]s; a lookup downcasts, so asking with the wrong
//! message type finds nothing.

use std::any::Any;
use std::collections::HashMap;
use std::collections::hash_map::Entry as MapEntry;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use crate::actor_ref::ActorRef;
use crate::envelope::ActorId;

/// A published actor.
struct Entry {
    name: Box<str>,
    /// An `ActorRef<M>` for the actor's `M`.
    handle: Box<dyn Any + Send + Sync>,
}

/// The registry proper; `&mut Registry` is the proof that the lock is held.
#[derive(Default)]
struct Registry {
    /// Every name taken: `None` until its actor's thread starts, then its id.
    names: HashMap<Box<str>, Option<ActorId>>,
    actors: HashMap<ActorId, Entry>,
}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Mutex::default);

fn registry() -> MutexGuard<'static, Registry> {
    // Nothing user-supplied runs under the lock, so a poisoned lock holds consistent data.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reserves `name` for an actor being spawned; false if it is taken.
pub(crate) fn reserve(name: &str) -> bool {
    match registry().names.entry(name.into()) {
        MapEntry::Occupied(_) => false,
        MapEntry::Vacant(slot) => {
            slot.insert(None);
            true
        }
    }
}

/// Gives up a reservation whose actor's thread never ran, or ended without a word.
pub(crate) fn unreserve(name: &str) {
    let entry = {
        let mut registry = registry();
        match registry.names.remove(name) {
            Some(Some(id)) => registry.actors.remove(&id),
            _ => None,
        }
    };
    drop(entry);
}

/// Makes a started actor visible under its reserved name and its id.
pub(crate) fn publish<M: Send + 'static>(actor: &ActorRef<M>) {
    let name: Box<str> = actor.name().into();
    let mut registry = registry();
    registry.names.insert(name.clone(), Some(actor.id()));
    registry.actors.insert(
        actor.id(),
        Entry {
            name,
            handle: Box::new(actor.clone()),
        },
    );
}

/// Removes a stopping actor; its name is free again.
pub(crate) fn remove(id: ActorId) {
    let entry = {
        let mut registry = registry();
        let entry = registry.actors.remove(&id);
        if let Some(entry) = &entry {
            registry.names.remove(&entry.name);
        }
        entry
    };
    // Dropped outside the lock: the handle may be the last one, and its mailbox may hold
    // messages whose destructors are the user's code.
    drop(entry);
}

fn find<M: Send + 'static>(registry: &Registry, id: ActorId) -> Option<ActorRef<M>> {
    registry
        .actors
        .get(&id)?
        .handle
        .downcast_ref::<ActorRef<M>>()
        .cloned()
}

/// Finds the running actor named `name`, if it takes messages of type `M`.
///
/// Returns `None` if no actor has that name (it has stopped, or its thread has not started
/// yet), or if its message type is not `M`. An actor is found while its `on_start` runs;
/// messages sent to it then wait until start-up is over.
///
/// # Examples
///
/// ```
/// use alertable_actor::{Actor, Context, Envelope, Options, StopMode, lookup};
///
/// struct Sink;
/// impl Actor for Sink {
///     type Message = String;
///     type Error = std::convert::Infallible;
///     fn on_message(&mut self, _: &mut Context<String>, _: Envelope<String>) {}
/// }
///
/// let sink = alertable_actor::spawn("sink", Sink, Options::default()).unwrap();
/// assert_eq!(lookup::<String>("sink"), Some(sink.clone()));
/// assert_eq!(lookup::<u32>("sink"), None); // wrong message type
/// assert_eq!(lookup::<String>("source"), None);
/// sink.stop(StopMode::Drain);
/// sink.join().unwrap();
/// assert_eq!(lookup::<String>("sink"), None); // stopped actors leave the registry
/// ```
///
/// # Win32
///
/// The seed's `Connect`, opening an `ActorHandle` to an actor known by name.
pub fn lookup<M: Send + 'static>(name: &str) -> Option<ActorRef<M>> {
    let registry = registry();
    let id = (*registry.names.get(name)?)?;
    find(&registry, id)
}

/// Finds the running actor with id `id` (its thread id), if it takes messages of type
/// `M`: how an actor answers the sender named in an [`Envelope`](crate::Envelope).
///
/// Returns `None` if no running actor has that id, or if its message type is not `M`.
///
/// # Examples
///
/// ```
/// use alertable_actor::{Actor, ActorId, Context, Envelope, Options, StopMode, lookup_id};
///
/// struct Sink;
/// impl Actor for Sink {
///     type Message = u8;
///     type Error = std::convert::Infallible;
///     fn on_message(&mut self, _: &mut Context<u8>, _: Envelope<u8>) {}
/// }
///
/// let sink = alertable_actor::spawn("byte-sink", Sink, Options::default()).unwrap();
/// assert_eq!(lookup_id::<u8>(sink.id()), Some(sink.clone()));
/// assert_eq!(lookup_id::<u16>(sink.id()), None);
/// sink.stop(StopMode::Now);
/// sink.join().unwrap();
/// assert_eq!(lookup_id::<u8>(sink.id()), None);
/// ```
///
/// # Win32
///
/// `OpenThread(THREAD_SET_CONTEXT, FALSE, thread_id)`, as the seed's `Connect` does with
/// an actor's native thread id.
pub fn lookup_id<M: Send + 'static>(id: ActorId) -> Option<ActorRef<M>> {
    find(&registry(), id)
}

/// The names of the running actors, in no particular order.
///
/// # Win32
///
/// No counterpart; a toolhelp snapshot (`Thread32First`/`Thread32Next`) lists threads.
pub fn names() -> Vec<String> {
    registry()
        .actors
        .values()
        .map(|entry| entry.name.to_string())
        .collect()
}
