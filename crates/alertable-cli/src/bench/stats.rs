//! Order statistics over a handful of samples.

use serde::Serialize;

/// Minimum, 10th percentile, median, 90th and 99th percentiles and maximum of a set of
/// samples. The percentiles are nearest-rank ones: each is one of the samples (with the 7
/// samples of a full run's time table, p10 is the minimum and p90 the maximum).
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Summary {
    pub(crate) min: f64,
    pub(crate) p10: f64,
    pub(crate) median: f64,
    pub(crate) p90: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
}

impl Summary {
    /// Summarizes `samples`; all zero when there are none.
    pub(crate) fn of(samples: &[f64]) -> Self {
        if samples.is_empty() {
            return Self {
                min: 0.0,
                p10: 0.0,
                median: 0.0,
                p90: 0.0,
                p99: 0.0,
                max: 0.0,
            };
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Self {
            min: sorted[0],
            p10: nearest_rank(&sorted, 0.10),
            median,
            p90: nearest_rank(&sorted, 0.90),
            p99: nearest_rank(&sorted, 0.99),
            max: sorted[n - 1],
        }
    }
}

/// The nearest-rank percentile `q` (0..=1) of sorted, non-empty samples.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    // Sample counts are small, so the usize <-> f64 conversions are exact.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::Summary;

    #[test]
    fn median_odd_and_even() {
        assert_eq!(Summary::of(&[3.0, 1.0, 2.0]).median, 2.0);
        assert_eq!(Summary::of(&[4.0, 1.0, 2.0, 3.0]).median, 2.5);
    }

    #[test]
    fn p99_is_nearest_rank() {
        let samples: Vec<f64> = (1..=200).map(f64::from).collect();
        let s = Summary::of(&samples);
        assert_eq!(s.p99, 198.0);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 200.0);
        assert_eq!(Summary::of(&[5.0]).p99, 5.0);
    }

    #[test]
    fn p10_and_p90_are_nearest_rank() {
        let samples: Vec<f64> = (1..=200).rev().map(f64::from).collect();
        let s = Summary::of(&samples);
        assert_eq!((s.p10, s.p90), (20.0, 180.0));
        // A full run's 7 samples: the ranks round up to the first and the last.
        let s = Summary::of(&[7.0, 1.0, 6.0, 2.0, 5.0, 3.0, 4.0]);
        assert_eq!((s.p10, s.p90), (1.0, 7.0));
        // 30 samples: the 3rd and the 27th.
        let samples: Vec<f64> = (1..=30).map(f64::from).collect();
        let s = Summary::of(&samples);
        assert_eq!((s.p10, s.p90), (3.0, 27.0));
        assert_eq!(Summary::of(&[5.0]).p10, 5.0);
    }
}
