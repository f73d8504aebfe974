//! The host's wall clock, for the adapters that feed `now` to the pure core (host only).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Unix epoch milliseconds now, from the system clock (0 if the clock is before 1970).
pub fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}
