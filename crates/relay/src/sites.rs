//! Construction sites and their fences, and a site as a phone sees it: a site goes to one
//! platform sn; its fence is versioned, validated with the geofence core and stored in WGS-84
//! whatever CRS the manager drew it in.

use geo::{Coord, LineString};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::phone::enroll::PhoneSite;
use crate::store::roster;
use crate::store::site_persons::{self, KeptRoster};
pub(crate) use crate::store::sites::{current_fence, get, list, put_fence, Site};
use crate::store::StoreError;
use crate::store::Tx;
use zj_geofence::crs::gcj02_to_wgs84;
use zj_geofence::{Fence, FenceError, FenceGeoJson, FenceLimits, LngLat, DEFAULT_MAX_ACCURACY_M};
pub(crate) use zj_protocol::phone_api::SiteFence;
use zj_protocol::phone_api::{Binding, RosterPerson, SiteInfo, UncertainPolicy};

/// `PUT /v1/manager/sites/{siteId}/fence`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FenceRequest {
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
pub(crate) const MAX_ACCURACY_CAP_M: f64 = 1000.0;

/// Why a fence request was refused. The message (`Display`) is plain Chinese saying what to
/// fix; the HTTP edge adds the status and code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum FenceRefusal {
    /// `crs` is neither `wgs84` nor `gcj02`.
    #[error("crs 是 {0:?}，只能是 \"wgs84\" 或 \"gcj02\"")]
    CrsUnknown(String),
    /// `uncertainPolicy` is neither `reject` nor `flag`.
    #[error("uncertainPolicy 只能是 \"reject\" 或 \"flag\"")]
    PolicyUnknown,
    /// `maxAccuracyM` (metres) out of `0 < m <= MAX_ACCURACY_CAP_M`.
    #[error("maxAccuracyM 是 {0}，应在 0 到 {MAX_ACCURACY_CAP_M} 米之间")]
    AccuracyOutOfRange(f64),
    /// `geojson` is not a Polygon, MultiPolygon, Feature or FeatureCollection.
    #[error("围栏无效：围栏不是可用的 GeoJSON（{0}）。请提交 Polygon 或 MultiPolygon。")]
    NotGeoJson(String),
    /// The GeoJSON has the right shape but cannot be read as a fence.
    #[error("围栏无效：围栏的 GeoJSON 有误（{0}）。请修改后重新提交。")]
    GeoJson(String),
    /// The geofence core refused the fence.
    #[error("围栏无效：{}。", .0.message_zh())]
    Invalid(FenceError),
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
pub(crate) fn validate(request: FenceRequest) -> Result<SiteFence, FenceRefusal> {
    let to_wgs84 = match request.crs.as_str() {
        "wgs84" => false,
        "gcj02" => true,
        other => return Err(FenceRefusal::CrsUnknown(other.to_owned())),
    };
    let uncertain_policy: UncertainPolicy =
        (request.uncertain_policy.parse()).map_err(|_| FenceRefusal::PolicyUnknown)?;
    let geojson: FenceGeoJson = serde_json::from_value(request.geojson)
        .map_err(|e| FenceRefusal::NotGeoJson(e.to_string()))?;
    let outline = (geojson.into_outline()).map_err(|e| FenceRefusal::GeoJson(e.to_string()))?;
    let max_accuracy_m = (request.max_accuracy_m)
        .or(outline.max_accuracy_m)
        .unwrap_or(DEFAULT_MAX_ACCURACY_M);
    if !(max_accuracy_m > 0.0 && max_accuracy_m <= MAX_ACCURACY_CAP_M) {
        return Err(FenceRefusal::AccuracyOutOfRange(max_accuracy_m));
    }
    let polygons = if to_wgs84 {
        let convert = |rings: Vec<LineString<f64>>| rings.into_iter().map(ring_to_wgs84).collect();
        outline.polygons.into_iter().map(convert).collect()
    } else {
        outline.polygons
    };
    let fence = Fence::new(polygons, &FenceLimits::default()).map_err(FenceRefusal::Invalid)?;
    let coordinates: Vec<Vec<Vec<[f64; 2]>>> = (fence.multi_polygon().0.iter())
        .map(|polygon| {
            std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .map(|ring| ring.coords().map(|c| [c.x, c.y]).collect())
                .collect()
        })
        .collect();
    Ok(SiteFence {
        version: 0,
        updated_at_ms: 0,
        max_accuracy_m,
        uncertain_policy,
        geojson: json!({
            "type": "Feature",
            "properties": {"maxAccuracyM": max_accuracy_m},
            "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
        }),
    })
}

/// A site as a phone sees it, and its fence version (the `ETag`).
pub(crate) fn phone_view(
    tx: &Tx<'_>,
    site: &Site,
    binding: &PhoneSite,
) -> Result<(SiteInfo, Option<u64>), StoreError> {
    let personal = binding.binding == Binding::Personal;
    let person = match (&binding.person_id, personal) {
        (Some(person_id), true) => Some(roster::summary(tx, &site.sn, person_id)?.unwrap_or_else(
            || RosterPerson {
                person_id: person_id.clone(),
                name: String::new(),
            },
        )),
        _ => None,
    };
    let persons = if personal {
        Vec::new()
    } else {
        site_persons::persons(tx, site)?
    };
    let fence = current_fence(tx, &site.site_id)?;
    let version = fence.as_ref().map(|fence| fence.version);
    let view = SiteInfo {
        site_id: site.site_id.clone(),
        name: site.name.clone(),
        binding: binding.binding,
        person,
        persons,
        fence,
    };
    Ok((view, version))
}

/// Creates a site named `name` for platform sn `sn` (see [`create_sharing`]).
pub(crate) fn create(tx: &Tx<'_>, name: &str, sn: &str) -> Result<Site, StoreError> {
    create_sharing(tx, name, sn).map(|(site, _)| site)
}

/// Creates a site named `name` for platform sn `sn`. When it is the sn's second site, the first
/// keeps every person of the sn's roster (they are assigned to it, answered beside the new
/// site), so its phones go on clocking in whom they could; the new site starts with nobody.
pub(crate) fn create_sharing(
    tx: &Tx<'_>,
    name: &str,
    sn: &str,
) -> Result<(Site, Option<KeptRoster>), StoreError> {
    let kept = site_persons::keep_sole_site_roster(tx, sn)?;
    let site = crate::store::sites::create(tx, name, sn)?;
    Ok((site, kept))
}
