//! The soak's resource check: resident memory, open descriptors and threads, read from
//! `/proc/self` every [`EVERY`]. Each must stay flat once the workloads have warmed up:
//! within a generous bound of its value at the end of the warm-up. A leak of one buffer,
//! descriptor or thread per request, per thread or per timer would pass that bound within
//! minutes.

use std::fs;
use std::time::{Duration, Instant};

use super::Soak;

/// How often the resources are sampled.
pub(super) const EVERY: Duration = Duration::from_secs(2);

/// Resident memory may grow by this much over its value after the warm-up (allocator
/// caches, per-thread arenas of threads that come and go)...
const RSS_SLACK_KIB: u64 = 64 * 1024;
/// ...or by this factor, whichever is larger.
const RSS_FACTOR: u64 = 2;
/// Open descriptors may grow by this many (the workloads hold a few pipes and files at a
/// time).
const FD_SLACK: u64 = 64;
/// Threads may grow by this many (the workloads start and end threads all the time).
const THREAD_SLACK: u64 = 64;

/// One reading of `/proc/self`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Sample {
    rss_kib: u64,
    fds: u64,
    threads: u64,
}

impl Sample {
    /// Reads the process's current resources; `None` where `/proc` is not mounted.
    fn read() -> Option<Self> {
        let status = fs::read_to_string("/proc/self/status").ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
        };
        // The directory listing holds a descriptor of its own while it is read.
        let fds = fs::read_dir("/proc/self/fd").ok()?.count() as u64 - 1;
        Some(Self {
            rss_kib: field("VmRSS:")?,
            fds,
            threads: field("Threads:")?,
        })
    }
}

/// The samples of a run: the baseline after the warm-up, the extremes after it.
#[derive(Debug)]
pub(super) struct Sampler {
    started: Instant,
    warm_up: Duration,
    next: Instant,
    latest: Option<Sample>,
    baseline: Option<Sample>,
    peak: Sample,
    taken: u64,
}

impl Sampler {
    /// A sampler for a run of `duration`: the first third of it (at most a minute, at
    /// least two seconds) is the warm-up.
    pub(super) fn new(duration: Duration) -> Self {
        let now = Instant::now();
        Self {
            started: now,
            warm_up: (duration / 3).clamp(Duration::from_secs(2), Duration::from_secs(60)),
            next: now,
            latest: None,
            baseline: None,
            peak: Sample::default(),
            taken: 0,
        }
    }

    /// Takes a sample if one is due, and checks it against the baseline.
    pub(super) fn sample(&mut self, soak: &Soak) {
        let now = Instant::now();
        if now < self.next {
            return;
        }
        self.next = now + EVERY;
        let Some(sample) = Sample::read() else {
            return;
        };
        self.latest = Some(sample);
        self.taken += 1;
        if now < self.started + self.warm_up {
            return;
        }
        let Some(base) = self.baseline else {
            self.baseline = Some(sample);
            self.peak = sample;
            return;
        };
        self.peak.rss_kib = self.peak.rss_kib.max(sample.rss_kib);
        self.peak.fds = self.peak.fds.max(sample.fds);
        self.peak.threads = self.peak.threads.max(sample.threads);
        let rss_bound = (base.rss_kib * RSS_FACTOR).max(base.rss_kib + RSS_SLACK_KIB);
        if sample.rss_kib > rss_bound {
            soak.violation(
                "resources",
                format_args!(
                    "resident memory grew from {} KiB after the warm-up to {} KiB (bound {} KiB)",
                    base.rss_kib, sample.rss_kib, rss_bound
                ),
            );
        }
        if sample.fds > base.fds + FD_SLACK {
            soak.violation(
                "resources",
                format_args!(
                    "open descriptors grew from {} after the warm-up to {} (bound {})",
                    base.fds,
                    sample.fds,
                    base.fds + FD_SLACK
                ),
            );
        }
        if sample.threads > base.threads + THREAD_SLACK {
            soak.violation(
                "resources",
                format_args!(
                    "threads grew from {} after the warm-up to {} (bound {})",
                    base.threads,
                    sample.threads,
                    base.threads + THREAD_SLACK
                ),
            );
        }
    }

    /// The latest sample, for the progress line.
    pub(super) fn now_line(&self) -> String {
        match self.latest {
            Some(s) => format!(
                "rss {} MiB, fds {}, threads {}",
                s.rss_kib / 1024,
                s.fds,
                s.threads
            ),
            None => "resources unknown".to_owned(),
        }
    }

    /// The summary's lines: baseline, peak and last, with the bounds.
    pub(super) fn summary_lines(&self) -> Vec<String> {
        let Some(base) = self.baseline else {
            return vec![format!(
                "resources: {} ({} samples; the run ended within the {} s warm-up, so nothing was compared)",
                self.now_line(),
                self.taken,
                self.warm_up.as_secs()
            )];
        };
        let last = self.latest.unwrap_or(base);
        vec![
            format!(
                "resources after the {} s warm-up: rss {} KiB, fds {}, threads {}",
                self.warm_up.as_secs(),
                base.rss_kib,
                base.fds,
                base.threads
            ),
            format!(
                "resources peak / last ({} samples): rss {} / {} KiB (bound {}), fds {} / {} (bound {}), threads {} / {} (bound {})",
                self.taken,
                self.peak.rss_kib,
                last.rss_kib,
                (base.rss_kib * RSS_FACTOR).max(base.rss_kib + RSS_SLACK_KIB),
                self.peak.fds,
                last.fds,
                base.fds + FD_SLACK,
                self.peak.threads,
                last.threads,
                base.threads + THREAD_SLACK
            ),
        ]
    }
}
