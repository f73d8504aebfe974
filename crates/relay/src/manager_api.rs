//! The site manager's API under `/v1/manager/` (bearer token from the configuration): sites,
//! fences, enrollment codes, phones, the audit log, the roster and MR860 logs.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rusqlite::params;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::api::RelayApi;
use super::api_error::{parse_body, ApiError};
use super::sites::{self, FenceRequest};
use super::{enroll, roster};
use zj_host::system_clock::now_ms;

/// `GET /v1/manager/sites`.
pub async fn sites(
    State(api): State<Arc<RelayApi>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    api.manager(&headers)?;
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
pub async fn create_site(
    State(api): State<Arc<RelayApi>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    api.manager(&headers)?;
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
pub async fn put_fence(
    State(api): State<Arc<RelayApi>>,
    headers: HeaderMap,
    Path(site_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    api.manager(&headers)?;
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
pub async fn get_fence(
    State(api): State<Arc<RelayApi>>,
    headers: HeaderMap,
    Path(site_id): Path<String>,
) -> Result<Response, ApiError> {
    api.manager(&headers)?;
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
    binding: String,
    person_id: Option<String>,
    ttl_minutes: Option<u32>,
}

/// `POST /v1/manager/sites/{siteId}/enrollments`.
pub async fn create_enrollment(
    State(api): State<Arc<RelayApi>>,
    headers: HeaderMap,
    Path(site_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    api.manager(&headers)?;
    let request: NewEnrollment = parse_body(&body)?;
    let ttl = request.ttl_minutes.unwrap_or(api.enroll_ttl_minutes);
    let created = (api.store)
        .run(move |tx| {
            let person = request.person_id.as_deref();
            enroll::create_code(tx, &site_id, &request.binding, person, ttl, now_ms())
        })
        .await??;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /v1/manager/sites/{siteId}/phones`.
pub async fn site_phones(
    State(api): State<Arc<RelayApi>>,
    headers: HeaderMap,
    Path(site_id): Path<String>,
) -> Result<Response, ApiError> {
    api.manager(&headers)?;
    let phones = (api.store)
        .run(move |tx| enroll::site_phones(tx, &site_id))
        .await?;
    Ok(Json(phones).into_response())
}

/// `POST /v1/manager/phones/{accessId}/revoke`.
pub async fn revoke(
    State(api): State<Arc<RelayApi>>,
    headers: HeaderMap,
    Path(access_id): Path<String>,
) -> Result<Response, ApiError> {
    api.manager(&headers)?;
    if !api.gateway.revoke_phone(&access_id).await? {
        return Err(ApiError::not_found(format_args!("手机 {access_id}")));
    }
    Ok(Json(json!({"accessId": access_id, "revoked": true})).into_response())
}

/// `GET /v1/manager/signins?siteId=&sinceMs=`: the audit log with each record's platform
/// result and the evidence the phone sent (fence verdict, location warnings, liveness).
pub async fn signins(
    State(api): State<Arc<RelayApi>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    api.manager(&headers)?;
    let site_id = query.get("siteId").cloned();
    let since_ms: i64 = match query.get("sinceMs") {
        Some(text) => {
            (text.parse()).map_err(|_| ApiError::bad_request("sinceMs 应为毫秒时间戳"))?
        }
        None => 0,
    };
    let records = (api.store)
        .run(move |tx| {
            let mut statement = tx.prepare(
                "SELECT a.access_id, a.record_id, a.phone_sn, a.platform_sn, a.person_id,
                        a.record_time, a.img_bytes, a.extras, a.received_ms,
                        l.state, l.errorcode, l.errormsg, s.site_id
                 FROM audit a
                 LEFT JOIN ledger l ON l.access_id = a.access_id AND l.record_id = a.record_id
                 LEFT JOIN phone_sites s ON s.access_id = a.access_id
                 WHERE (?1 IS NULL OR s.site_id = ?1) AND a.received_ms >= ?2
                 ORDER BY a.received_ms LIMIT 10000",
            )?;
            let rows = statement.query_map(params![site_id, since_ms], |row| {
                let mut record: Map<String, Value> =
                    serde_json::from_str(&row.get::<_, String>(7)?).unwrap_or_default();
                let state: Option<String> = row.get(9)?;
                let fields = [
                    ("accessId", json!(row.get::<_, String>(0)?)),
                    ("recordId", json!(row.get::<_, String>(1)?)),
                    ("phoneSn", json!(row.get::<_, String>(2)?)),
                    ("sn", json!(row.get::<_, String>(3)?)),
                    ("personId", json!(row.get::<_, String>(4)?)),
                    ("recordTime", json!(row.get::<_, i64>(5)?)),
                    ("imgBytes", json!(row.get::<_, i64>(6)?)),
                    ("receivedAtMs", json!(row.get::<_, i64>(8)?)),
                    ("siteId", json!(row.get::<_, Option<String>>(12)?)),
                    (
                        "platformResult",
                        json!({
                            "state": state,
                            "errorcode": row.get::<_, Option<String>>(10)?,
                            "errormsg": row.get::<_, Option<String>>(11)?,
                        }),
                    ),
                ];
                record.extend(fields.map(|(key, value)| (key.to_owned(), value)));
                Ok(Value::Object(record))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(Json(records).into_response())
}

/// `GET /v1/manager/roster?sn=`: the relay's roster of an sn.
pub async fn roster(
    State(api): State<Arc<RelayApi>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    api.manager(&headers)?;
    let sn = query
        .get("sn")
        .cloned()
        .ok_or_else(|| ApiError::bad_request("缺少 sn"))?;
    Ok(Json(roster::listing(&api.store, sn).await?).into_response())
}

/// `GET /v1/manager/mr860/logs?state=`: MR860 logs, newest first, without photos.
pub async fn mr860_logs(
    State(api): State<Arc<RelayApi>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    api.manager(&headers)?;
    let logs = api.mr860.logs(query.get("state").cloned()).await?;
    Ok(Json(logs).into_response())
}

/// `POST /v1/manager/mr860/retry`: resolves the waiting MR860 logs again.
pub async fn mr860_retry(
    State(api): State<Arc<RelayApi>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    api.manager(&headers)?;
    let ready = api.mr860.retry_waiting().await?;
    Ok(Json(json!({ "ready": ready })).into_response())
}
