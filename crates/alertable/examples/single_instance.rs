//! One instance per user: the program takes a named mutex as it starts, and a second copy,
//! finding the name already taken, says so and exits — the Win32 idiom
//! `CreateMutex(NULL, TRUE, name)` followed by `GetLastError() == ERROR_ALREADY_EXISTS`.
//!
//! The name is shared by every process of the user (the objects live in a per-user
//! namespace), so the check works across terminals. The first instance keeps the mutex for
//! a few seconds; start a second copy meanwhile:
//!
//! ```text
//! cargo run -p alertable --example single_instance -- [NAME] [SECONDS]
//! ```
//!
//! If the first instance dies, even by SIGKILL, its handle goes with it and the next copy
//! is the first again.

use std::time::Duration;

use alertable::{Mutex, Opened};

/// What a start of the program found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// This copy is the only one: it ran its work.
    Ran,
    /// Another copy holds the name: this one did nothing.
    AnotherIsRunning,
}

/// Runs `work` unless another instance holds `name`.
fn run(name: &str, work: impl FnOnce()) -> Start {
    // Created: no other process had the name, and this thread owns the new mutex.
    // Existing: another instance created it first (ERROR_ALREADY_EXISTS on Windows).
    let mutex = match Mutex::create_named(name, true).expect("the object namespace is usable") {
        Opened::Created(mutex) => mutex,
        Opened::Existing(_) => return Start::AnotherIsRunning,
    };
    work();
    mutex.release().expect("the creator owns the mutex");
    // Dropping the last handle frees the name for the next instance.
    Start::Ran
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args
        .next()
        .unwrap_or_else(|| "alertable-example-single-instance".to_owned());
    let seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let pid = std::process::id();
    let start = run(&name, || {
        println!("[{pid}] the only instance of {name:?}: working for {seconds} s");
        std::thread::sleep(Duration::from_secs(seconds));
    });
    match start {
        Start::Ran => println!("[{pid}] done; the name is free again"),
        Start::AnotherIsRunning => println!("[{pid}] another instance is running; exiting"),
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::{Start, run};

    /// Set in the second instance: the name to claim.
    const NAME_VARIABLE: &str = "ALERTABLE_EXAMPLE_SINGLE_INSTANCE";

    /// While this process holds the name, a second process finds it taken and does not
    /// run its work; once this one is done, the name is free again.
    #[test]
    fn a_second_instance_exits() {
        let name = format!("alertable-example-single-instance-{}", std::process::id());
        let first = run(&name, || {
            // The second instance: this test binary again, running `second_instance`.
            let out = Command::new(std::env::current_exe().expect("the test binary"))
                .args(["--exact", "tests::second_instance", "--nocapture"])
                .env(NAME_VARIABLE, &name)
                .output()
                .expect("the second instance runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{stdout}");
            assert!(
                stdout.contains("second instance: AnotherIsRunning"),
                "the second instance did not find the name taken:\n{stdout}"
            );
        });
        assert_eq!(first, Start::Ran);
        assert_eq!(run(&name, || {}), Start::Ran, "the name is free again");
    }

    /// The second instance of `a_second_instance_exits`; does nothing when run alone.
    #[test]
    fn second_instance() {
        let Ok(name) = std::env::var(NAME_VARIABLE) else {
            return;
        };
        let start = run(&name, || panic!("the second instance ran its work"));
        println!("second instance: {start:?}");
    }
}
