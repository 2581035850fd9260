//! The C conformance suite: every `conformance/<name>.c` is compiled against
//! `include/windows.h` with the system C compiler, linked with this build's cdylib (see
//! `common/mod.rs`), run, and its standard output compared with `conformance/<name>.expected`.
//!
//! The expected files hold what Windows prints — the values the behaviour specification
//! gives for each entry a line cites — not merely what this library prints. The programs are
//! deterministic: they order threads with events, never with sleeps.

mod common;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use common::{build_program, scratch_dir};

/// How long one program may run before it counts as hung.
const HANG: Duration = Duration::from_secs(120);

fn programs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("conformance folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    for source in &sources {
        assert!(
            source.with_extension("expected").exists(),
            "{} has no .expected file",
            source.display()
        );
    }
    sources
}

/// Builds and runs one program; returns a description of any difference.
fn check(source: &Path) -> Result<(), String> {
    let name = source
        .file_stem()
        .expect("stem")
        .to_string_lossy()
        .into_owned();
    let exe = scratch_dir("conformance").join(&name);
    build_program(source, &exe, &[]);
    let child = std::process::Command::new(&exe)
        // A namespace directory of the suite's own for the named objects, so that another
        // build of the library running on the machine at the same time cannot meet them.
        .env("ALERTABLE_SHM_DIR", scratch_dir("conformance").join("shm"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{name}: cannot run: {e}"))?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let output = match rx.recv_timeout(HANG) {
        Ok(output) => output.map_err(|e| format!("{name}: {e}"))?,
        Err(_) => {
            let pid = libc::pid_t::try_from(pid).expect("pid");
            // SAFETY: `pid` is the child this test started and has not reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return Err(format!("{name}: still running after {HANG:?}; killed"));
        }
    };
    let expected = std::fs::read_to_string(source.with_extension("expected")).expect("expected");
    let actual = String::from_utf8_lossy(&output.stdout);
    let mut problems = Vec::new();
    if !output.status.success() {
        problems.push(format!(
            "exit status {}; stderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    if actual != expected {
        let mut first = None;
        for (i, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
            if a != e {
                first = Some(format!(
                    "line {}: printed {a:?}, Windows prints {e:?}",
                    i + 1
                ));
                break;
            }
        }
        problems.push(first.unwrap_or_else(|| {
            format!(
                "printed {} lines, Windows prints {}",
                actual.lines().count(),
                expected.lines().count()
            )
        }));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{name}: {}", problems.join("; ")))
    }
}

#[test]
fn conformance_programs_print_what_windows_prints() {
    let sources = programs();
    assert!(sources.len() >= 19, "the suite is all there");
    // Two at a time: compiling dominates, and the machine has two cores.
    let mut failures = Vec::new();
    for pair in sources.chunks(2) {
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = pair.iter().map(|p| s.spawn(move || check(p))).collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("checker"))
                .collect()
        });
        failures.extend(results.into_iter().filter_map(Result::err));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
