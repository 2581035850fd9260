//! `ioapiset.h`: completion ports.

pub(crate) mod port;
