//! Manager accounts (`/v1/manager/accounts`, administrators only) and the log of manager
//! actions (`/v1/manager/actions`, each manager the entries of their own sites).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::api::{Manager, CONFIGURED_ADMIN};
use super::password_gate;
use crate::http::api::RelayApi;
use crate::http::error::{parse_body, ApiError};
use crate::keys::{random_hex, token_hash};
use crate::passwords;
use crate::sites;
use crate::store::accounts::{self, Account, Role};
use crate::store::manager_actions;
use zj_host::system_clock::now_ms;

/// Most entries `GET /v1/manager/actions` answers.
const MAX_ACTIONS: u32 = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    name: String,
    role: Role,
    #[serde(default)]
    sites: Vec<String>,
    /// For the page's login; without one the account works with its token only.
    password: Option<String>,
}

/// Whether `name` may name an account: 1–32 letters, digits, `-`, `_` or `.`.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.chars().count())
        && (name.chars()).all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `GET /v1/manager/accounts`: every account (administrators only).
pub(crate) async fn list(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
) -> Result<Response, ApiError> {
    manager.require_admin()?;
    let accounts = api.store.run_deferred(accounts::list).await?;
    Ok(Json(accounts).into_response())
}

/// `POST /v1/manager/accounts` `{"name", "role": "admin"|"site", "sites": [siteId…],
/// "password"?}` (administrators only): creates the account (with a password for the page's
/// login, when given) and answers it with its API token, shown once.
pub(crate) async fn create(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    body: Bytes,
) -> Result<Response, ApiError> {
    manager.require_admin()?;
    let request: NewAccount = parse_body(&body)?;
    if !valid_name(&request.name) || request.name == CONFIGURED_ADMIN {
        return Err(ApiError::bad_request(
            "name 应为 1–32 个字母、数字或 - _ .，且不能是 admin",
        ));
    }
    let password_hash = match request.password {
        Some(password) => Some(hash_password(password).await?),
        None => None,
    };
    let account = Account {
        name: request.name,
        role: request.role,
        sites: match request.role {
            Role::Admin => Vec::new(),
            Role::Site => request.sites,
        },
    };
    let token = random_hex(24);
    let hash = token_hash(&token);
    let by = manager.account;
    let shown = account.clone();
    let created = (api.store)
        .run(move |tx| {
            for site_id in &account.sites {
                if sites::get(tx, site_id)?.is_none() {
                    return Ok(Err(ApiError::not_found(format_args!("工地 {site_id}"))));
                }
            }
            let now = now_ms();
            if !accounts::create(tx, &account, &hash, now)? {
                return Ok(Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "account_exists",
                    format!("已有名为 {} 的账号，请换一个名字。", account.name),
                )));
            }
            if let Some(password_hash) = &password_hash {
                accounts::set_password(tx, &account.name, password_hash, now)?;
            }
            let detail = json!({"name": account.name, "role": account.role,
                "sites": account.sites, "password": password_hash.is_some()});
            manager_actions::record(tx, &by, None, "account.create", detail, now)?;
            Ok(Ok(()))
        })
        .await?;
    created?;
    let mut reply = serde_json::to_value(&shown).unwrap_or_default();
    reply["token"] = json!(token);
    Ok((StatusCode::CREATED, Json(reply)).into_response())
}

/// `GET /v1/manager/actions`: the newest manager actions this manager may see, newest first.
pub(crate) async fn actions(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = match query.get("limit") {
        Some(text) => (text.parse::<u32>())
            .map_err(|_| ApiError::bad_request("limit 应为正整数"))?
            .min(MAX_ACTIONS),
        None => MAX_ACTIONS,
    };
    let scope = manager.scope;
    let actions = (api.store)
        .run_deferred(move |tx| manager_actions::listing(tx, &scope, limit))
        .await?;
    Ok(Json(actions).into_response())
}

/// The argon2id hash of a new `password` (off the async threads: it takes tens of ms), or
/// `bad_request` saying why the password is refused (too short or too long), or `busy`.
pub(crate) async fn hash_password(password: String) -> Result<String, ApiError> {
    if let Some(why) = passwords::refusal(&password) {
        return Err(ApiError::bad_request(why));
    }
    password_gate::hash(password).await
}
