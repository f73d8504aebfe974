//! The phone_tokens table: the relay tokens phones got from `C_AUTH`, shared by the relays of
//! a cluster so that a phone may authenticate at one and send its next frame to another. Each
//! token's owner (`accessId` and sn) and its last successful use as last written (epoch
//! milliseconds; a relay writes it back only now and then, see the gateway's `shared`).

use super::StoreError;
use crate::args;
use crate::store::Tx;
use zj_protocol::MAX_TOKENS_PER_SN;

/// A token as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SharedToken {
    /// The phone it was issued to.
    pub access_id: String,
    /// The sn it was issued for.
    pub sn: String,
    /// Its last successful use as last written, epoch milliseconds.
    pub last_used_ms: i64,
}

/// Keeps `token`, issued at `now_ms`. Only the new row is written (no other row is locked,
/// so two relays' batches of sign-ins cannot deadlock on it); [`trim`] drops the old ones.
pub(crate) fn insert(
    tx: &Tx<'_>,
    token: &str,
    access_id: &str,
    sn: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO phone_tokens (token, access_id, sn, last_used_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (token) DO NOTHING",
        args![token, access_id, sn, now_ms],
    )?;
    Ok(())
}

/// Drops the sn's oldest tokens beyond [`MAX_TOKENS_PER_SN`] (as the relay that issued them
/// does in memory).
pub(crate) fn trim(tx: &Tx<'_>, sn: &str) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM phone_tokens WHERE sn = ?1 AND token NOT IN
         (SELECT token FROM phone_tokens WHERE sn = ?1
          ORDER BY last_used_ms DESC LIMIT ?2)",
        args![sn, MAX_TOKENS_PER_SN],
    )?;
    Ok(())
}

/// The token `token`, if the store has it (however long it has been idle).
pub(crate) fn get(tx: &Tx<'_>, token: &str) -> Result<Option<SharedToken>, StoreError> {
    // Cached: every frame whose token its relay does not know yet asks.
    tx.prepare("SELECT access_id, sn, last_used_ms FROM phone_tokens WHERE token = ?1")
        .query_opt(args![token], |row| {
            Ok(SharedToken {
                access_id: row.get(0)?,
                sn: row.get(1)?,
                last_used_ms: row.get(2)?,
            })
        })
}

/// Notes a successful use of `token` at `used_ms` (never moving its last use back).
pub(crate) fn touch(tx: &Tx<'_>, token: &str, used_ms: i64) -> Result<(), StoreError> {
    tx.prepare("UPDATE phone_tokens SET last_used_ms = ?2 WHERE token = ?1 AND last_used_ms < ?2")
        .execute(args![token, used_ms])?;
    Ok(())
}

/// Forgets the tokens last used before `before_ms` (epoch milliseconds).
pub(crate) fn forget_used_before(tx: &Tx<'_>, before_ms: i64) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM phone_tokens WHERE last_used_ms < ?1",
        args![before_ms],
    )?;
    Ok(())
}
