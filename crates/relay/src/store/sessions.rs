//! Managers' page sessions: the SHA-256 of each random session id, the account, when it was
//! last used and when it ends however busy. A session unused for the idle lifetime, or past its
//! end, is gone; at most [`MAX_PER_ACCOUNT`] live sessions per account (the oldest go).

use super::StoreError;
use crate::args;
use crate::store::Tx;

/// Most sessions one account keeps at once.
const MAX_PER_ACCOUNT: u32 = 20;
/// A session's last use is written at most this often, ms (each page request need not write).
const TOUCH_EVERY_MS: i64 = 60_000;

/// Adds the session `id_hash` of account `name`, ending at `expires_ms`; drops ended sessions
/// and the account's oldest beyond [`MAX_PER_ACCOUNT`].
pub(crate) fn create(
    tx: &Tx<'_>,
    id_hash: &str,
    name: &str,
    now_ms: i64,
    expires_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM manager_sessions WHERE expires_ms <= ?1",
        args![now_ms],
    )?;
    tx.execute(
        "INSERT INTO manager_sessions (id_hash, name, created_ms, used_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?3, ?4)",
        args![id_hash, name, now_ms, expires_ms],
    )?;
    tx.execute(
        "DELETE FROM manager_sessions WHERE name = ?1 AND id_hash NOT IN
         (SELECT id_hash FROM manager_sessions WHERE name = ?1
          ORDER BY created_ms DESC LIMIT ?2)",
        args![name, MAX_PER_ACCOUNT],
    )?;
    Ok(())
}

/// The account of live session `id_hash`, noting its use at `now_ms`; `None` (and the session
/// dropped) when it was unused for `idle_ms` or is past its end.
pub(crate) fn live(
    tx: &Tx<'_>,
    id_hash: &str,
    now_ms: i64,
    idle_ms: i64,
) -> Result<Option<String>, StoreError> {
    let found: Option<(String, i64, i64)> = tx.query_opt(
        "SELECT name, used_ms, expires_ms FROM manager_sessions WHERE id_hash = ?1",
        args![id_hash],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    let Some((name, used_ms, expires_ms)) = found else {
        return Ok(None);
    };
    if now_ms >= expires_ms || now_ms - used_ms >= idle_ms {
        end(tx, id_hash)?;
        return Ok(None);
    }
    if now_ms - used_ms >= TOUCH_EVERY_MS {
        tx.execute(
            "UPDATE manager_sessions SET used_ms = ?2 WHERE id_hash = ?1",
            args![id_hash, now_ms],
        )?;
    }
    Ok(Some(name))
}

/// Ends session `id_hash`.
pub(crate) fn end(tx: &Tx<'_>, id_hash: &str) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM manager_sessions WHERE id_hash = ?1",
        args![id_hash],
    )?;
    Ok(())
}

/// Ends every session of account `name` but `keep` (a session id hash), if given.
pub(crate) fn end_all(tx: &Tx<'_>, name: &str, keep: Option<&str>) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM manager_sessions WHERE name = ?1 AND id_hash IS DISTINCT FROM CAST(?2 AS TEXT)",
        args![name, keep],
    )?;
    Ok(())
}
