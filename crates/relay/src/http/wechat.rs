//! `GET /v1/wechat/jsapi-config?url=…`: the `wx.config` arguments for one of the relay's own
//! pages (docs/PHONE_API.md), signed by [`crate::wechat`]. Only pages of the relay's own host
//! (the request's `Host`) or of `[wechat] page_hosts` are signed; without a `[wechat]` section
//! the answer is 404 `wechat_not_configured`, and the page falls back to the browser's location.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use reqwest::Url;
use serde::Deserialize;
use serde_json::json;

use crate::http::client::Client;
use crate::http::error::ApiError;
use crate::wechat::{JsapiConfig, Wechat, WechatError};

/// The WeChat side of the edge: the signer when configured, and the other hosts it signs for.
#[derive(Default)]
pub(crate) struct WechatPages {
    /// The official account's signer; `None` without a `[wechat]` section.
    pub signer: Option<Wechat>,
    /// `[wechat] page_hosts`, lower case.
    pub page_hosts: Vec<String>,
}

/// The route.
pub(crate) fn router(pages: Arc<WechatPages>) -> Router {
    Router::new()
        .route("/v1/wechat/jsapi-config", get(jsapi_config))
        .with_state(pages)
}

/// The query: the page's URL (`location.href`).
#[derive(Deserialize)]
struct PageUrl {
    url: Option<String>,
}

/// `GET /v1/wechat/jsapi-config?url=…`.
async fn jsapi_config(
    State(pages): State<Arc<WechatPages>>,
    client: Client,
    headers: HeaderMap,
    Query(query): Query<PageUrl>,
) -> Result<Json<JsapiConfig>, ApiError> {
    let signer = pages.signer.as_ref().ok_or_else(not_configured)?;
    let url = query
        .url
        .ok_or_else(|| ApiError::bad_request("缺少 url 参数（当前页面的地址）"))?;
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    check_own_page(&url, host, client.https, &pages.page_hosts)?;
    let now = zj_host::system_clock::now_ms() / 1000;
    Ok(Json(signer.config_for(&url, now).await.map_err(refusal)?))
}

/// 404 `wechat_not_configured`.
fn not_configured() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "wechat_not_configured",
        "本中继没有配置微信公众号，页面将使用手机浏览器的定位。",
    )
}

/// `Ok` when `url` is an http(s) page of the request's `host` (reached over HTTPS when
/// `https`) or of one of `page_hosts`; 400 `wechat_url_refused` otherwise.
fn check_own_page(
    url: &str,
    host: Option<&str>,
    https: bool,
    page_hosts: &[String],
) -> Result<(), ApiError> {
    let refused = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "wechat_url_refused",
            "只能为本站的页面生成微信签名，请从本站打开考勤页面。",
        )
    };
    let page = Url::parse(url).map_err(|_| refused())?;
    if !matches!(page.scheme(), "http" | "https") {
        return Err(refused());
    }
    let page_authority = authority(&page).ok_or_else(refused)?;
    let scheme = if https { "https" } else { "http" };
    let own = (host.map(|host| format!("{scheme}://{host}/")))
        .and_then(|own| Url::parse(&own).ok())
        .and_then(|own| authority(&own));
    if own.as_deref() == Some(page_authority.as_str()) || page_hosts.contains(&page_authority) {
        Ok(())
    } else {
        Err(refused())
    }
}

/// `host` or `host:port` (the port only when not the scheme's default), lower case.
fn authority(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// WeChat's refusals as the API's: a stable code and what to do, WeChat's `errcode` in the
/// detail.
fn refusal(error: WechatError) -> ApiError {
    let WechatError::Refused { code, .. } = error else {
        return ApiError::new(
            StatusCode::BAD_GATEWAY,
            "wechat_unreachable",
            "暂时连不上微信服务器，页面将使用手机浏览器的定位；请稍后重试。",
        );
    };
    let (status, stable, message) = match code {
        -1 => (
            StatusCode::SERVICE_UNAVAILABLE,
            "wechat_busy",
            "微信服务器繁忙，请稍后重试。",
        ),
        40164 => (
            StatusCode::BAD_GATEWAY,
            "wechat_ip_not_whitelisted",
            "中继服务器的 IP 不在公众号的 IP 白名单里：请管理员在微信公众平台“基本配置”中加入它。",
        ),
        40001 | 40013 | 40014 | 40125 | 41004 | 42001 => (
            StatusCode::BAD_GATEWAY,
            "wechat_credentials",
            "微信不接受中继配置的公众号 AppID 或 AppSecret：请管理员检查 [wechat] 配置。",
        ),
        45009 | 45011 => (
            StatusCode::SERVICE_UNAVAILABLE,
            "wechat_quota",
            "公众号今天调用微信接口的次数已用完，请明天再试或联系管理员。",
        ),
        _ => (
            StatusCode::BAD_GATEWAY,
            "wechat_refused",
            "微信拒绝了签名请求，页面将使用手机浏览器的定位；请联系管理员查看中继日志。",
        ),
    };
    ApiError::new(status, stable, message).with_detail(json!({ "errcode": code }))
}
