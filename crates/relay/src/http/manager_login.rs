//! Managers' page sessions: `POST /v1/manager/login` (name and password) sets a session cookie
//! (`HttpOnly`, `SameSite=Strict`, `Path=/`, `Secure` when the client came over HTTPS) and
//! answers the session's CSRF token; `GET /v1/manager/session` says who is logged in (and the
//! CSRF token again, for a reloaded page); `POST /v1/manager/logout` ends it. A write with the
//! cookie must carry the CSRF token in `X-CSRF-Token`; a bearer token needs none (a browser
//! never sends one by itself). The session id is random (256 bits) and kept only hashed; the
//! CSRF token is derived from it, so it is kept nowhere.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{bearer, Manager, RelayApi, SiteScope, CONFIGURED_ADMIN};
use super::client::Client;
use super::error::{parse_body, ApiError};
use super::failures::{Attempt, Failures};
use super::manager_accounts::valid_name;
use super::password_gate;
use crate::config::ManagerConfig;
use crate::keys::{random_hex, same_secret, token_hash};
use crate::store::{accounts, sessions};
use zj_host::system_clock::now_ms;

/// The session cookie's name.
const COOKIE: &str = "zj_manager_session";
/// The header a cookie-authenticated write carries its CSRF token in.
const CSRF_HEADER: &str = "x-csrf-token";

/// How managers are authenticated: the failure counters and the session lifetimes.
pub(crate) struct ManagerAuth {
    /// Failed logins, tokens and enrollment codes.
    pub failures: Failures,
    /// A session unused this long ends.
    idle: Duration,
    /// A session ends this long after its login.
    lifetime: Duration,
}

impl ManagerAuth {
    /// As `[manager]` says.
    pub(crate) fn new(config: &ManagerConfig) -> Self {
        Self {
            failures: Failures::new(config),
            idle: Duration::from_secs(u64::from(config.session_idle_minutes) * 60),
            lifetime: Duration::from_secs(u64::from(config.session_max_hours) * 3600),
        }
    }
}

/// The session id the request's cookie carries, if any.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    (headers.get_all(header::COOKIE).iter())
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

/// The hash of the request's session (what the store keeps), when it came by cookie rather
/// than bearer token.
pub(crate) fn session_hash(headers: &HeaderMap) -> Option<String> {
    match bearer(headers) {
        Some(_) => None,
        None => session_cookie(headers).map(token_hash),
    }
}

/// The CSRF token of session `session_id`.
fn csrf_token(session_id: &str) -> String {
    token_hash(&format!("csrf:{session_id}"))
}

/// The manager of the session `session_id` (`unauthorized` when it ended); a write must
/// carry the session's CSRF token (`csrf_failed`).
pub(crate) async fn session_manager(
    api: &RelayApi,
    method: &Method,
    headers: &HeaderMap,
    session_id: &str,
) -> Result<Manager, ApiError> {
    let id_hash = token_hash(session_id);
    let idle_ms = api.auth.idle.as_millis() as i64;
    let account = (api.store)
        .run_deferred(
            move |tx| match sessions::live(tx, &id_hash, now_ms(), idle_ms)? {
                Some(name) => accounts::get(tx, &name),
                None => Ok(None),
            },
        )
        .await?;
    let account = account.ok_or_else(ApiError::unauthorized)?;
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let given = (headers.get(CSRF_HEADER)).and_then(|value| value.to_str().ok());
    if !safe && !given.is_some_and(|given| same_secret(given, &csrf_token(session_id))) {
        return Err(ApiError::csrf_failed());
    }
    Ok(Manager {
        scope: account.scope(),
        account: account.name,
    })
}

/// Who a manager is, as the login and `GET /v1/manager/session` answer it.
fn who(manager: &Manager, csrf: Option<String>) -> Value {
    let (role, sites) = match &manager.scope {
        SiteScope::All => ("admin", Vec::new()),
        SiteScope::Sites(sites) => ("site", sites.clone()),
    };
    json!({"name": manager.account, "role": role, "sites": sites, "csrfToken": csrf})
}

/// The session cookie: `value` for `max_age_secs` (0 clears it).
fn cookie(value: &str, max_age_secs: u64, client: Client) -> HeaderValue {
    let secure = if client.https { "; Secure" } else { "" };
    let text = format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    );
    HeaderValue::from_str(&text).expect("hex and ASCII attributes make a valid header")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    name: String,
    password: String,
}

/// `POST /v1/manager/login` `{"name", "password"}` (`Content-Type: application/json`): a
/// session (cookie) and its CSRF token.
/// Refused with 429 while the address or the account is locked by failures, even with the
/// right password (each attempt is counted before its password is checked, so attempts sent
/// at once are limited too), and with 503 `busy` when too many passwords are being checked.
pub(crate) async fn login(
    State(api): State<Arc<RelayApi>>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // A form on another site can post text/plain but not JSON: no login made by another page.
    let json = (headers.get(header::CONTENT_TYPE))
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("application/json"));
    if !json {
        return Err(ApiError::bad_request("Content-Type 应为 application/json"));
    }
    let request: Login = parse_body(&body)?;
    // An over-long name is no account's: counted by address only, so it cannot bloat the map.
    let name = valid_name(&request.name).then_some(request.name.as_str());
    let failures = &api.auth.failures;
    failures.reserve(&api.store, client.ip, name).await?;
    let matches = match password_matches(&api, name, request.password).await {
        Ok(matches) => matches,
        Err(error) => {
            failures
                .reserved_withdrawn(&api.store, client.ip, name)
                .await;
            return Err(error);
        }
    };
    let Some(name) = name.filter(|_| matches) else {
        failures.reserved_failed(&api.store, Attempt::Password, client.ip, name);
        return Err(ApiError::login_failed());
    };
    failures
        .reserved_succeeded(&api.store, client.ip, name)
        .await;
    let session_id = random_hex(32);
    let id_hash = token_hash(&session_id);
    let now = now_ms();
    let expires_ms = now + api.auth.lifetime.as_millis() as i64;
    let owner = name.to_owned();
    let account = (api.store)
        .run(move |tx| {
            sessions::create(tx, &id_hash, &owner, now, expires_ms)?;
            accounts::get(tx, &owner)
        })
        .await?;
    let account = account.ok_or_else(ApiError::login_failed)?;
    let manager = Manager {
        scope: account.scope(),
        account: account.name,
    };
    let mut reply = who(&manager, Some(csrf_token(&session_id)));
    reply["expiresAtMs"] = json!(expires_ms);
    reply["idleMinutes"] = json!(api.auth.idle.as_secs() / 60);
    let set = cookie(&session_id, api.auth.lifetime.as_secs(), client);
    Ok(([(header::SET_COOKIE, set)], Json(reply)).into_response())
}

/// Whether `password` is that of account `name` (false with no such name, after as long a
/// check); `busy` when too many passwords are being checked at once.
async fn password_matches(
    api: &RelayApi,
    name: Option<&str>,
    password: String,
) -> Result<bool, ApiError> {
    let phc = match name {
        Some(name) if name != CONFIGURED_ADMIN => {
            let name = name.to_owned();
            (api.store)
                .run_deferred(move |tx| accounts::password_hash(tx, &name))
                .await?
        }
        _ => None,
    };
    password_gate::verify(password, phc).await
}

/// `GET /v1/manager/session`: who is logged in (by cookie or token), their role and sites,
/// and, for a session, its CSRF token.
pub(crate) async fn session(manager: Manager, headers: HeaderMap) -> Json<Value> {
    let csrf = session_hash(&headers)
        .and(session_cookie(&headers))
        .map(csrf_token);
    Json(who(&manager, csrf))
}

/// `POST /v1/manager/logout`: ends the session of the cookie and clears it (a bearer token
/// has nothing to end).
pub(crate) async fn logout(
    State(api): State<Arc<RelayApi>>,
    _: Manager,
    client: Client,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(id_hash) = session_hash(&headers) {
        (api.store)
            .run(move |tx| sessions::end(tx, &id_hash))
            .await?;
    }
    let clear = cookie("", 0, client);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}
