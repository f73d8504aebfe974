//! Two relays in this process on one fresh PostgreSQL database, in front of one `platform-sim`,
//! behave as one for a phone (issue 18, "any relay serves any phone"): a token one relay gave
//! is taken by the other, a phone enrolled at one is served by the other, a phone revoked at
//! one is refused by the other within the time the relay promises, and failed enrollment codes
//! and logins at both add up to one lock.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use zj_protocol::wire::Response;
use zj_relay::config::{LimitsConfig, RelayConfig, Secret};
use zj_relay::demo::DemoPhone;
use zj_relay::server::RunningRelay;

use crate::relay_common::cluster::holder;
use crate::relay_common::platform::{call, MANAGER_TOKEN};
use crate::relay_common::sim_common::{Sim, SimOptions, SN};
use crate::relay_common::{
    data_dir, http_client, phone_record, postgres, refusal, relay_config, test_phone, PhoneClient,
    Transport,
};

/// How soon a revocation at one relay is promised to be seen at another (the gateway reads
/// revocations again every 2 s), with a second's margin for the read itself.
const REVOCATION_SEEN_WITHIN: Duration = Duration::from_secs(3);

/// A simulator and two relays sharing one new PostgreSQL database.
struct Pair {
    sim: Sim,
    relays: Vec<RunningRelay>,
    /// The relays' base URLs.
    urls: Vec<String>,
}

impl Pair {
    /// Starts the relays with `phones` configured and [`MANAGER_TOKEN`], changed by `tweak`.
    async fn start(name: &str, phones: &[DemoPhone], tweak: impl Fn(&mut RelayConfig)) -> Self {
        let sim = Sim::with(SimOptions::default());
        let store_url = postgres::fresh_database();
        let mut relays = Vec::new();
        for index in 0..2 {
            let mut config = relay_config(
                sim.tcp.to_string(),
                format!("http://{}/api/device", sim.http),
                data_dir(&format!("{name}-{index}")),
                phones,
                LimitsConfig::default(),
            );
            config.store.url = Some(store_url.clone());
            config.manager.token = Some(Secret::new(MANAGER_TOKEN));
            tweak(&mut config);
            relays.push(RunningRelay::start(config).await.expect("the relay starts"));
        }
        let urls = (relays.iter())
            .map(|relay| format!("http://{}", relay.addr))
            .collect();
        Self { sim, relays, urls }
    }

    /// Stops both relays, then the simulator.
    async fn shutdown(self) {
        for relay in self.relays {
            relay.shutdown().await;
        }
        drop(self.sim);
    }
}

#[track_caller]
fn assert_ok(reply: &Response) {
    assert!(reply.success, "expected success, got {reply:?}");
}

#[track_caller]
fn assert_refused(reply: &Response, code: &str) {
    let error = refusal(reply).unwrap_or_else(|| panic!("expected {code}, got success {reply:?}"));
    assert_eq!(error.errorcode, code, "{reply:?}");
}

/// A phone at `url` holding `token` (from another relay's `C_AUTH`).
async fn with_token(
    transport: Transport,
    url: &str,
    creds: &DemoPhone,
    token: &str,
) -> PhoneClient {
    let mut phone = PhoneClient::connect(transport, url, creds).await;
    phone.token = Some(token.to_owned());
    phone
}

/// `POST path` on `url` with `headers` and a JSON body: the status and the JSON answer.
async fn post(url: &str, path: &str, headers: &[(&str, &str)], body: Value) -> (u16, Value) {
    let mut request = http_client().post(format!("{url}{path}")).json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the relay answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_token_from_one_relay_is_taken_by_the_other_and_an_unknown_one_is_not() {
    let creds = test_phone("shared-token");
    let pair = Pair::start("shared-token", std::slice::from_ref(&creds), |_| {}).await;
    let (a, b) = (&pair.urls[0], &pair.urls[1]);
    let at_a = PhoneClient::connect(Transport::Http, a, &creds)
        .await
        .authed()
        .await;
    let token = at_a.token.clone().expect("A's token");
    for transport in [Transport::Http, Transport::Ws] {
        let mut at_b = with_token(transport, b, &creds, &token).await;
        assert_ok(&at_b.heartbeat().await);
        at_b.token = Some("0123456789abcdef0123456789abcdef".into());
        assert_refused(&at_b.heartbeat().await, "401_01");
    }
    // A token B took on is A's still; and a token B issues is taken by A.
    assert_ok(
        &with_token(Transport::Http, a, &creds, &token)
            .await
            .heartbeat()
            .await,
    );
    let at_b = PhoneClient::connect(Transport::Ws, b, &creds)
        .await
        .authed()
        .await;
    let b_token = at_b.token.clone().expect("B's token");
    assert_ok(
        &with_token(Transport::Ws, a, &creds, &b_token)
            .await
            .heartbeat()
            .await,
    );

    // Sign-ins with A's token at both relays: each reaches the platform once, through the
    // relay that holds the sn's platform session.
    holder(&[a, b], Duration::from_secs(20)).await;
    for (n, url) in [a, b].into_iter().enumerate() {
        let mut phone = with_token(Transport::Http, url, &creds, &token).await;
        assert_ok(
            &phone
                .sign_in(&phone_record(&format!("P-{n}"), &format!("rec-{n}")))
                .await,
        );
    }
    let people: Vec<Value> = (crate::relay_common::signins(&format!("http://{}", pair.sim.http)))
        .await
        .iter()
        .map(|signin| signin["personId"].clone())
        .collect();
    assert_eq!(people, [json!("P-0"), json!("P-1")]);
    pair.shutdown().await;
}

/// A new site made at the relay at `url`, and a team phone's enrollment code for it:
/// `(siteId, code)`.
async fn site_and_code(url: &str) -> (String, Value) {
    let site = json!({"name": "滨江工地", "sn": SN});
    let (status, site) = call(
        url,
        "POST",
        "/v1/manager/sites",
        Some(MANAGER_TOKEN),
        Some(site),
    )
    .await;
    assert_eq!(status, 201, "{site}");
    let site_id = site["siteId"].as_str().unwrap().to_owned();
    let codes = format!("/v1/manager/sites/{site_id}/enrollments");
    let team = json!({"binding": "team"});
    let (status, code) = call(url, "POST", &codes, Some(MANAGER_TOKEN), Some(team)).await;
    assert_eq!(status, 201, "{code}");
    (site_id, code["code"].clone())
}

#[tokio::test]
async fn one_code_redeemed_at_both_relays_at_once_enrolls_one_phone() {
    let pair = Pair::start("shared-redeem", &[], |_| {}).await;
    let (_, code) = site_and_code(&pair.urls[0]).await;
    let attempts = (0..8).map(|n| {
        let url = pair.urls[n % 2].clone();
        let code = code.clone();
        async move { post(&url, "/v1/enroll", &[], json!({"code": code})).await }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let enrolled = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(enrolled, 1, "{answers:?}");
    assert!(
        answers.iter().all(|(status, _)| *status < 500),
        "the others are refused, not failed: {answers:?}"
    );
    pair.shutdown().await;
}

#[tokio::test]
async fn a_phone_enrolled_at_one_relay_is_served_by_the_other() {
    let pair = Pair::start("shared-enrolled", &[], |_| {}).await;
    let (a, b) = (&pair.urls[0], &pair.urls[1]);
    let (site_id, code) = site_and_code(a).await;
    let site_id = site_id.as_str();
    let (status, enrolled) = post(a, "/v1/enroll", &[], json!({"code": code})).await;
    assert_eq!(status, 200, "{enrolled}");
    let creds = crate::relay_common::phone_of(&enrolled);

    let mut at_b = PhoneClient::connect(Transport::Http, b, &creds)
        .await
        .authed()
        .await;
    assert_ok(&at_b.heartbeat().await);
    // The phone API beyond the protocol, at A with B's token.
    let b_token = at_b.token.clone().expect("B's token");
    let (status, view) = call(a, "GET", "/v1/site", Some(&b_token), None).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["siteId"], site_id, "{view}");
    pair.shutdown().await;
}

#[tokio::test]
async fn a_phone_revoked_at_one_relay_is_refused_by_the_other_within_seconds() {
    let creds = test_phone("shared-revoked");
    let pair = Pair::start("shared-revoked", std::slice::from_ref(&creds), |_| {}).await;
    let mut at_b = PhoneClient::connect(Transport::Http, &pair.urls[1], &creds)
        .await
        .authed()
        .await;
    assert_ok(&at_b.heartbeat().await);

    let revoked_at = Instant::now();
    let gateway = &pair.relays[0].gateway;
    assert!(gateway.revoke_phone(&creds.access_id).await.unwrap());
    loop {
        let reply = at_b.heartbeat().await;
        if refusal(&reply).is_some() {
            assert_refused(&reply, "401_02");
            break;
        }
        assert!(
            revoked_at.elapsed() < REVOCATION_SEEN_WITHIN,
            "B still served the phone {:?} after A revoked it",
            revoked_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_refused(&at_b.auth().await, "401_02");
    let (status, body) = call(
        &pair.urls[1],
        "GET",
        "/v1/site",
        at_b.token.as_deref(),
        None,
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("revoked")),
        "{body}"
    );
    pair.shutdown().await;
}

#[tokio::test]
async fn failed_codes_and_logins_at_both_relays_add_up_to_one_lock() {
    const PER_ADDRESS: usize = 6;
    const PER_ACCOUNT: usize = 5; // the default
    let pair = Pair::start("shared-failures", &[], |config| {
        config.http.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        config.manager.max_failures_per_address = PER_ADDRESS as u32;
    })
    .await;
    let relay = |n: usize| pair.urls[n % 2].as_str();

    let from = [("x-forwarded-for", "198.51.100.7")];
    for n in 0..PER_ADDRESS {
        let code = json!({"code": format!("{n:05}-{n:05}")});
        let (status, body) = post(relay(n), "/v1/enroll", &from, code).await;
        assert!(
            matches!(status, 401 | 404 | 410),
            "code #{n}: {status} {body}"
        );
    }
    for n in 0..2 {
        let code = json!({"code": "00000-00000"});
        let (status, body) = post(relay(n), "/v1/enroll", &from, code).await;
        assert_eq!(
            status, 429,
            "relay {n} after {PER_ADDRESS} wrong codes: {body}"
        );
    }

    let login = |n: usize| json!({"name": "wang", "password": format!("guess-{n}")});
    for n in 0..PER_ACCOUNT {
        let from = format!("198.51.100.{}", 20 + n);
        let headers = [("x-forwarded-for", from.as_str())];
        let (status, body) = post(relay(n), "/v1/manager/login", &headers, login(n)).await;
        assert_eq!(status, 401, "login #{n}: {body}");
    }
    for n in 0..2 {
        let headers = [("x-forwarded-for", "198.51.100.99")];
        let (status, body) = post(relay(n), "/v1/manager/login", &headers, login(99)).await;
        assert_eq!(
            status, 429,
            "relay {n} after {PER_ACCOUNT} wrong passwords: {body}"
        );
        assert_eq!(body["error"]["code"], "too_many_failures", "{body}");
    }
    pair.shutdown().await;
}
