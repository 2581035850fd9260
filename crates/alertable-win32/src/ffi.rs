//! The guards every exported function runs its body in: no panic crosses the C ABI.
//!
//! [`call`] runs a body that returns `Result<value, Error>`: the value is returned, an error
//! is left for `GetLastError` and the function's failure value returned, and a panic — a
//! bug of this library — becomes a failure with `ERROR_INTERNAL_ERROR` (1359).
//!
//! [`call_alertable`] is the same for the functions that can run C callbacks (alertable
//! waits): it also catches the [`ExitRequest`] unwind of an `ExitThread` called inside a
//! callback, and its [`Completion::finish`] then ends the thread from the exported function
//! (`thread.rs`, X3).
//!
//! Both first make sure the process can be reached by other processes' `QueueUserAPC`
//! (`processthreadsapi/remote.rs`: one load once that is done).

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::callback::ExitRequest;
use crate::consts::ERROR_INTERNAL_ERROR;
use crate::error::{Error, Result, set_last_error};
use crate::processthreadsapi::thread::exit_thread_now;
use crate::types::DWORD;

/// Runs an exported function's body; see the module documentation.
pub(crate) fn call<R>(failure: R, body: impl FnOnce() -> Result<R>) -> R {
    crate::processthreadsapi::remote::install();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(Error(code))) => {
            set_last_error(code);
            failure
        }
        Err(payload) => {
            alertable::discard_panic(payload);
            set_last_error(ERROR_INTERNAL_ERROR);
            failure
        }
    }
}

/// How an alertable function's body ended.
#[must_use = "`finish` returns the value or ends the thread"]
pub(crate) enum Completion<R> {
    /// Return this value.
    Return(R),
    /// A callback called `ExitThread` with this code: end the thread.
    ExitThread(DWORD),
}

impl<R> Completion<R> {
    /// The value to return, or — after `ExitThread` in a callback — the end of the thread.
    ///
    /// Called as the last step of an exported `extern "C-unwind"` function that holds
    /// nothing with a destructor, so that function has no landing pad (X1).
    #[inline(always)]
    pub(crate) fn finish(self) -> R {
        match self {
            Self::Return(value) => value,
            Self::ExitThread(code) => exit_thread_now(code),
        }
    }
}

/// Runs the body of a function that can run C callbacks; see the module documentation.
#[inline(never)]
pub(crate) fn call_alertable<R>(failure: R, body: impl FnOnce() -> Result<R>) -> Completion<R> {
    crate::processthreadsapi::remote::install();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => Completion::Return(value),
        Ok(Err(Error(code))) => {
            set_last_error(code);
            Completion::Return(failure)
        }
        Err(payload) => match payload.downcast::<ExitRequest>() {
            Ok(request) => Completion::ExitThread(request.code),
            Err(payload) => {
                alertable::discard_panic(payload);
                set_last_error(ERROR_INTERNAL_ERROR);
                Completion::Return(failure)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::last_error;

    #[test]
    fn a_panic_becomes_a_failure_with_internal_error() {
        set_last_error(0);
        let r = call(7, || -> Result<i32> { panic!("a bug") });
        assert_eq!((r, last_error()), (7, ERROR_INTERNAL_ERROR));
        set_last_error(0);
        let r = call_alertable(8, || -> Result<i32> { panic!("a bug") });
        assert!(matches!(r, Completion::Return(8)));
        assert_eq!(last_error(), ERROR_INTERNAL_ERROR);
    }

    #[test]
    fn an_exit_request_is_handed_to_the_caller() {
        let r = call_alertable(0, || -> Result<i32> {
            std::panic::resume_unwind(Box::new(ExitRequest { code: 42 }))
        });
        assert!(matches!(r, Completion::ExitThread(42)));
    }

    #[test]
    fn errors_are_left_and_values_returned() {
        set_last_error(1);
        assert_eq!(call(0, || Ok(5)), 5);
        assert_eq!(last_error(), 1, "success leaves the last error alone");
        assert_eq!(call(0, || Err(Error(87))), 0);
        assert_eq!(last_error(), 87);
    }
}
