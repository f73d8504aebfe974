//! The site manager's API under `/v1/manager/` (bearer token from the configuration): sites,
//! fences, enrollment codes, phones, the audit log, the roster and MR860 logs.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::api::Manager;
use crate::http::api::RelayApi;
use crate::http::error::{parse_body, ApiError};
use crate::phone::enroll;
use crate::sites::{self, FenceRequest};
use crate::store::audit_listing;
use crate::store::roster;
use zj_host::system_clock::now_ms;
use zj_protocol::phone_api::Binding;

/// `GET /v1/manager/sites`.
pub(crate) async fn sites(
    State(api): State<Arc<RelayApi>>,
    _: Manager,
) -> Result<Response, ApiError> {
    let sites = api.store.run(sites::list).await?;
    Ok(Json(sites).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSite {
    name: String,
    sn: String,
}

/// `POST /v1/manager/sites` `{"name", "sn"}`.
pub(crate) async fn create_site(
    State(api): State<Arc<RelayApi>>,
    _: Manager,
    body: Bytes,
) -> Result<Response, ApiError> {
    let site: NewSite = parse_body(&body)?;
    if site.name.trim().is_empty() {
        return Err(ApiError::bad_request("name 不能为空"));
    }
    if !api.sns.contains(&site.sn) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "sn_unknown",
            format!("中继不服务设备号 {}，请填写配置中的设备号之一", site.sn),
        ));
    }
    let created = (api.store)
        .run(move |tx| sites::create(tx, site.name.trim(), &site.sn))
        .await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `PUT /v1/manager/sites/{siteId}/fence`.
pub(crate) async fn put_fence(
    State(api): State<Arc<RelayApi>>,
    _: Manager,
    Path(site_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: FenceRequest = parse_body(&body)?;
    let crs = request.crs.clone();
    let fence = sites::validate(request)?;
    let stored = (api.store)
        .run(move |tx| match sites::get(tx, &site_id)? {
            None => Ok(None),
            Some(_) => sites::put_fence(tx, &site_id, &crs, fence).map(Some),
        })
        .await?;
    let stored = stored.ok_or_else(|| ApiError::not_found("这个工地"))?;
    Ok(Json(stored).into_response())
}

/// `GET /v1/manager/sites/{siteId}/fence`: the site's current fence (as `PUT` answers it), or
/// `null` while it has none; the manager page shows it to be edited.
pub(crate) async fn get_fence(
    State(api): State<Arc<RelayApi>>,
    _: Manager,
    Path(site_id): Path<String>,
) -> Result<Response, ApiError> {
    let fence = (api.store)
        .run(move |tx| match sites::get(tx, &site_id)? {
            None => Ok(None),
            Some(_) => sites::current_fence(tx, &site_id).map(Some),
        })
        .await?;
    let fence = fence.ok_or_else(|| ApiError::not_found("这个工地"))?;
    Ok(Json(fence).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewEnrollment {
    binding: Binding,
    person_id: Option<String>,
    ttl_minutes: Option<u32>,
}

/// `POST /v1/manager/sites/{siteId}/enrollments`.
pub(crate) async fn create_enrollment(
    State(api): State<Arc<RelayApi>>,
    _: Manager,
    Path(site_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: NewEnrollment = parse_body(&body)?;
    let ttl = enroll::lifetime(
        request.ttl_minutes,
        api.enroll_ttl_minutes,
        api.enroll_max_ttl_minutes,
    )?;
    let created = (api.store)
        .run(move |tx| {
            let person = request.person_id.as_deref();
            enroll::create_code(tx, &site_id, request.binding, person, ttl, now_ms())
        })
        .await??;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /v1/manager/sites/{siteId}/phones`.
pub(crate) async fn site_phones(
    State(api): State<Arc<RelayApi>>,
    _: Manager,
    Path(site_id): Path<String>,
) -> Result<Response, ApiError> {
    let phones = (api.store)
        .run(move |tx| enroll::site_phones(tx, &site_id))
        .await?;
    Ok(Json(phones).into_response())
}

/// `POST /v1/manager/phones/{accessId}/revoke`.
pub(crate) async fn revoke(
    State(api): State<Arc<RelayApi>>,
    _: Manager,
    Path(access_id): Path<String>,
) -> Result<Response, ApiError> {
    if !api.gateway.revoke_phone(&access_id).await? {
        return Err(ApiError::not_found(format_args!("手机 {access_id}")));
    }
    Ok(Json(json!({"accessId": access_id, "revoked": true})).into_response())
}

/// `GET /v1/manager/signins?siteId=&sinceMs=`: the audit log with each record's platform
/// result and the evidence the phone sent (fence verdict, location warnings, liveness).
pub(crate) async fn signins(
    State(api): State<Arc<RelayApi>>,
    _: Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site_id = query.get("siteId").cloned();
    let since_ms: i64 = match query.get("sinceMs") {
        Some(text) => {
            (text.parse()).map_err(|_| ApiError::bad_request("sinceMs 应为毫秒时间戳"))?
        }
        None => 0,
    };
    let records = (api.store)
        .run(move |tx| audit_listing(tx, site_id.as_deref(), since_ms))
        .await?;
    Ok(Json(records).into_response())
}

/// `GET /v1/manager/roster?sn=`: the relay's roster of an sn.
pub(crate) async fn roster(
    State(api): State<Arc<RelayApi>>,
    _: Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let sn = query
        .get("sn")
        .cloned()
        .ok_or_else(|| ApiError::bad_request("缺少 sn"))?;
    Ok(Json(roster::listing(&api.store, sn).await?).into_response())
}

/// `GET /v1/manager/mr860/logs?state=`: MR860 logs, newest first, without photos.
pub(crate) async fn mr860_logs(
    State(api): State<Arc<RelayApi>>,
    _: Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let logs = api.mr860.logs(query.get("state").cloned()).await?;
    Ok(Json(logs).into_response())
}

/// `POST /v1/manager/mr860/retry`: resolves the waiting MR860 logs again.
pub(crate) async fn mr860_retry(
    State(api): State<Arc<RelayApi>>,
    _: Manager,
) -> Result<Response, ApiError> {
    let ready = api.mr860.retry_waiting().await?;
    Ok(Json(json!({ "ready": ready })).into_response())
}
