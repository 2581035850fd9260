//! The soak's random choices: a small, seedable generator, so that a printed seed replays
//! every thread's sequence of choices (the interleaving of threads is the OS's, not ours).

/// SplitMix64: tiny, fast, and good enough to pick actions and sizes.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// The generator of stream `stream` under the run's `seed`: each thread of the soak
    /// takes its own stream, so its choices do not depend on the others'.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Self(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        // Mix once, so that neighbouring streams do not start alike.
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        // Multiply-shift: no division, bias far below what a soak could notice.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// An index into a slice of length `n`.
    pub(crate) fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub(crate) fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The SplitMix64 finaliser: also the soak file's contents function (`files.rs`).
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_replays_its_choices() {
        let mut a = Rng::new(42, 3);
        let mut b = Rng::new(42, 3);
        let mut c = Rng::new(42, 4);
        let from_a: Vec<u64> = (0..8).map(|_| a.below(1000)).collect();
        let from_b: Vec<u64> = (0..8).map(|_| b.below(1000)).collect();
        let from_c: Vec<u64> = (0..8).map(|_| c.below(1000)).collect();
        assert_eq!(from_a, from_b);
        assert_ne!(from_a, from_c);
    }

    #[test]
    fn ranges_are_respected() {
        let mut rng = Rng::new(7, 0);
        for _ in 0..10_000 {
            assert!(rng.below(5) < 5);
            assert!((3..=9).contains(&rng.between(3, 9)));
        }
    }
}
