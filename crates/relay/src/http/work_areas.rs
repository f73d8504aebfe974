//! A site's approved work areas over HTTP: `GET|PUT /v1/manager/sites/{siteId}/work-areas`.
//! The polygons are validated by the fence's own code ([`sites::validate`], WGS-84); each
//! change is a new version, recorded in the log of manager actions (`work_areas`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::api::{Manager, RelayApi};
use crate::http::error::{parse_body, ApiError};
use crate::sites::{self, FenceRefusal, FenceRequest, MAX_ACCURACY_CAP_M};
use crate::store::{manager_actions, work_areas};
use zj_host::system_clock::now_ms;

/// `PUT /v1/manager/sites/{siteId}/work-areas` body. `version` and `updatedAtMs`, when a page
/// sends back what it got, are not read: the relay sets them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorkAreasBody {
    /// A Polygon, MultiPolygon, Feature or FeatureCollection, WGS-84.
    geojson: Value,
    /// Approve requests made inside them without a manager.
    auto_approve: bool,
}

/// 400 `work_areas_invalid`: the polygons cannot be work areas, saying why (and where, in
/// `detail`, as for a fence).
fn work_areas_invalid(refusal: FenceRefusal) -> ApiError {
    let why = match &refusal {
        FenceRefusal::Invalid(error) => format!("{}。请修改后重新提交。", error.message_zh()),
        FenceRefusal::NotGeoJson(problem) | FenceRefusal::GeoJson(problem) => {
            format!("不是可用的 GeoJSON（{problem}）。请提交 WGS-84 的 Polygon 或 MultiPolygon。")
        }
        other => format!("{other}。"),
    };
    let detail = ApiError::from(refusal).detail;
    let error = ApiError::new(
        StatusCode::BAD_REQUEST,
        "work_areas_invalid",
        format!("作业区无效：{why}"),
    );
    match detail {
        Some(detail) => error.with_detail(detail),
        None => error,
    }
}

/// Checks work areas as a fence is checked and returns them as stored: a Feature with a WGS-84
/// MultiPolygon, no properties.
fn validate(geojson: Value) -> Result<Value, ApiError> {
    let request = FenceRequest {
        crs: "wgs84".into(),
        max_accuracy_m: Some(MAX_ACCURACY_CAP_M),
        uncertain_policy: "reject".into(),
        geojson,
    };
    let mut valid = sites::validate(request)
        .map_err(work_areas_invalid)?
        .geojson;
    valid["properties"] = json!({});
    Ok(valid)
}

/// `PUT /v1/manager/sites/{siteId}/work-areas` `{"geojson", "autoApprove"}`: the site's next
/// version, recorded as `work_areas` with the areas `before` (null when none) and `after`.
pub(crate) async fn put(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    manager.site(&site_id)?;
    let body: WorkAreasBody = parse_body(&body)?;
    let geojson = validate(body.geojson)?;
    let stored = (api.store)
        .run(move |tx| {
            if sites::get(tx, &site_id)?.is_none() {
                return Ok(None);
            }
            let before = work_areas::current(tx, &site_id)?;
            let (by, now) = (manager.account.as_str(), now_ms());
            let after = work_areas::put(tx, &site_id, geojson, body.auto_approve, by, now)?;
            let detail = json!({"before": before, "after": after, "version": after.version});
            manager_actions::record(tx, by, Some(&site_id), "work_areas", detail, now)?;
            Ok(Some(after))
        })
        .await?;
    let stored = stored.ok_or_else(|| ApiError::not_found("这个工地"))?;
    Ok(Json(stored).into_response())
}

/// `GET /v1/manager/sites/{siteId}/work-areas`: the site's work areas in force; `not_found`
/// while it has none.
pub(crate) async fn get(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
) -> Result<Response, ApiError> {
    manager.site(&site_id)?;
    let areas = (api.store)
        .run_deferred(move |tx| work_areas::current(tx, &site_id))
        .await?;
    let areas = areas.ok_or_else(|| ApiError::not_found("这个工地的作业区"))?;
    Ok(Json(areas).into_response())
}
