//! Changes to manager accounts after they are made: a password changed by its account (with
//! the current one) or reset by an administrator, a token rotated, a site manager's sites
//! changed, an account deleted. Each is written to the manager-action log (never a secret).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::api::{Manager, RelayApi};
use super::client::Client;
use super::error::{parse_body, ApiError};
use super::failures::Attempt;
use super::manager_accounts::hash_password;
use super::manager_login::session_hash;
use super::password_gate;
use crate::keys::{random_hex, token_hash};
use crate::sites;
use crate::store::accounts::{self, Role};
use crate::store::{manager_actions, sessions};
use zj_host::system_clock::now_ms;

/// `Ok` when `manager` may change account `name`: its own, or any as an administrator.
fn own_or_admin(manager: &Manager, name: &str) -> Result<(), ApiError> {
    if manager.account == name {
        Ok(())
    } else {
        manager.require_admin()
    }
}

/// No such account.
fn no_account(name: &str) -> ApiError {
    ApiError::not_found(format_args!("账号 {name}"))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PasswordChange {
    password: String,
    current_password: Option<String>,
}

/// `PUT /v1/manager/accounts/{name}/password` `{"password", "currentPassword"?}`: an account
/// changes its own password with its current one (the session that does it goes on, its
/// other sessions end); an administrator resets another's without it (all its sessions end).
/// A wrong current password counts as a failed login.
pub(crate) async fn set_password(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    client: Client,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    own_or_admin(&manager, &name)?;
    let request: PasswordChange = parse_body(&body)?;
    let own = manager.account == name;
    if own {
        check_current(&api, client, &name, request.current_password).await?;
    }
    let new_hash = hash_password(request.password).await?;
    let keep = if own { session_hash(&headers) } else { None };
    let by = manager.account;
    let target = name.clone();
    let changed = (api.store)
        .run(move |tx| {
            let now = now_ms();
            if !accounts::set_password(tx, &target, &new_hash, now)? {
                return Ok(false);
            }
            sessions::end_all(tx, &target, keep.as_deref())?;
            let detail = json!({"name": target, "reset": !own});
            manager_actions::record(tx, &by, None, "account.password", detail, now)?;
            Ok(true)
        })
        .await?;
    if !changed {
        return Err(no_account(&name));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `Ok` when `current` is account `name`'s password (or it has none yet); else 403
/// `password_wrong`, counted as a failed login of the address and the account.
async fn check_current(
    api: &RelayApi,
    client: Client,
    name: &str,
    current: Option<String>,
) -> Result<(), ApiError> {
    let failures = &api.auth.failures;
    failures.reserve(&api.store, client.ip, Some(name)).await?;
    let matches = match current_matches(api, name, current).await {
        Ok(matches) => matches,
        Err(error) => {
            (failures.reserved_withdrawn(&api.store, client.ip, Some(name))).await;
            return Err(error);
        }
    };
    if matches {
        (failures.reserved_withdrawn(&api.store, client.ip, Some(name))).await;
        return Ok(());
    }
    failures.reserved_failed(&api.store, Attempt::Password, client.ip, Some(name));
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "password_wrong",
        "当前密码不对，请重新输入当前密码。",
    ))
}

/// Whether `current` is account `name`'s password (true when it has none yet); `busy` when
/// too many passwords are being checked at once.
async fn current_matches(
    api: &RelayApi,
    name: &str,
    current: Option<String>,
) -> Result<bool, ApiError> {
    let owner = name.to_owned();
    let phc = (api.store)
        .run_deferred(move |tx| accounts::password_hash(tx, &owner))
        .await?;
    match phc {
        Some(phc) => password_gate::verify(current.unwrap_or_default(), Some(phc)).await,
        None => Ok(true),
    }
}

/// `POST /v1/manager/accounts/{name}/token`: a new API token for the account (its own, or any
/// as an administrator), shown once; the old one stops working.
pub(crate) async fn rotate_token(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    own_or_admin(&manager, &name)?;
    let token = random_hex(24);
    let hash = token_hash(&token);
    let by = manager.account;
    let target = name.clone();
    let rotated = (api.store)
        .run(move |tx| {
            let now = now_ms();
            if !accounts::set_token_hash(tx, &target, &hash, now)? {
                return Ok(false);
            }
            let detail = json!({"name": target});
            manager_actions::record(tx, &by, None, "account.token", detail, now)?;
            Ok(true)
        })
        .await?;
    if !rotated {
        return Err(no_account(&name));
    }
    Ok(Json(json!({"name": name, "token": token})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SitesChange {
    sites: Vec<String>,
}

/// `PUT /v1/manager/accounts/{name}/sites` `{"sites": [siteId…]}` (administrators only): the
/// sites a site manager sees from its next request on; answers the account.
pub(crate) async fn set_sites(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    manager.require_admin()?;
    let request: SitesChange = parse_body(&body)?;
    let by = manager.account;
    let changed = (api.store)
        .run(move |tx| {
            let Some(before) = accounts::get(tx, &name)? else {
                return Ok(Err(no_account(&name)));
            };
            if before.role == Role::Admin {
                return Ok(Err(ApiError::bad_request(
                    "管理员账号能看到所有工地，不需要指定工地",
                )));
            }
            for site_id in &request.sites {
                if sites::get(tx, site_id)?.is_none() {
                    return Ok(Err(ApiError::not_found(format_args!("工地 {site_id}"))));
                }
            }
            accounts::set_sites(tx, &name, &request.sites)?;
            let detail = json!({"name": name, "before": before.sites, "after": request.sites});
            manager_actions::record(tx, &by, None, "account.sites", detail, now_ms())?;
            Ok(accounts::get(tx, &name)?.ok_or_else(|| no_account(&name)))
        })
        .await?;
    Ok(Json(changed?).into_response())
}

/// `DELETE /v1/manager/accounts/{name}` (administrators only, not their own): the account, its
/// sites and sessions go; its token stops working.
pub(crate) async fn delete_account(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    manager.require_admin()?;
    if manager.account == name {
        return Err(ApiError::bad_request("不能删除自己正在使用的账号"));
    }
    let by = manager.account;
    let target = name.clone();
    let deleted = (api.store)
        .run(move |tx| {
            if !accounts::delete(tx, &target)? {
                return Ok(false);
            }
            let detail = json!({"name": target});
            manager_actions::record(tx, &by, None, "account.delete", detail, now_ms())?;
            Ok(true)
        })
        .await?;
    if !deleted {
        return Err(no_account(&name));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
