//! The `alertable` command.
fn main() {}
