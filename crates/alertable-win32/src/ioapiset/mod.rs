//! `ioapiset.h`: completion ports, the results of overlapped requests, and cancellation.

pub(crate) mod cancel;
pub(crate) mod port;
pub(crate) mod result;
