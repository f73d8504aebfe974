//! The MR860 intake's HTTP handlers (`/mr860/{key}/face`, `/verify`, `/person`): the terminal
//! is known by the key in the URL, then held to its addresses and its `deviceId`; every answer
//! is the terminal's `{"code","message"}`, a log's `"200"` given only once it is durable.
//! Nothing is stored for a request refused before its log is accepted.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tracing::warn;

use crate::http::api::RelayApi;
use crate::http::client::Client;
use crate::mr860::terminals::{authenticate, Terminal};
use crate::mr860::{parse, Accepted, Intake};
use crate::store::StoreError;

fn reply(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

fn store_failed(error: StoreError) -> Response {
    warn!(%error, "MR860 log not stored; the terminal will send it again");
    reply(
        StatusCode::INTERNAL_SERVER_ERROR,
        "500",
        "服务器暂时无法保存记录，请稍后重传",
    )
}

/// The terminal a request's key names and whether it may send from where it is; the refusal
/// to answer otherwise.
async fn admit(api: &RelayApi, key: String, client: Client) -> Result<Terminal, Response> {
    let found = (api.store)
        .run_deferred(move |tx| authenticate(tx, &key))
        .await
        .map_err(store_failed)?;
    let Some(terminal) = found else {
        warn!(ip = %client.ip, "MR860 upload with an unknown key refused");
        return Err(reply(
            StatusCode::UNAUTHORIZED,
            "401",
            "上传地址中的终端密钥不正确或已作废：请在管理页面查看本终端的上传地址，\
             重新填写到终端设置中",
        ));
    };
    if !terminal.allows(client.ip) {
        warn!(ip = %client.ip, device = %terminal.device_id, "MR860 upload from an address not allowed");
        return Err(reply(
            StatusCode::FORBIDDEN,
            "403",
            "本终端不允许从这个网络地址上传：请检查终端的网络，或请管理员在管理页面修改允许的地址",
        ));
    }
    Ok(terminal)
}

async fn intake(
    api: &RelayApi,
    intake: Intake,
    key: String,
    client: Client,
    body: &[u8],
) -> Response {
    let terminal = match admit(api, key, client).await {
        Ok(terminal) => terminal,
        Err(refusal) => return refusal,
    };
    let log = match parse(intake, body) {
        Ok(log) => log,
        Err(malformed) => {
            let message = format!("请求格式有误：{malformed}。请检查终端的上传设置。");
            return reply(StatusCode::BAD_REQUEST, "400", &message);
        }
    };
    if log.device_id != terminal.device_id {
        warn!(device = %terminal.device_id, claimed = %log.device_id, "MR860 deviceId not the key's");
        let message = format!(
            "deviceId {} 与上传地址中的密钥不符（该密钥属于终端 {}）：请检查终端设置中的上传地址",
            log.device_id, terminal.device_id
        );
        return reply(StatusCode::FORBIDDEN, "403", &message);
    }
    let Some(sn) = terminal.sn else {
        let message = format!(
            "本终端所属的工地 {} 不存在，记录未保存：请管理员先创建该工地，终端稍后重传即可",
            terminal.site_id
        );
        return reply(StatusCode::SERVICE_UNAVAILABLE, "503", &message);
    };
    match api.mr860.accept(log, terminal.site_id, sn).await {
        Ok(Accepted::Kept(state)) => {
            let (code, message) = state.reply();
            reply(StatusCode::OK, code, message)
        }
        Ok(Accepted::Full(bound)) => {
            warn!(device = %terminal.device_id, ?bound, "MR860 log refused: the kept logs' bound is reached");
            reply(StatusCode::SERVICE_UNAVAILABLE, "503", bound.message())
        }
        Err(error) => store_failed(error),
    }
}

/// `POST /mr860/{key}/face`: a face attendance log (mode `"0"`).
pub(crate) async fn face(
    State(api): State<Arc<RelayApi>>,
    Path(key): Path<String>,
    client: Client,
    body: Bytes,
) -> Response {
    intake(&api, Intake::Face, key, client, &body).await
}

/// `POST /mr860/{key}/verify`: an ID verification or whitelist log (modes `"1"`, `"2"`).
pub(crate) async fn verify(
    State(api): State<Arc<RelayApi>>,
    Path(key): Path<String>,
    client: Client,
    body: Bytes,
) -> Response {
    intake(&api, Intake::Verify, key, client, &body).await
}

/// `POST /mr860/{key}/person`: an added-person record (mode `"3"`).
pub(crate) async fn person(
    State(api): State<Arc<RelayApi>>,
    Path(key): Path<String>,
    client: Client,
    body: Bytes,
) -> Response {
    intake(&api, Intake::Person, key, client, &body).await
}
