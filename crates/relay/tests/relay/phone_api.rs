//! The relay's phone API (PROTOCOL.md §9) over real loopback sockets: `POST /v1/frame` and
//! `GET /v1/link` in front of the real `platform-sim` binary (or a fake TCP platform where a
//! test needs the platform to answer in a particular way), `/healthz` and `/metrics`.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use zj_host::system_clock::now_ms;
use zj_protocol::json_form::command_request_body;
use zj_protocol::wire::{self, Response};
use zj_protocol::{Apicode, Channel, ErrorCode, ProtocolError};
use zj_relay::config::LimitsConfig;
use zj_relay::server::RunningRelay;

use crate::relay_common::sim_common::{BOGUS_SIGN, SN};
use crate::relay_common::{
    data_dir, get_text, http_client, phone_record, phone_record_with, phone_request, refusal,
    relay_before_fake, relay_config, test_phone, FakePlatform, InProcessRelay, PhoneClient,
    Transport, WsLink,
};

const BOTH: [Transport; 2] = [Transport::Http, Transport::Ws];

/// The members a platform sign-in may show (§7's members, `img` as `imgBytes`, plus what
/// the simulator adds: `sn`, `receivedAt`).
const PLATFORM_MEMBERS: [&str; 11] = [
    "personId",
    "type",
    "bitType",
    "qrCodeInfo",
    "imgBytes",
    "recordTime",
    "temperature",
    "irisInfo",
    "coordinate",
    "sn",
    "receivedAt",
];

async fn relay(name: &str, phones: usize) -> InProcessRelay {
    relay_with(name, phones, LimitsConfig::default()).await
}

async fn relay_with(name: &str, phones: usize, limits: LimitsConfig) -> InProcessRelay {
    let phones = (0..phones)
        .map(|i| test_phone(&format!("{name}-{i}")))
        .collect();
    InProcessRelay::start(name, phones, limits).await
}

/// Asserts `reply` is a refusal with `code`; returns the refusal.
#[track_caller]
fn assert_refused(reply: &Response, code: &str) -> ProtocolError {
    let error = refusal(reply).unwrap_or_else(|| panic!("expected {code}, got success {reply:?}"));
    assert_eq!(error.errorcode, code, "{reply:?}");
    error
}

#[track_caller]
fn assert_ok(reply: &Response) {
    assert!(reply.success, "expected success, got {reply:?}");
}

#[tokio::test]
async fn a_sign_in_over_frame_and_over_link_reaches_the_platform_with_only_section_7_members() {
    let relay = relay("signin", 1).await;
    let mut sent = HashMap::new();
    for (n, transport) in BOTH.into_iter().enumerate() {
        let mut phone = relay.phone(0, transport).await.authed().await;
        let person = format!("P-{transport:?}");
        let record = phone_record_with(
            &person,
            &format!("rec-{n}"),
            json!(64),
            3000 + n,
            json!({
                "bitType": "3",
                "temperature": 36.6,
                "liveness": {"score": 0.93, "frames": 12},
                "locationWarnings": ["mock-location"],
                "accuracyM": 8,
            }),
        );
        assert_ok(&phone.sign_in(&record).await);
        sent.insert(person, serde_json::from_str::<Value>(&record).unwrap());
    }
    let received = relay.signins().await;
    assert_eq!(received.len(), 2, "{received:?}");
    for signin in &received {
        let person = signin["personId"].as_str().unwrap();
        let record = &sent[person];
        for member in signin.as_object().unwrap().keys() {
            assert!(
                PLATFORM_MEMBERS.contains(&member.as_str()),
                "non-§7 member {member} reached the platform: {signin}"
            );
        }
        assert_eq!(signin["sn"], SN, "forwarded as the platform sn");
        assert_eq!(signin["type"], 64);
        assert_eq!(signin["bitType"], "3");
        assert_eq!(signin["temperature"], 36.6);
        assert_eq!(signin["recordTime"], record["recordTime"]);
        assert_eq!(signin["coordinate"], record["coordinate"]);
        let photo = record["img"].as_str().unwrap();
        let decoded = base64_len(photo);
        assert_eq!(signin["imgBytes"], decoded, "the photo arrived whole");
    }
}

fn base64_len(text: &str) -> usize {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_heartbeat_over_frame_and_over_link_answers_with_the_relay_time() {
    let relay = relay("heartbeat", 1).await;
    for transport in BOTH {
        let mut phone = relay.phone(0, transport).await.authed().await;
        let before = now_ms();
        let reply = phone.heartbeat().await;
        let after = now_ms();
        assert_ok(&reply);
        let response: Value = serde_json::from_str(&reply.response).unwrap();
        assert_eq!(response["taskids"], json!([]), "{transport:?}: {response}");
        let relay_time = response["relayTimeMs"].as_i64().expect("relayTimeMs");
        assert!(
            (before - 1000..=after + 1000).contains(&relay_time),
            "{transport:?}: relayTimeMs {relay_time} is not now ({before}..{after})"
        );
    }
    assert!(
        relay.signins().await.is_empty(),
        "heartbeats stay on the relay"
    );
}

#[tokio::test]
async fn a_bad_phone_signature_is_400_04_and_nothing_is_forwarded() {
    let relay = relay("bad-sign", 2).await;
    for transport in BOTH {
        let mut phone = relay.phone(0, transport).await.authed().await;
        let record = phone_record("P-1", &format!("rec-{transport:?}"));

        let mut bogus = phone.request(Apicode::CSignIn, &record);
        bogus.sign = BOGUS_SIGN.into();
        assert_refused(&phone.call(&bogus).await, "400_04");

        // Signed over one personId, sent with another.
        let mut tampered = phone.request(Apicode::CSignIn, &record);
        tampered.param = record.replace("P-1", "P-2");
        assert_refused(&phone.call(&tampered).await, "400_04");

        // Signed with the other phone's secret.
        let mut other = phone.creds.clone();
        other.access_secret = relay.phones[1].access_secret.clone();
        let token = phone.token.clone().unwrap();
        let wrong_key = phone_request(&other, &token, Apicode::CSignIn, &record, now_ms());
        assert_refused(&phone.call(&wrong_key).await, "400_04");

        let mut heartbeat = phone.request(Apicode::CHeartbeat, r#"{"deviceVersion":"x"}"#);
        heartbeat.sign = BOGUS_SIGN.into();
        assert_refused(&phone.call(&heartbeat).await, "400_04");

        // Phone 1 with phone 0's token.
        let mut thief = relay.phone(1, transport).await;
        thief.token = phone.token.clone();
        assert_refused(&thief.sign_in(&record).await, "400_04");
    }
    assert!(relay.signins().await.is_empty());
}

#[tokio::test]
async fn unknown_phone_credentials_are_401_02_at_c_auth() {
    let relay = relay("unknown", 2).await;
    for transport in BOTH {
        let mut unknown = relay.phones[0].clone();
        unknown.access_id = "phone-nobody".into();
        let mut phone = PhoneClient::connect(transport, &relay.url, &unknown).await;
        assert_refused(&phone.auth().await, "401_02");
        assert!(phone.token.is_none());

        let mut wrong_key = relay.phones[0].clone();
        wrong_key.access_key = "pk-guessed".into();
        let mut phone = PhoneClient::connect(transport, &relay.url, &wrong_key).await;
        assert_refused(&phone.auth().await, "401_02");

        // Phone 0's credentials with phone 1's sn.
        let mut other_sn = relay.phones[0].clone();
        other_sn.sn = relay.phones[1].sn.clone();
        let mut phone = PhoneClient::connect(transport, &relay.url, &other_sn).await;
        assert_refused(&phone.auth().await, "401_02");

        // The vendor's platform credentials are not phone credentials.
        let mut vendor = relay.phones[0].clone();
        vendor.access_id = crate::relay_common::sim_common::ACCESS_ID.into();
        vendor.access_key = crate::relay_common::sim_common::ACCESS_KEY.into();
        vendor.access_secret = crate::relay_common::sim_common::ACCESS_SECRET.into();
        let mut phone = PhoneClient::connect(transport, &relay.url, &vendor).await;
        assert_refused(&phone.auth().await, "401_02");
    }
    assert!(relay.signins().await.is_empty());
}

#[tokio::test]
async fn a_revoked_phone_is_refused_with_401_02() {
    let relay = relay("revoked", 2).await;
    let mut http = relay.phone(0, Transport::Http).await.authed().await;
    let mut ws = relay.phone(0, Transport::Ws).await.authed().await;
    assert_ok(&http.sign_in(&phone_record("P-1", "rec-1")).await);
    assert_eq!(relay.signins().await.len(), 1);

    let revoked = relay.phones[0].access_id.clone();
    assert!(relay.relay.gateway.revoke_phone(&revoked).await.unwrap());

    for phone in [&mut http, &mut ws] {
        assert_refused(
            &phone.sign_in(&phone_record("P-2", "rec-2")).await,
            "401_02",
        );
        assert_refused(&phone.heartbeat().await, "401_02");
        // A retry of a record the ledger knows is refused too, not answered from the ledger.
        assert_refused(
            &phone.sign_in(&phone_record("P-1", "rec-1")).await,
            "401_02",
        );
        assert_refused(&phone.auth().await, "401_02");
    }
    // The other phone is untouched.
    let mut other = relay.phone(1, Transport::Http).await.authed().await;
    assert_ok(&other.sign_in(&phone_record("P-3", "rec-3")).await);
    let people: Vec<_> = (relay.signins().await.iter())
        .map(|s| s["personId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(people, ["P-1", "P-3"]);
}

/// `Gateway::revoke_phone` says "durable first"; a revocation that a restart undoes is not.
#[tokio::test]
async fn a_revoked_phone_stays_revoked_after_a_restart() {
    let relay = relay("revoked-restart", 1).await;
    let config = relay.config.clone();
    let creds = relay.phones[0].clone();
    assert!(relay
        .relay
        .gateway
        .revoke_phone(&creds.access_id)
        .await
        .unwrap());
    let mut phone = relay.phone(0, Transport::Http).await;
    assert_refused(&phone.auth().await, "401_02");
    let sim = relay.shutdown().await;

    let again = RunningRelay::start(config)
        .await
        .expect("the relay restarts");
    let url = format!("http://{}", again.addr);
    let mut phone = PhoneClient::connect(Transport::Http, &url, &creds).await;
    let reply = phone.auth().await;
    again.shutdown().await;
    drop(sim);
    assert_refused(&reply, "401_02");
}

#[tokio::test]
async fn a_time_stamp_ten_minutes_off_is_400_05() {
    let relay = relay("old-stamp", 1).await;
    for transport in BOTH {
        let mut phone = relay.phone(0, transport).await;
        for offset in [-600_000, 600_000] {
            let auth = phone.request_at(Apicode::CAuth, "", now_ms() + offset);
            assert_refused(&phone.call(&auth).await, "400_05");
        }
        let mut phone = phone.authed().await;
        let record = phone_record("P-1", &format!("rec-{transport:?}"));
        for offset in [-600_000, 600_000] {
            let old = phone.request_at(Apicode::CSignIn, &record, now_ms() + offset);
            assert_refused(&phone.call(&old).await, "400_05");
            let heartbeat = phone_request(
                &phone.creds,
                phone.token.as_deref().unwrap(),
                Apicode::CHeartbeat,
                &crate::relay_common::phone_heartbeat_param(),
                now_ms() + offset,
            );
            assert_refused(&phone.call(&heartbeat).await, "400_05");
        }
    }
    assert!(relay.signins().await.is_empty());
}

#[tokio::test]
async fn a_sign_in_without_a_string_record_id_is_400_02() {
    let relay = relay("no-record-id", 1).await;
    for transport in BOTH {
        let mut phone = relay.phone(0, transport).await.authed().await;
        let mut record: Value = serde_json::from_str(&phone_record("P-1", "x")).unwrap();
        record.as_object_mut().unwrap().remove("recordId");
        let error = assert_refused(&phone.sign_in(&record.to_string()).await, "400_02");
        assert!(error.errormsg.contains("recordId"), "{error:?}");
        record["recordId"] = json!(12345);
        assert_refused(&phone.sign_in(&record.to_string()).await, "400_02");
    }
    assert!(relay.signins().await.is_empty());
}

#[tokio::test]
async fn an_invalid_attendance_type_is_403_01_again_on_retry_and_never_reaches_the_platform() {
    let relay = relay("type-5", 1).await;
    for transport in BOTH {
        let mut phone = relay.phone(0, transport).await.authed().await;
        let record = phone_record_with("P-1", "rec-5", json!("5"), 512, json!({}));
        let first = assert_refused(&phone.sign_in(&record).await, "403_01");
        let retry = assert_refused(&phone.sign_in(&record).await, "403_01");
        assert_eq!(first, retry);
        let bit_type = phone_record_with("P-1", "rec-6", json!(64), 512, json!({"bitType": 4}));
        assert_refused(&phone.sign_in(&bit_type).await, "403_02");
    }
    assert!(relay.signins().await.is_empty());
}

#[tokio::test]
async fn a_platform_refusal_of_the_record_is_passed_through_and_answered_from_the_ledger() {
    let refusal_sent =
        ProtocolError::with_detail(ErrorCode::AttendanceTypeInvalid, "platform says no");
    let answer = refusal_sent.clone();
    let fake = FakePlatform::start(move |_| (Duration::ZERO, Some(answer.clone()))).await;
    let creds = test_phone("refused");
    let (relay, url) =
        relay_before_fake("platform-refusal", &fake, std::slice::from_ref(&creds)).await;
    for transport in BOTH {
        let mut phone = PhoneClient::connect(transport, &url, &creds)
            .await
            .authed()
            .await;
        let record = phone_record("P-1", "rec-refused");
        let first = assert_refused(&phone.sign_in(&record).await, "403_01");
        assert_eq!(first, refusal_sent, "the platform's own refusal, unchanged");
        let retry = assert_refused(&phone.sign_in(&record).await, "403_01");
        assert_eq!(retry, refusal_sent);
    }
    assert_eq!(fake.count(), 1, "the retries were answered from the ledger");
    relay.shutdown().await;
}

#[tokio::test]
async fn a_transient_platform_failure_is_not_final_and_the_retry_is_sent() {
    let fake = FakePlatform::start(|n| {
        let busy = ProtocolError::new(ErrorCode::SystemError);
        (Duration::ZERO, (n == 0).then_some(busy))
    })
    .await;
    let creds = test_phone("transient");
    let (relay, url) = relay_before_fake("transient", &fake, std::slice::from_ref(&creds)).await;
    let mut phone = PhoneClient::connect(Transport::Http, &url, &creds)
        .await
        .authed()
        .await;
    let record = phone_record("P-1", "rec-transient");
    let error = assert_refused(&phone.sign_in(&record).await, "500_01");
    assert!(error.errormsg.contains("retry"), "{error:?}");
    assert_ok(&phone.sign_in(&record).await);
    assert_ok(&phone.sign_in(&record).await);
    assert_eq!(
        fake.count(),
        2,
        "sent again after the transient failure, then not again"
    );
    relay.shutdown().await;
}

/// A phone whose HTTP request times out while the platform is slow drops its connection; its
/// retry of the same record must get through (or be answered), not be told to retry forever.
#[tokio::test]
async fn a_phone_that_gave_up_waiting_gets_its_record_through_on_retry() {
    let fake =
        FakePlatform::start(|n| (Duration::from_millis(if n == 0 { 1500 } else { 0 }), None)).await;
    let creds = test_phone("gave-up");
    let (relay, url) = relay_before_fake("gave-up", &fake, std::slice::from_ref(&creds)).await;
    let mut phone = PhoneClient::connect(Transport::Http, &url, &creds)
        .await
        .authed()
        .await;
    let record = phone_record("P-1", "rec-gave-up");

    let impatient = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let body = command_request_body(&phone.request(Apicode::CSignIn, &record));
    let gave_up = impatient
        .post(format!("{url}/v1/frame"))
        .body(body)
        .send()
        .await;
    assert!(
        gave_up.is_err(),
        "the first attempt outlasts the phone's patience"
    );
    // Let the platform answer the first attempt.
    tokio::time::sleep(Duration::from_millis(2000)).await;

    let mut replies = Vec::new();
    for _ in 0..5 {
        let reply = phone.sign_in(&record).await;
        let done = reply.success;
        replies.push(reply);
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let forwarded = fake.count();
    relay.shutdown().await;
    assert!(
        replies.last().unwrap().success,
        "the retries never got through ({forwarded} sign-ins reached the platform): {replies:#?}"
    );
    assert!(
        (1..=2).contains(&forwarded),
        "{forwarded} sign-ins reached the platform"
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_http_400_with_400_02() {
    let relay = relay("not-json", 1).await;
    let mut phone = relay.phone(0, Transport::Http).await;
    for body in [
        "[1,2,3]",
        "\"C_AUTH\"",
        "not json",
        "",
        "{\"sn\": 5}",
        "{\"sn\":",
    ] {
        let (status, text) = phone.post_raw(body).await;
        assert_eq!(status, 400, "body {body:?}: {text}");
        let reply: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(reply["success"], false, "{text}");
        assert_eq!(reply["error"]["errorcode"], "400_02", "{text}");
    }
    // A JSON object that fails a check is HTTP 200 with the refusal.
    let (status, text) = phone.post_raw("{}").await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["success"],
        false
    );
}

/// Asserts the next message is a `400_02` reply frame.
async fn assert_400_02_frame(link: &mut WsLink, what: &str) {
    let reply = link.recv_reply().await;
    assert!(!reply.success, "{what}: {reply:?}");
    assert_eq!(
        refusal(&reply).unwrap().errorcode,
        "400_02",
        "{what}: {reply:?}"
    );
}

#[tokio::test]
async fn malformed_link_messages_get_a_400_02_frame() {
    let relay = relay("link-errors", 1).await;
    let phone = relay.phone(0, Transport::Http).await.authed().await;
    let token = phone.token.clone().unwrap();
    let sign_in = phone_request(
        &relay.phones[0],
        &token,
        Apicode::CSignIn,
        &phone_record("P-1", "rec-trailing"),
        now_ms(),
    );
    let frame = wire::frame_bytes(&sign_in).to_vec();

    let mut link = WsLink::connect(&relay.url).await;
    link.send(Message::text(command_request_body(&sign_in)))
        .await;
    assert_400_02_frame(&mut link, "a text message").await;
    link.assert_closed().await;

    let mut link = WsLink::connect(&relay.url).await;
    link.send(Message::binary(frame[..frame.len() - 1].to_vec()))
        .await;
    assert_400_02_frame(&mut link, "a truncated frame").await;
    link.assert_closed().await;

    let mut link = WsLink::connect(&relay.url).await;
    let mut trailing = frame.clone();
    trailing.push(0);
    link.send(Message::binary(trailing)).await;
    assert_400_02_frame(&mut link, "a frame with a trailing byte").await;
    link.assert_closed().await;

    let mut link = WsLink::connect(&relay.url).await;
    let mut two = frame.clone();
    two.extend_from_slice(&frame);
    link.send(Message::binary(two)).await;
    assert_400_02_frame(&mut link, "two frames in one message").await;
    link.assert_closed().await;

    let mut link = WsLink::connect(&relay.url).await;
    link.send(Message::binary(vec![0u8])).await;
    assert_400_02_frame(&mut link, "a zero-length frame").await;
    link.assert_closed().await;

    // A whole frame whose body is not a Request: answered, and the link stays usable.
    let mut link = WsLink::connect(&relay.url).await;
    link.send(Message::binary(vec![3u8, 0xff, 0xff, 0xff]))
        .await;
    assert_400_02_frame(&mut link, "a body that is not protobuf").await;
    let auth = phone_request(&relay.phones[0], "", Apicode::CAuth, "", now_ms());
    assert_ok(&link.call(&auth).await);

    assert!(
        relay.signins().await.is_empty(),
        "none of those sign-ins was forwarded"
    );
}

#[tokio::test]
async fn frames_pipelined_on_one_link_are_answered_in_order() {
    let relay = relay("pipelined", 1).await;
    let phone = relay.phone(0, Transport::Http).await.authed().await;
    let token = phone.token.clone().unwrap();
    let mut link = WsLink::connect(&relay.url).await;
    let mut expected = Vec::new();
    for n in 0..12 {
        let request = if n % 3 == 2 {
            expected.push("C_SIGN_IN");
            let record = phone_record(&format!("P-{n}"), &format!("rec-{n}"));
            phone_request(
                &relay.phones[0],
                &token,
                Apicode::CSignIn,
                &record,
                now_ms(),
            )
        } else {
            expected.push("C_HEARTBEAT");
            let param = crate::relay_common::phone_heartbeat_param();
            phone_request(
                &relay.phones[0],
                &token,
                Apicode::CHeartbeat,
                &param,
                now_ms(),
            )
        };
        link.send_frame(&request).await;
    }
    for apicode in expected {
        let reply = link.recv_reply().await;
        assert_ok(&reply);
        assert_eq!(reply.apicode, apicode);
    }
    assert_eq!(relay.signins().await.len(), 4);
}

/// The value of the sample `name{labels}` in Prometheus text, when present.
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (series_name, rest) = series.split_once('{').unwrap_or((series, "}"));
        if series_name != name {
            return None;
        }
        let found: HashSet<(String, String)> = (rest.trim_end_matches('}').split(','))
            .filter(|pair| !pair.is_empty())
            .filter_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                Some((key.to_owned(), value.trim_matches('"').to_owned()))
            })
            .collect();
        let wanted: HashSet<(String, String)> = (labels.iter())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        (found == wanted).then(|| value.parse().ok()).flatten()
    })
}

#[tokio::test]
async fn healthz_and_metrics_show_the_links_and_count_frames_by_apicode_and_result() {
    let relay = relay("metrics", 1).await;
    let (status, health) = get_text(&format!("{}/healthz", relay.url)).await;
    assert_eq!(status, 200);
    let health: Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["ok"], true, "{health}");
    assert_eq!(health["platformLinks"], json!({SN: "Ready"}), "{health}");

    let mut phone = relay.phone(0, Transport::Http).await.authed().await;
    assert_ok(&phone.heartbeat().await);
    assert_ok(&phone.sign_in(&phone_record("P-1", "rec-1")).await);
    let mut bogus = phone.request(Apicode::CSignIn, &phone_record("P-2", "rec-2"));
    bogus.sign = BOGUS_SIGN.into();
    assert_refused(&phone.call(&bogus).await, "400_04");
    let mut ws = relay.phone(0, Transport::Ws).await.authed().await;
    assert_ok(&ws.heartbeat().await);

    let response = http_client()
        .get(format!("{}/metrics", relay.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.unwrap();
    let frames = "relay_phone_frames_total";
    let count =
        |apicode, result| metric(&text, frames, &[("apicode", apicode), ("result", result)]);
    assert_eq!(count("C_AUTH", "ok"), Some(2.0), "{text}");
    assert_eq!(count("C_HEARTBEAT", "ok"), Some(2.0), "{text}");
    assert_eq!(count("C_SIGN_IN", "ok"), Some(1.0), "{text}");
    assert_eq!(count("C_SIGN_IN", "400_04"), Some(1.0), "{text}");
    assert!(text.contains("# TYPE relay_phone_frames counter"), "{text}");
    assert_eq!(
        metric(&text, "relay_platform_link_ready", &[("sn", SN)]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "relay_phones_connected", &[]),
        Some(1.0),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_record_sent_concurrently_reaches_the_platform_once() {
    let limits = LimitsConfig {
        frames_burst: 1000,
        ..LimitsConfig::default()
    };
    let relay = relay_with("same-record", 1, limits).await;
    let mut first = relay.phone(0, Transport::Http).await.authed().await;
    let mut second = relay.phone(0, Transport::Ws).await.authed().await;
    let mut third = relay.phone(0, Transport::Http).await.authed().await;
    const ROUNDS: usize = 20;
    for round in 0..ROUNDS {
        let record = phone_record(&format!("P-{round}"), &format!("rec-{round}"));
        let (a, b, c) = tokio::join!(
            first.sign_in(&record),
            second.sign_in(&record),
            third.sign_in(&record)
        );
        for reply in [a, b, c] {
            assert_ok(&reply);
        }
    }
    let counts = crate::relay_common::person_counts(&relay.signins().await);
    assert_eq!(counts.len(), ROUNDS);
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
}

#[tokio::test]
async fn two_phones_may_use_the_same_record_id() {
    let relay = relay("two-phones", 2).await;
    let mut a = relay.phone(0, Transport::Http).await.authed().await;
    let mut b = relay.phone(1, Transport::Ws).await.authed().await;
    assert_ok(&a.sign_in(&phone_record("P-A", "rec-shared")).await);
    assert_ok(&b.sign_in(&phone_record("P-B", "rec-shared")).await);
    let counts = crate::relay_common::person_counts(&relay.signins().await);
    assert_eq!(
        counts,
        HashMap::from([("P-A".into(), 1), ("P-B".into(), 1)])
    );
}

#[tokio::test]
async fn a_burst_beyond_the_limit_gets_500_01_saying_retry() {
    let limits = LimitsConfig {
        frames_per_minute: 6,
        frames_burst: 5,
        ..LimitsConfig::default()
    };
    let relay = relay_with("rate", 2, limits).await;
    let mut phone = relay.phone(0, Transport::Http).await.authed().await;
    for _ in 0..4 {
        assert_ok(&phone.heartbeat().await);
    }
    let error = assert_refused(
        &phone.sign_in(&phone_record("P-1", "rec-1")).await,
        "500_01",
    );
    assert!(error.errormsg.contains("retry"), "{error:?}");
    // The limit is the phone's, whichever way it comes.
    let mut ws = relay.phone(0, Transport::Ws).await;
    let error = assert_refused(&ws.auth().await, "500_01");
    assert!(error.errormsg.contains("retry"), "{error:?}");
    // Another phone has its own budget.
    let mut other = relay.phone(1, Transport::Http).await.authed().await;
    assert_ok(&other.heartbeat().await);
    assert!(
        relay.signins().await.is_empty(),
        "the throttled sign-in was not forwarded"
    );
}

/// What TOML cannot check is checked at start, with the field named.
#[tokio::test]
async fn a_configuration_with_a_phone_for_an_unserved_sn_does_not_start() {
    let mut phone = crate::relay_common::relay_config(
        "127.0.0.1:9".into(),
        "http://127.0.0.1:9/api/device".into(),
        data_dir("bad-config"),
        &[test_phone("bad-config")],
        LimitsConfig::default(),
    );
    phone.phones[0].platform_sn = "NOT-SERVED".into();
    let error = RunningRelay::start(phone).await.err().expect("refused");
    assert!(error.to_string().contains("NOT-SERVED"), "{error}");
    let mut slow = relay_config(
        "127.0.0.1:9".into(),
        "http://127.0.0.1:9/api/device".into(),
        data_dir("bad-config-2"),
        &[],
        LimitsConfig::default(),
    );
    slow.platform.heartbeat_secs = 60;
    let error = RunningRelay::start(slow).await.err().expect("refused");
    assert!(error.to_string().contains("heartbeat_secs"), "{error}");
}

/// A retry that arrives while the first attempt is still at the (slow) platform waits for
/// that attempt's outcome instead of sending the record a second time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_racing_the_first_attempt_waits_for_it_and_is_not_sent_twice() {
    let fake = FakePlatform::start(|_| (Duration::from_millis(400), None)).await;
    let creds = test_phone("racing");
    let (relay, url) = relay_before_fake("racing", &fake, std::slice::from_ref(&creds)).await;
    let mut first = PhoneClient::connect(Transport::Http, &url, &creds)
        .await
        .authed()
        .await;
    let mut retry_http = PhoneClient::connect(Transport::Http, &url, &creds)
        .await
        .authed()
        .await;
    let mut retry_ws = PhoneClient::connect(Transport::Ws, &url, &creds)
        .await
        .authed()
        .await;
    let record = phone_record("P-1", "rec-racing");
    let late = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        tokio::join!(retry_http.sign_in(&record), retry_ws.sign_in(&record))
    };
    let (a, (b, c)) = tokio::join!(first.sign_in(&record), late);
    for reply in [a, b, c] {
        assert_ok(&reply);
    }
    assert_eq!(fake.count(), 1, "the retries joined the attempt in flight");
    relay.shutdown().await;
}

#[tokio::test]
async fn a_link_beyond_max_links_is_refused() {
    let limits = LimitsConfig {
        max_links: 1,
        ..LimitsConfig::default()
    };
    let relay = relay_with("max-links", 1, limits).await;
    let mut phone = relay.phone(0, Transport::Ws).await.authed().await;
    let url = format!("{}/v1/link", relay.url.replacen("http://", "ws://", 1));
    let refused = tokio_tungstenite::connect_async(url).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 503)
        }
        other => panic!("expected HTTP 503, got {:?}", other.map(|(_, r)| r)),
    }
    // The open link still works.
    assert_ok(&phone.heartbeat().await);
}

#[tokio::test]
async fn a_connection_beyond_max_connections_is_answered_503_and_a_freed_place_is_reused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    let limits = LimitsConfig {
        max_connections: 2,
        ..LimitsConfig::default()
    };
    let relay = relay_with("max-connections", 1, limits).await;
    let addr = relay.url.trim_start_matches("http://").to_owned();
    let probe = || async {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: relay\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut reply = String::new();
        let _ = stream.read_to_string(&mut reply).await;
        reply
    };
    // Idle connections hold their places (the relay's own readiness check may still hold one
    // for a moment): once two are held, a probe is refused, never before a third would be.
    let mut held = Vec::new();
    let refused = loop {
        let reply = probe().await;
        if !reply.starts_with("HTTP/1.1 200") {
            break reply;
        }
        assert!(held.len() < 2, "a third connection was served: {reply}");
        held.push(TcpStream::connect(&addr).await.unwrap());
    };
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(
        refused.ends_with(r#"{"error":"too many connections; retry in a moment"}"#),
        "{refused}"
    );
    // Places freed are taken again, once the relay has seen the connections close.
    drop(held);
    let mut answered = String::new();
    for _ in 0..200 {
        answered = probe().await;
        if answered.starts_with("HTTP/1.1 200") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(answered.contains(r#""ok":true"#), "{answered}");
}

#[tokio::test]
async fn each_missing_or_malformed_field_gets_its_section_8_code() {
    let relay = relay("fields", 1).await;
    let mut phone = relay.phone(0, Transport::Http).await.authed().await;
    let good = phone.request(Apicode::CSignIn, &phone_record("P-1", "rec-fields"));
    type Change = fn(&mut wire::Request);
    let cases: [(&str, Change); 11] = [
        ("402_01", |r| r.version.clear()),
        ("402_02", |r| r.sn.clear()),
        ("402_03", |r| r.token.clear()),
        ("402_04", |r| r.apicode.clear()),
        ("402_05", |r| r.time_stamp.clear()),
        ("402_06", |r| r.param.clear()),
        ("402_07", |r| r.sign.clear()),
        ("400_01", |r| r.apicode = "T_GET_TASKS".into()),
        ("404_01", |r| r.time_stamp = "2024-01-01 08:00".into()),
        ("401_01", |r| {
            r.token = "0123456789abcdef0123456789abcdef".into()
        }),
        ("400_02", |r| r.param = "{\"personId\":".into()),
    ];
    for transport in BOTH {
        let mut phone_on = relay.phone(0, transport).await;
        for (code, change) in cases {
            let mut request = good.clone();
            change(&mut request);
            let reply = phone_on.call(&request).await;
            assert_eq!(
                refusal(&reply).map(|e| e.errorcode),
                Some(code.to_owned()),
                "{transport:?} {request:?}"
            );
        }
    }
    assert_ok(&phone.call(&good).await);
    assert_eq!(relay.signins().await.len(), 1);
}

#[tokio::test]
async fn the_apicode_is_checked_before_the_fields_it_requires_on_both_transports() {
    let relay = relay("check-order", 1).await;
    let phone = relay.phone(0, Transport::Http).await.authed().await;
    let token = phone.token.clone().expect("a token");
    let valid = phone.request(Apicode::CSignIn, &phone_record("P-1", "rec-order"));
    let auth = phone.request(Apicode::CAuth, "");
    for transport in BOTH {
        let mut phone_on = relay.phone(0, transport).await;
        let mut answers = Vec::new();
        for case in crate::check_order::all_cases(Channel::Command, &valid, &auth, &token) {
            let reply = phone_on.call(&case.request).await;
            answers.push((case, refusal(&reply).map(|e| e.errorcode)));
        }
        crate::check_order::assert_answers(answers);
    }
    assert!(
        relay.signins().await.is_empty(),
        "nothing refused reaches the platform"
    );
}

#[tokio::test]
async fn a_param_sent_as_a_json_string_is_accepted_too() {
    let relay = relay("param-string", 1).await;
    let mut phone = relay.phone(0, Transport::Http).await.authed().await;
    let request = phone.request(Apicode::CSignIn, &phone_record("P-1", "rec-string"));
    let mut body: Value = serde_json::from_str(&command_request_body(&request)).unwrap();
    body["param"] = Value::String(request.param.clone());
    let (status, text) = phone.post_raw(body.to_string()).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["success"],
        true,
        "{text}"
    );
    assert_eq!(relay.signins().await.len(), 1);
}
