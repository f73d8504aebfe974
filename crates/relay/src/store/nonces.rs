//! The nonces table: each liveness nonce the relay issued, to which phone, until when.

use super::StoreError;
use crate::args;
use crate::store::Tx;
use zj_protocol::phone_api::Challenge;

/// Keeps `challenge` as issued to `access_id`.
pub(crate) fn insert(
    tx: &Tx<'_>,
    challenge: &Challenge,
    access_id: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO nonces (nonce, access_id, issued_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)",
        args![
            challenge.nonce,
            access_id,
            challenge.issued_at_ms,
            challenge.expires_at_ms
        ],
    )?;
    Ok(())
}

/// Forgets the nonces that expired before `before_ms` (epoch milliseconds).
pub(crate) fn forget_expired_before(tx: &Tx<'_>, before_ms: i64) -> Result<(), StoreError> {
    tx.execute("DELETE FROM nonces WHERE expires_ms < ?1", args![before_ms])?;
    Ok(())
}

/// When `nonce`, if it was issued to `access_id`, stops counting (epoch milliseconds).
pub(crate) fn expiry(tx: &Tx<'_>, nonce: &str, access_id: &str) -> Result<Option<i64>, StoreError> {
    // Cached: every sign-in that names a nonce asks.
    tx.prepare("SELECT expires_ms FROM nonces WHERE nonce = ?1 AND access_id = ?2")
        .query_opt(args![nonce, access_id], |row| row.get(0))
}
