//! The pages built into the relay (`relay demo` serves them from any working directory): the
//! clock-in page at `/`, the manager's page at `/manager`, the phone module at `/pkg/`, with
//! MIME types, ETags and 304 on revalidation; every file of `www/` is built in; the manager's
//! `GET /v1/manager/sites/{siteId}/fence`.

use crate::relay_common::platform::call;
use crate::relay_common::{demo, http_client};
use serde_json::Value;
use zj_relay::www_files;

/// `GET url` with an optional `If-None-Match`: status, content type, ETag and body size.
async fn get(url: &str, etag: Option<&str>) -> (u16, String, String, usize) {
    let mut request = http_client().get(url);
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    let response = request.send().await.expect("the relay answers");
    let header = |name: &str| {
        let value = response.headers().get(name);
        value.map_or("", |v| v.to_str().unwrap_or("")).to_owned()
    };
    let (content_type, etag) = (header("content-type"), header("etag"));
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("a body");
    (status, content_type, etag, body.len())
}

/// Every file under `dir`, relative, with `/` separators.
fn files_under(dir: &std::path::Path, prefix: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("www/ is readable") {
        let entry = entry.expect("a directory entry");
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.path().is_dir() {
            files_under(&entry.path(), &format!("{name}/"), out);
        } else {
            out.push(name);
        }
    }
}

#[test]
fn every_file_of_www_is_built_into_the_relay() {
    let root = crate::relay_common::repo_root().join("www");
    let mut files = Vec::new();
    files_under(&root, "", &mut files);
    let built: Vec<&str> = www_files().collect();
    // Licences and version notes stay in the repository; everything else is served.
    let served = files
        .iter()
        .filter(|file| !file.ends_with("LICENSE") && !file.ends_with("VERSIONS"));
    for file in served {
        assert!(
            built.contains(&file.as_str()),
            "www/{file} is not listed in crates/relay/src/http/pages.rs"
        );
    }
}

#[tokio::test]
async fn pages_and_the_phone_module_are_served_with_types_and_etags() {
    let demo = demo("pages").await;
    let url = demo.info.url.clone();
    let cases = [
        ("/", "text/html"),
        ("/manager", "text/html"),
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
        ("/vendor/leaflet/leaflet.js", "text/javascript"),
        ("/pkg/zj_attendance.js", "text/javascript"),
        ("/pkg/zj_attendance_bg.wasm", "application/wasm"),
    ];
    for (path, mime) in cases {
        let (status, content_type, etag, size) = get(&format!("{url}{path}"), None).await;
        assert_eq!(status, 200, "{path}");
        assert!(content_type.starts_with(mime), "{path}: {content_type}");
        assert!(size > 0 && etag.starts_with('"'), "{path}");
        let (status, _, again, size) = get(&format!("{url}{path}"), Some(&etag)).await;
        assert_eq!((status, size, again), (304, 0, etag), "{path} revalidated");
    }
    let (status, _, _, _) = get(&format!("{url}/no-such-page.html"), None).await;
    assert_eq!(status, 404);
    demo.shutdown().await;
}

#[tokio::test]
async fn the_phone_module_is_gzipped_for_browsers_that_take_it() {
    let demo = demo("pages-gzip").await;
    let url = format!("{}/pkg/zj_attendance_bg.wasm", demo.info.url);
    let plain = http_client().get(&url).send().await.unwrap();
    assert_eq!(plain.headers().get("content-encoding"), None);
    let plain_size = plain.bytes().await.unwrap().len();
    let gzipped = http_client()
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let gzipped_size = gzipped.bytes().await.unwrap().len();
    assert!(
        gzipped_size * 2 < plain_size,
        "gzip {gzipped_size} bytes against {plain_size}"
    );
    // The phone API's answers stay as they are.
    let health = http_client()
        .get(format!("{}/healthz", demo.info.url))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.headers().get("content-encoding"),
        None,
        "only pages are compressed"
    );
    demo.shutdown().await;
}

#[tokio::test]
async fn the_manager_reads_a_sites_current_fence() {
    let demo = demo("pages-fence").await;
    let (url, token) = (demo.info.url.clone(), demo.info.manager_token.clone());
    let site = &demo.info.site.site_id;
    let path = format!("/v1/manager/sites/{site}/fence");
    let (status, fence) = call(&url, "GET", &path, Some(&token), None).await;
    assert_eq!(status, 200);
    assert_eq!(fence["version"], 1);
    assert_eq!(fence["geojson"]["geometry"]["type"], "MultiPolygon");
    let (status, _) = call(&url, "GET", &path, None, None).await;
    assert_eq!(status, 401, "the token is required");
    let unknown = "/v1/manager/sites/site-404/fence";
    let (status, body) = call(&url, "GET", unknown, Some(&token), None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &Value::from("not_found"))
    );
    demo.shutdown().await;
}
