//! A site's roster under `/v1/manager/sites/{siteId}/roster`: which of its platform sn's persons
//! are on the site (what its team phones may clock in, see [`site_persons`]), and assigning
//! them. Each change is recorded in the log of manager actions as `roster.change`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::Manager;
use crate::http::api::RelayApi;
use crate::http::error::{parse_body, ApiError};
use crate::sites::{self, Site};
use crate::store::Tx;
use crate::store::{manager_actions, roster, site_persons, StoreError};
use zj_host::system_clock::now_ms;

/// `POST` body: persons to put on the site and to take off it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RosterChange {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

/// `PUT` body: exactly the persons the site's roster is to hold.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RosterSet {
    person_ids: Vec<String>,
}

/// `GET /v1/manager/sites/{siteId}/roster`: `{"siteId", "sn", "shared", "persons": [{"personId",
/// "name", "hasFace", "source", "onSite"}]}`; `shared` is whether the sn has other sites (else
/// every person of the sn is on this one).
pub(crate) async fn get(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
) -> Result<Response, ApiError> {
    manager.site(&site_id)?;
    let view = (api.store)
        .run_deferred(move |tx| match sites::get(tx, &site_id)? {
            Some(site) => view(tx, &site).map(Some),
            None => Ok(None),
        })
        .await?;
    let view = view.ok_or_else(|| ApiError::not_found("这个工地"))?;
    Ok(Json(view).into_response())
}

/// `POST /v1/manager/sites/{siteId}/roster` `{"add": [personId…], "remove": [personId…]}`:
/// answers the roster as `GET` does.
pub(crate) async fn post(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let change: RosterChange = parse_body(&body)?;
    change_roster(&api, manager, site_id, move |_| change).await
}

/// `PUT /v1/manager/sites/{siteId}/roster` `{"personIds": [personId…]}`: the site's roster
/// becomes exactly these persons; answers it as `GET` does.
pub(crate) async fn put(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(site_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let wanted: RosterSet = parse_body(&body)?;
    change_roster(&api, manager, site_id, move |held| RosterChange {
        add: (wanted.person_ids.iter())
            .filter(|id| !held.contains(id))
            .cloned()
            .collect(),
        remove: (held.iter())
            .filter(|id| !wanted.person_ids.contains(id))
            .cloned()
            .collect(),
    })
    .await
}

/// Applies the change `plan` makes of the persons assigned now to a site the manager sees, in
/// one transaction with its `roster.change` record (none when nothing changed). Refused while
/// the sn has only this site (`roster_not_shared`: everyone is on it) and when a person to add
/// is not on the sn's roster (`person_unknown`, nothing changed).
async fn change_roster(
    api: &RelayApi,
    manager: Manager,
    site_id: String,
    plan: impl FnOnce(&[String]) -> RosterChange + Send + 'static,
) -> Result<Response, ApiError> {
    manager.site(&site_id)?;
    let changed = (api.store)
        .run(move |tx| {
            let Some(site) = sites::get(tx, &site_id)? else {
                return Ok(Err(ApiError::not_found("这个工地")));
            };
            if !site_persons::shared(tx, &site.sn)? {
                return Ok(Err(not_shared()));
            }
            let change = plan(&site_persons::assigned(tx, &site.site_id)?);
            let mut unknown = Vec::new();
            for person_id in &change.add {
                if roster::summary(tx, &site.sn, person_id)?.is_none() {
                    unknown.push(person_id.clone());
                }
            }
            if !unknown.is_empty() {
                return Ok(Err(person_unknown(unknown)));
            }
            let added = site_persons::assign(tx, &site.site_id, &change.add)?;
            let removed = site_persons::unassign(tx, &site.site_id, &change.remove)?;
            if !(added.is_empty() && removed.is_empty()) {
                let detail = json!({"added": added, "removed": removed});
                let (by, site_id) = (manager.account.as_str(), Some(site.site_id.as_str()));
                manager_actions::record(tx, by, site_id, "roster.change", detail, now_ms())?;
            }
            view(tx, &site).map(Ok)
        })
        .await?;
    Ok(Json(changed?).into_response())
}

/// The roster of `site` as `GET` answers it.
fn view(tx: &Tx<'_>, site: &Site) -> Result<Value, StoreError> {
    Ok(json!({
        "siteId": site.site_id,
        "sn": site.sn,
        "shared": site_persons::shared(tx, &site.sn)?,
        "persons": site_persons::listing(tx, site)?,
    }))
}

/// 409 `roster_not_shared`: the sn has this one site, which holds every person.
fn not_shared() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "roster_not_shared",
        "这个设备号只有这一个工地，所有人员都在它的花名册上，无需分配。有第二个工地后再分配人员。",
    )
}

/// 422 `person_unknown`: persons to add who are not on the sn's roster (listed in `detail`).
fn person_unknown(person_ids: Vec<String>) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "person_unknown",
        format!(
            "人员 {} 不在这个设备号的花名册上，请先在平台下发人员后再分配。",
            person_ids.join("、")
        ),
    )
    .with_detail(json!({ "personIds": person_ids }))
}
