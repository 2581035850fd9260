//! The machine and build a benchmark run happened on.

use std::fmt;
use std::fs;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::probe::{self, SpinProbe};

/// Where and with what the benchmarks ran.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Environment {
    /// CPU model name from `/proc/cpuinfo`.
    pub(crate) cpu_model: String,
    /// Logical CPUs this process may run on.
    pub(crate) cores: usize,
    /// Kernel release (`uname -r`).
    pub(crate) kernel: String,
    /// `rustc -V` of the compiler that built this binary.
    pub(crate) rustc: String,
    /// `git rev-parse --short HEAD` of the working directory, or "unknown".
    pub(crate) git_commit: String,
    /// "release", or "debug" for a build with debug assertions (its numbers mean little).
    pub(crate) profile: &'static str,
    /// `/proc/loadavg`'s 1, 5 and 15 minute load averages when the run started.
    pub(crate) load_average: String,
    /// Seconds since the Unix epoch when the run started.
    pub(crate) unix_time: u64,
    /// The spin probe when the run started: which regime the machine was in. Each group
    /// reports its own probe, taken just before it ran.
    pub(crate) spin_probe: SpinProbe,
}

impl Environment {
    /// Reads the environment now.
    pub(crate) fn capture() -> Self {
        Self {
            cpu_model: cpu_model().unwrap_or_else(|| "unknown".to_owned()),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            kernel: read_trimmed("/proc/sys/kernel/osrelease")
                .unwrap_or_else(|| "unknown".to_owned()),
            rustc: env!("ALERTABLE_BUILD_RUSTC").to_owned(),
            git_commit: git_commit().unwrap_or_else(|| "unknown".to_owned()),
            profile: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
            load_average: read_trimmed("/proc/loadavg")
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|| "unknown".to_owned()),
            unix_time: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            spin_probe: probe::run(),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cpu: {} · {} cores · kernel {} · {} · commit {} · {} build · load {}\n{}",
            self.cpu_model,
            self.cores,
            self.kernel,
            self.rustc,
            self.git_commit,
            self.profile,
            self.load_average,
            self.spin_probe,
        )
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The first CPU model line of `/proc/cpuinfo` ("model name" on x86, other keys elsewhere).
fn cpu_model() -> Option<String> {
    let info = fs::read_to_string("/proc/cpuinfo").ok()?;
    ["model name", "cpu model", "Model", "Hardware", "cpu"]
        .iter()
        .find_map(|key| {
            info.lines().find_map(|line| {
                let (k, v) = line.split_once(':')?;
                (k.trim() == *key && !v.trim().is_empty()).then(|| v.trim().to_owned())
            })
        })
}

fn git_commit() -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !commit.is_empty()).then_some(commit)
}
