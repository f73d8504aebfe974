//! A chore done at most once a period (deleting what has expired from a shared table), by
//! whichever caller comes first once the period has passed.

use std::sync::atomic::{AtomicI64, Ordering};

/// When a chore is next due.
pub(crate) struct Every {
    /// The period, ms.
    period_ms: i64,
    /// Epoch ms from which the chore is due again.
    next_ms: AtomicI64,
}

impl Every {
    /// A chore due at once, then at most once every `period_ms`.
    pub(crate) fn new(period_ms: i64) -> Self {
        Self {
            period_ms,
            next_ms: AtomicI64::new(0),
        }
    }

    /// Whether the chore is to be done at `now_ms` (epoch ms): true for one caller a period.
    pub(crate) fn due(&self, now_ms: i64) -> bool {
        let next = self.next_ms.load(Ordering::Relaxed);
        let then = now_ms + self.period_ms;
        now_ms >= next
            && (self.next_ms)
                .compare_exchange(next, then, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}
