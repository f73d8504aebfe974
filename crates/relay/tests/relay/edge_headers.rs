//! The edge's headers against a real `relay demo` in process: no CORS on the manager API or
//! the MR860 intake (a page of another origin can neither read them nor preflight them), CORS
//! kept on the phone API; security headers (CSP, nosniff, Referrer-Policy, no framing) on the
//! pages, the phone module and the API's replies; HSTS only over HTTPS.

use reqwest::header::HeaderMap;
use reqwest::Method;

use crate::relay_common::{demo, http_client};

/// An origin that is not the relay's.
const EVIL: &str = "https://evil.example";

/// A preflight (`OPTIONS` with `Access-Control-Request-Method`) from [`EVIL`]: its headers.
async fn preflight(url: &str, method: &str, headers: &str) -> HeaderMap {
    let response = http_client()
        .request(Method::OPTIONS, url)
        .header("origin", EVIL)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .send()
        .await
        .expect("the relay answers a preflight");
    response.headers().clone()
}

/// A simple cross-origin request (no preflight: `text/plain` POST or a GET) from [`EVIL`].
async fn simple(url: &str, post: bool) -> HeaderMap {
    let request = if post {
        http_client()
            .post(url)
            .header("content-type", "text/plain")
            .body("{}")
    } else {
        http_client().get(url)
    };
    let response = (request.header("origin", EVIL).send().await).expect("the relay answers");
    response.headers().clone()
}

fn allowed_origin(headers: &HeaderMap) -> Option<&str> {
    (headers.get("access-control-allow-origin")).map(|v| v.to_str().expect("text"))
}

#[tokio::test]
async fn another_origin_gets_no_cors_from_the_manager_api_or_the_mr860_intake() {
    let demo = demo("edge-cors").await;
    let url = &demo.info.url;
    let site = &demo.info.site.site_id;
    let closed = [
        (format!("{url}/v1/manager/sites"), "GET", false),
        (format!("{url}/v1/manager/sites/{site}/fence"), "PUT", false),
        (format!("{url}/v1/manager/signins"), "GET", false),
        (format!("{url}/mr860/face"), "POST", true),
        (format!("{url}/mr860/person"), "POST", true),
    ];
    for (path, method, post) in &closed {
        let answer = preflight(path, method, "authorization,content-type").await;
        assert_eq!(
            allowed_origin(&answer),
            None,
            "preflight of {method} {path}"
        );
        let answer = simple(path, *post).await;
        assert_eq!(allowed_origin(&answer), None, "simple request to {path}");
    }
    demo.shutdown().await;
}

#[tokio::test]
async fn the_phone_api_still_answers_pages_of_other_origins() {
    let demo = demo("edge-cors-phone").await;
    let url = &demo.info.url;
    for (path, method) in [
        ("/v1/frame", "POST"),
        ("/v1/enroll", "POST"),
        ("/v1/site", "GET"),
        ("/v1/challenge", "POST"),
        ("/v1/wechat/jsapi-config", "GET"),
    ] {
        let answer = preflight(
            &format!("{url}{path}"),
            method,
            "authorization,content-type",
        )
        .await;
        assert_eq!(allowed_origin(&answer), Some(EVIL), "preflight of {path}");
        let methods = answer["access-control-allow-methods"].to_str().unwrap();
        assert!(methods.contains(method), "{path} allows {methods}");
    }
    let answer = simple(&format!("{url}/v1/frame"), true).await;
    assert_eq!(allowed_origin(&answer), Some(EVIL));
    let answer = simple(&format!("{url}/v1/site"), false).await;
    assert_eq!(allowed_origin(&answer), Some(EVIL));
    demo.shutdown().await;
}

/// The response headers of `GET url`.
async fn headers_of(url: &str) -> HeaderMap {
    let response = (http_client().get(url).send().await).expect("the relay answers");
    response.headers().clone()
}

/// The Content-Security-Policy's directive `name`, e.g. `script-src 'self'`.
fn directive<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    let csp = headers["content-security-policy"].to_str().expect("text");
    (csp.split(';').map(str::trim))
        .find(|d| d.split(' ').next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} in {csp}"))
}

#[tokio::test]
async fn every_page_and_reply_carries_the_security_headers() {
    let demo = demo("edge-security-headers").await;
    let url = &demo.info.url;
    let paths = [
        "/",
        "/manager",
        "/app.js",
        "/sw.js",
        "/pkg/zj_attendance.js",
        "/pkg/zj_attendance_bg.wasm",
        "/vendor/leaflet/images/layers.png",
        "/v1/site",
        "/v1/manager/sites",
        "/healthz",
        "/no-such-page",
    ];
    for path in paths {
        let headers = headers_of(&format!("{url}{path}")).await;
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(
            directive(&headers, "frame-ancestors"),
            "frame-ancestors 'none'",
            "{path}"
        );
        assert!(
            headers.get("strict-transport-security").is_none(),
            "{path}: plain HTTP"
        );
    }
    demo.shutdown().await;
}

#[tokio::test]
async fn the_pages_policies_allow_only_what_each_page_loads() {
    let demo = demo("edge-csp").await;
    let url = &demo.info.url;
    let phone = headers_of(&format!("{url}/")).await;
    assert_eq!(
        directive(&phone, "script-src"),
        "script-src 'self' 'wasm-unsafe-eval'"
    );
    assert_eq!(directive(&phone, "connect-src"), "connect-src 'self'");
    assert_eq!(directive(&phone, "worker-src"), "worker-src 'self'");
    assert_eq!(directive(&phone, "object-src"), "object-src 'none'");
    let images = directive(&phone, "img-src");
    assert!(
        images.contains("data:") && images.contains("blob:"),
        "{images}"
    );
    assert!(
        !images.contains("openstreetmap"),
        "no map on the clock-in page: {images}"
    );
    // The service worker's own policy is the clock-in page's (it fetches the page's files).
    let worker = headers_of(&format!("{url}/sw.js")).await;
    assert_eq!(
        worker["content-security-policy"],
        phone["content-security-policy"]
    );

    let manager = headers_of(&format!("{url}/manager")).await;
    assert_eq!(
        directive(&manager, "script-src"),
        "script-src 'self' 'wasm-unsafe-eval'"
    );
    assert_eq!(directive(&manager, "style-src"), "style-src 'self'");
    let images = directive(&manager, "img-src");
    assert!(
        images.contains("https://tile.openstreetmap.org")
            && images.contains("https://*.is.autonavi.com"),
        "the default tile hosts: {images}"
    );
    assert_eq!(manager["x-frame-options"], "DENY");

    let api = headers_of(&format!("{url}/v1/manager/sites")).await;
    assert_eq!(directive(&api, "default-src"), "default-src 'none'");
    demo.shutdown().await;
}

#[test]
fn trusted_proxies_are_addresses_or_networks_as_the_documentation_writes_them() {
    let table = |text: &str| toml::from_str::<zj_relay::config::HttpConfig>(text);
    let proxies = table(r#"trusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1"]"#)
        .unwrap()
        .trusted_proxies;
    let expected: Vec<ipnet::IpNet> = ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
        .iter()
        .map(|text| text.parse().unwrap())
        .collect();
    assert_eq!(proxies, expected);
    let error = table(r#"trusted_proxies = ["proxy.local"]"#).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("neither an address nor a network"),
        "{error}"
    );
}
