//! The device clock corrected by the relay's: phones' clocks are often minutes off, and the
//! platform refuses a `timeStamp` more than 300 s from its own (`400_05`).

use serde::{Deserialize, Serialize};

/// How far the relay's clock is ahead of the device's, learnt from one heartbeat exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockOffset {
    /// Relay clock minus device clock, milliseconds.
    pub offset_ms: i64,
    /// Half the round trip of the exchange it was learnt from: the most it can be wrong by,
    /// milliseconds.
    pub uncertainty_ms: i64,
    /// When it was learnt, device clock, epoch milliseconds.
    pub learnt_at_ms: i64,
}

impl ClockOffset {
    /// The offset from an exchange: the request left at `sent_ms` and its answer arrived at
    /// `received_ms` (device clock), and the relay stamped it `relay_ms` (relay clock). The
    /// relay's stamp is taken as the midpoint of the round trip.
    pub fn from_exchange(sent_ms: i64, relay_ms: i64, received_ms: i64) -> Self {
        let round_trip = received_ms.saturating_sub(sent_ms).max(0);
        let midpoint = sent_ms.saturating_add(round_trip / 2);
        ClockOffset {
            offset_ms: relay_ms.saturating_sub(midpoint),
            uncertainty_ms: (round_trip + 1) / 2,
            learnt_at_ms: received_ms,
        }
    }

    /// The relay's time at device time `device_ms`.
    pub fn corrected(&self, device_ms: i64) -> i64 {
        device_ms.saturating_add(self.offset_ms)
    }
}

/// The relay's time at device time `device_ms` when an offset is known, else the device time.
pub fn corrected_time(offset: Option<&ClockOffset>, device_ms: i64) -> i64 {
    offset.map_or(device_ms, |offset| offset.corrected(device_ms))
}
