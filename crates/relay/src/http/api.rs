//! The phone and manager HTTP API beyond the protocol leg (docs/PHONE_API.md) and the MR860
//! intake: what their handlers share, and their routes.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;

use super::{manager as manager_api, mr860 as mr860_http, phone as phone_api};
use crate::config::Secret;
use crate::http::error::ApiError;
use crate::mr860::Mr860;
use crate::phone::gateway::Gateway;
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
}

/// The bearer token of a request, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    value.strip_prefix("Bearer ").map(str::trim)
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && (given.bytes().zip(expected.bytes())).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// A request of the site manager: extracting it checks the bearer token (`unauthorized`
/// otherwise), so a handler that takes one cannot forget to.
pub(crate) struct Manager;

impl FromRequestParts<Arc<RelayApi>> for Manager {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<RelayApi>) -> Result<Self, ApiError> {
        match (bearer(&parts.headers), &api.manager_token) {
            (Some(given), Some(expected)) if same_secret(given, expected.expose()) => Ok(Manager),
            _ => Err(ApiError::unauthorized()),
        }
    }
}

/// A request of an enrolled phone: the phone its relay token belongs to (`unauthorized`
/// without a live token, `revoked` for a revoked phone).
pub(crate) struct PhoneCaller(pub Phone);

impl FromRequestParts<Arc<RelayApi>> for PhoneCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<RelayApi>) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        let phone = (api.gateway.phone_of_token(token)).ok_or_else(ApiError::unauthorized)?;
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
        .route("/v1/manager/signins", get(manager_api::signins))
        .route("/v1/manager/roster", get(manager_api::roster))
        .route("/v1/manager/mr860/logs", get(manager_api::mr860_logs))
        .route("/v1/manager/mr860/retry", post(manager_api::mr860_retry))
        .route("/mr860/face", post(mr860_http::face))
        .route("/mr860/verify", post(mr860_http::verify))
        .route("/mr860/person", post(mr860_http::person))
        .with_state(api)
}
