//! The phone's API beyond the protocol leg: `POST /v1/enroll`, `GET /v1/site`,
//! `POST /v1/challenge` (docs/PHONE_API.md).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::http::api::{PhoneCaller, RelayApi};
use crate::http::client::Client;
use crate::http::error::{parse_body, ApiError};
use crate::http::failures::Attempt;
use crate::phone::challenge;
use crate::phone::enroll::{self};
use crate::sites::{self};
use crate::store::StoreError;
use zj_host::system_clock::now_ms;
use zj_protocol::phone_api::{EnrollRequest, Enrollment, PhoneCredentials};

/// `POST /v1/enroll`. Refused codes count as failures of the client's address (429 once it
/// is locked, even for a good code).
pub(crate) async fn enroll(
    State(api): State<Arc<RelayApi>>,
    client: Client,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: EnrollRequest = parse_body(&body)?;
    let code = enroll::normalise_code(&request.code);
    // Counted before it is judged, so codes guessed all at once (at any relay) are limited as
    // if guessed one after another.
    let failures = &api.auth.failures;
    failures.reserve(&api.store, client.ip, None).await?;
    let redeemed = (api.store)
        .run(move |tx| {
            let (phone, site) = match enroll::redeem(tx, &code, now_ms())? {
                Ok(redeemed) => redeemed,
                Err(refused) => return Ok(Err(refused)),
            };
            let binding = enroll::phone_site(tx, &phone.access_id)?
                .ok_or_else(|| StoreError::new("the binding just written is missing"))?;
            let (view, _) = sites::phone_view(tx, &site, &binding)?;
            Ok(Ok((phone, view)))
        })
        .await;
    let (phone, view) = match redeemed {
        Ok(Ok(redeemed)) => {
            failures
                .reserved_withdrawn(&api.store, client.ip, None)
                .await;
            redeemed
        }
        Ok(Err(refused)) => {
            failures.reserved_failed(&api.store, Attempt::EnrollCode, client.ip, None);
            return Err(ApiError::from(refused));
        }
        Err(error) => {
            failures
                .reserved_withdrawn(&api.store, client.ip, None)
                .await;
            return Err(ApiError::from(error));
        }
    };
    api.gateway.add_phone(phone.clone());
    let enrollment = Enrollment {
        phone: PhoneCredentials {
            sn: phone.sn,
            access_id: phone.access_id,
            access_key: phone.access_key,
            access_secret: phone.access_secret,
        },
        site: view,
    };
    Ok(Json(enrollment).into_response())
}

/// `GET /v1/site`: with `If-None-Match` equal to the fence version's `ETag`, 304.
pub(crate) async fn site(
    State(api): State<Arc<RelayApi>>,
    PhoneCaller(phone): PhoneCaller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let viewed = (api.store)
        .run(move |tx| {
            let Some(binding) = enroll::phone_site(tx, &phone.access_id)? else {
                return Ok(None);
            };
            let Some(site) = sites::get(tx, &binding.site_id)? else {
                return Ok(None);
            };
            sites::phone_view(tx, &site, &binding).map(Some)
        })
        .await?;
    let (view, version) = viewed.ok_or_else(|| ApiError::not_found("这台手机登记的工地"))?;
    let etag = format!("\"{}\"", version.unwrap_or(0));
    let unchanged = (headers.get(header::IF_NONE_MATCH))
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim() == etag);
    let etag_header = [(header::ETAG, etag)];
    if unchanged {
        return Ok((StatusCode::NOT_MODIFIED, etag_header).into_response());
    }
    Ok((etag_header, Json(view)).into_response())
}

/// `POST /v1/challenge`.
pub(crate) async fn challenge(
    State(api): State<Arc<RelayApi>>,
    PhoneCaller(phone): PhoneCaller,
) -> Result<Response, ApiError> {
    let issued = (api.store)
        .run(move |tx| challenge::issue(tx, &phone.access_id, now_ms()))
        .await?;
    Ok(Json(issued).into_response())
}
