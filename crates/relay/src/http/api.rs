//! The phone and manager HTTP API beyond the protocol leg (docs/PHONE_API.md) and the MR860
//! intake: what their handlers share, and their routes.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::routing::{delete, get, post, put};
use axum::Router;

use super::manager_roster;
use super::sheet;
use super::{account_changes, manager_login};
use super::{manager as manager_api, manager_accounts, mr860 as mr860_http, phone as phone_api};
use crate::config::Secret;
use crate::http::client::Client;
use crate::http::error::ApiError;
use crate::http::failures::Attempt;
use crate::http::manager_login::ManagerAuth;
use crate::keys::{same_secret, token_hash};
use crate::mr860::Mr860;
use crate::phone::gateway::Gateway;
use crate::store::accounts;
use crate::store::{Phone, Store};

/// What the handlers share.
pub(crate) struct RelayApi {
    /// The phone gateway (phones, tokens).
    pub gateway: Arc<Gateway>,
    /// The store.
    pub store: Store,
    /// The manager's bearer token; `None` closes the manager API.
    pub manager_token: Option<Secret>,
    /// The MR860 intake.
    pub mr860: Mr860,
    /// Minutes an enrollment code lasts when the manager gives none.
    pub enroll_ttl_minutes: u32,
    /// The platform sns the relay serves (a site must go to one of them).
    pub sns: Vec<String>,
    /// Longest lifetime of an enrollment code, minutes.
    pub enroll_max_ttl_minutes: u32,
    /// Managers' sessions and the limits on failed logins, tokens and codes.
    pub auth: ManagerAuth,
}

/// The bearer token of a request, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    value.strip_prefix("Bearer ").map(str::trim)
}

/// Which sites a manager may see and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SiteScope {
    /// Every site, and the accounts: an administrator.
    All,
    /// Only these sites (by `siteId`): a site manager.
    Sites(Vec<String>),
}

impl SiteScope {
    /// The sites as the store's queries take them (a JSON array's text, for
    /// `json_each`); `None` for every site.
    pub(crate) fn sites_json(&self) -> Option<String> {
        match self {
            SiteScope::All => None,
            SiteScope::Sites(sites) => Some(serde_json::Value::from(sites.clone()).to_string()),
        }
    }
}

/// A request of a site manager or administrator: extracting it authenticates the request
/// (`unauthorized` otherwise), so a handler that takes one cannot forget to; its scope says
/// which sites it may see. Another site's things are answered "not found", never "forbidden",
/// so a manager cannot learn what exists elsewhere.
#[derive(Debug, Clone)]
pub(crate) struct Manager {
    /// The account's name (for the audit log of manager actions).
    pub account: String,
    /// The sites it may see.
    pub scope: SiteScope,
}

impl Manager {
    /// Whether this manager may see and change site `site_id`.
    pub(crate) fn sees(&self, site_id: &str) -> bool {
        match &self.scope {
            SiteScope::All => true,
            SiteScope::Sites(sites) => sites.iter().any(|site| site == site_id),
        }
    }

    /// `Ok` for an administrator; `forbidden` for a site manager.
    pub(crate) fn require_admin(&self) -> Result<(), ApiError> {
        match self.scope {
            SiteScope::All => Ok(()),
            SiteScope::Sites(_) => Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "forbidden",
                "只有管理员可以这样做，请联系管理员。",
            )),
        }
    }

    /// `Ok` when this manager sees `site_id`, else `not_found` (the site is not named).
    pub(crate) fn site(&self, site_id: &str) -> Result<(), ApiError> {
        if self.sees(site_id) {
            Ok(())
        } else {
            Err(ApiError::not_found("这个工地"))
        }
    }
}

impl FromRequestParts<Arc<RelayApi>> for Manager {
    type Rejection = ApiError;

    /// A bearer token, else the page's session cookie (see [`manager_login`]). The configured
    /// `[manager] token` is the first administrator's (`admin`); any other token is looked up
    /// among the accounts by its hash. Wrong tokens count as failures of the client's address
    /// (429 once it is locked, even for the right token).
    async fn from_request_parts(parts: &mut Parts, api: &Arc<RelayApi>) -> Result<Self, ApiError> {
        let Ok(client) = Client::from_request_parts(parts, api).await;
        let Some(given) = bearer(&parts.headers) else {
            let session = manager_login::session_cookie(&parts.headers);
            let session = session.ok_or_else(ApiError::unauthorized)?;
            return manager_login::session_manager(api, &parts.method, &parts.headers, session)
                .await;
        };
        // Counted before it is judged (see `http::phone::enroll`).
        let failures = &api.auth.failures;
        failures.reserve(&api.store, client.ip, None).await?;
        match token_manager(api, given).await {
            Ok(Some(manager)) => {
                failures
                    .reserved_withdrawn(&api.store, client.ip, None)
                    .await;
                Ok(manager)
            }
            Ok(None) => {
                failures.reserved_failed(&api.store, Attempt::ManagerToken, client.ip, None);
                Err(ApiError::unauthorized())
            }
            Err(error) => {
                failures
                    .reserved_withdrawn(&api.store, client.ip, None)
                    .await;
                Err(error)
            }
        }
    }
}

/// The manager whose bearer token is `given`, if any.
async fn token_manager(api: &RelayApi, given: &str) -> Result<Option<Manager>, ApiError> {
    if let Some(expected) = &api.manager_token {
        if same_secret(given, expected.expose()) {
            return Ok(Some(Manager {
                account: CONFIGURED_ADMIN.into(),
                scope: SiteScope::All,
            }));
        }
    }
    let hash = token_hash(given);
    let account = (api.store)
        .run_deferred(move |tx| accounts::by_token_hash(tx, &hash))
        .await?;
    Ok(account.map(|account| Manager {
        scope: account.scope(),
        account: account.name,
    }))
}

/// The account name of the configured `[manager] token`.
pub(crate) const CONFIGURED_ADMIN: &str = "admin";

/// A request of an enrolled phone: the phone its relay token belongs to (`unauthorized`
/// without a live token, `revoked` for a revoked phone).
pub(crate) struct PhoneCaller(pub Phone);

impl FromRequestParts<Arc<RelayApi>> for PhoneCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<RelayApi>) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        let phone =
            (api.gateway.phone_of_token(token).await?).ok_or_else(ApiError::unauthorized)?;
        if phone.revoked {
            return Err(ApiError::revoked());
        }
        Ok(PhoneCaller(phone))
    }
}

/// The routes of the phone API, the manager API and the MR860 intake.
pub(crate) fn router(api: Arc<RelayApi>) -> Router {
    Router::new()
        .route("/v1/enroll", post(phone_api::enroll))
        .route("/v1/site", get(phone_api::site))
        .route("/v1/challenge", post(phone_api::challenge))
        .route(
            "/v1/manager/sites",
            get(manager_api::sites).post(manager_api::create_site),
        )
        .route(
            "/v1/manager/sites/{site_id}/fence",
            get(manager_api::get_fence).put(manager_api::put_fence),
        )
        .route(
            "/v1/manager/sites/{site_id}/enrollments",
            post(manager_api::create_enrollment),
        )
        .route(
            "/v1/manager/sites/{site_id}/phones",
            get(manager_api::site_phones),
        )
        .route(
            "/v1/manager/phones/{access_id}/revoke",
            post(manager_api::revoke),
        )
        .route(
            "/v1/manager/sites/{site_id}/settings",
            put(manager_api::put_settings),
        )
        .route("/v1/manager/sites/{site_id}/sheet", get(sheet::sheet_json))
        .route(
            "/v1/manager/sites/{site_id}/sheet.csv",
            get(sheet::sheet_csv),
        )
        .route(
            "/v1/manager/sites/{site_id}/sheet.xlsx",
            get(sheet::sheet_xlsx),
        )
        .route(
            "/v1/manager/sites/{site_id}/punches",
            get(sheet::punches_json),
        )
        .route(
            "/v1/manager/sites/{site_id}/punches.csv",
            get(sheet::punches_csv),
        )
        .route(
            "/v1/manager/sites/{site_id}/punches.xlsx",
            get(sheet::punches_xlsx),
        )
        .route("/v1/manager/punch", get(sheet::punch_detail))
        .route("/v1/manager/signins", get(manager_api::signins))
        .route("/v1/manager/roster", get(manager_api::roster))
        .route("/v1/manager/mr860/logs", get(manager_api::mr860_logs))
        .route("/v1/manager/mr860/retry", post(manager_api::mr860_retry))
        .route(
            "/v1/manager/accounts",
            get(manager_accounts::list).post(manager_accounts::create),
        )
        .route("/v1/manager/actions", get(manager_accounts::actions))
        .route("/v1/manager/login", post(manager_login::login))
        .route("/v1/manager/logout", post(manager_login::logout))
        .route("/v1/manager/session", get(manager_login::session))
        .route(
            "/v1/manager/accounts/{name}",
            delete(account_changes::delete_account),
        )
        .route(
            "/v1/manager/accounts/{name}/password",
            put(account_changes::set_password),
        )
        .route(
            "/v1/manager/accounts/{name}/token",
            post(account_changes::rotate_token),
        )
        .route(
            "/v1/manager/accounts/{name}/sites",
            put(account_changes::set_sites),
        )
        .route(
            "/v1/manager/sites/{site_id}/roster",
            get(manager_roster::get)
                .post(manager_roster::post)
                .put(manager_roster::put),
        )
        .route(
            "/v1/manager/sites/{site_id}/terminals",
            get(super::terminals::list).post(super::terminals::add),
        )
        .route(
            "/v1/manager/terminals/{device_id}/rotate",
            post(super::terminals::rotate),
        )
        .route(
            "/v1/manager/terminals/{device_id}/allow-from",
            put(super::terminals::set_allow_from),
        )
        .route("/v1/requests", get(super::requests::phone_list))
        .route("/v1/manager/requests", get(super::requests::manager_list))
        .route(
            "/v1/manager/requests/{id}/photo",
            get(super::requests::photo),
        )
        .route(
            "/v1/manager/requests/{id}/decision",
            post(super::requests::decide),
        )
        .route(
            "/v1/manager/sites/{site_id}/work-areas",
            get(super::work_areas::get).put(super::work_areas::put),
        )
        .route("/mr860/{key}/face", post(mr860_http::face))
        .route("/mr860/{key}/verify", post(mr860_http::verify))
        .route("/mr860/{key}/person", post(mr860_http::person))
        .with_state(api)
}
