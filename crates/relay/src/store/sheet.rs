//! What the day sheet reads: one site's audited records by `(site_id, record_time)` (their
//! facts, written at admission) with the ledger's state and the out-of-fence request of each;
//! the site's roster and the names of its sn; one record in full for its detail.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::sites::{self, Site};
use super::{roster, site_persons, StoreError};
use crate::args;
use crate::sheet::{FlagSet, Person, PunchFacts, PunchRow, RequestRef, Source};
use crate::store::db::Row;
use crate::store::Tx;

/// The columns [`punch_from_row`] reads, from `audit_facts f`, `ledger l` and
/// `out_of_fence_requests r`.
const PUNCH_COLUMNS: &str = "f.access_id, f.record_id, f.person_id, f.record_time, f.received_ms,
    f.flags, f.source, f.verdict, f.distance_m, f.lng, f.lat, f.accuracy_m,
    l.state, l.updated_ms, r.id, r.state, r.reason, r.note";

/// The joins under [`PUNCH_COLUMNS`].
const PUNCH_JOINS: &str = "FROM audit_facts f
    LEFT JOIN ledger l ON l.access_id = f.access_id AND l.record_id = f.record_id
    LEFT JOIN out_of_fence_requests r ON r.access_id = f.access_id AND r.record_id = f.record_id";

/// A row of [`PUNCH_COLUMNS`].
fn punch_from_row(row: &Row) -> Result<PunchRow, StoreError> {
    let request_id: Option<i64> = row.get(14)?;
    let request = match request_id {
        Some(id) => Some(RequestRef::new(
            id,
            row.get(15)?,
            row.get(16)?,
            row.get(17)?,
        )),
        None => None,
    };
    Ok(PunchRow {
        access_id: row.get(0)?,
        record_id: row.get(1)?,
        person_id: row.get(2)?,
        record_time: row.get(3)?,
        received_ms: row.get(4)?,
        facts: PunchFacts {
            flags: FlagSet::from_bits(row.get(5)?),
            source: Source::parse(&row.get::<String>(6)?),
            verdict: row.get(7)?,
            distance_m: row.get(8)?,
            lng: row.get(9)?,
            lat: row.get(10)?,
            accuracy_m: row.get(11)?,
        },
        ledger_state: row.get(12)?,
        ledger_updated_ms: row.get(13)?,
        request,
    })
}

/// Site `site_id`'s records made in `[start_ms, end_ms)` (epoch ms), oldest first.
pub(crate) fn punch_rows(
    tx: &Tx<'_>,
    site_id: &str,
    start_ms: i64,
    end_ms: i64,
) -> Result<Vec<PunchRow>, StoreError> {
    let statement = tx.prepare(&format!(
        "SELECT {PUNCH_COLUMNS} {PUNCH_JOINS}
         WHERE f.site_id = ?1 AND f.record_time >= ?2 AND f.record_time < ?3
         ORDER BY f.record_time"
    ));
    let rows = statement.query_map(args![site_id, start_ms, end_ms], punch_from_row)?;
    rows.collect::<Result<_, _>>()
}

/// `site`'s roster, in its order (by name).
pub(crate) fn roster_persons(tx: &Tx<'_>, site: &Site) -> Result<Vec<Person>, StoreError> {
    Ok((site_persons::persons(tx, site)?.into_iter())
        .map(|p| Person {
            person_id: p.person_id,
            name: p.name,
        })
        .collect())
}

/// The name of every person of `sn`'s roster, by person id (to name persons who punched
/// without being on the site's roster).
pub(crate) fn names(tx: &Tx<'_>, sn: &str) -> Result<HashMap<String, String>, StoreError> {
    Ok((roster::summaries(tx, sn)?.into_iter())
        .map(|p| (p.person_id, p.name))
        .collect())
}

/// One record in full, for its detail.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PunchRecord {
    /// The record as a sheet reads it.
    pub row: PunchRow,
    /// The site it was received for (`None`: a phone configured by hand).
    pub site_id: Option<String>,
    /// Its audit extras, as kept.
    pub extras: Map<String, Value>,
    /// The relay's check of its photo, `None` when not checked.
    pub photo_check: Option<Value>,
    /// The ledger's error, when refused: `(errorcode, errormsg)`.
    pub error: Option<(Option<String>, Option<String>)>,
    /// How many forwarding attempts the ledger counted.
    pub attempts: Option<i64>,
}

/// Record `record_id` of phone `access_id` in full, with its photo check; `None` when the
/// relay has no such record.
pub(crate) fn punch_record(
    tx: &Tx<'_>,
    access_id: &str,
    record_id: &str,
) -> Result<Option<PunchRecord>, StoreError> {
    let statement = tx.prepare(&format!(
        "SELECT {PUNCH_COLUMNS}, f.site_id, a.extras, p.result, l.errorcode, l.errormsg,
                l.attempts
         {PUNCH_JOINS}
         JOIN audit a ON a.access_id = f.access_id AND a.record_id = f.record_id
         LEFT JOIN photo_checks p ON p.access_id = f.access_id AND p.record_id = f.record_id
         WHERE f.access_id = ?1 AND f.record_id = ?2"
    ));
    let record = statement.query_opt(args![access_id, record_id], |row| {
        let photo_check: Option<String> = row.get(20)?;
        let state: Option<String> = row.get(12)?;
        let error = (row.get(21)?, row.get(22)?);
        Ok(PunchRecord {
            row: punch_from_row(row)?,
            site_id: row.get(18)?,
            extras: serde_json::from_str(&row.get::<String>(19)?).unwrap_or_default(),
            photo_check: photo_check.and_then(|text| serde_json::from_str(&text).ok()),
            error: (state.as_deref() == Some("refused")).then_some(error),
            attempts: row.get(23)?,
        })
    })?;
    Ok(record)
}

/// The GeoJSON of version `version` of site `site_id`'s fence (the one the relay judged a
/// record with); `None` when there is no such version.
pub(crate) fn fence_geojson(
    tx: &Tx<'_>,
    site_id: &str,
    version: u64,
) -> Result<Option<Value>, StoreError> {
    Ok(sites::fence_version(tx, site_id, version)?.map(|fence| fence.geojson))
}
