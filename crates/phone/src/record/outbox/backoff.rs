//! Capped exponential back-off with jitter.

/// Delay before the next attempt after `attempts` failures: `base · 2^(attempts-1)`, capped,
/// then scaled by a random factor in [½, 1] so that many phones that lost the network together
/// do not come back together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure, milliseconds.
    pub base_ms: i64,
    /// Longest delay, milliseconds.
    pub cap_ms: i64,
}

impl Default for Backoff {
    /// 2 s doubling to at most 5 minutes.
    fn default() -> Self {
        Backoff {
            base_ms: 2_000,
            cap_ms: 300_000,
        }
    }
}

impl Backoff {
    /// The delay after `attempts` failures (at least 1), milliseconds; `jitter` is a uniformly
    /// random `u32` from the caller.
    pub fn delay_ms(&self, attempts: u32, jitter: u32) -> i64 {
        let exponent = attempts.saturating_sub(1).min(30);
        let full = self
            .base_ms
            .saturating_mul(1_i64 << exponent)
            .min(self.cap_ms);
        let half = full / 2;
        half + (half as i128 * i128::from(jitter) / i128::from(u32::MAX)) as i64
    }
}
