//! Object names: the `lpName` of `CreateEvent`, `CreateSemaphore`, `CreateMutex` and
//! `CreateWaitableTimer`, within this process.
//!
//! A name refers to its object while any handle to it is open (each handle of a named
//! object holds the [`NameEntry`]). A `Create…` call with a name that is taken returns a
//! new handle to the existing object and leaves `ERROR_ALREADY_EXISTS` (183), ignoring its
//! other arguments; if the existing object is of another kind it fails with
//! `ERROR_INVALID_HANDLE` (6). On success without an existing object the last error is set
//! to 0, as Windows does. An empty name is no name. Names are compared exactly, as bytes:
//! an `…A` name is its bytes (UTF-8 when valid), a `…W` name its UTF-8 encoding, so
//! `"x"` and `L"x"` are the same name.
//!
//! Names are not shared with other processes: the namespace is the process.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::consts::{ERROR_ALREADY_EXISTS, ERROR_INVALID_HANDLE, ERROR_SUCCESS};
use crate::error::{Error, Result, set_last_error};
use crate::handle::{self, Entry, Object};
use crate::types::HANDLE;

/// A registered name and its object. Dead entries are left in the map and swept lazily.
pub(crate) struct NameEntry {
    object: Object,
}

static NAMES: Mutex<BTreeMap<Vec<u8>, Weak<NameEntry>>> = Mutex::new(BTreeMap::new());

/// Creates an object (with `make`) or opens the one registered under `name`, and returns a
/// new handle to it. `same_kind` tells whether an existing object may be opened.
pub(crate) fn create_or_open(
    name: Option<Vec<u8>>,
    same_kind: impl Fn(&Object) -> bool,
    make: impl FnOnce() -> Result<Object>,
) -> Result<HANDLE> {
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        let handle = handle::insert_object(make()?)?;
        set_last_error(ERROR_SUCCESS);
        return Ok(handle);
    };
    // Lock order: NAMES, then the handle table (never the reverse). Whatever is dropped
    // on a failure is dropped after both are released.
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(existing) = names.get(&name).and_then(Weak::upgrade) {
        if !same_kind(&existing.object) {
            drop(names);
            return Err(Error(ERROR_INVALID_HANDLE));
        }
        let entry = Entry::named(existing.object.clone(), existing);
        let inserted = handle::insert(entry);
        drop(names);
        let handle = inserted.map_err(|(error, _entry)| error)?;
        set_last_error(ERROR_ALREADY_EXISTS);
        return Ok(handle);
    }
    let object = make()?;
    let registered = Arc::new(NameEntry {
        object: object.clone(),
    });
    if names.len() >= 64 && names.len().is_power_of_two() {
        names.retain(|_, entry| entry.strong_count() > 0);
    }
    names.insert(name, Arc::downgrade(&registered));
    let inserted = handle::insert(Entry::named(object, registered));
    drop(names);
    let handle = inserted.map_err(|(error, _entry)| error)?;
    set_last_error(ERROR_SUCCESS);
    Ok(handle)
}
