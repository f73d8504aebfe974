//! The headers of every response the relay sends, and who may read it from another origin.
//!
//! - A Content-Security-Policy that lets the pages load only what they do load: their own
//!   scripts, styles, workers and wasm (`'wasm-unsafe-eval'` for the phone module, which both
//!   pages use), images
//!   from the relay, `data:` and `blob:` URLs (sign-in photos, the camera fallback's picture),
//!   the map tiles' configured hosts on the manager's page, and WeChat's JS-SDK report image
//!   on the clock-in page. Nothing may frame a page (`frame-ancestors 'none'`), and every other
//!   response (the API's JSON) gets a policy that allows nothing at all.
//! - `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, and
//!   `Strict-Transport-Security` when the client came over HTTPS (ours or a trusted proxy's).
//! - CORS only on the phone API: it is authenticated by signatures and tokens, never by
//!   cookies, so a page of another origin (a team's own page, the wasm test runner) may call
//!   it. The manager API and the MR860 intake answer no other origin.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, request::Parts, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::http::client::Client;

/// Where WeChat's JS-SDK sends its report image from inside WeChat.
const WECHAT_REPORT: &str = "https://open.weixin.qq.com";

/// `Strict-Transport-Security` over HTTPS: a year (31,536,000 s), the usual value.
const HSTS: &str = "max-age=31536000";

/// The security headers, worked out once from the configuration.
#[derive(Debug, Clone)]
pub(crate) struct SecurityHeaders {
    /// The policy of the clock-in page and its service worker.
    phone_csp: HeaderValue,
    /// The policy of the manager's page.
    manager_csp: HeaderValue,
    /// The policy of every other response.
    other_csp: HeaderValue,
}

/// Why the security headers cannot be made.
#[derive(Debug, thiserror::Error)]
#[error("http.map_tile_hosts: {0:?} is not a host source (e.g. \"https://tile.example.com\")")]
pub(crate) struct BadTileHost(String);

impl SecurityHeaders {
    /// The headers for a relay whose manager page may load map tiles from `map_tile_hosts`
    /// (CSP host sources such as `https://*.is.autonavi.com`).
    pub(crate) fn new(map_tile_hosts: &[String]) -> Result<Self, BadTileHost> {
        if let Some(bad) = (map_tile_hosts.iter()).find(|host| !is_host_source(host)) {
            return Err(BadTileHost(bad.clone()));
        }
        let policy = |script: &str, images: &str| {
            let text = format!(
                "default-src 'self'; script-src {script}; style-src 'self'; \
                 img-src 'self' data: {images}; connect-src 'self'; worker-src 'self'; \
                 object-src 'none'; base-uri 'none'; form-action 'self'; \
                 frame-ancestors 'none'"
            );
            HeaderValue::from_str(&text).expect("checked host sources make a header value")
        };
        Ok(Self {
            phone_csp: policy(
                "'self' 'wasm-unsafe-eval'",
                &format!("blob: {WECHAT_REPORT}"),
            ),
            // The manager's page checks fences with the phone module too.
            manager_csp: policy("'self' 'wasm-unsafe-eval'", &map_tile_hosts.join(" ")),
            other_csp: HeaderValue::from_static(
                "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            ),
        })
    }

    /// The policy for a response to `path` of this content type.
    fn csp_for(&self, path: &str, content_type: Option<&HeaderValue>) -> &HeaderValue {
        let content_type = content_type.and_then(|v| v.to_str().ok()).unwrap_or("");
        let document_or_worker =
            content_type.starts_with("text/html") || content_type.starts_with("text/javascript");
        if !document_or_worker {
            &self.other_csp
        } else if path == "/manager" || path.starts_with("/manager.") {
            &self.manager_csp
        } else {
            &self.phone_csp
        }
    }
}

/// A CSP host source: a scheme, `://`, a host that may start with `*.`, an optional port,
/// and nothing that could end the directive or add another.
fn is_host_source(source: &str) -> bool {
    let Some((scheme, host)) = source.split_once("://") else {
        return false;
    };
    let host_chars = |c: char| c.is_ascii_alphanumeric() || "-.:*".contains(c);
    matches!(scheme, "https" | "http")
        && !host.is_empty()
        && host.chars().all(host_chars)
        && !host[1..].contains('*')
}

/// Middleware: adds the security headers to every response (a handler's own are kept).
pub(crate) async fn add_security_headers(
    State(security): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let https = (request.extensions().get::<Client>()).is_some_and(|client| client.https);
    let mut response = next.run(request).await;
    let csp = security
        .csp_for(&path, response.headers().get(header::CONTENT_TYPE))
        .clone();
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(csp);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

/// The phone API's paths: what a page of another origin may call.
const PHONE_API: &[&str] = &[
    "/v1/frame",
    "/v1/link",
    "/v1/enroll",
    "/v1/site",
    "/v1/challenge",
    "/v1/requests",
    "/v1/wechat/jsapi-config",
];

/// CORS for the phone API alone: any origin may call it; every other path (the manager API,
/// the MR860 intake, the pages) gets no `Access-Control-Allow-Origin`, so a page of another
/// origin can neither read it nor send it a preflighted request.
pub(crate) fn phone_api_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(|_, request: &Parts| {
            PHONE_API.contains(&request.uri.path())
        }))
        .allow_methods([Method::GET, Method::POST, Method::PUT])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::IF_NONE_MATCH,
        ])
        .expose_headers([header::ETAG])
}
