//! Object names: the `lpName` of the `Create…` and `Open…` functions of events,
//! semaphores, mutexes and waitable timers.
//!
//! # One namespace, two homes
//!
//! Events, semaphores and mutexes with a name are the core's named objects
//! ([`alertable::Event::create_named`] and its kin): every process of the user that names
//! them gets the same object, and it lives while any process holds a handle to it (each
//! handle holds the object, which holds the process's reference). Waitable timers stay
//! per process, since the core has no shared timers: their names are kept in this
//! process's [`TIMERS`] table. Windows has one namespace for all of them, so the two homes
//! are made to look like one:
//!
//! - (N1) A timer name is checked against the shared namespace before it is taken: if any
//!   shared object holds the name, `CreateWaitableTimer` fails with `ERROR_INVALID_HANDLE`
//!   (6), and `OpenWaitableTimer` too. (So a process that names only timers attaches to the
//!   namespace all the same.)
//! - (N2) A shared name is checked against [`TIMERS`] before the core sees it: if a timer of
//!   this process holds it, `Create…` and `Open…` fail with `ERROR_INVALID_HANDLE` (6).
//! - (N3) Both checks and the creation that follows them happen under the [`TIMERS`] lock,
//!   so within the process neither kind can slip in between a check and its creation.
//!   Lock order: [`TIMERS`], then the core's locks, then the handle table (`handle.rs`, H4);
//!   nothing is dropped under [`TIMERS`] that takes it again.
//! - (N4) What is not covered: a timer is invisible to other processes, so another process
//!   can create an event of a name this process gives a timer (and then this process's
//!   later `CreateEvent` of that name finds the timer and fails, as N2 says). This goes
//!   when the core shares timers.
//!
//! # Names
//!
//! A name is text: a `…W` name is its characters, an `…A` name its bytes, which must be
//! UTF-8 (`ERROR_NO_UNICODE_TRANSLATION`, 1113, otherwise), so `"x"` and `L"x"` are the
//! same name. Names are case-sensitive. `Local\x` is `x` (the user's one session);
//! `Global\x` is a separate namespace, of the same user (processes of other users never see
//! these objects). A backslash anywhere else fails with `ERROR_PATH_NOT_FOUND` (3), a name
//! of more than 256 bytes with `ERROR_FILENAME_EXCED_RANGE` (206). An empty name is no
//! name for `Create…`.
//!
//! `Create…` leaves `ERROR_ALREADY_EXISTS` (183) when it opened an existing object (and
//! then ignores its other arguments) and 0 when it made a new one, as Windows does.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use alertable::{Event, NameError, Opened};

use crate::consts::{
    ERROR_ALREADY_EXISTS, ERROR_FILE_NOT_FOUND, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER,
    ERROR_NO_UNICODE_TRANSLATION, ERROR_SUCCESS,
};
use crate::error::{Error, Result, set_last_error};
use crate::handle::{self, Entry, Object};
use crate::types::{DWORD, HANDLE};

/// The kinds of object that can have a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An event (either reset kind).
    Event,
    /// A semaphore.
    Semaphore,
    /// A mutex.
    Mutex,
    /// A waitable timer (per process, N4).
    Timer,
}

/// The rights a new handle gets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Access {
    /// Every right of the type: `Create…` (R1).
    All,
    /// The rights of this mask, mapped as `handle::grant` maps them (R2): `Create…Ex` and
    /// `Open…`.
    Desired(DWORD),
}

impl Access {
    /// The mask for an object of `kind`.
    fn mask(self, kind: Kind) -> Result<DWORD> {
        match self {
            Self::All => Ok(handle::all_access_of(kind)),
            Self::Desired(desired) => handle::grant_of(kind, desired),
        }
    }
}

/// A timer name's registration: held by every handle of the timer, so that the name lives
/// while a handle does. Dead entries are left in [`TIMERS`] and swept lazily.
pub(crate) struct NameEntry {
    object: Object,
}

/// The names of this process's timers, by their stored form ([`stored`]).
static TIMERS: Mutex<BTreeMap<String, Weak<NameEntry>>> = Mutex::new(BTreeMap::new());

fn timers() -> MutexGuard<'static, BTreeMap<String, Weak<NameEntry>>> {
    TIMERS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A name's text, or `ERROR_NO_UNICODE_TRANSLATION` for bytes that are not UTF-8.
fn text(name: Vec<u8>) -> Result<String> {
    String::from_utf8(name).map_err(|_| Error(ERROR_NO_UNICODE_TRANSLATION))
}

/// The form the core stores a (valid) name in: `Local\` dropped (N1, N2 compare these).
fn stored(name: &str) -> &str {
    name.strip_prefix("Local\\").unwrap_or(name)
}

/// The Win32 error of a name the core refuses.
pub(crate) fn name_error(e: NameError) -> Error {
    Error(e.win32_error())
}

/// A core object found or made by name, as a handle-table object.
pub(crate) fn as_object<T>(opened: Opened<T>, object: impl FnOnce(T) -> Object) -> Opened<Object> {
    match opened {
        Opened::Created(t) => Opened::Created(object(t)),
        Opened::Existing(t) => Opened::Existing(object(t)),
    }
}

/// Whether a shared object holds `name` (N1); fails for a name the core refuses.
fn shared_holds(name: &str) -> Result<bool> {
    match Event::open(name) {
        Ok(_) | Err(NameError::WrongType) => Ok(true),
        Err(NameError::NotFound) => Ok(false),
        Err(e) => Err(name_error(e)),
    }
}

/// Whether a live timer of this process holds `name` (N2).
fn timer_holds(timers: &BTreeMap<String, Weak<NameEntry>>, name: &str) -> Option<Arc<NameEntry>> {
    timers.get(stored(name)).and_then(Weak::upgrade)
}

/// Puts a new handle for `entry` in the table; its object is dropped, on failure, by the
/// caller after every lock is released (H4).
fn insert(entry: Entry) -> Result<HANDLE> {
    handle::insert(entry).map_err(|(error, _entry)| error)
}

/// Creates a shared object (event, semaphore, mutex) or opens the one called `name`, and
/// returns a new handle with `access`. `unnamed` makes the object when there is no name;
/// `named` asks the core for it by name.
pub(crate) fn create_shared(
    kind: Kind,
    name: Option<Vec<u8>>,
    access: Access,
    unnamed: impl FnOnce() -> Result<Object>,
    named: impl FnOnce(&str) -> Result<Opened<Object>>,
) -> Result<HANDLE> {
    // Refused before anything is made, so a failure leaves nothing behind.
    let mask = access.mask(kind)?;
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        let handle = insert(Entry::new(unnamed()?).granted(mask))?;
        set_last_error(ERROR_SUCCESS);
        return Ok(handle);
    };
    let name = text(name)?;
    let opened = {
        let timers = timers();
        if timer_holds(&timers, &name).is_some() {
            return Err(Error(ERROR_INVALID_HANDLE));
        }
        named(&name)?
        // N3: the TIMERS lock is released here, before the object can be dropped.
    };
    let (object, error) = match opened {
        Opened::Created(object) => (object, ERROR_SUCCESS),
        Opened::Existing(object) => (object, ERROR_ALREADY_EXISTS),
    };
    let handle = insert(Entry::new(object).granted(mask))?;
    set_last_error(error);
    Ok(handle)
}

/// Opens the shared object (event, semaphore, mutex) called `name` with `open`, and
/// returns a new handle with the rights `desired` maps to (R2).
///
/// # Errors
///
/// `ERROR_INVALID_PARAMETER` (87) for a `NULL` name; `ERROR_INVALID_HANDLE` (6) if a
/// timer of this process holds the name (N2); the core's name errors; the errors of
/// `handle::grant`.
pub(crate) fn open_shared(
    kind: Kind,
    desired: DWORD,
    name: Option<Vec<u8>>,
    open: impl FnOnce(&str) -> core::result::Result<Object, NameError>,
) -> Result<HANDLE> {
    let name = text(name.ok_or(Error(ERROR_INVALID_PARAMETER))?)?;
    let object = {
        let timers = timers();
        if timer_holds(&timers, &name).is_some() {
            return Err(Error(ERROR_INVALID_HANDLE));
        }
        open(&name).map_err(name_error)?
    };
    let mask = Access::Desired(desired).mask(kind)?;
    insert(Entry::new(object).granted(mask))
}

/// Creates a waitable timer (with `make`) or opens this process's timer called `name`, and
/// returns a new handle with `access`.
pub(crate) fn create_timer(
    name: Option<Vec<u8>>,
    access: Access,
    make: impl FnOnce() -> Object,
) -> Result<HANDLE> {
    let mask = access.mask(Kind::Timer)?;
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        let handle = insert(Entry::new(make()).granted(mask))?;
        set_last_error(ERROR_SUCCESS);
        return Ok(handle);
    };
    let name = text(name)?;
    // Whatever the table holds when this returns is dropped after the lock (H4, N3).
    let mut timers = timers();
    if shared_holds(&name)? {
        return Err(Error(ERROR_INVALID_HANDLE));
    }
    if let Some(existing) = timer_holds(&timers, &name) {
        let entry = Entry::named(existing.object.clone(), existing).granted(mask);
        drop(timers);
        let handle = insert(entry)?;
        set_last_error(ERROR_ALREADY_EXISTS);
        return Ok(handle);
    }
    let object = make();
    let registered = Arc::new(NameEntry {
        object: object.clone(),
    });
    if timers.len() >= 64 && timers.len().is_power_of_two() {
        timers.retain(|_, entry| entry.strong_count() > 0);
    }
    timers.insert(stored(&name).to_owned(), Arc::downgrade(&registered));
    drop(timers);
    let handle = insert(Entry::named(object, registered).granted(mask))?;
    set_last_error(ERROR_SUCCESS);
    Ok(handle)
}

/// Opens this process's timer called `name` with the rights `desired` maps to (R2).
///
/// # Errors
///
/// `ERROR_INVALID_PARAMETER` (87) for a `NULL` name; `ERROR_INVALID_HANDLE` (6) if a
/// shared object holds the name (N1), `ERROR_FILE_NOT_FOUND` (2) if nothing does; the
/// core's name errors; the errors of `handle::grant`.
pub(crate) fn open_timer(desired: DWORD, name: Option<Vec<u8>>) -> Result<HANDLE> {
    let name = text(name.ok_or(Error(ERROR_INVALID_PARAMETER))?)?;
    let timers = timers();
    let Some(existing) = timer_holds(&timers, &name) else {
        let error = if shared_holds(&name)? {
            ERROR_INVALID_HANDLE
        } else {
            ERROR_FILE_NOT_FOUND
        };
        return Err(Error(error));
    };
    drop(timers);
    let mask = Access::Desired(desired).mask(Kind::Timer)?;
    insert(Entry::named(existing.object.clone(), existing).granted(mask))
}
