//! The MR860 intake's HTTP handlers: the terminal's `{"code","message"}` reply, given only
//! once the log is durable.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tracing::warn;

use crate::http::api::RelayApi;
use crate::mr860::{parse, Intake};

fn reply(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

async fn intake(api: &RelayApi, intake: Intake, body: &[u8]) -> Response {
    let log = match parse(intake, body) {
        Ok(log) => log,
        Err(malformed) => {
            let message = format!("请求格式有误：{malformed}。请检查终端的上传设置。");
            return reply(StatusCode::BAD_REQUEST, "400", &message);
        }
    };
    match api.mr860.accept(log).await {
        Ok(state) => {
            let (code, message) = state.reply();
            reply(StatusCode::OK, code, message)
        }
        Err(error) => {
            warn!(%error, "MR860 log not stored; the terminal will send it again");
            reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500",
                "服务器暂时无法保存记录，请稍后重传",
            )
        }
    }
}

/// `POST /mr860/face`: a face attendance log (mode `"0"`).
pub(crate) async fn face(State(api): State<Arc<RelayApi>>, body: Bytes) -> Response {
    intake(&api, Intake::Face, &body).await
}

/// `POST /mr860/verify`: an ID verification or whitelist log (modes `"1"`, `"2"`).
pub(crate) async fn verify(State(api): State<Arc<RelayApi>>, body: Bytes) -> Response {
    intake(&api, Intake::Verify, &body).await
}

/// `POST /mr860/person`: an added-person record (mode `"3"`).
pub(crate) async fn person(State(api): State<Arc<RelayApi>>, body: Bytes) -> Response {
    intake(&api, Intake::Person, &body).await
}
