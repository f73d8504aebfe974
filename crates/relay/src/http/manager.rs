//! The site manager's API under `/v1/manager/`: sites, fences, enrollment codes, phones, the
//! audit log, the roster and MR860 logs. Every handler checks the manager's sites first: another
//! site's things are "not found" and never listed (docs/PHONE_API.md, "Who sees what"); what
//! a manager changes is recorded in the log of manager actions.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::api::{Manager, SiteScope};
use crate::http::api::RelayApi;
use crate::http::error::{parse_body, ApiError};
use crate::phone::enroll;
use crate::sheet::AttendanceDays;
use crate::sites::{self, FenceRequest};
use crate::store::roster;
use crate::store::sites as store_sites;
use crate::store::Tx;
use crate::store::{audit_listing, manager_actions, phones, site_persons, StoreError};
use zj_host::system_clock::now_ms;
use zj_protocol::phone_api::Binding;

/// `GET /v1/manager/sites`: the sites this manager sees.
pub(crate) async fn sites(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
) -> Result<Response, ApiError> {
    let mut sites = api.store.run(sites::list).await?;
    sites.retain(|site| manager.sees(&site.site_id));
    Ok(Json(sites).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSite {
    name: String,
    sn: String,
}

/// `POST /v1/manager/sites` `{"name", "sn"}` (administrators only: a site manager's sites are
/// given to its account, so a site it made would be one it cannot see). Recorded as
/// `site.create`, and, when the sn's first site kept its roster, `roster.change` of that site.
pub(crate) async fn create_site(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    body: Bytes,
) -> Result<Response, ApiError> {
    manager.require_admin()?;
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
        .run(move |tx| {
            let (created, kept) = sites::create_sharing(tx, site.name.trim(), &site.sn)?;
            let now = now_ms();
            let by = manager.account.as_str();
            let detail = json!({"name": created.name, "sn": created.sn});
            let site_id = Some(created.site_id.as_str());
            manager_actions::record(tx, by, site_id, "site.create", detail, now)?;
            if let Some(kept) = kept {
                let detail =
                    json!({"added": kept.person_ids, "removed": [], "keptFor": created.site_id});
                manager_actions::record(tx, by, Some(&kept.site_id), "roster.change", detail, now)?;
            }
            Ok(created)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `PUT /v1/manager/sites/{siteId}/fence`, recorded as `fence.put` with the fence `before`
/// (null when none) and `after`, and the new `version`.
pub(crate) async fn put_fence(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    manager.site(&site_id)?;
    let request: FenceRequest = parse_body(&body)?;
    let crs = request.crs.clone();
    let fence = sites::validate(request)?;
    let stored = (api.store)
        .run(move |tx| {
            if sites::get(tx, &site_id)?.is_none() {
                return Ok(None);
            }
            let before = sites::current_fence(tx, &site_id)?;
            let after = sites::put_fence(tx, &site_id, &crs, fence)?;
            let detail =
                json!({"before": before, "after": after, "version": after.version, "crs": crs});
            let (by, at) = (manager.account.as_str(), after.updated_at_ms);
            manager_actions::record(tx, by, Some(&site_id), "fence.put", detail, at)?;
            Ok(Some(after))
        })
        .await?;
    let stored = stored.ok_or_else(|| ApiError::not_found("这个工地"))?;
    Ok(Json(stored).into_response())
}

/// `GET /v1/manager/sites/{siteId}/fence`: the site's current fence (as `PUT` answers it), or
/// `null` while it has none; the manager page shows it to be edited.
pub(crate) async fn get_fence(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
) -> Result<Response, ApiError> {
    manager.site(&site_id)?;
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
struct SiteSettings {
    day_start_hour: i64,
}

/// `PUT /v1/manager/sites/{siteId}/settings` `{"dayStartHour": 0..23}`: the hour (Beijing
/// time) the site's attendance days start at. Recorded as `site.settings` with `before` and
/// `after`; answers the site as listed.
pub(crate) async fn put_settings(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    manager.site(&site_id)?;
    let settings: SiteSettings = parse_body(&body)?;
    let days = AttendanceDays::new(settings.day_start_hour).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_start_hour",
            "dayStartHour 应为 0 到 23 的整数（北京时间几点开始算新的一天），请改正后重试。",
        )
    })?;
    let hour = days.start_hour();
    let site = (api.store)
        .run(move |tx| {
            let Some(before) = store_sites::set_day_start_hour(tx, &site_id, hour)? else {
                return Ok(None);
            };
            let detail = json!({"before": {"dayStartHour": before},
                                "after": {"dayStartHour": hour}});
            let by = manager.account.as_str();
            manager_actions::record(tx, by, Some(&site_id), "site.settings", detail, now_ms())?;
            sites::get(tx, &site_id)
        })
        .await?;
    let site = site.ok_or_else(|| ApiError::not_found("这个工地"))?;
    Ok(Json(site).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewEnrollment {
    binding: Binding,
    person_id: Option<String>,
    ttl_minutes: Option<u32>,
}

/// `POST /v1/manager/sites/{siteId}/enrollments`, recorded as `enrollment.create` (see
/// [`enroll::create_recorded_code`]).
pub(crate) async fn create_enrollment(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    manager.site(&site_id)?;
    let request: NewEnrollment = parse_body(&body)?;
    let ttl = enroll::lifetime(
        request.ttl_minutes,
        api.enroll_ttl_minutes,
        api.enroll_max_ttl_minutes,
    )?;
    let created = (api.store)
        .run(move |tx| {
            let (by, person) = (manager.account.as_str(), request.person_id.as_deref());
            let binding = request.binding;
            enroll::create_recorded_code(tx, by, &site_id, binding, person, ttl, now_ms())
        })
        .await??;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /v1/manager/sites/{siteId}/phones`.
pub(crate) async fn site_phones(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
) -> Result<Response, ApiError> {
    manager.site(&site_id)?;
    let phones = (api.store)
        .run(move |tx| enroll::site_phones(tx, &site_id))
        .await?;
    Ok(Json(phones).into_response())
}

/// `POST /v1/manager/phones/{accessId}/revoke`: a phone of a site this manager sees (a phone
/// configured by hand, with no site, administrators only); any other is "not found" and stays
/// as it is. The revocation and its `phone.revoke` record commit together.
pub(crate) async fn revoke(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(access_id): Path<String>,
) -> Result<Response, ApiError> {
    let id = access_id.clone();
    let revoked = (api.store)
        .run(move |tx| {
            let binding = enroll::phone_site(tx, &id)?;
            let visible = match &binding {
                Some(binding) => manager.sees(&binding.site_id),
                None => manager.scope == SiteScope::All,
            };
            if !visible || !phones::revoke(tx, &id)? {
                return Ok(false);
            }
            let site_id = binding.as_ref().map(|binding| binding.site_id.as_str());
            let detail = json!({"accessId": id, "binding": binding.as_ref().map(|b| b.binding),
                "personId": binding.as_ref().and_then(|b| b.person_id.as_deref())});
            let by = manager.account.as_str();
            manager_actions::record(tx, by, site_id, "phone.revoke", detail, now_ms())?;
            Ok(true)
        })
        .await?;
    if !revoked {
        return Err(ApiError::not_found(format_args!("手机 {access_id}")));
    }
    // Durable above; this refuses the phone's next frames at once (the store write it repeats
    // changes nothing).
    api.gateway.revoke_phone(&access_id).await?;
    Ok(Json(json!({"accessId": access_id, "revoked": true})).into_response())
}

/// `GET /v1/manager/signins?siteId=&sinceMs=`: the audit log with each record's platform
/// result and the evidence the phone sent (fence verdict, location warnings, liveness): of
/// `siteId` (which the manager must see), else of every site the manager sees (the records of
/// phones configured by hand, with no site, for administrators only).
pub(crate) async fn signins(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let sites = match (query.get("siteId"), &manager.scope) {
        (Some(site_id), _) => {
            manager.site(site_id)?;
            Some(vec![site_id.clone()])
        }
        (None, SiteScope::All) => None,
        (None, SiteScope::Sites(sites)) => Some(sites.clone()),
    };
    let since_ms: i64 = match query.get("sinceMs") {
        Some(text) => {
            (text.parse()).map_err(|_| ApiError::bad_request("sinceMs 应为毫秒时间戳"))?
        }
        None => 0,
    };
    let records = (api.store)
        .run_deferred(move |tx| sites_signins(tx, sites.as_deref(), since_ms))
        .await?;
    Ok(Json(records).into_response())
}

/// The audit log of these sites (`None`: all, and the phones with no site), oldest first.
fn sites_signins(
    tx: &Tx<'_>,
    sites: Option<&[String]>,
    since_ms: i64,
) -> Result<Vec<serde_json::Value>, StoreError> {
    let Some(sites) = sites else {
        return audit_listing(tx, None, since_ms);
    };
    let mut records = Vec::new();
    for site_id in sites {
        records.extend(audit_listing(tx, Some(site_id), since_ms)?);
    }
    records.sort_by_key(|record| record["receivedAtMs"].as_i64());
    Ok(records)
}

/// `GET /v1/manager/roster?sn=`: the relay's roster of an sn; for a site manager, only the
/// persons on the rosters of its sites of that sn (none of them: "not found").
pub(crate) async fn roster(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let sn = query
        .get("sn")
        .cloned()
        .ok_or_else(|| ApiError::bad_request("缺少 sn"))?;
    let mut listing = roster::listing(&api.store, sn.clone()).await?;
    if let SiteScope::Sites(site_ids) = manager.scope {
        let on_my_sites = (api.store)
            .run_deferred(move |tx| persons_of_sites(tx, &site_ids, &sn))
            .await?;
        let on_my_sites = on_my_sites.ok_or_else(|| ApiError::not_found("这个设备号"))?;
        listing.retain(|person| {
            (person["personId"].as_str()).is_some_and(|id| on_my_sites.contains(id))
        });
    }
    Ok(Json(listing).into_response())
}

/// The ids of the persons on the rosters of those of `site_ids` that go to platform sn `sn`;
/// `None` when none of them does.
fn persons_of_sites(
    tx: &Tx<'_>,
    site_ids: &[String],
    sn: &str,
) -> Result<Option<HashSet<String>>, StoreError> {
    let mut persons: Option<HashSet<String>> = None;
    for site_id in site_ids {
        let Some(site) = sites::get(tx, site_id)?.filter(|site| site.sn == sn) else {
            continue;
        };
        let on_site = site_persons::persons(tx, &site)?
            .into_iter()
            .map(|p| p.person_id);
        persons.get_or_insert_with(HashSet::new).extend(on_site);
    }
    Ok(persons)
}

/// `GET /v1/manager/mr860/logs?state=`: MR860 logs of the manager's sites' terminals, newest
/// first, without photos.
pub(crate) async fn mr860_logs(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let logs = api
        .mr860
        .logs(query.get("state").cloned(), manager.scope)
        .await?;
    Ok(Json(logs).into_response())
}

/// `POST /v1/manager/mr860/retry`: resolves the waiting MR860 logs again (administrators
/// only).
pub(crate) async fn mr860_retry(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
) -> Result<Response, ApiError> {
    manager.require_admin()?;
    let ready = api.mr860.retry_waiting().await?;
    Ok(Json(json!({ "ready": ready })).into_response())
}
