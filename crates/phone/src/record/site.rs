//! The phone's site, binding and fence as the relay describes them (`GET /v1/site`; the
//! types are the protocol crate's, shared with the relay), and the fence prepared for checks.

use zj_geofence::{Fence, FenceGeoJson, FenceLimits, PreparedFence};
pub use zj_protocol::phone_api::{Binding, RosterPerson, SiteFence, SiteInfo};

/// Why a site's fence cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("工地围栏数据有误（{0}），请联系管理员检查围栏。")]
pub struct SiteFenceError(pub String);

/// The site's fence validated and indexed for checks.
pub fn prepare_fence(fence: &SiteFence) -> Result<PreparedFence, SiteFenceError> {
    let geojson: FenceGeoJson = serde_json::from_value(fence.geojson.clone())
        .map_err(|error| SiteFenceError(error.to_string()))?;
    let outline = geojson
        .into_outline()
        .map_err(|error| SiteFenceError(error.to_string()))?;
    let fence_shape = Fence::new(outline.polygons, &FenceLimits::default())
        .map_err(|error| SiteFenceError(error.to_string()))?;
    Ok(PreparedFence::new(&fence_shape, fence.max_accuracy_m))
}
