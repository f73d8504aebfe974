//! `GET /v1/wechat/jsapi-config` against a local stand-in of WeChat's two endpoints
//! (`/cgi-bin/token`, `/cgi-bin/ticket/getticket`, a small axum server on loopback): WeChat's
//! documented signature, one token and one ticket shared by many phones at once, renewal before
//! expiry, a token WeChat calls invalid fetched again once, WeChat's error codes as clear
//! refusals, only the relay's own pages signed, and 404 without a `[wechat]` section.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use zj_relay::config::{LimitsConfig, Secret, WechatConfig};
use zj_relay::server::RunningRelay;
use zj_relay::wechat_signature;

use crate::relay_common::{data_dir, demo, http_client, relay_config, RelayProcess};

/// The official account of the tests.
const APP_ID: &str = "wx-test-app";
const APP_SECRET: &str = "wechat-app-secret-5f1c";

/// What the stand-in answers to the `n`th call (from 0) of one endpoint, given the query.
type Script = Box<dyn Fn(usize, &std::collections::HashMap<String, String>) -> Value + Send + Sync>;

/// A stand-in of WeChat's token and ticket endpoints, counting the calls.
struct StandIn {
    token_calls: AtomicUsize,
    ticket_calls: AtomicUsize,
    token: Script,
    ticket: Script,
    /// The `access_token` of each ticket call.
    tokens_used: Mutex<Vec<String>>,
}

type Params = Query<std::collections::HashMap<String, String>>;

async fn token(State(standin): State<Arc<StandIn>>, Query(query): Params) -> Json<Value> {
    // A little slow, as over the Internet: concurrent phones overlap while it answers.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let n = standin.token_calls.fetch_add(1, Ordering::SeqCst);
    Json((standin.token)(n, &query))
}

async fn ticket(State(standin): State<Arc<StandIn>>, Query(query): Params) -> Json<Value> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    let n = standin.ticket_calls.fetch_add(1, Ordering::SeqCst);
    let used = query.get("access_token").cloned().unwrap_or_default();
    standin.tokens_used.lock().unwrap().push(used);
    Json((standin.ticket)(n, &query))
}

/// Starts the stand-in; returns it and its base URL.
async fn start_standin(token_script: Script, ticket_script: Script) -> (Arc<StandIn>, String) {
    let standin = Arc::new(StandIn {
        token_calls: AtomicUsize::new(0),
        ticket_calls: AtomicUsize::new(0),
        token: token_script,
        ticket: ticket_script,
        tokens_used: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/cgi-bin/token", get(token))
        .route("/cgi-bin/ticket/getticket", get(ticket))
        .with_state(standin.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (standin, base)
}

/// A token answer: `TOKEN-n` for `expires_in` seconds, when the app's credentials are right.
fn token_answer(
    n: usize,
    query: &std::collections::HashMap<String, String>,
    expires_in: u64,
) -> Value {
    let right = query.get("appid").map(String::as_str) == Some(APP_ID)
        && query.get("secret").map(String::as_str) == Some(APP_SECRET)
        && query.get("grant_type").map(String::as_str) == Some("client_credential");
    if right {
        json!({"access_token": format!("TOKEN-{n}"), "expires_in": expires_in})
    } else {
        json!({"errcode": 40125, "errmsg": "invalid appsecret"})
    }
}

/// A ticket answer: `TICKET-n` for `expires_in` seconds.
fn ticket_answer(n: usize, expires_in: u64) -> Value {
    json!({"errcode": 0, "errmsg": "ok", "ticket": format!("TICKET-{n}"), "expires_in": expires_in})
}

/// Tokens and tickets that last WeChat's usual two hours.
fn usual() -> (Script, Script) {
    (
        Box::new(|n, q| token_answer(n, q, 7200)),
        Box::new(|n, _| ticket_answer(n, 7200)),
    )
}

/// A relay in process (no platform behind it: none is needed here) with `[wechat]` pointing
/// at `api_base` and `page_hosts`.
async fn wechat_relay(name: &str, api_base: &str, page_hosts: &[&str]) -> RunningRelay {
    let mut config = relay_config(
        "127.0.0.1:9".into(),
        "http://127.0.0.1:9/api/device".into(),
        data_dir(name),
        &[],
        LimitsConfig::default(),
    );
    config.wechat = Some(WechatConfig {
        app_id: APP_ID.into(),
        app_secret: Some(Secret::new(APP_SECRET)),
        app_secret_env: None,
        app_secret_file: None,
        api_base: api_base.into(),
        page_hosts: page_hosts.iter().map(|h| (*h).to_owned()).collect(),
    });
    RunningRelay::start(config).await.expect("the relay starts")
}

/// `GET /v1/wechat/jsapi-config?url=page` of the relay at `relay_url`: status and body text.
async fn jsapi_config(relay_url: &str, page: &str) -> (u16, String) {
    let mut url = reqwest::Url::parse(&format!("{relay_url}/v1/wechat/jsapi-config")).unwrap();
    url.query_pairs_mut().append_pair("url", page);
    let response = http_client()
        .get(url)
        .send()
        .await
        .expect("the relay answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// The `(status, error code, errcode detail)` of a refusal.
fn refusal(status: u16, body: &str) -> (u16, String, Value) {
    let body: Value = serde_json::from_str(body).expect("a JSON body");
    let error = &body["error"];
    let message = error["message"].as_str().expect("a message");
    assert!(!message.is_ascii(), "the message is Chinese: {message}");
    (
        status,
        error["code"].as_str().unwrap().to_owned(),
        error["detail"]["errcode"].clone(),
    )
}

#[test]
fn the_signature_is_wechats_documented_example() {
    // WeChat's JS-SDK documentation, appendix 1 (signature algorithm); the expected value was
    // computed independently: python3 -c "import hashlib; print(hashlib.sha1(b'jsapi_ticket=
    // sM4A…qg&noncestr=Wm3WZYTPz0wzccnW&timestamp=1414587457&url=http://mp.weixin.qq.com?params=value').hexdigest())"
    let ticket =
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
    let (nonce, timestamp) = ("Wm3WZYTPz0wzccnW", 1414587457);
    let expected = "0f9de62fce790f9a083d5c99e95740ceb90c27ed";
    let url = "http://mp.weixin.qq.com?params=value";
    assert_eq!(wechat_signature(ticket, nonce, timestamp, url), expected);
    let with_fragment = format!("{url}#wechat_redirect");
    assert_eq!(
        wechat_signature(ticket, nonce, timestamp, &with_fragment),
        expected
    );
}

#[tokio::test]
async fn many_phones_at_once_share_one_token_and_one_ticket() {
    let (token, ticket) = usual();
    let (standin, api) = start_standin(token, ticket).await;
    let relay = wechat_relay("wechat-shared", &api, &[]).await;
    let url = relay.url();
    let page = format!("{url}/?code=AB12#top");
    let calls = (0..20).map(|_| jsapi_config(&url, &page));
    let answers = futures_util::future::join_all(calls).await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert!(
            !body.contains(APP_SECRET) && !body.contains("TOKEN-"),
            "no secret: {body}"
        );
        let config: Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(config["appId"], APP_ID);
        let nonce = config["nonceStr"].as_str().expect("a nonce");
        let timestamp = config["timestamp"].as_i64().expect("seconds");
        let page_without_fragment = format!("{url}/?code=AB12");
        let expected = wechat_signature("TICKET-0", nonce, timestamp, &page_without_fragment);
        assert_eq!(config["signature"], expected.as_str());
    }
    assert_eq!(
        standin.token_calls.load(Ordering::SeqCst),
        1,
        "one token fetch"
    );
    assert_eq!(
        standin.ticket_calls.load(Ordering::SeqCst),
        1,
        "one ticket fetch"
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn a_token_and_ticket_about_to_expire_are_fetched_again() {
    // The first token and ticket last 200 s (inside the renewal margin), the later ones 7200 s.
    let lifetime = |n: usize| if n == 0 { 200 } else { 7200 };
    let (standin, api) = start_standin(
        Box::new(move |n, q| token_answer(n, q, lifetime(n))),
        Box::new(move |n, _| ticket_answer(n, lifetime(n))),
    )
    .await;
    let relay = wechat_relay("wechat-expiry", &api, &[]).await;
    let (url, fetches) = (relay.url(), || {
        (
            standin.token_calls.load(Ordering::SeqCst),
            standin.ticket_calls.load(Ordering::SeqCst),
        )
    });
    let page = format!("{}/", relay.url());
    assert_eq!(jsapi_config(&url, &page).await.0, 200);
    assert_eq!(fetches(), (1, 1));
    assert_eq!(jsapi_config(&url, &page).await.0, 200);
    assert_eq!(fetches(), (2, 2), "both were due: fetched again");
    assert_eq!(jsapi_config(&url, &page).await.0, 200);
    assert_eq!(fetches(), (2, 2), "fresh ones are kept");
    assert_eq!(*standin.tokens_used.lock().unwrap(), ["TOKEN-0", "TOKEN-1"]);
    relay.shutdown().await;
}

#[tokio::test]
async fn a_token_wechat_calls_invalid_is_fetched_again_once() {
    let (standin, api) = start_standin(
        Box::new(|n, q| token_answer(n, q, 7200)),
        Box::new(|_, q| match q.get("access_token").map(String::as_str) {
            Some("TOKEN-0") => json!({"errcode": 40001, "errmsg": "invalid credential"}),
            _ => ticket_answer(0, 7200),
        }),
    )
    .await;
    let relay = wechat_relay("wechat-invalid-token", &api, &[]).await;
    let (status, body) = jsapi_config(&relay.url(), &format!("{}/", relay.url())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(*standin.tokens_used.lock().unwrap(), ["TOKEN-0", "TOKEN-1"]);
    relay.shutdown().await;

    // A token WeChat keeps refusing: one retry, then a clear refusal, no loop.
    let (standin, api) = start_standin(
        Box::new(|n, q| token_answer(n, q, 7200)),
        Box::new(|_, _| json!({"errcode": 42001, "errmsg": "access_token expired"})),
    )
    .await;
    let relay = wechat_relay("wechat-expired-token", &api, &[]).await;
    let (status, body) = jsapi_config(&relay.url(), &format!("{}/", relay.url())).await;
    assert_eq!(
        refusal(status, &body),
        (502, "wechat_credentials".into(), json!(42001))
    );
    assert_eq!(
        standin.token_calls.load(Ordering::SeqCst),
        2,
        "fetched again once"
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn wechats_error_codes_become_clear_refusals_and_are_not_kept() {
    let answers: Vec<(Value, (u16, &str, Value))> = vec![
        (
            json!({"errcode": 40164, "errmsg": "invalid ip 1.2.3.4, not in whitelist"}),
            (502, "wechat_ip_not_whitelisted", json!(40164)),
        ),
        (
            json!({"errcode": -1, "errmsg": "system error"}),
            (503, "wechat_busy", json!(-1)),
        ),
        (
            json!({"errcode": 40125, "errmsg": "invalid appsecret"}),
            (502, "wechat_credentials", json!(40125)),
        ),
        (
            json!({"errcode": 45009, "errmsg": "reach max api daily quota limit"}),
            (503, "wechat_quota", json!(45009)),
        ),
        (
            json!({"errcode": 99999, "errmsg": "something new"}),
            (502, "wechat_refused", json!(99999)),
        ),
        (
            json!({"expires_in": 7200}),
            (502, "wechat_unreachable", Value::Null),
        ),
    ];
    let scripted: Vec<Value> = answers.iter().map(|(answer, _)| answer.clone()).collect();
    let (standin, api) = start_standin(
        Box::new(move |n, q| {
            scripted
                .get(n)
                .cloned()
                .unwrap_or_else(|| token_answer(n, q, 7200))
        }),
        Box::new(|n, _| ticket_answer(n, 7200)),
    )
    .await;
    let relay = wechat_relay("wechat-errors", &api, &[]).await;
    let page = format!("{}/", relay.url());
    for (_, (status, code, errcode)) in &answers {
        let (got, body) = jsapi_config(&relay.url(), &page).await;
        assert!(!body.contains(APP_SECRET), "{body}");
        assert_eq!(
            refusal(got, &body),
            (*status, (*code).to_owned(), errcode.clone())
        );
    }
    let (status, body) = jsapi_config(&relay.url(), &page).await;
    assert_eq!(
        status, 200,
        "a refusal is not kept: the next call fetches again: {body}"
    );
    assert_eq!(
        standin.token_calls.load(Ordering::SeqCst),
        answers.len() + 1
    );
    relay.shutdown().await;

    // WeChat unreachable (nothing listens there).
    let relay = wechat_relay("wechat-unreachable", "http://127.0.0.1:9", &[]).await;
    let (status, body) = jsapi_config(&relay.url(), &format!("{}/", relay.url())).await;
    assert_eq!(
        refusal(status, &body),
        (502, "wechat_unreachable".into(), Value::Null)
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn only_the_relays_own_pages_are_signed() {
    let (token, ticket) = usual();
    let (standin, api) = start_standin(token, ticket).await;
    let relay = wechat_relay("wechat-own-pages", &api, &["pages.example.cn"]).await;
    let url = relay.url();
    let port = relay.addr.port();
    for page in [
        "https://evil.example/".to_owned(),
        format!("http://127.0.0.2:{port}/"),
        format!("http://127.0.0.1:{}/", port + 1),
        "javascript:alert(1)".to_owned(),
        "not a url".to_owned(),
        "https://pages.example.cn.evil.example/".to_owned(),
    ] {
        let (status, body) = jsapi_config(&url, &page).await;
        let (status, code, _) = refusal(status, &body);
        assert_eq!(
            (status, code.as_str()),
            (400, "wechat_url_refused"),
            "{page}"
        );
    }
    assert_eq!(
        standin.token_calls.load(Ordering::SeqCst),
        0,
        "nothing fetched for them"
    );
    let (status, _) = jsapi_config(&url, "https://pages.example.cn/clock?x=1").await;
    assert_eq!(status, 200, "a configured page host is signed");
    let response = http_client()
        .get(format!("{url}/v1/wechat/jsapi-config"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 400, "the url is required");
    relay.shutdown().await;
}

#[tokio::test]
async fn without_a_wechat_section_the_page_is_told_to_fall_back() {
    let demo = demo("wechat-none").await;
    let page = format!("{}/", demo.info.url);
    let (status, body) = jsapi_config(&demo.info.url, &page).await;
    let (status, code, _) = refusal(status, &body);
    assert_eq!((status, code.as_str()), (404, "wechat_not_configured"));
    demo.shutdown().await;
}

#[tokio::test]
async fn the_app_secret_and_token_are_in_no_reply_and_no_log_line() {
    // WeChat refuses the ticket (so the token was used) and then cannot be reached at all:
    // both failures are logged; at RUST_LOG=debug neither the secret nor the token shows.
    let (_standin, api) = start_standin(
        Box::new(|n, q| token_answer(n, q, 200)),
        Box::new(|_, _| json!({"errcode": 40164, "errmsg": "invalid ip, not in whitelist"})),
    )
    .await;
    let dir = data_dir("wechat-secret-logs");
    std::fs::create_dir_all(&dir).expect("the test folder");
    let toml = |api_base: &str| {
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = {data:?}\n\n\
             [platform]\ntcp = \"127.0.0.1:9\"\nhttp = \"http://127.0.0.1:9/api/device\"\n\
             access_id = \"a\"\naccess_key = \"k\"\naccess_secret = \"s\"\nsns = [\"SN-WX\"]\n\n\
             [wechat]\napp_id = \"{APP_ID}\"\napp_secret_env = \"ZJ_RELAY_TEST_WECHAT_SECRET\"\n\
             api_base = \"{api_base}\"\n",
            data = dir.join("data"),
        )
    };
    for (run, api_base) in [
        ("refused", api.as_str()),
        ("unreachable", "http://127.0.0.1:9"),
    ] {
        let config = dir.join(format!("relay-{run}.toml"));
        std::fs::write(&config, toml(api_base)).expect("relay.toml written");
        let relay = RelayProcess::start(
            &config,
            &[("ZJ_RELAY_TEST_WECHAT_SECRET", APP_SECRET)],
            "debug",
        );
        let (status, body) = jsapi_config(&relay.url, &format!("{}/", relay.url)).await;
        assert!(status >= 500, "{run}: {status} {body}");
        relay.wait_stderr("WeChat's API").await;
        let output = relay.all_output();
        for secret in [APP_SECRET, "TOKEN-"] {
            assert!(
                !body.contains(secret),
                "{run}: {secret} in the reply {body}"
            );
            assert!(
                !output.contains(secret),
                "{run}: {secret} in the log:\n{output}"
            );
        }
    }
}
