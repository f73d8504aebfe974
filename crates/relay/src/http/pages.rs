//! The pages built into the relay binary: `www/` (the worker's clock-in page at `/`, the site
//! manager's page at `/manager`) and the built phone module `pkg/` at `/pkg/`, so `relay demo`
//! and a relay without `www_dir` / `pkg_dir` serve them from any working directory.
//!
//! The files are listed here by name (`include_bytes!`: no build step, and cargo rebuilds when
//! one changes); the relay's `pages` test fails when a file of `www/` is missing from the list.
//! Each is answered with its MIME type, a strong `ETag` (the start of its SHA-256) and
//! `Cache-Control: no-cache`: a phone on a slow link revalidates with one small request and
//! gets `304 Not Modified` until the relay is upgraded.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// `(path under the directory, contents)` of every file of `$dir` named.
macro_rules! embedded {
    ($dir:literal: $($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../", $dir, "/", $path)))),*]
    };
}

/// The files of `www/` served at `/`.
static WWW: &[(&str, &[u8])] = embedded!("www":
    "index.html",
    "app.css",
    "app.js",
    "i18n.js",
    "liveness-stage.js",
    "outbox-view.js",
    "phone-module.js",
    "sw.js",
    "wechat.js",
    "manager.html",
    "manager.css",
    "manager.js",
    "manager-api.js",
    "manager-map.js",
    "manager-lists.js",
    "manager-login.js",
    "manager-roster.js",
    "manager-actions.js",
    "manager-terminals.js",
    "manager-view.js",
    "manager-places.js",
    "manager-punch.js",
    "manager-sheet.js",
    "manager-requests.js",
    "manager-areas.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/images/layers.png",
    "vendor/leaflet/images/layers-2x.png",
    "vendor/leaflet/images/marker-icon.png",
    "vendor/leaflet/images/marker-icon-2x.png",
    "vendor/leaflet/images/marker-shadow.png",
    "vendor/geoman/leaflet-geoman.min.js",
    "vendor/geoman/leaflet-geoman.css",
    "vendor/qrcode/qrcode.js",
    "vendor/weixin/jweixin.js",
);

/// The files of `pkg/` served at `/pkg/`: the phone module, and the face detector it loads on
/// first use (one of its two builds).
static PKG: &[(&str, &[u8])] = embedded!("pkg":
    "zj_attendance.js",
    "zj_attendance_bg.wasm",
    "zj_attendance.d.ts",
    "face-simd.wasm",
    "face-scalar.wasm",
);

/// The models the detector loads, from `models/` (committed once, not copied into `pkg/`),
/// served at `/pkg/` beside it: the detector's and the face mesh for the blink.
static MODELS: &[(&str, &[u8])] = embedded!("models":
    "blazeface-short.zjnn",
    "face-landmark.zjnn",
);

/// The manager's page, served at `/manager`.
pub(crate) const MANAGER_PAGE: &str = "manager.html";

/// A file ready to serve.
struct Page {
    body: &'static [u8],
    etag: HeaderValue,
    mime: &'static str,
}

/// Every embedded file by its URL path (`/app.js`, `/pkg/zj_attendance.js`).
static PAGES: LazyLock<HashMap<String, Page>> = LazyLock::new(|| {
    let www = WWW.iter().map(|&(path, body)| (format!("/{path}"), body));
    let pkg = PKG
        .iter()
        .chain(MODELS)
        .map(|&(path, body)| (format!("/pkg/{path}"), body));
    www.chain(pkg)
        .map(|(path, body)| {
            let hash = Sha256::digest(body);
            let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
            let etag = HeaderValue::from_str(&format!("\"{hex}\"")).expect("hex is a header value");
            let mime = mime_type(&path);
            (path, Page { body, etag, mime })
        })
        .collect()
});

/// The paths of `www/` built in, for the test that every page is.
pub fn www_files() -> impl Iterator<Item = &'static str> {
    WWW.iter().map(|&(path, _)| path)
}

/// The MIME type of a file by its extension.
fn mime_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `GET /…` and `GET /pkg/…`: an embedded file, `index.html` for `/`.
pub(crate) async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    match uri.path() {
        "/" => answer("/index.html", &headers),
        path => answer(path, &headers),
    }
}

/// `GET /manager`: the manager's page.
pub(crate) async fn manager(headers: HeaderMap) -> Response {
    answer(&format!("/{MANAGER_PAGE}"), &headers)
}

fn answer(path: &str, headers: &HeaderMap) -> Response {
    let Some(page) = PAGES.get(path) else {
        return (StatusCode::NOT_FOUND, "404 没有这个页面，请检查地址").into_response();
    };
    let revalidated = headers.get(header::IF_NONE_MATCH) == Some(&page.etag);
    let mut response = if revalidated {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, page.mime)], page.body).into_response()
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::ETAG, page.etag.clone());
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
