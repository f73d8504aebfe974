//! The manager API of MR860 terminals: a site's terminals, adding one (its key issued and
//! shown once, in its three upload URLs), rotating a key (the old one stops working at once)
//! and a terminal's address allow-list. Each is scoped to the manager's sites (another site's
//! terminal is "not found") and written to the manager-action log.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{Manager, RelayApi};
use super::client::Client;
use super::error::{parse_body, ApiError};
use crate::keys::token_hash as key_hash;
use crate::mr860::terminals::{new_key, parse_networks, upload_urls};
use crate::store::terminals::{self, Origin, TerminalRow};
use crate::store::{manager_actions, sites};
use zj_host::system_clock::now_ms;

/// Stands for the key in listed upload URLs: only its hash is kept, so it is shown once.
const KEY_PLACEHOLDER: &str = "<密钥>";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewTerminal {
    device_id: String,
    #[serde(default)]
    allow_from: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AllowFrom {
    allow_from: Vec<String>,
}

/// `http(s)://host` of the request, as the manager's browser reached the relay: the base of
/// the upload URLs a terminal is given.
fn base_url(headers: &HeaderMap, client: Client) -> Result<String, ApiError> {
    let host = (headers.get(header::HOST).and_then(|v| v.to_str().ok())).unwrap_or_default();
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']');
    if host.is_empty() || !host.chars().all(plain) {
        return Err(ApiError::bad_request("请求缺少有效的 Host"));
    }
    let scheme = if client.https { "https" } else { "http" };
    Ok(format!("{scheme}://{host}"))
}

/// A terminal as the API shows it; `key` fills its upload URLs when just issued.
fn shown(terminal: &TerminalRow, base: &str, key: Option<&str>) -> Value {
    let mut shown = json!({
        "deviceId": terminal.device_id,
        "siteId": terminal.site_id,
        "allowFrom": terminal.allow_from,
        "configured": terminal.origin == Origin::Config,
        "createdAtMs": terminal.created_ms,
        "rotatedAtMs": terminal.rotated_ms,
        "urls": upload_urls(base, key.unwrap_or(KEY_PLACEHOLDER)),
    });
    if let Some(key) = key {
        shown["key"] = json!(key);
    }
    shown
}

/// Networks from a request, each as `ipnet` writes it; `bad_request` naming the first that
/// is not an address or network.
fn networks(texts: &[String]) -> Result<Vec<String>, ApiError> {
    let nets = parse_networks(texts).map_err(|bad| {
        ApiError::bad_request(format_args!(
            "“{bad}”不是网络地址，请写成 192.168.1.20 或 192.168.1.0/24 的形式"
        ))
    })?;
    Ok(nets.iter().map(ToString::to_string).collect())
}

/// Whether `device_id` can be a terminal's `deviceId`: 1–64 letters, digits, `-`, `_`, `.`.
fn valid_device_id(device_id: &str) -> bool {
    (1..=64).contains(&device_id.len())
        && (device_id.chars()).all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The terminal `device_id` if this manager sees its site; else `not_found`.
async fn seen_terminal(
    api: &RelayApi,
    manager: &Manager,
    device_id: String,
) -> Result<TerminalRow, ApiError> {
    let found = (api.store)
        .run_deferred(move |tx| terminals::get(tx, &device_id))
        .await?;
    match found {
        Some(terminal) if manager.sees(&terminal.site_id) => Ok(terminal),
        _ => Err(ApiError::not_found("这台终端")),
    }
}

/// A configured terminal's key and allow-list are changed in the configuration file.
fn refuse_configured(terminal: &TerminalRow) -> Result<(), ApiError> {
    if terminal.origin == Origin::Config {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "terminal_configured",
            "这台终端写在中继的配置文件中，请在配置文件（[[mr860]]）中修改它的密钥或允许的地址。",
        ));
    }
    Ok(())
}

/// `GET /v1/manager/sites/{siteId}/terminals`: the site's terminals, their upload URLs with
/// the key left out (it is shown once, when issued).
pub(crate) async fn list(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    client: Client,
    headers: HeaderMap,
    Path(site_id): Path<String>,
) -> Result<Response, ApiError> {
    manager.site(&site_id)?;
    let base = base_url(&headers, client)?;
    let (site, rows) = (api.store)
        .run_deferred(move |tx| Ok((sites::get(tx, &site_id)?, terminals::of_site(tx, &site_id)?)))
        .await?;
    site.ok_or_else(|| ApiError::not_found("这个工地"))?;
    let listed: Vec<Value> = rows.iter().map(|row| shown(row, &base, None)).collect();
    Ok(Json(listed).into_response())
}

/// `POST /v1/manager/sites/{siteId}/terminals` `{"deviceId", "allowFrom"?: [...]}`: adds a
/// terminal to the site and answers it with its new key and full upload URLs (201), shown
/// this once.
pub(crate) async fn add(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    client: Client,
    headers: HeaderMap,
    Path(site_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    manager.site(&site_id)?;
    let base = base_url(&headers, client)?;
    let request: NewTerminal = parse_body(&body)?;
    let device_id = request.device_id.trim().to_owned();
    if !valid_device_id(&device_id) {
        return Err(ApiError::bad_request(
            "终端编号（deviceId）应为 1 到 64 个字母、数字、“-”、“_”或“.”，与终端设置中的一致",
        ));
    }
    let allow_from = networks(&request.allow_from)?;
    let key = new_key();
    let now = now_ms();
    let row = TerminalRow {
        device_id,
        site_id,
        key_hash: key_hash(&key),
        allow_from,
        origin: Origin::Manager,
        created_ms: now,
        rotated_ms: now,
    };
    let account = manager.account.clone();
    let added = row.clone();
    let outcome = (api.store)
        .run(move |tx| {
            if sites::get(tx, &added.site_id)?.is_none() {
                return Ok(Err(ApiError::not_found("这个工地")));
            }
            if terminals::get(tx, &added.device_id)?.is_some() {
                return Ok(Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "terminal_exists",
                    "这个终端编号已经登记过了（可能在别的工地）。请核对终端编号，或联系管理员。",
                )));
            }
            terminals::put(tx, &added)?;
            let detail = json!({"deviceId": added.device_id, "allowFrom": added.allow_from});
            let site = Some(added.site_id.as_str());
            manager_actions::record(tx, &account, site, "terminal.add", detail, now)?;
            Ok(Ok(()))
        })
        .await?;
    outcome?;
    Ok((StatusCode::CREATED, Json(shown(&row, &base, Some(&key)))).into_response())
}

/// `POST /v1/manager/terminals/{deviceId}/rotate`: a new key for the terminal (the old one
/// stops working with this answer), answered with its full upload URLs, shown this once.
pub(crate) async fn rotate(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    client: Client,
    headers: HeaderMap,
    Path(device_id): Path<String>,
) -> Result<Response, ApiError> {
    let mut terminal = seen_terminal(&api, &manager, device_id).await?;
    refuse_configured(&terminal)?;
    let base = base_url(&headers, client)?;
    let key = new_key();
    let now = now_ms();
    terminal.key_hash = key_hash(&key);
    terminal.rotated_ms = now;
    let (account, rotated) = (manager.account.clone(), terminal.clone());
    (api.store)
        .run(move |tx| {
            terminals::set_key(tx, &rotated.device_id, &rotated.key_hash, now)?;
            let detail = json!({"deviceId": rotated.device_id});
            let site = Some(rotated.site_id.as_str());
            manager_actions::record(tx, &account, site, "terminal.rotate", detail, now)
        })
        .await?;
    Ok(Json(shown(&terminal, &base, Some(&key))).into_response())
}

/// `PUT /v1/manager/terminals/{deviceId}/allow-from` `{"allowFrom": [...]}`: the addresses
/// or networks the terminal may send from (empty: any).
pub(crate) async fn set_allow_from(
    State(api): State<Arc<RelayApi>>,
    manager: Manager,
    client: Client,
    headers: HeaderMap,
    Path(device_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut terminal = seen_terminal(&api, &manager, device_id).await?;
    refuse_configured(&terminal)?;
    let base = base_url(&headers, client)?;
    let request: AllowFrom = parse_body(&body)?;
    let before = std::mem::replace(&mut terminal.allow_from, networks(&request.allow_from)?);
    let (account, changed) = (manager.account.clone(), terminal.clone());
    (api.store)
        .run(move |tx| {
            terminals::set_allow_from(tx, &changed.device_id, &changed.allow_from)?;
            let detail = json!({
                "deviceId": changed.device_id,
                "before": before,
                "after": changed.allow_from,
            });
            let site = Some(changed.site_id.as_str());
            manager_actions::record(tx, &account, site, "terminal.allow_from", detail, now_ms())
        })
        .await?;
    Ok(Json(shown(&terminal, &base, None)).into_response())
}
