//! The phone's site, binding and fence as the relay describes them (`GET /v1/site`,
//! docs/PHONE_API.md), and the fence prepared for checks.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::UncertainPolicy;
use zj_geofence::{Fence, FenceGeoJson, FenceLimits, PreparedFence};

/// A worker on the site's roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterPerson {
    /// The platform's person id.
    pub person_id: String,
    /// The worker's name.
    pub name: String,
}

/// Whose phone this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Binding {
    /// One worker's own phone.
    Personal,
    /// A foreman's phone: the holder picks the worker from the roster.
    Team,
}

/// The site's current fence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteFence {
    /// Increases with every change.
    pub version: u64,
    /// When it was last changed, epoch milliseconds.
    pub updated_at_ms: i64,
    /// Fixes less accurate than this are refused, metres.
    pub max_accuracy_m: f64,
    /// What an uncertain verdict means on this site.
    pub uncertain_policy: UncertainPolicy,
    /// The fence, WGS-84 GeoJSON (Feature, Polygon or MultiPolygon).
    pub geojson: Value,
}

/// What `GET /v1/site` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteInfo {
    /// The site's id.
    pub site_id: String,
    /// Its name, for the page.
    pub name: String,
    /// Personal or team phone.
    pub binding: Binding,
    /// The worker a personal phone belongs to.
    #[serde(default)]
    pub person: Option<RosterPerson>,
    /// The roster a team phone picks from.
    #[serde(default)]
    pub persons: Vec<RosterPerson>,
    /// The current fence; `None` while the site has none.
    #[serde(default)]
    pub fence: Option<SiteFence>,
}

/// Why a site's fence cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("工地围栏数据有误（{0}），请联系管理员检查围栏。")]
pub struct SiteFenceError(pub String);

impl SiteFence {
    /// The fence validated and indexed for checks.
    pub fn prepare(&self) -> Result<PreparedFence, SiteFenceError> {
        let geojson: FenceGeoJson = serde_json::from_value(self.geojson.clone())
            .map_err(|error| SiteFenceError(error.to_string()))?;
        let outline = geojson
            .into_outline()
            .map_err(|error| SiteFenceError(error.to_string()))?;
        let fence = Fence::new(outline.polygons, &FenceLimits::default())
            .map_err(|error| SiteFenceError(error.to_string()))?;
        Ok(PreparedFence::new(&fence, self.max_accuracy_m))
    }
}
