//! Construction sites and their fences: a site goes to one platform sn; its fence is
//! versioned, validated with the geofence core and stored in WGS-84 whatever CRS the manager
//! drew it in.

use axum::http::StatusCode;
use geo::{Coord, LineString};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::api_error::ApiError;
use super::store::StoreError;
use zj_geofence::crs::gcj02_to_wgs84;
use zj_geofence::{
    Fence, FenceError, FenceGeoJson, FenceLimits, LngLat, RingRef, DEFAULT_MAX_ACCURACY_M,
};
use zj_host::system_clock::now_ms;

/// The site and fence tables.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sites (
    site_id    TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    sn         TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fences (
    site_id          TEXT NOT NULL,
    version          INTEGER NOT NULL,
    crs              TEXT NOT NULL,
    max_accuracy_m   REAL NOT NULL,
    uncertain_policy TEXT NOT NULL,
    geojson          TEXT NOT NULL,
    updated_ms       INTEGER NOT NULL,
    PRIMARY KEY (site_id, version)
);
";

/// A site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    /// `site-N`.
    pub site_id: String,
    /// Its name, e.g. `滨江工地`.
    pub name: String,
    /// The platform sn its phones' records go to.
    pub sn: String,
}

/// A site's fence as stored and as phones get it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredFence {
    /// 1 for the first fence of the site, one more at each change.
    pub version: i64,
    /// When it was set, epoch milliseconds.
    pub updated_at_ms: i64,
    /// The site's cap on a fix's accuracy radius, metres.
    pub max_accuracy_m: f64,
    /// `reject` or `flag`: what an uncertain verdict means.
    pub uncertain_policy: String,
    /// A GeoJSON Feature with a WGS-84 MultiPolygon, for `checkFence`.
    pub geojson: Value,
}

/// `PUT /v1/manager/sites/{siteId}/fence`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FenceRequest {
    /// `wgs84` or `gcj02`: the CRS `geojson` is drawn in.
    pub crs: String,
    /// Cap on a fix's accuracy radius, metres; else the GeoJSON's `maxAccuracyM`, else the
    /// geofence default.
    pub max_accuracy_m: Option<f64>,
    /// `reject` or `flag`.
    pub uncertain_policy: String,
    /// A Polygon, MultiPolygon, Feature or FeatureCollection.
    pub geojson: Value,
}

/// Largest accepted `maxAccuracyM`, metres: a fix less precise than this says nothing about a
/// construction site.
const MAX_ACCURACY_CAP_M: f64 = 1000.0;

fn fence_invalid(message: String, detail: Value) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "fence_invalid", message).with_detail(detail)
}

fn ring_detail(problem: &str, ring: RingRef) -> Value {
    json!({"problem": problem, "polygon": ring.polygon, "ring": ring.ring})
}

/// The manager's refusal for a fence the geofence core refused: plain Chinese naming the
/// problem, the core's own words after it, and where.
pub fn fence_refusal(error: &FenceError) -> ApiError {
    use FenceError as E;
    let (what, detail) = match error {
        E::NoPolygon => ("围栏里没有多边形", json!({"problem": "no_polygon"})),
        E::NoRing { polygon } => (
            "多边形没有边界环",
            json!({"problem": "no_ring", "polygon": polygon}),
        ),
        E::Coordinate { ring, .. } => ("坐标超出经纬度范围", ring_detail("coordinate", *ring)),
        E::TooFewPositions { ring, .. } => (
            "边界环的点太少（至少 3 个角点再加回到起点）",
            ring_detail("too_few_positions", *ring),
        ),
        E::OpenRing { ring, .. } => (
            "边界环未闭合：最后一个点必须与第一个点相同",
            ring_detail("open_ring", *ring),
        ),
        E::TooManyVertices { .. } => ("顶点太多", json!({"problem": "too_many_vertices"})),
        E::TooFewCorners { ring } => (
            "边界环的不同角点少于 3 个",
            ring_detail("too_few_corners", *ring),
        ),
        E::SelfIntersection { ring, .. } => ("边界自相交", ring_detail("self_intersection", *ring)),
        E::RingsCross { a, .. } => ("两个边界环相交", ring_detail("rings_cross", *a)),
        E::HoleOutsideShell { hole } => (
            "内洞不在外边界之内",
            ring_detail("hole_outside_shell", *hole),
        ),
        E::HolesOverlap { a, .. } => ("内洞互相重叠", ring_detail("holes_overlap", *a)),
        E::PartsOverlap { a, .. } => (
            "多边形互相重叠",
            json!({"problem": "parts_overlap", "polygon": a}),
        ),
        E::AreaOutOfBounds { .. } => ("面积超出允许范围", json!({"problem": "area_out_of_bounds"})),
    };
    fence_invalid(
        format!("围栏无效：{what}（{error}）。请修改围栏后重新提交。"),
        detail,
    )
}

/// Converts a GCJ-02 ring to WGS-84; positions out of range are left for validation to name.
fn ring_to_wgs84(ring: LineString<f64>) -> LineString<f64> {
    ring.into_iter()
        .map(|c| match LngLat::new(c.x, c.y) {
            Ok(gcj) => {
                let wgs = gcj02_to_wgs84(gcj);
                Coord {
                    x: wgs.lng(),
                    y: wgs.lat(),
                }
            }
            Err(_) => c,
        })
        .collect()
}

/// Checks a fence request and turns it into what is stored (version and time still unset).
pub fn validate(request: FenceRequest) -> Result<StoredFence, ApiError> {
    let to_wgs84 = match request.crs.as_str() {
        "wgs84" => false,
        "gcj02" => true,
        other => {
            return Err(ApiError::bad_request(format_args!(
                "crs 是 {other:?}，只能是 \"wgs84\" 或 \"gcj02\""
            )))
        }
    };
    if !matches!(request.uncertain_policy.as_str(), "reject" | "flag") {
        return Err(ApiError::bad_request(
            "uncertainPolicy 只能是 \"reject\" 或 \"flag\"",
        ));
    }
    let geojson: FenceGeoJson = serde_json::from_value(request.geojson).map_err(|e| {
        fence_invalid(
            format!("围栏不是可用的 GeoJSON（{e}）。请提交 Polygon 或 MultiPolygon。"),
            json!({"problem": "geojson"}),
        )
    })?;
    let outline = geojson.into_outline().map_err(|e| {
        fence_invalid(
            format!("围栏的 GeoJSON 有误（{e}）。请修改后重新提交。"),
            json!({"problem": "geojson"}),
        )
    })?;
    let max_accuracy_m = (request.max_accuracy_m)
        .or(outline.max_accuracy_m)
        .unwrap_or(DEFAULT_MAX_ACCURACY_M);
    if !(max_accuracy_m > 0.0 && max_accuracy_m <= MAX_ACCURACY_CAP_M) {
        return Err(ApiError::bad_request(format_args!(
            "maxAccuracyM 是 {max_accuracy_m}，应在 0 到 {MAX_ACCURACY_CAP_M} 米之间"
        )));
    }
    let polygons = if to_wgs84 {
        let convert = |rings: Vec<LineString<f64>>| rings.into_iter().map(ring_to_wgs84).collect();
        outline.polygons.into_iter().map(convert).collect()
    } else {
        outline.polygons
    };
    let fence = Fence::new(polygons, &FenceLimits::default()).map_err(|e| fence_refusal(&e))?;
    let coordinates: Vec<Vec<Vec<[f64; 2]>>> = (fence.multi_polygon().0.iter())
        .map(|polygon| {
            std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .map(|ring| ring.coords().map(|c| [c.x, c.y]).collect())
                .collect()
        })
        .collect();
    Ok(StoredFence {
        version: 0,
        updated_at_ms: 0,
        max_accuracy_m,
        uncertain_policy: request.uncertain_policy,
        geojson: json!({
            "type": "Feature",
            "properties": {"maxAccuracyM": max_accuracy_m},
            "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
        }),
    })
}

/// Creates a site named `name` for platform sn `sn`.
pub fn create(tx: &Transaction<'_>, name: &str, sn: &str) -> Result<Site, StoreError> {
    let next: i64 = tx.query_row(
        "SELECT COALESCE(MAX(CAST(SUBSTR(site_id, 6) AS INTEGER)), 0) + 1 FROM sites",
        [],
        |row| row.get(0),
    )?;
    let site = Site {
        site_id: format!("site-{next}"),
        name: name.to_owned(),
        sn: sn.to_owned(),
    };
    tx.execute(
        "INSERT INTO sites (site_id, name, sn, created_ms) VALUES (?1, ?2, ?3, ?4)",
        params![site.site_id, site.name, site.sn, now_ms()],
    )?;
    Ok(site)
}

/// Every site, oldest first.
pub fn list(tx: &Transaction<'_>) -> Result<Vec<Site>, StoreError> {
    let mut statement = tx.prepare("SELECT site_id, name, sn FROM sites ORDER BY created_ms")?;
    let rows = statement.query_map([], |row| {
        Ok(Site {
            site_id: row.get(0)?,
            name: row.get(1)?,
            sn: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One site.
pub fn get(tx: &Transaction<'_>, site_id: &str) -> Result<Option<Site>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT site_id, name, sn FROM sites WHERE site_id = ?1",
            [site_id],
            |row| {
                Ok(Site {
                    site_id: row.get(0)?,
                    name: row.get(1)?,
                    sn: row.get(2)?,
                })
            },
        )
        .optional()?)
}

/// The site's current fence.
pub fn current_fence(
    tx: &Transaction<'_>,
    site_id: &str,
) -> Result<Option<StoredFence>, StoreError> {
    let row = tx
        .query_row(
            "SELECT version, updated_ms, max_accuracy_m, uncertain_policy, geojson FROM fences
             WHERE site_id = ?1 ORDER BY version DESC LIMIT 1",
            [site_id],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get::<_, String>(4)?,
                ))
            },
        )
        .optional()?;
    Ok(row.map(
        |(version, updated_at_ms, max_accuracy_m, uncertain_policy, geojson)| StoredFence {
            version,
            updated_at_ms,
            max_accuracy_m,
            uncertain_policy,
            geojson: serde_json::from_str(&geojson).unwrap_or(Value::Null),
        },
    ))
}

/// Stores `fence` as the site's next version; returns it with its version and time.
pub fn put_fence(
    tx: &Transaction<'_>,
    site_id: &str,
    crs: &str,
    mut fence: StoredFence,
) -> Result<StoredFence, StoreError> {
    fence.version = current_fence(tx, site_id)?.map_or(1, |f| f.version + 1);
    fence.updated_at_ms = now_ms();
    tx.execute(
        "INSERT INTO fences (site_id, version, crs, max_accuracy_m, uncertain_policy, geojson,
                             updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            site_id,
            fence.version,
            crs,
            fence.max_accuracy_m,
            fence.uncertain_policy,
            fence.geojson.to_string(),
            fence.updated_at_ms
        ],
    )?;
    Ok(fence)
}
