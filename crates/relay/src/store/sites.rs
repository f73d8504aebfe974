//! The sites and fences tables: each site with its platform sn, and every version of its fence
//! (WGS-84 GeoJSON, as validated by `crate::sites`).

use serde::Serialize;
use serde_json::Value;

use super::StoreError;
use crate::args;
use crate::store::db::Row;
use crate::store::Tx;
use zj_host::system_clock::now_ms;
use zj_protocol::phone_api::SiteFence;

/// A site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Site {
    /// `site-N`.
    pub site_id: String,
    /// Its name, e.g. `滨江工地`.
    pub name: String,
    /// The platform sn its phones' records go to.
    pub sn: String,
    /// The hour (Beijing time, 0–23) its attendance days start at.
    pub day_start_hour: u8,
}

/// The columns [`site_from_row`] reads.
const SITE_COLUMNS: &str = "site_id, name, sn, day_start_hour";

/// A `sites` row read as [`SITE_COLUMNS`].
fn site_from_row(row: &Row) -> Result<Site, StoreError> {
    Ok(Site {
        site_id: row.get(0)?,
        name: row.get(1)?,
        sn: row.get(2)?,
        // Written only as 0–23 (see set_day_start_hour).
        day_start_hour: u8::try_from(row.get::<i64>(3)?).unwrap_or(0),
    })
}

/// Creates a site named `name` for platform sn `sn`.
pub(crate) fn create(tx: &Tx<'_>, name: &str, sn: &str) -> Result<Site, StoreError> {
    let next: i64 = tx.query_row(
        "SELECT COALESCE(MAX(CAST(SUBSTR(site_id, 6) AS INTEGER)), 0) + 1 FROM sites",
        args![],
        |row| row.get(0),
    )?;
    let site = Site {
        site_id: format!("site-{next}"),
        name: name.to_owned(),
        sn: sn.to_owned(),
        day_start_hour: 0,
    };
    tx.execute(
        "INSERT INTO sites (site_id, name, sn, created_ms) VALUES (?1, ?2, ?3, ?4)",
        args![site.site_id, site.name, site.sn, now_ms()],
    )?;
    Ok(site)
}

/// Every site, oldest first.
pub(crate) fn list(tx: &Tx<'_>) -> Result<Vec<Site>, StoreError> {
    let statement = tx.prepare(&format!(
        "SELECT {SITE_COLUMNS} FROM sites ORDER BY created_ms"
    ));
    let rows = statement.query_map(args![], site_from_row)?;
    rows.collect::<Result<_, _>>()
}

/// One site.
pub(crate) fn get(tx: &Tx<'_>, site_id: &str) -> Result<Option<Site>, StoreError> {
    tx.query_opt(
        &format!("SELECT {SITE_COLUMNS} FROM sites WHERE site_id = ?1"),
        args![site_id],
        site_from_row,
    )
}

/// Sets the hour (0–23, checked by the caller) site `site_id`'s attendance days start at;
/// the hour before, `None` when there is no such site.
pub(crate) fn set_day_start_hour(
    tx: &Tx<'_>,
    site_id: &str,
    hour: u8,
) -> Result<Option<u8>, StoreError> {
    let Some(before) = get(tx, site_id)? else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE sites SET day_start_hour = ?2 WHERE site_id = ?1",
        args![site_id, hour],
    )?;
    Ok(Some(before.day_start_hour))
}

/// The site's current fence.
pub(crate) fn current_fence(tx: &Tx<'_>, site_id: &str) -> Result<Option<SiteFence>, StoreError> {
    let row = tx.query_opt(
        "SELECT version, updated_ms, max_accuracy_m, uncertain_policy, geojson FROM fences
             WHERE site_id = ?1 ORDER BY version DESC LIMIT 1",
        args![site_id],
        fence_from_row,
    )?;
    Ok(row)
}

/// A `fences` row read as `version, updated_ms, max_accuracy_m, uncertain_policy, geojson`.
fn fence_from_row(row: &Row) -> Result<SiteFence, StoreError> {
    let version: i64 = row.get(0)?;
    let uncertain_policy: String = row.get(3)?;
    let geojson: String = row.get(4)?;
    Ok(SiteFence {
        version: u64::try_from(version).unwrap_or(0),
        updated_at_ms: row.get(1)?,
        max_accuracy_m: row.get(2)?,
        // Validated when stored; an unreadable one means the stricter policy.
        uncertain_policy: uncertain_policy.parse().unwrap_or_default(),
        geojson: serde_json::from_str(&geojson).unwrap_or(Value::Null),
    })
}

/// Stores `fence` as the site's next version; returns it with its version and time.
pub(crate) fn put_fence(
    tx: &Tx<'_>,
    site_id: &str,
    crs: &str,
    mut fence: SiteFence,
) -> Result<SiteFence, StoreError> {
    fence.version = current_fence(tx, site_id)?.map_or(1, |f| f.version + 1);
    fence.updated_at_ms = now_ms();
    tx.execute(
        "INSERT INTO fences (site_id, version, crs, max_accuracy_m, uncertain_policy, geojson,
                             updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        args![
            site_id,
            i64::try_from(fence.version).unwrap_or(i64::MAX),
            crs,
            fence.max_accuracy_m,
            fence.uncertain_policy.as_str(),
            fence.geojson.to_string(),
            fence.updated_at_ms
        ],
    )?;
    Ok(fence)
}

/// The version of the site's fence that was current at `at_ms` (epoch milliseconds): the last
/// one stored at or before it; `None` when the site had no fence then.
pub(crate) fn fence_version_at(
    tx: &Tx<'_>,
    site_id: &str,
    at_ms: i64,
) -> Result<Option<u64>, StoreError> {
    // Cached: every sign-in of a phone with a site asks.
    let version: Option<i64> = tx
        .prepare("SELECT MAX(version) FROM fences WHERE site_id = ?1 AND updated_ms <= ?2")
        .query_row(args![site_id, at_ms], |row| row.get(0))?;
    Ok(version.and_then(|version| u64::try_from(version).ok()))
}

/// One version of the site's fence.
pub(crate) fn fence_version(
    tx: &Tx<'_>,
    site_id: &str,
    version: u64,
) -> Result<Option<SiteFence>, StoreError> {
    tx.query_opt(
        "SELECT version, updated_ms, max_accuracy_m, uncertain_policy, geojson FROM fences
             WHERE site_id = ?1 AND version = ?2",
        args![site_id, i64::try_from(version).unwrap_or(i64::MAX)],
        fence_from_row,
    )
}

/// The site's first fence version; `None` when the site has no fence.
pub(crate) fn first_fence_version(tx: &Tx<'_>, site_id: &str) -> Result<Option<u64>, StoreError> {
    let version: Option<i64> = tx
        .prepare("SELECT MIN(version) FROM fences WHERE site_id = ?1")
        .query_row(args![site_id], |row| row.get(0))?;
    Ok(version.and_then(|version| u64::try_from(version).ok()))
}
