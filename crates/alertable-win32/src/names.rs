//! Object names: the `lpName` of the `Create…` and `Open…` functions of events,
//! semaphores, mutexes and waitable timers.
//!
//! # One namespace
//!
//! Events, semaphores, mutexes and waitable timers with a name are the core's named objects
//! ([`alertable::Event::create_named`] and its kin): every process of the user that names
//! them gets the same object, and it lives while any process holds a handle to it (each
//! handle holds the object, which holds the process's reference). The core keeps one
//! namespace for all four types, as Windows does: a name held by an object of another type
//! fails with `ERROR_INVALID_HANDLE` (6).
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

use alertable::{NameError, Opened};

use crate::consts::{
    ERROR_ALREADY_EXISTS, ERROR_INVALID_PARAMETER, ERROR_NO_UNICODE_TRANSLATION, ERROR_SUCCESS,
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
    /// A waitable timer.
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

/// A name's text, or `ERROR_NO_UNICODE_TRANSLATION` for bytes that are not UTF-8.
fn text(name: Vec<u8>) -> Result<String> {
    String::from_utf8(name).map_err(|_| Error(ERROR_NO_UNICODE_TRANSLATION))
}

/// The Win32 error of a name the core refuses.
pub(crate) fn name_error(e: NameError) -> Error {
    Error(e.win32_error())
}

/// Puts a new handle for `entry` in the table; its object is dropped, on failure, by the
/// caller after every lock is released (H4).
fn insert(entry: Entry) -> Result<HANDLE> {
    handle::insert(entry).map_err(|(error, _entry)| error)
}

/// Creates a shared object (event, semaphore, mutex, timer) or opens the one called `name`, and
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
    let opened = named(&text(name)?)?;
    let (object, error) = match opened {
        Opened::Created(object) => (object, ERROR_SUCCESS),
        Opened::Existing(object) => (object, ERROR_ALREADY_EXISTS),
    };
    let handle = insert(Entry::new(object).granted(mask))?;
    set_last_error(error);
    Ok(handle)
}

/// Opens the shared object (event, semaphore, mutex, timer) called `name` with `open`, and
/// returns a new handle with the rights `desired` maps to (R2).
///
/// # Errors
///
/// `ERROR_INVALID_PARAMETER` (87) for a `NULL` name; the core's name errors
/// (`ERROR_INVALID_HANDLE`, 6, for a name of another type); the errors of `handle::grant`.
pub(crate) fn open_shared(
    kind: Kind,
    desired: DWORD,
    name: Option<Vec<u8>>,
    open: impl FnOnce(&str) -> core::result::Result<Object, NameError>,
) -> Result<HANDLE> {
    let name = text(name.ok_or(Error(ERROR_INVALID_PARAMETER))?)?;
    let object = open(&name).map_err(name_error)?;
    let mask = Access::Desired(desired).mask(kind)?;
    insert(Entry::new(object).granted(mask))
}
