//! The `out_of_fence_requests` table: out-of-fence requests (外勤) held from the platform until
//! a manager (or the site's approved work areas) decides. Each row is one phone record (its
//! `accessId` and `recordId`, whose ledger row says whether the platform has it) with the §7
//! param text to forward, photo included.

use serde_json::{json, Map, Value};

use super::ledger::{self, Claimant};
use super::StoreError;
use crate::args;
use crate::store::db::Row;
use crate::store::Tx;
use zj_protocol::phone_api::{OutOfFence, OutOfFenceReason, PhoneRequest, RequestState};

/// Who decided an auto-approved request (`decided_by`).
pub(crate) const AUTO: &str = "auto";

/// Most requests a manager's list answers.
const MAX_LISTED: i64 = 500;

/// A request as the gateway files it.
pub(crate) struct NewRequest<'a> {
    /// The phone's `accessId` and the record's `recordId`.
    pub key: (&'a str, &'a str),
    /// The phone's site.
    pub site_id: &'a str,
    /// The platform sn it is forwarded as.
    pub platform_sn: &'a str,
    /// The worker it clocks in.
    pub person_id: &'a str,
    /// `recordTime`, epoch milliseconds.
    pub record_time: i64,
    /// The request as the phone filed it.
    pub filed: &'a OutOfFence,
    /// The §7 param text to forward, photo included.
    pub param: &'a str,
    /// Approved by the site's work areas (stored approved, decided by [`AUTO`]).
    pub auto: bool,
    /// When it was received, epoch milliseconds.
    pub now_ms: i64,
}

/// How many of the phone's requests wait for a manager.
pub(crate) fn pending_of_phone(tx: &Tx<'_>, access_id: &str) -> Result<i64, StoreError> {
    tx.prepare(
        "SELECT COUNT(*) FROM out_of_fence_requests
             WHERE access_id = ?1 AND state = 'pending'",
    )
    .query_row(args![access_id], |row| row.get(0))
}

/// Files a request: pending, or approved by [`AUTO`] at once.
pub(crate) fn insert(tx: &Tx<'_>, request: &NewRequest<'_>) -> Result<(), StoreError> {
    let (state, decided_ms, decided_by) = match request.auto {
        true => ("approved", Some(request.now_ms), Some(AUTO)),
        false => ("pending", None, None),
    };
    tx.execute(
        "INSERT INTO out_of_fence_requests (access_id, record_id, site_id, platform_sn,
             person_id, record_time, reason, note, param, state, auto, created_ms, decided_ms,
             decided_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        args![
            request.key.0,
            request.key.1,
            request.site_id,
            request.platform_sn,
            request.person_id,
            request.record_time,
            request.filed.reason.as_str(),
            request.filed.note.trim(),
            request.param,
            state,
            request.auto,
            request.now_ms,
            decided_ms,
            decided_by
        ],
    )?;
    Ok(())
}

/// A record that is a request, as a phone's retry of it is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordRequest {
    /// Where the decision stands.
    pub state: RequestState,
    /// The manager's comment.
    pub comment: String,
    /// The record's ledger row: its state and the refusal's code and message.
    pub ledger: Option<(String, Option<String>, Option<String>)>,
}

/// The request of record `(access_id, record_id)`, if the record is one.
pub(crate) fn of_record(
    tx: &Tx<'_>,
    (access_id, record_id): (&str, &str),
) -> Result<Option<RecordRequest>, StoreError> {
    // Looked up for every sign-in: prepared once per connection.
    let row = tx
        .prepare(
            "SELECT r.state, r.comment, l.state, l.errorcode, l.errormsg
             FROM out_of_fence_requests r
             LEFT JOIN ledger l ON l.access_id = r.access_id AND l.record_id = r.record_id
             WHERE r.access_id = ?1 AND r.record_id = ?2",
        )
        .query_opt(args![access_id, record_id], |row| {
            let ledger = (row.get::<Option<String>>(2)?)
                .map(|state| -> Result<_, StoreError> { Ok((state, row.get(3)?, row.get(4)?)) })
                .transpose()?;
            Ok((row.get::<String>(0)?, row.get(1)?, ledger))
        })?;
    Ok(row.map(|(state, comment, ledger)| RecordRequest {
        state: state.parse().unwrap_or(RequestState::Pending),
        comment,
        ledger,
    }))
}

/// An approved request to forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToForward {
    /// The phone's `accessId`.
    pub access_id: String,
    /// The record's `recordId`.
    pub record_id: String,
    /// The platform sn it goes to.
    pub platform_sn: String,
    /// The §7 param text.
    pub param: String,
}

/// Takes up to `limit` approved requests whose ledger row waits to be sent again (`retry`, or
/// `sending` under a claim that ended: its relay died mid-attempt) and claims them for
/// `claimant` (one more attempt at `now_ms`), in this transaction. Only those this relay's
/// claim took are returned: another relay taking the same rows at once gets the others (the
/// gateway never begins a record that is a request).
pub(crate) fn claim_approved(
    tx: &Tx<'_>,
    limit: i64,
    claimant: &Claimant,
    now_ms: i64,
) -> Result<Vec<ToForward>, StoreError> {
    let statement = tx.prepare(
        "SELECT r.access_id, r.record_id, r.platform_sn, r.param FROM out_of_fence_requests r
         JOIN ledger l ON l.access_id = r.access_id AND l.record_id = r.record_id
         WHERE r.state = 'approved'
           AND (l.state = 'retry'
                OR (l.state = 'sending' AND COALESCE(l.claim_until_ms, 0) <= ?2))
         ORDER BY r.id LIMIT ?1",
    );
    let rows = statement.query_map(args![limit, now_ms], |row| {
        Ok(ToForward {
            access_id: row.get(0)?,
            record_id: row.get(1)?,
            platform_sn: row.get(2)?,
            param: row.get(3)?,
        })
    })?;
    let mut claimed = Vec::new();
    for request in rows {
        let request = request?;
        let key = (request.access_id.as_str(), request.record_id.as_str());
        if ledger::claim(tx, key.0, key.1, claimant, now_ms)? {
            claimed.push(request);
        }
    }
    Ok(claimed)
}

/// What a decision on a request needs to know of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decidable {
    /// Its site.
    pub site_id: String,
    /// Where the decision stands.
    pub state: RequestState,
    /// The phone's `accessId`.
    pub access_id: String,
    /// The record's `recordId`.
    pub record_id: String,
}

/// Request `id`'s site, state and record; `None` when there is no such request.
pub(crate) fn decidable(tx: &Tx<'_>, id: i64) -> Result<Option<Decidable>, StoreError> {
    tx.query_opt(
        "SELECT site_id, state, access_id, record_id FROM out_of_fence_requests WHERE id = ?1",
        args![id],
        |row| {
            let state: String = row.get(1)?;
            Ok(Decidable {
                site_id: row.get(0)?,
                state: state.parse().unwrap_or(RequestState::Pending),
                access_id: row.get(2)?,
                record_id: row.get(3)?,
            })
        },
    )
}

/// Records a manager's decision on pending request `id`: `state`, by `by`, at `now_ms`, with
/// `comment`.
pub(crate) fn decide(
    tx: &Tx<'_>,
    id: i64,
    state: RequestState,
    by: &str,
    comment: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE out_of_fence_requests SET state = ?2, decided_ms = ?3, decided_by = ?4,
             comment = ?5
         WHERE id = ?1 AND state = 'pending'",
        args![id, state.as_str(), now_ms, by, comment],
    )?;
    Ok(())
}

/// The photo of request `id` (base64, as the phone sent it) and the request's site.
pub(crate) fn photo(tx: &Tx<'_>, id: i64) -> Result<Option<(String, Option<String>)>, StoreError> {
    tx.query_opt(
        "SELECT site_id, json_extract(param, '$.img') FROM out_of_fence_requests
             WHERE id = ?1",
        args![id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
}

/// Which requests a manager's list holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    /// Only these sites' (`None`: every site).
    pub sites: Option<Vec<String>>,
    /// Only requests in this state (`None`: all).
    pub state: Option<RequestState>,
    /// Only requests with `recordTime` at or after this, epoch milliseconds.
    pub from_ms: Option<i64>,
    /// Only requests with `recordTime` before this, epoch milliseconds.
    pub to_ms: Option<i64>,
    /// Only this request.
    pub id: Option<i64>,
}

/// The sites of `filter` as the JSON array text the queries take (`None`: every site).
fn sites_json(filter: &Filter) -> Option<String> {
    filter.sites.as_ref().map(|sites| json!(sites).to_string())
}

/// The requests `filter` holds, newest first (at most 500), as the manager API lists them.
pub(crate) fn listing(tx: &Tx<'_>, filter: &Filter) -> Result<Vec<Value>, StoreError> {
    let statement = tx.prepare(
        "SELECT r.id, r.site_id, r.access_id, r.record_id, r.person_id, p.name, r.record_time,
                COALESCE(a.received_ms, r.created_ms), r.reason, r.note, r.state, r.auto,
                r.decided_ms, r.decided_by, r.comment, l.state, l.errorcode, l.errormsg,
                l.attempts, l.updated_ms, a.extras, pc.result,
                CAST(json_extract(r.param, '$.coordinate.longitude') AS DOUBLE PRECISION),
                CAST(json_extract(r.param, '$.coordinate.latitude') AS DOUBLE PRECISION)
         FROM out_of_fence_requests r
         LEFT JOIN ledger l ON l.access_id = r.access_id AND l.record_id = r.record_id
         LEFT JOIN audit a ON a.access_id = r.access_id AND a.record_id = r.record_id
         LEFT JOIN photo_checks pc ON pc.access_id = r.access_id AND pc.record_id = r.record_id
         LEFT JOIN persons p ON p.sn = r.platform_sn AND p.person_id = r.person_id
         WHERE (CAST(?1 AS TEXT) IS NULL
                OR r.site_id IN (SELECT value FROM json_each(CAST(?1 AS TEXT))))
           AND (CAST(?2 AS TEXT) IS NULL OR r.state = ?2)
           AND (CAST(?3 AS BIGINT) IS NULL OR r.record_time >= ?3)
           AND (CAST(?4 AS BIGINT) IS NULL OR r.record_time < ?4)
           AND (CAST(?5 AS BIGINT) IS NULL OR r.id = ?5)
         ORDER BY r.record_time DESC, r.id DESC LIMIT ?6",
    );
    let state = filter.state.map(RequestState::as_str);
    let bound = args![
        sites_json(filter),
        state,
        filter.from_ms,
        filter.to_ms,
        filter.id,
        MAX_LISTED
    ];
    let rows = statement.query_map(bound, listed)?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// How many requests of `filter`'s sites wait for a decision.
pub(crate) fn pending_count(tx: &Tx<'_>, filter: &Filter) -> Result<i64, StoreError> {
    tx.query_row(
        "SELECT COUNT(*) FROM out_of_fence_requests
         WHERE state = 'pending' AND (CAST(?1 AS TEXT) IS NULL
             OR site_id IN (SELECT value FROM json_each(CAST(?1 AS TEXT))))",
        args![sites_json(filter)],
        |row| row.get(0),
    )
}

/// Where forwarding an approved request stands, from its ledger row (`state`, `updated_ms`) and
/// when it was decided: `waiting` when approved and not tried since; `null` unless approved.
fn forwarding_state(
    request_state: &str,
    ledger_state: Option<&str>,
    ledger_updated_ms: Option<i64>,
    decided_ms: Option<i64>,
) -> Value {
    match (request_state, ledger_state) {
        ("approved", Some("retry")) if ledger_updated_ms <= decided_ms => json!("waiting"),
        ("approved", Some(state)) => json!(state),
        _ => Value::Null,
    }
}

/// One row of [`listing`]'s query as the manager API lists it.
fn listed(row: &Row) -> Result<Value, StoreError> {
    let extras: Map<String, Value> = (row.get::<Option<String>>(20)?)
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let reason: String = row.get(8)?;
    let state: String = row.get(10)?;
    let auto: bool = row.get(11)?;
    let decided_ms: Option<i64> = row.get(12)?;
    let ledger_state: Option<String> = row.get(15)?;
    let attempts: Option<i64> = row.get(18)?;
    // The first begin of a held request was the phone's submission, not a send.
    let sends = attempts.map(|n| (n - i64::from(!auto)).max(0));
    let forwarding = json!({
        "state": forwarding_state(&state, ledger_state.as_deref(), row.get(19)?, decided_ms),
        "errorcode": row.get::<Option<String>>(16)?,
        "errormsg": row.get::<Option<String>>(17)?,
        "attempts": sends,
    });
    let (lng, lat): (Option<f64>, Option<f64>) = (row.get(22)?, row.get(23)?);
    let location = match (lng, lat) {
        (Some(lng), Some(lat)) => {
            let accuracy = extras.get("location").and_then(|l| l.get("accuracyM"));
            json!({"lng": lng, "lat": lat, "accuracyM": accuracy})
        }
        _ => Value::Null,
    };
    let liveness = extras.get("liveness").cloned().unwrap_or(Value::Null);
    let fallback_capture = liveness["lowerTrust"].as_bool().unwrap_or(false);
    let photo_check: Option<Value> =
        (row.get::<Option<String>>(21)?).and_then(|text| serde_json::from_str(&text).ok());
    Ok(json!({
        "id": row.get::<i64>(0)?,
        "siteId": row.get::<String>(1)?,
        "accessId": row.get::<String>(2)?,
        "recordId": row.get::<String>(3)?,
        "personId": row.get::<String>(4)?,
        "name": row.get::<Option<String>>(5)?,
        "recordTime": row.get::<i64>(6)?,
        "receivedAtMs": row.get::<i64>(7)?,
        "reasonLabel": reason.parse::<OutOfFenceReason>().map(|r| r.label_zh()).ok(),
        "reason": reason,
        "note": row.get::<String>(9)?,
        "state": state,
        "auto": auto,
        "decidedAtMs": decided_ms,
        "decidedBy": row.get::<Option<String>>(13)?,
        "comment": row.get::<String>(14)?,
        "forwarding": forwarding,
        "location": location,
        "relayFence": extras.get("relayFence"),
        "liveness": liveness,
        "photoCheck": photo_check,
        "fallbackCapture": fallback_capture,
    }))
}

/// The phone's requests with `recordTime` at or after `since_ms`, newest first (at most 100).
pub(crate) fn of_phone(
    tx: &Tx<'_>,
    access_id: &str,
    since_ms: i64,
) -> Result<Vec<PhoneRequest>, StoreError> {
    let statement = tx.prepare(
        "SELECT r.record_id, r.person_id, r.record_time, r.reason, r.note, r.state, r.auto,
                r.comment, r.decided_ms, l.state
         FROM out_of_fence_requests r
         LEFT JOIN ledger l ON l.access_id = r.access_id AND l.record_id = r.record_id
         WHERE r.access_id = ?1 AND r.record_time >= ?2
         ORDER BY r.record_time DESC, r.id DESC LIMIT 100",
    );
    let rows = statement.query_map(args![access_id, since_ms], |row| {
        let reason: String = row.get(3)?;
        let state: String = row.get(5)?;
        let state = state.parse().unwrap_or(RequestState::Pending);
        Ok(PhoneRequest {
            record_id: row.get(0)?,
            person_id: row.get(1)?,
            record_time_ms: row.get(2)?,
            out_of_fence: OutOfFence {
                reason: reason.parse().unwrap_or(OutOfFenceReason::Other),
                note: row.get(4)?,
            },
            state,
            auto_approved: row.get(6)?,
            comment: row.get(7)?,
            decided_at_ms: row.get(8)?,
            at_platform: state == RequestState::Approved
                && row.get::<Option<String>>(9)?.as_deref() == Some("done"),
        })
    })?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// When one of the phone's requests last changed for the worker, epoch milliseconds: decided
/// by a manager (or the work areas), or, once approved, accepted or refused by the platform;
/// `None` when none is decided.
pub(crate) fn changed_ms(tx: &Tx<'_>, access_id: &str) -> Result<Option<i64>, StoreError> {
    tx.prepare(
        "SELECT MAX(CASE WHEN r.decided_ms IS NULL THEN NULL
                             WHEN r.state = 'approved' AND l.state IN ('done', 'refused')
                                  AND l.updated_ms > r.decided_ms THEN l.updated_ms
                             ELSE r.decided_ms END)
             FROM out_of_fence_requests r
             LEFT JOIN ledger l ON l.access_id = r.access_id AND l.record_id = r.record_id
             WHERE r.access_id = ?1",
    )
    .query_row(args![access_id], |row| row.get(0))
}
