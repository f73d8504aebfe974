//! The mr860_logs table: every MR860 log a terminal sent (its body, what it resolved to, how it
//! stands), kept for forwarding and inspection. A finished log's photos are dropped at once
//! (the platform has them, or refused them for good); finished logs expire (`mr860::retention`).

use serde_json::{json, Map, Value};

use super::StoreError;
use crate::args;
use crate::http::api::SiteScope;
use crate::mr860::{LogState, Mr860Log};
use crate::store::Tx;

/// What a log resolved to: the platform sn, the person, and its state.
pub(crate) type Resolution = (Option<String>, Option<String>, LogState);

/// A pending log as stored.
pub(crate) struct PendingLog {
    /// Its row id (the ledger's `recordId`).
    pub(crate) id: i64,
    /// The platform sn it goes to.
    pub(crate) sn: String,
    /// The person it clocks in.
    pub(crate) person_id: String,
    /// The terminal's body as received (JSON text).
    pub(crate) body: String,
    /// When it was received, epoch milliseconds.
    pub(crate) received_ms: i64,
    /// The site of the terminal it came from (`None` for logs kept before sites were).
    pub(crate) site_id: Option<String>,
}

/// The log stored under `key` (the same log sent again), with its state.
pub(crate) fn find(tx: &Tx<'_>, key: &str) -> Result<Option<(i64, LogState)>, StoreError> {
    let known: Option<(i64, String)> = tx.query_opt(
        "SELECT id, state FROM mr860_logs WHERE dedup_key = ?1",
        args![key],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok(known.map(|(id, state)| (id, LogState::parse(&state))))
}

/// Keeps a new log under `key`, resolved as `resolution`, received at `now_ms`.
pub(crate) fn insert(
    tx: &Tx<'_>,
    key: &str,
    log: &Mr860Log,
    site_id: &str,
    (sn, person_id, state): &Resolution,
    now_ms: i64,
) -> Result<(), StoreError> {
    let id = tx.query_row(
        "INSERT INTO mr860_logs (dedup_key, device_id, mode, card_type, card_number,
             sn, person_id, state, body, received_ms, updated_ms, site_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)
         RETURNING id",
        args![
            key,
            log.device_id,
            log.mode,
            log.card_type,
            log.card_number,
            sn,
            person_id,
            state.as_str(),
            Value::Object(log.body.clone()).to_string(),
            now_ms,
            site_id
        ],
        |row| row.get(0),
    )?;
    drop_photos_if_finished(tx, id)
}

/// The logs waiting for their card to reach the roster: `(id, sn, body)`.
pub(crate) fn waiting(tx: &Tx<'_>) -> Result<Vec<(i64, String, String)>, StoreError> {
    let statement = tx.prepare(
        "SELECT id, sn, body FROM mr860_logs WHERE state = 'unknown_card' AND sn IS NOT NULL",
    );
    let rows = statement.query_map(args![], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    rows.collect::<Result<_, _>>()
}

/// The states of a finished log: nothing more will be done with it.
const FINISHED: &str = "('forwarded', 'refused', 'joined', 'unknown_terminal')";

/// Drops the photos of log `id` if it is finished (they are most of its bytes).
fn drop_photos_if_finished(tx: &Tx<'_>, id: i64) -> Result<(), StoreError> {
    tx.execute(
        &format!(
            "UPDATE mr860_logs
             SET body = json_remove(body, '$.facePicture', '$.cardPicture', '$.faceFeature')
             WHERE id = ?1 AND state IN {FINISHED}"
        ),
        args![id],
    )?;
    Ok(())
}

/// `(logs, bytes of their bodies)` kept of terminal `device_id`, or of all when `None`.
pub(crate) fn usage(tx: &Tx<'_>, device_id: Option<&str>) -> Result<(u64, u64), StoreError> {
    tx.prepare(
        "SELECT COUNT(*), COALESCE(SUM(octet_length(body)), 0) FROM mr860_logs
             WHERE CAST(?1 AS TEXT) IS NULL OR device_id = ?1",
    )
    .query_row(args![device_id], |row| {
        Ok((row.get::<i64>(0)? as u64, row.get::<i64>(1)? as u64))
    })
}

/// Deletes the finished logs last changed before `before_ms`, and the logs still waiting for
/// their card that arrived before it (their photos are kept while they wait, so without an
/// end they would fill the terminal's bound); returns `(finished, waiting)` deleted.
pub(crate) fn delete_expired(tx: &Tx<'_>, before_ms: i64) -> Result<(usize, usize), StoreError> {
    let finished = tx.execute(
        &format!("DELETE FROM mr860_logs WHERE state IN {FINISHED} AND updated_ms < ?1"),
        args![before_ms],
    )?;
    let waiting = tx.execute(
        "DELETE FROM mr860_logs WHERE state = 'unknown_card' AND received_ms < ?1",
        args![before_ms],
    )?;
    Ok((finished, waiting))
}

/// Records what a stored log resolved to now.
pub(crate) fn set_resolution(
    tx: &Tx<'_>,
    id: i64,
    (sn, person_id, state): &Resolution,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE mr860_logs SET sn = ?2, person_id = ?3, state = ?4, updated_ms = ?5 WHERE id = ?1",
        args![id, sn, person_id, state.as_str(), now_ms],
    )?;
    drop_photos_if_finished(tx, id)
}

/// Up to `limit` pending logs, oldest first.
pub(crate) fn pending(tx: &Tx<'_>, limit: i64) -> Result<Vec<PendingLog>, StoreError> {
    let statement = tx.prepare(
        "SELECT id, sn, person_id, body, received_ms, site_id FROM mr860_logs
         WHERE state = 'pending' ORDER BY id LIMIT ?1",
    );
    let rows = statement.query_map(args![limit], |row| {
        Ok(PendingLog {
            id: row.get(0)?,
            sn: row.get(1)?,
            person_id: row.get(2)?,
            body: row.get(3)?,
            received_ms: row.get(4)?,
            site_id: row.get(5)?,
        })
    })?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// Moves a log to `state`, with why (a refusal, a retry's reason).
pub(crate) fn set_state(
    tx: &Tx<'_>,
    id: i64,
    state: LogState,
    detail: Option<&str>,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE mr860_logs SET state = ?2, detail = ?3, updated_ms = ?4 WHERE id = ?1",
        args![id, state.as_str(), detail, now_ms],
    )?;
    drop_photos_if_finished(tx, id)
}

/// Logs for inspection, newest first (at most 1,000), photos left out, each with the site its
/// terminal belonged to when it sent it; only `state`'s when given, and only those of
/// `scope`'s sites (a log kept from before logs had a site: administrators only).
pub(crate) fn listing(
    tx: &Tx<'_>,
    state: Option<&str>,
    scope: &SiteScope,
) -> Result<Vec<Value>, StoreError> {
    let sites = scope.sites_json();
    let statement = tx.prepare(
        "SELECT l.id, l.device_id, l.mode, l.card_type, l.card_number, l.sn, l.person_id,
                l.state, l.detail, l.received_ms, l.updated_ms, l.body, l.site_id
         FROM mr860_logs l
         WHERE (CAST(?1 AS TEXT) IS NULL OR l.state = ?1)
           AND (CAST(?2 AS TEXT) IS NULL
                OR l.site_id IN (SELECT value FROM json_each(CAST(?2 AS TEXT))))
         ORDER BY l.id DESC LIMIT 1000",
    );
    let rows = statement.query_map(args![state, sites], |row| {
        let mut body: Map<String, Value> =
            serde_json::from_str(&row.get::<String>(11)?).unwrap_or_default();
        for key in ["facePicture", "cardPicture", "faceFeature"] {
            body.remove(key);
        }
        Ok(json!({
            "siteId": row.get::<Option<String>>(12)?,
        "id": row.get::<i64>(0)?,
            "deviceId": row.get::<String>(1)?,
            "mode": row.get::<String>(2)?,
            "cardType": row.get::<String>(3)?,
            "cardNumber": row.get::<String>(4)?,
            "sn": row.get::<Option<String>>(5)?,
            "personId": row.get::<Option<String>>(6)?,
            "state": row.get::<String>(7)?,
            "detail": row.get::<Option<String>>(8)?,
            "receivedAtMs": row.get::<i64>(9)?,
            "updatedAtMs": row.get::<i64>(10)?,
            "log": body,
        }))
    })?;
    rows.collect::<Result<_, _>>()
}
