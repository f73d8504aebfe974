//! `POST /internal/v1/forward`: another relay of the cluster asks this one, the holder of an
//! sn's lease, to send a record on its platform session (see
//! [`platform::peer`](crate::platform::peer)). Only a request signed with the vendor secret
//! within the last [`MAX_AGE_MS`](crate::platform::peer::MAX_AGE_MS) is taken, and only
//! `C_SIGN_IN`: everything it carries was checked by the relay that admitted it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tracing::warn;

use super::error::ApiError;
use super::RelayHttp;
use crate::platform::peer::{PeerAnswer, PeerForward, SIGNATURE_HEADER, TIME_HEADER};
use zj_host::system_clock::now_ms;
use zj_protocol::Apicode;

/// Sends a peer's record on this relay's session and answers with the platform's answer.
pub(crate) async fn forward(
    State(http): State<Arc<RelayHttp>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let platform = http.gateway.platform();
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let time_ms = header(TIME_HEADER).and_then(|text| text.parse::<i64>().ok());
    let signed = match (time_ms, header(SIGNATURE_HEADER)) {
        (Some(time_ms), Some(signature)) => {
            platform.verifies_peer(time_ms, signature, &body, now_ms())
        }
        _ => false,
    };
    if !signed {
        warn!("a peer forward with a wrong or stale signature was refused");
        let message = "签名错误或已过期：各中继的厂商密钥与时钟须一致";
        return ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", message).into_response();
    }
    let Ok(request) = serde_json::from_slice::<PeerForward>(&body) else {
        let message = "请求格式错误：应为 {sn, apicode, param}";
        return ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message).into_response();
    };
    if request.apicode.parse::<Apicode>() != Ok(Apicode::CSignIn) {
        let message = "只转发 C_SIGN_IN";
        return ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message).into_response();
    }
    let result = (platform.forward_for_peer(&request.sn, Apicode::CSignIn, request.param)).await;
    Json(PeerAnswer::of(result)).into_response()
}
