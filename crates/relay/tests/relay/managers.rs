//! Manager accounts, logins and sessions over real sockets: passwords (argon2id) and tokens,
//! the session cookie's attributes (`Secure` only over HTTPS, as a trusted proxy says), the
//! CSRF check of cookie writes, what a site manager may not do, password changes and resets,
//! token rotation, and the attacks: wrong passwords, tokens and enrollment codes by the
//! hundred (per address and per account), spoofed forwarding headers, an 8,000-year code.

use reqwest::header::HeaderMap;
use serde_json::{json, Value};

use crate::relay_common::http_client;
use crate::relay_common::platform::{TaskRelay, MANAGER_TOKEN};
use crate::relay_common::sim_common::SN;

/// Most failed attempts an attack test makes before it must have been stopped (the relay's
/// defaults lock an address after 20, an account after 5).
const ATTEMPTS: usize = 60;

/// What one request answered.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    /// The `Set-Cookie` header of the session, if any.
    fn cookie(&self) -> Option<String> {
        (self.headers.get_all("set-cookie").iter())
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("zj_manager_session="))
            .map(str::to_owned)
    }

    /// The `name=value` part of the session cookie, as a browser sends it back.
    fn cookie_pair(&self) -> String {
        let cookie = self.cookie().expect("a session cookie");
        cookie.split(';').next().unwrap().to_owned()
    }
}

/// `method path` on `relay` with these headers and an optional JSON body.
async fn send(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = http_client().request(method, format!("{url}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the relay answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// A call with the configured administrator token.
async fn admin(relay: &TaskRelay, method: &str, path: &str, body: Option<Value>) -> Answer {
    let bearer = format!("Bearer {MANAGER_TOKEN}");
    send(
        &relay.url,
        method,
        path,
        &[("authorization", &bearer)],
        body,
    )
    .await
}

/// Creates a site; its id.
async fn new_site(relay: &TaskRelay, name: &str) -> String {
    let created = admin(
        relay,
        "POST",
        "/v1/manager/sites",
        Some(json!({"name": name, "sn": SN})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["siteId"].as_str().unwrap().to_owned()
}

/// Creates an account through the administrator token; the reply (with its `token`).
async fn new_account(relay: &TaskRelay, account: Value) -> Value {
    let created = admin(relay, "POST", "/v1/manager/accounts", Some(account)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body
}

/// `POST /v1/manager/login` from the relay's own address with extra `headers`.
async fn login(relay: &TaskRelay, name: &str, password: &str, headers: &[(&str, &str)]) -> Answer {
    let body = json!({"name": name, "password": password});
    send(&relay.url, "POST", "/v1/manager/login", headers, Some(body)).await
}

/// A logged-in session: the cookie to send back and the CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

async fn logged_in(relay: &TaskRelay, name: &str, password: &str) -> Session {
    let answer = login(relay, name, password, &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    Session {
        cookie: answer.cookie_pair(),
        csrf: answer.body["csrfToken"].as_str().unwrap().to_owned(),
    }
}

/// A call in `session` (its cookie; the CSRF header when `with_csrf`).
async fn in_session(
    relay: &TaskRelay,
    session: &Session,
    with_csrf: bool,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut headers = vec![("cookie", session.cookie.as_str())];
    if with_csrf {
        headers.push(("x-csrf-token", session.csrf.as_str()));
    }
    send(&relay.url, method, path, &headers, body).await
}

/// A relay whose store has one site and a site manager `wang` of it with `password`.
/// Makes the relay believe the forwarding headers of requests from 127.0.0.1, as behind a
/// reverse proxy on the same machine: the tests then play any client address.
fn behind_local_proxy(config: &mut zj_relay::config::RelayConfig) {
    config.http.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

async fn relay_with_wang(
    name: &str,
    tweak: impl FnOnce(&mut zj_relay::config::RelayConfig),
) -> (TaskRelay, String) {
    let relay = TaskRelay::start(name, 20, tweak).await;
    let site_id = new_site(&relay, "一号工地").await;
    new_account(
        &relay,
        json!({"name": "wang", "role": "site", "sites": [site_id], "password": "wang-password-1"}),
    )
    .await;
    (relay, site_id)
}

#[tokio::test]
async fn a_password_opens_a_session_that_says_who_is_in_and_logs_out() {
    let (relay, site_id) = relay_with_wang("managers-login", |_| {}).await;
    let wrong = login(&relay, "wang", "not-his-password", &[]).await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert_eq!(wrong.body["error"]["code"], "login_failed");
    assert!(wrong.cookie().is_none(), "no session for a wrong password");
    let unknown = login(&relay, "nobody", "wang-password-1", &[]).await;
    assert_eq!(unknown.status, 401, "{}", unknown.body);
    assert_eq!(
        unknown.body["error"], wrong.body["error"],
        "no hint which was wrong"
    );

    // A form on another site posting the same text as text/plain makes no session.
    let form = (http_client().post(format!("{}/v1/manager/login", relay.url)))
        .header("content-type", "text/plain")
        .body(r#"{"name":"wang","password":"wang-password-1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 400);
    assert!(form.headers().get("set-cookie").is_none());

    let answer = login(&relay, "wang", "wang-password-1", &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let cookie = answer.cookie().expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP: not Secure: {cookie}"
    );
    assert_eq!(answer.body["name"], "wang");
    assert_eq!(answer.body["role"], "site");
    assert_eq!(answer.body["sites"], json!([site_id]));
    let session = Session {
        cookie: answer.cookie_pair(),
        csrf: answer.body["csrfToken"].as_str().unwrap().to_owned(),
    };
    let who = in_session(&relay, &session, false, "GET", "/v1/manager/session", None).await;
    assert_eq!(who.status, 200, "{}", who.body);
    assert_eq!(who.body["name"], "wang");
    assert_eq!(who.body["csrfToken"], session.csrf.as_str());
    let sites = in_session(&relay, &session, false, "GET", "/v1/manager/sites", None).await;
    assert_eq!(sites.status, 200, "{}", sites.body);

    let out = in_session(&relay, &session, true, "POST", "/v1/manager/logout", None).await;
    assert_eq!(out.status, 204, "{}", out.body);
    assert!(
        out.cookie().is_some_and(|c| c.contains("Max-Age=0")),
        "the cookie is cleared"
    );
    let after = in_session(&relay, &session, false, "GET", "/v1/manager/session", None).await;
    assert_eq!(after.status, 401, "the session ended: {}", after.body);
}

#[tokio::test]
async fn the_cookie_is_secure_only_when_a_trusted_proxy_says_https() {
    let (relay, _) = relay_with_wang("managers-secure", behind_local_proxy).await;
    let https = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-for", "198.51.100.7"),
    ];
    let behind = login(&relay, "wang", "wang-password-1", &https).await;
    assert_eq!(behind.status, 200, "{}", behind.body);
    assert!(
        behind.cookie().unwrap().contains("; Secure"),
        "{:?}",
        behind.cookie()
    );
    let plain = login(&relay, "wang", "wang-password-1", &[]).await;
    assert!(
        !plain.cookie().unwrap().contains("Secure"),
        "{:?}",
        plain.cookie()
    );

    // The same header from a client that is no trusted proxy is ignored.
    let (direct, _) = relay_with_wang("managers-secure-spoofed", |_| {}).await;
    let spoofed = login(&direct, "wang", "wang-password-1", &https).await;
    assert_eq!(spoofed.status, 200, "{}", spoofed.body);
    assert!(
        !spoofed.cookie().unwrap().contains("Secure"),
        "{:?}",
        spoofed.cookie()
    );
}

/// The attack: a page elsewhere makes the manager's browser send a write with the cookie.
#[tokio::test]
async fn a_cookie_write_without_the_csrf_token_is_refused() {
    let (relay, _) = relay_with_wang("managers-csrf", |_| {}).await;
    new_account(
        &relay,
        json!({"name": "li", "role": "admin", "password": "li-password-22"}),
    )
    .await;
    let session = logged_in(&relay, "li", "li-password-22").await;
    let site = json!({"name": "二号工地", "sn": SN});
    let forged = in_session(
        &relay,
        &session,
        false,
        "POST",
        "/v1/manager/sites",
        Some(site.clone()),
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(forged.body["error"]["code"], "csrf_failed");
    let mut wrong = Session {
        cookie: session.cookie.clone(),
        csrf: "0".repeat(64),
    };
    let guessed = in_session(
        &relay,
        &wrong,
        true,
        "POST",
        "/v1/manager/sites",
        Some(site.clone()),
    )
    .await;
    assert_eq!(guessed.status, 403, "{}", guessed.body);
    wrong.csrf = session.csrf.clone();
    let real = in_session(
        &relay,
        &wrong,
        true,
        "POST",
        "/v1/manager/sites",
        Some(site.clone()),
    )
    .await;
    assert_eq!(real.status, 201, "{}", real.body);
    let reads = in_session(&relay, &session, false, "GET", "/v1/manager/sites", None).await;
    assert_eq!(
        reads.status, 200,
        "reads need no CSRF token: {}",
        reads.body
    );
    let scripted = admin(&relay, "POST", "/v1/manager/sites", Some(site)).await;
    assert_eq!(
        scripted.status, 201,
        "a bearer token needs none: {}",
        scripted.body
    );
}

#[tokio::test]
async fn account_tokens_authenticate_and_rotate() {
    let (relay, site_id) = relay_with_wang("managers-tokens", |_| {}).await;
    let created = new_account(
        &relay,
        json!({"name": "zhao", "role": "site", "sites": [site_id]}),
    )
    .await;
    let token = created["token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {token}");
    let who = send(
        &relay.url,
        "GET",
        "/v1/manager/session",
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(who.status, 200, "{}", who.body);
    assert_eq!(who.body["name"], "zhao");
    assert_eq!(
        who.body["csrfToken"],
        Value::Null,
        "no session, no CSRF token"
    );

    let rotated = send(
        &relay.url,
        "POST",
        "/v1/manager/accounts/zhao/token",
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_token = rotated.body["token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, token);
    let old = send(
        &relay.url,
        "GET",
        "/v1/manager/sites",
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(
        old.status, 401,
        "the old token stopped working: {}",
        old.body
    );
    let new_bearer = format!("Bearer {new_token}");
    let new = send(
        &relay.url,
        "GET",
        "/v1/manager/sites",
        &[("authorization", &new_bearer)],
        None,
    )
    .await;
    assert_eq!(new.status, 200, "{}", new.body);
    let by_admin = admin(&relay, "POST", "/v1/manager/accounts/zhao/token", None).await;
    assert_eq!(
        by_admin.status, 200,
        "an administrator rotates any token: {}",
        by_admin.body
    );
    let actions = admin(&relay, "GET", "/v1/manager/actions", None).await;
    let text = actions.body.to_string();
    assert!(text.contains("account.token"), "{text}");
    assert!(!text.contains(&new_token), "no token in the log");
}

#[tokio::test]
async fn a_site_manager_cannot_create_change_or_delete_accounts() {
    let (relay, site_id) = relay_with_wang("managers-site-only", |_| {}).await;
    new_account(
        &relay,
        json!({"name": "zhou", "role": "site", "sites": [site_id]}),
    )
    .await;
    let session = logged_in(&relay, "wang", "wang-password-1").await;
    let attempts = [
        (
            "POST",
            "/v1/manager/accounts".to_owned(),
            Some(json!({"name": "evil", "role": "admin", "password": "evil-password-1"})),
        ),
        ("GET", "/v1/manager/accounts".to_owned(), None),
        (
            "PUT",
            "/v1/manager/accounts/wang/sites".to_owned(),
            Some(json!({"sites": [site_id, "site-9"]})),
        ),
        (
            "PUT",
            "/v1/manager/accounts/zhou/password".to_owned(),
            Some(json!({"password": "taken-over-123"})),
        ),
        ("POST", "/v1/manager/accounts/zhou/token".to_owned(), None),
        ("DELETE", "/v1/manager/accounts/zhou".to_owned(), None),
    ];
    for (method, path, body) in attempts {
        let answer = in_session(&relay, &session, true, method, &path, body).await;
        assert_eq!(answer.status, 403, "{method} {path}: {}", answer.body);
        assert_eq!(answer.body["error"]["code"], "forbidden");
    }
    let zhou = login(&relay, "zhou", "taken-over-123", &[]).await;
    assert_eq!(
        zhou.status, 401,
        "zhou's password was not set: {}",
        zhou.body
    );
}

#[tokio::test]
async fn passwords_have_a_minimum_change_with_the_current_one_and_are_reset_by_an_admin() {
    let (relay, site_id) = relay_with_wang("managers-passwords", |_| {}).await;
    let short = admin(
        &relay,
        "POST",
        "/v1/manager/accounts",
        Some(json!({"name": "chen", "role": "site", "sites": [site_id], "password": "short"})),
    )
    .await;
    assert_eq!(short.status, 400, "{}", short.body);
    assert!(
        short.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("至少"),
        "{}",
        short.body
    );

    let session = logged_in(&relay, "wang", "wang-password-1").await;
    let path = "/v1/manager/accounts/wang/password";
    let guessed = json!({"currentPassword": "not-it-at-all", "password": "wang-password-2"});
    let refused = in_session(&relay, &session, true, "PUT", path, Some(guessed)).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "password_wrong");
    let change = json!({"currentPassword": "wang-password-1", "password": "wang-password-2"});
    let changed = in_session(&relay, &session, true, "PUT", path, Some(change)).await;
    assert_eq!(changed.status, 204, "{}", changed.body);
    assert_eq!(
        login(&relay, "wang", "wang-password-1", &[]).await.status,
        401
    );
    assert_eq!(
        login(&relay, "wang", "wang-password-2", &[]).await.status,
        200
    );
    let still = in_session(&relay, &session, false, "GET", "/v1/manager/session", None).await;
    assert_eq!(
        still.status, 200,
        "the session that changed it goes on: {}",
        still.body
    );

    let reset = admin(
        &relay,
        "PUT",
        path,
        Some(json!({"password": "wang-password-3"})),
    )
    .await;
    assert_eq!(reset.status, 204, "{}", reset.body);
    let ended = in_session(&relay, &session, false, "GET", "/v1/manager/session", None).await;
    assert_eq!(
        ended.status, 401,
        "a reset ends the account's sessions: {}",
        ended.body
    );
    assert_eq!(
        login(&relay, "wang", "wang-password-3", &[]).await.status,
        200
    );

    let actions = admin(&relay, "GET", "/v1/manager/actions", None)
        .await
        .body
        .to_string();
    assert!(actions.contains("account.password"), "{actions}");
    for secret in ["wang-password-2", "wang-password-3", "argon2"] {
        assert!(!actions.contains(secret), "{secret} in the log: {actions}");
    }
}

#[tokio::test]
async fn an_admin_changes_sites_and_deletes_accounts_and_each_change_is_logged() {
    let (relay, _) = relay_with_wang("managers-admin", |_| {}).await;
    let other = new_site(&relay, "二号工地").await;
    let moved = admin(
        &relay,
        "PUT",
        "/v1/manager/accounts/wang/sites",
        Some(json!({"sites": [other]})),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["sites"], json!([other]));
    let session = logged_in(&relay, "wang", "wang-password-1").await;
    let who = in_session(&relay, &session, false, "GET", "/v1/manager/session", None).await;
    assert_eq!(who.body["sites"], json!([other]));
    let unknown = admin(
        &relay,
        "PUT",
        "/v1/manager/accounts/wang/sites",
        Some(json!({"sites": ["site-99"]})),
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    let deleted = admin(&relay, "DELETE", "/v1/manager/accounts/wang", None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let gone = in_session(&relay, &session, false, "GET", "/v1/manager/session", None).await;
    assert_eq!(
        gone.status, 401,
        "a deleted account's sessions end: {}",
        gone.body
    );
    assert_eq!(
        login(&relay, "wang", "wang-password-1", &[]).await.status,
        401
    );
    let again = admin(&relay, "DELETE", "/v1/manager/accounts/wang", None).await;
    assert_eq!(again.status, 404, "{}", again.body);

    let actions = admin(&relay, "GET", "/v1/manager/actions", None).await.body;
    let names: Vec<&str> = (actions.as_array().unwrap().iter())
        .map(|action| action["action"].as_str().unwrap())
        .collect();
    for action in ["account.create", "account.sites", "account.delete"] {
        assert!(names.contains(&action), "{action} in {names:?}");
    }
    assert!(!actions.to_string().contains("wang-password-1"));
}

/// Sends wrong attempts until the relay answers 429 (at most [`ATTEMPTS`]); the 429.
async fn until_refused(mut attempt: impl AsyncFnMut(usize) -> Answer, what: &str) -> Answer {
    for n in 0..ATTEMPTS {
        let answer = attempt(n).await;
        if answer.status == 429 {
            return answer;
        }
        assert!(
            matches!(answer.status, 401 | 403 | 404 | 410),
            "{what} #{n}: {} {}",
            answer.status,
            answer.body
        );
    }
    panic!("{ATTEMPTS} {what} and never refused");
}

/// A 429 says when to come back, in Chinese.
fn assert_locked(answer: &Answer) {
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], "too_many_failures");
    let retry: u64 = (answer.headers.get("retry-after"))
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .expect("a Retry-After in seconds");
    assert!(retry > 0, "{retry}");
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("稍后"),
        "{}",
        answer.body
    );
}

/// The attack: one account's password guessed from many addresses (behind a proxy, so each
/// guess comes from another client): the account locks, even for the right password.
#[tokio::test]
async fn many_wrong_passwords_for_one_account_lock_it_even_for_the_right_password() {
    let (relay, _) = relay_with_wang("managers-lock-account", behind_local_proxy).await;
    let locked = until_refused(
        async |n| {
            let from = format!("198.51.100.{}", n + 1);
            login(
                &relay,
                "wang",
                &format!("guess-{n:06}"),
                &[("x-forwarded-for", &from)],
            )
            .await
        },
        "wrong passwords for wang",
    )
    .await;
    assert_locked(&locked);
    let right = login(
        &relay,
        "wang",
        "wang-password-1",
        &[("x-forwarded-for", "203.0.113.9")],
    )
    .await;
    assert_locked(&right);
}

/// The attack: one address tries many accounts' passwords; it is stopped, even for an
/// account it has the right password of; another address is not.
#[tokio::test]
async fn many_wrong_passwords_from_one_address_lock_the_address() {
    let (relay, _) = relay_with_wang("managers-lock-address", behind_local_proxy).await;
    let from = [("x-forwarded-for", "198.51.100.20")];
    let locked = until_refused(
        async |n| login(&relay, &format!("user{n}"), "guess-password", &from).await,
        "wrong logins from one address",
    )
    .await;
    assert_locked(&locked);
    assert_locked(&login(&relay, "wang", "wang-password-1", &from).await);
    let elsewhere = login(
        &relay,
        "wang",
        "wang-password-1",
        &[("x-forwarded-for", "198.51.100.21")],
    )
    .await;
    assert_eq!(
        elsewhere.status, 200,
        "the real client behind the proxy is limited, not the proxy: {}",
        elsewhere.body
    );
}

/// The attack: a spoofed `X-Forwarded-For` from a client that is no trusted proxy, to make
/// each guess look like another address: ignored, the address itself is limited.
#[tokio::test]
async fn a_spoofed_forwarded_for_does_not_dodge_the_address_limit() {
    let (relay, _) = relay_with_wang("managers-spoofed-xff", |_| {}).await;
    let locked = until_refused(
        async |n| {
            let spoofed = format!("192.0.2.{}", n + 1);
            login(
                &relay,
                &format!("user{n}"),
                "guess-password",
                &[("x-forwarded-for", &spoofed)],
            )
            .await
        },
        "wrong logins with spoofed addresses",
    )
    .await;
    assert_locked(&locked);
}

/// The attack: bearer tokens guessed by the hundred; the right token from that address is
/// then refused too.
#[tokio::test]
async fn many_wrong_manager_tokens_from_one_address_are_refused() {
    let relay = TaskRelay::start("managers-lock-token", 20, |_| {}).await;
    let locked = until_refused(
        async |n| {
            let guess = format!("Bearer guess-{n:032}");
            send(
                &relay.url,
                "GET",
                "/v1/manager/sites",
                &[("authorization", &guess)],
                None,
            )
            .await
        },
        "wrong manager tokens",
    )
    .await;
    assert_locked(&locked);
    assert_locked(&admin(&relay, "GET", "/v1/manager/sites", None).await);
}

/// The attack: enrollment codes guessed by the hundred.
#[tokio::test]
async fn many_wrong_enrollment_codes_from_one_address_are_refused() {
    let relay = TaskRelay::start("managers-lock-enroll", 20, |_| {}).await;
    let locked = until_refused(
        async |n| {
            let code = format!("{:05}-{:05}", n, n);
            send(
                &relay.url,
                "POST",
                "/v1/enroll",
                &[],
                Some(json!({"code": code})),
            )
            .await
        },
        "wrong enrollment codes",
    )
    .await;
    assert_locked(&locked);
}

/// The attack: a code that lives for 8,000 years (and so can be guessed or leaked forever).
#[tokio::test]
async fn an_enrollment_code_cannot_live_for_thousands_of_years() {
    let relay = TaskRelay::start("managers-code-ttl", 20, |_| {}).await;
    let site_id = new_site(&relay, "一号工地").await;
    let path = format!("/v1/manager/sites/{site_id}/enrollments");
    let eight_thousand_years = 8_000u64 * 365 * 24 * 60;
    let forever = admin(
        &relay,
        "POST",
        &path,
        Some(json!({"binding": "team", "ttlMinutes": eight_thousand_years})),
    )
    .await;
    assert_eq!(forever.status, 400, "an 8,000-year code: {}", forever.body);
    assert!(
        forever.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("30 天"),
        "{}",
        forever.body
    );
    let month = 30 * 24 * 60;
    let longest = admin(
        &relay,
        "POST",
        &path,
        Some(json!({"binding": "team", "ttlMinutes": month})),
    )
    .await;
    assert_eq!(longest.status, 201, "30 days is allowed: {}", longest.body);
    let past = admin(
        &relay,
        "POST",
        &path,
        Some(json!({"binding": "team", "ttlMinutes": month + 1})),
    )
    .await;
    assert_eq!(past.status, 400, "{}", past.body);
}

/// `relay demo`'s first line names an administrator and the demo site's manager; both log in
/// with their passwords and work with their tokens.
#[tokio::test]
async fn the_demo_line_names_an_administrator_and_a_site_manager() {
    let demo = crate::relay_common::demo("managers-demo").await;
    let info = serde_json::to_value(&demo.info).unwrap();
    let url = info["url"].as_str().unwrap();
    assert!(info["managerToken"].is_string(), "{info}");
    let site_id = info["site"]["siteId"].as_str().unwrap();
    assert_eq!(info["managers"]["site"]["siteId"], site_id);
    for (who, role, sites) in [
        ("admin", "admin", json!([])),
        ("site", "site", json!([site_id])),
    ] {
        let manager = &info["managers"][who];
        let (name, password) = (
            manager["name"].as_str().unwrap(),
            manager["password"].as_str().unwrap(),
        );
        let body = json!({"name": name, "password": password});
        let answer = send(url, "POST", "/v1/manager/login", &[], Some(body)).await;
        assert_eq!(answer.status, 200, "{who}: {}", answer.body);
        assert_eq!(answer.body["role"], role);
        assert_eq!(answer.body["sites"], sites);
        let bearer = format!("Bearer {}", manager["token"].as_str().unwrap());
        let by_token = send(
            url,
            "GET",
            "/v1/manager/session",
            &[("authorization", &bearer)],
            None,
        )
        .await;
        assert_eq!(by_token.body["name"], name, "{}", by_token.body);
    }
    demo.shutdown().await;
}

/// The attack: [`ATTEMPTS`] wrong passwords sent all at once from one address, so that each
/// is let in before any earlier one is counted: at most the address's budget of them is
/// judged (401); the rest are refused (429) or put off while the relay is busy (503).
#[tokio::test]
async fn parallel_wrong_passwords_from_one_address_are_judged_at_most_the_budget() {
    const BUDGET: u32 = 20;
    let (relay, _) = relay_with_wang("managers-parallel-guesses", |config| {
        behind_local_proxy(config);
        config.manager.max_failures_per_address = BUDGET;
    })
    .await;
    let from = [("x-forwarded-for", "198.51.100.50")];
    let guesses = (0..ATTEMPTS).map(|n| {
        let relay = &relay;
        async move { login(relay, &format!("user{n}"), "guess-password", &from).await }
    });
    let answers = futures_util::future::join_all(guesses).await;
    for answer in &answers {
        assert!(
            matches!(answer.status, 401 | 429 | 503),
            "{} {}",
            answer.status,
            answer.body
        );
    }
    let judged = answers.iter().filter(|answer| answer.status == 401).count();
    assert!(
        judged <= BUDGET as usize,
        "{judged} of {ATTEMPTS} parallel guesses judged, more than the budget of {BUDGET}"
    );
    assert_locked(&login(&relay, "wang", "wang-password-1", &from).await);
}

/// The attack: garbage put in front of `X-Forwarded-For` (`unknown, <client>`), so the chain
/// is thrown away and every client looks like the proxy: the real client is still the one
/// counted, and another client behind the same proxy is not locked out with it.
#[tokio::test]
async fn garbage_in_front_of_the_forwarded_chain_does_not_change_the_client() {
    let (relay, _) = relay_with_wang("managers-xff-garbage", behind_local_proxy).await;
    let locked = until_refused(
        async |n| {
            let chain = format!("unknown, x, 1.2.3.4:5678, [::1]:80, 198.51.100.30:{n}");
            login(
                &relay,
                &format!("user{n}"),
                "guess-password",
                &[("x-forwarded-for", &chain)],
            )
            .await
        },
        "wrong logins behind garbage",
    )
    .await;
    assert_locked(&locked);
    let from = [("x-forwarded-for", "198.51.100.30")];
    assert_locked(&login(&relay, "wang", "wang-password-1", &from).await);
    let other = [("x-forwarded-for", "198.51.100.31")];
    let elsewhere = login(&relay, "wang", "wang-password-1", &other).await;
    assert_eq!(
        elsewhere.status, 200,
        "another client behind the proxy is not locked: {}",
        elsewhere.body
    );
}

/// The attack: IPv4 clients written as IPv6 (`::ffff:a.b.c.d`) in `X-Forwarded-For`, which
/// would all fall into one IPv6 /64: each is counted as the IPv4 address it is.
#[tokio::test]
async fn ipv4_mapped_forwarded_addresses_are_counted_as_ipv4() {
    let (relay, _) = relay_with_wang("managers-xff-mapped", behind_local_proxy).await;
    let locked = until_refused(
        async |n| {
            login(
                &relay,
                &format!("user{n}"),
                "guess-password",
                &[("x-forwarded-for", "::ffff:198.51.100.40")],
            )
            .await
        },
        "wrong logins from a mapped address",
    )
    .await;
    assert_locked(&locked);
    let same = [("x-forwarded-for", "198.51.100.40")];
    assert_locked(&login(&relay, "wang", "wang-password-1", &same).await);
    let other = [("x-forwarded-for", "::ffff:198.51.100.41")];
    let elsewhere = login(&relay, "wang", "wang-password-1", &other).await;
    assert_eq!(
        elsewhere.status, 200,
        "another IPv4 client is its own bucket: {}",
        elsewhere.body
    );
}
