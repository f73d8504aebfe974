//! Liveness nonces (`POST /v1/challenge`): a phone asks for a fresh nonce before a clock-in and
//! names it in the record's liveness evidence (`liveness.nonce`); the relay marks the audit
//! entry `nonceVerified: true` when it issued that nonce to that phone and the nonce had not
//! expired at `recordTime`.

use serde_json::{Map, Value};

use crate::store::Tx;
use crate::store::{nonces, StoreError};
use zj_protocol::phone_api::Challenge;

/// How long a nonce is valid, milliseconds.
pub(crate) const NONCE_VALID_MS: i64 = 120_000;

/// Issues a nonce to `access_id` (and forgets nonces expired a day ago).
pub(crate) fn issue(tx: &Tx<'_>, access_id: &str, now_ms: i64) -> Result<Challenge, StoreError> {
    let challenge = Challenge {
        nonce: (0..16)
            .map(|_| format!("{:02x}", rand::random::<u8>()))
            .collect(),
        issued_at_ms: now_ms,
        expires_at_ms: now_ms + NONCE_VALID_MS,
    };
    nonces::forget_expired_before(tx, now_ms - 86_400_000)?;
    nonces::insert(tx, &challenge, access_id)?;
    Ok(challenge)
}

/// Whether `nonce` was issued to `access_id` and had not expired at `record_time_ms` (a
/// record time before the issue is a phone clock behind the relay's, not a reason to doubt).
pub(crate) fn verify(
    tx: &Tx<'_>,
    access_id: &str,
    nonce: &str,
    record_time_ms: i64,
) -> Result<bool, StoreError> {
    let expires = nonces::expiry(tx, nonce, access_id)?;
    Ok(expires.is_some_and(|expires| record_time_ms < expires))
}

/// The relay-issued nonce a record's extras name (`liveness.nonce`, unless
/// `liveness.nonceSource` is `local`).
pub(crate) fn named_nonce(extras: &Map<String, Value>) -> Option<String> {
    let liveness = extras.get("liveness")?.as_object()?;
    if liveness.get("nonceSource").and_then(Value::as_str) == Some("local") {
        return None;
    }
    liveness.get("nonce")?.as_str().map(str::to_owned)
}
