//! The `work_areas` table: each site's approved work areas (a second set of polygons, WGS-84
//! GeoJSON validated like a fence by `crate::sites::validate`), versioned: a change is a new
//! version, and the newest is the one in force. A request made inside them is approved
//! without a manager when `auto_approve` is on.

use serde::Serialize;
use serde_json::Value;

use super::StoreError;
use crate::args;
use crate::store::Tx;

/// A site's work areas, as stored and as the manager API answers them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WorkAreas {
    /// A GeoJSON Feature with a WGS-84 MultiPolygon.
    pub geojson: Value,
    /// Requests inside them are approved without a manager.
    pub auto_approve: bool,
    /// 1 for the site's first, one more at each change.
    pub version: u64,
    /// When they were stored, epoch milliseconds.
    pub updated_at_ms: i64,
}

/// The site's work areas in force (the newest version); `None` when it has none.
pub(crate) fn current(tx: &Tx<'_>, site_id: &str) -> Result<Option<WorkAreas>, StoreError> {
    tx.query_opt(
        "SELECT geojson, auto_approve, version, updated_ms FROM work_areas
             WHERE site_id = ?1 ORDER BY version DESC LIMIT 1",
        args![site_id],
        |row| {
            let geojson: String = row.get(0)?;
            let version: i64 = row.get(2)?;
            Ok(WorkAreas {
                // Validated when stored; an unreadable one judges nothing inside.
                geojson: serde_json::from_str(&geojson).unwrap_or(Value::Null),
                auto_approve: row.get(1)?,
                version: u64::try_from(version).unwrap_or(0),
                updated_at_ms: row.get(3)?,
            })
        },
    )
}

/// Stores `geojson` (already validated) as the site's next version, by manager `by` at
/// `now_ms` (epoch milliseconds); returns what was stored.
pub(crate) fn put(
    tx: &Tx<'_>,
    site_id: &str,
    geojson: Value,
    auto_approve: bool,
    by: &str,
    now_ms: i64,
) -> Result<WorkAreas, StoreError> {
    let version = current(tx, site_id)?.map_or(1, |areas| areas.version + 1);
    tx.execute(
        "INSERT INTO work_areas (site_id, version, geojson, auto_approve, updated_ms, updated_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![
            site_id,
            i64::try_from(version).unwrap_or(i64::MAX),
            geojson.to_string(),
            auto_approve,
            now_ms,
            by
        ],
    )?;
    Ok(WorkAreas {
        geojson,
        auto_approve,
        version,
        updated_at_ms: now_ms,
    })
}
