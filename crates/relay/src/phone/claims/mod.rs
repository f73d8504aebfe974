//! The relay's checks of what a phone claims in a sign-in, run by
//! [`Gateway::admit`](super::gateway) beside its other checks:
//!
//! - [`record_time`]: `recordTime` neither far ahead of the relay's clock nor older than the
//!   configured window (`[signin]`), judged against when the relay first received the record;
//!   for an enrolled phone, not before its enrollment (less 5 minutes of clock drift).
//! - [`fence`]: the fence verdict recomputed from the record's coordinate and accuracy with the
//!   phone's site's fence version that was current at `recordTime` (its first when it had
//!   none then) and the site's policy, by
//!   the phone's own code (`zj-phone`, `zj-geofence`); the claim beside it, and any mismatch.
//! - [`liveness`]: the liveness evidence held to the phone's own evidence type; evidence that
//!   does not fit is kept aside and flagged, the record still forwarded.
//!
//! A refusal is final: `400_02` with a Chinese `errormsg` saying why and what to do
//! (PROTOCOL.md §9). What the relay found goes to the audit log under members only the relay
//! writes ([`RELAY_MEMBERS`]); a phone's own members of those names are dropped.

mod fence;
mod liveness;
mod record_time;

use serde_json::{Map, Value};
use zj_protocol::{ErrorCode, ProtocolError};

use crate::config::{ConfigError, SigninConfig};

pub(crate) use fence::{ClaimedPlace, FenceBook};
pub(crate) use liveness::file_liveness;
pub(crate) use record_time::{before_enrollment, RecordTimeWindow};

/// The audit member holding the relay's fence finding ([`FenceFinding`]).
pub(crate) const RELAY_FENCE: &str = "relayFence";
/// The audit member saying whether the relay issued the record's liveness nonce.
pub(crate) const NONCE_VERIFIED: &str = "nonceVerified";

/// The audit member naming a record's source; only the MR860 forward path writes it (`mr860`),
/// so a phone cannot pass its records off as a terminal's, whose missing liveness is no flag.
const SOURCE: &str = "source";

/// Members of a record's audit extras that only the relay writes.
const RELAY_MEMBERS: [&str; 5] = [
    SOURCE,
    RELAY_FENCE,
    NONCE_VERIFIED,
    liveness::MALFORMED,
    liveness::RAW,
];

/// Drops the members only the relay writes from a phone's extras, so that the audit log never
/// shows a phone's own `relayFence`, `nonceVerified` or `source` as the relay's.
pub(crate) fn drop_relay_members(extras: &mut Map<String, Value>) {
    for member in RELAY_MEMBERS {
        extras.remove(member);
    }
}

/// A final refusal of a record (`400_02`) with its reason, plain Chinese.
pub(crate) fn refusal(message: String) -> ProtocolError {
    ProtocolError {
        errorcode: ErrorCode::ParamUnparsable.as_str().to_owned(),
        errormsg: message,
    }
}

/// The checks as configured: the `recordTime` window and the prepared fences.
pub(crate) struct Claims {
    /// What `recordTime` may be.
    pub(crate) window: RecordTimeWindow,
    /// The sites' fences, each version prepared once (shared with the store's thread).
    pub(crate) fences: std::sync::Arc<FenceBook>,
}

impl Claims {
    /// The checks of `[signin]`.
    pub(crate) fn new(config: &SigninConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            window: RecordTimeWindow::new(config)?,
            fences: Default::default(),
        })
    }
}
