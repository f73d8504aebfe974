//! The TCP command channel of the real `platform-sim` binary, over real sockets: a device's
//! life (auth, heartbeat, sign-in), pipelining, every §8 error code and their check order,
//! token idle time, the offline rule, and `DeviceSession` driving a real connection.

use std::time::Duration;

use crate::sim_common::*;
use serde_json::{json, Value};
use zj_protocol::wire::Request;
use zj_protocol::{Apicode, Channel, SessionEvent};

/// A base64-able photo of about 60 KB, as a phone camera sends after compression.
const PHOTO_BYTES: usize = 60 * 1024;

/// The sign-ins the simulator received for `person_id`.
async fn signins_of(http: &SimHttp, person_id: &str) -> Vec<Value> {
    let all = http.signins().await;
    all.into_iter()
        .filter(|entry| entry["personId"] == person_id)
        .collect()
}

#[tokio::test]
async fn auth_returns_a_32_hex_token() {
    let sim = Sim::start();
    let mut client = sim.connect().await;
    let token = client.auth(SN).await;
    assert_eq!(token.len(), 32, "{token}");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "token is not lowercase hex: {token}"
    );
    assert_ne!(
        client.auth(SN).await,
        token,
        "each C_AUTH issues a fresh token"
    );
}

#[tokio::test]
async fn devices_count_open_sessions_and_their_high_water_mark() {
    let sim = Sim::start();
    let http = sim.http();
    let sessions = |device: Value| (device["sessions"].as_u64(), device["maxSessions"].as_u64());
    assert_eq!(sessions(http.device(SN).await), (Some(0), Some(0)));
    let mut first = sim.connect().await;
    first.auth(SN).await;
    first.auth(SN).await; // the same connection again: still one session
    let mut second = sim.connect().await;
    second.auth(SN).await;
    assert_eq!(sessions(http.device(SN).await), (Some(2), Some(2)));
    drop(second);
    let mut device = http.device(SN).await;
    for _ in 0..100 {
        if device["sessions"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        device = http.device(SN).await;
    }
    assert_eq!(
        sessions(device),
        (Some(1), Some(2)),
        "a closed connection ends its session"
    );
    first.auth(OTHER_SN).await;
    assert_eq!(sessions(http.device(SN).await), (Some(0), Some(2)));
    assert_eq!(sessions(http.device(OTHER_SN).await), (Some(1), Some(1)));
}

#[tokio::test]
async fn heartbeat_answers_taskids_and_shows_the_device_online() {
    let sim = Sim::start();
    let http = sim.http();
    assert_eq!(http.device(SN).await["online"], json!(false));
    let mut client = sim.connect().await;
    let token = client.auth(SN).await;
    let before = now_ms();
    assert_eq!(
        client.heartbeat_taskids(SN, &token).await,
        Vec::<String>::new()
    );
    let device = http.device(SN).await;
    assert_eq!(device["online"], json!(true), "{device}");
    let last = device["lastHeartbeat"]
        .as_i64()
        .expect("lastHeartbeat in ms");
    assert!(last >= before - 1000 && last <= now_ms(), "{device}");
    assert_eq!(http.device(OTHER_SN).await["online"], json!(false));
}

#[tokio::test]
async fn sign_in_with_photo_and_coordinate_reaches_signins_without_img() {
    let sim = Sim::start();
    let http = sim.http();
    let mut client = sim.connect().await;
    let token = client.auth(SN).await;
    let photo = random_bytes(PHOTO_BYTES, 1);
    let extra = json!({"temperature": 36.6, "recordId": "rec-7f3a", "bitType": "3"});
    let param = sign_in_param("P-1001", json!("64"), &photo, extra);
    let sent: Value = serde_json::from_str(&param).unwrap();
    assert_eq!(
        assert_success(&client.sign_in(SN, &token, &param).await),
        Value::Null
    );

    let entries = signins_of(&http, "P-1001").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry["sn"], SN);
    assert_eq!(entry["type"], "64");
    assert_eq!(entry["recordTime"], sent["recordTime"]);
    assert_eq!(entry["coordinate"], sent["coordinate"]);
    assert_eq!(entry["imgBytes"], json!(PHOTO_BYTES));
    assert_eq!(entry["temperature"], json!(36.6));
    assert_eq!(entry["recordId"], "rec-7f3a");
    assert_eq!(entry["bitType"], "3");
    assert!(entry["receivedAt"].is_i64(), "time received: {entry}");
    assert!(entry.get("img").is_none(), "img must be replaced: {entry}");
}

#[tokio::test]
async fn sign_in_accepts_type_as_a_number() {
    let sim = Sim::start();
    let mut client = sim.connect().await;
    let token = client.auth(SN).await;
    let param = sign_in_param("P-1002", json!(64), &random_bytes(2048, 2), json!({}));
    assert_success(&client.sign_in(SN, &token, &param).await);
    let entries = signins_of(&sim.http(), "P-1002").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["type"], json!(64));
    assert_eq!(entries[0]["imgBytes"], json!(2048));
}

#[tokio::test]
async fn fifty_pipelined_frames_in_one_write_are_answered_in_order() {
    let sim = Sim::start();
    let mut client = sim.connect().await;
    let token = client.auth(SN).await;
    // Heartbeats and sign-ins alternate; every fifth frame carries a wrong sign, so both the
    // apicode and the success flag show the order.
    let frames: Vec<(Request, bool)> = (0..50)
        .map(|i| {
            let mut request = if i % 2 == 0 {
                heartbeat_request(SN, &token)
            } else {
                let param = sign_in_param(
                    &format!("P-PIPE-{i}"),
                    json!("64"),
                    &[i as u8; 64],
                    json!({}),
                );
                sign_in_request(SN, &token, &param)
            };
            let valid = i % 5 != 4;
            if !valid {
                request.sign = BOGUS_SIGN.to_owned();
            }
            (request, valid)
        })
        .collect();
    let requests: Vec<Request> = frames.iter().map(|(request, _)| request.clone()).collect();
    client.send_all(&requests).await;
    for (i, (request, valid)) in frames.iter().enumerate() {
        let reply = client.recv().await;
        assert_eq!(reply.apicode, request.apicode, "reply {i}: {reply:?}");
        if *valid {
            assert_success(&reply);
        } else {
            assert_refused(&reply, "400_04");
        }
    }
    let accepted = frames
        .iter()
        .filter(|(request, valid)| *valid && request.apicode == "C_SIGN_IN")
        .count();
    let signins = sim.http().signins().await;
    assert_eq!(signins.len(), accepted, "{signins:?}");
}

/// What an error-code case starts from: a device with a live token, and a token of the other sn.
struct Ctx {
    token: String,
    other_token: String,
}

/// One §8 case: a request built from a context, and the code it must get.
struct Case {
    name: &'static str,
    build: fn(&Ctx) -> Request,
    code: &'static str,
}

/// A valid heartbeat from [`SN`] with `change` applied and the sign recomputed after it.
fn heartbeat_with(ctx: &Ctx, change: fn(&mut Request)) -> Request {
    let mut request = heartbeat_request(SN, &ctx.token);
    change(&mut request);
    resign(&mut request, Apicode::CHeartbeat);
    request
}

/// A valid `C_AUTH` from [`SN`] with `change` applied and the sign recomputed after it.
fn auth_with(change: fn(&mut Request)) -> Request {
    let mut request = auth_request(SN);
    change(&mut request);
    resign(&mut request, Apicode::CAuth);
    request
}

/// A signed sign-in from [`SN`] whose record carries the `extra` members.
fn sign_in_with(ctx: &Ctx, kind: Value, extra: Value) -> Request {
    let param = sign_in_param("P-ERR", kind, &[0xff, 0xd8, 0xff], extra);
    sign_in_request(SN, &ctx.token, &param)
}

/// `timeStamp` ten minutes behind the platform's clock.
fn ten_minutes_ago() -> String {
    timestamp(now_ms() - 10 * 60 * 1000)
}

/// `request` with its sign replaced by [`BOGUS_SIGN`].
fn bogus_sign(mut request: Request) -> Request {
    request.sign = BOGUS_SIGN.to_owned();
    request
}

/// `request` without a sign.
fn unsigned(mut request: Request) -> Request {
    request.sign.clear();
    request
}

/// A table row (keeps each case on one line).
const fn case(name: &'static str, build: fn(&Ctx) -> Request, code: &'static str) -> Case {
    Case { name, build, code }
}

/// A token no platform issued.
fn made_up_token() -> String {
    "5f".repeat(16)
}

/// A `qrCodeInfo` member of QR-code type 3 (not in the dictionary).
fn qr_type_3() -> Value {
    json!({"type": 3, "codeValue": "QR-0001"})
}

/// One case per §8 code that a command can get, each with exactly one fault.
#[rustfmt::skip]
const EVERY_CODE: &[Case] = &[
    case("version empty", |c| heartbeat_with(c, |r| r.version.clear()), "402_01"),
    case("sn empty", |c| heartbeat_with(c, |r| r.sn.clear()), "402_02"),
    case("token empty", |c| heartbeat_with(c, |r| r.token.clear()), "402_03"),
    case("apicode empty", |c| heartbeat_with(c, |r| r.apicode.clear()), "402_04"),
    case("timeStamp empty", |c| heartbeat_with(c, |r| r.time_stamp.clear()), "402_05"),
    case("param empty", |c| heartbeat_with(c, |r| r.param.clear()), "402_06"),
    case("sign empty", |c| unsigned(heartbeat_request(SN, &c.token)), "402_07"),
    case("apicode unknown", |c| heartbeat_with(c, |r| r.apicode = "C_CLOCK_IN".into()), "400_01"),
    case("task apicode on TCP", |c| heartbeat_with(c, |r| r.apicode = "T_GET_TASKS".into()), "400_01"),
    case("timeStamp shape", |c| heartbeat_with(c, |r| r.time_stamp = "2024-05-01 08:30".into()), "404_01"),
    case("timeStamp not a date", |c| heartbeat_with(c, |r| r.time_stamp = "20241301083000".into()), "404_01"),
    case("timeStamp 10 minutes off", |c| heartbeat_with(c, |r| r.time_stamp = ten_minutes_ago()), "400_05"),
    case("accessId unknown", |_| auth_with(|r| r.access_id = "zj-vendor-9999".into()), "401_02"),
    case("accessKey wrong", |_| auth_with(|r| r.access_key = "ak-00000000".into()), "401_02"),
    case("sn not registered", |_| auth_with(|r| r.sn = "ZJMA-9999".into()), "401_02"),
    case("token made up", |c| heartbeat_with(c, |r| r.token = made_up_token()), "401_01"),
    case("param an array", |c| heartbeat_with(c, |r| r.param = "[1,2]".into()), "400_02"),
    case("param a number", |c| heartbeat_with(c, |r| r.param = "42".into()), "400_02"),
    case("sign-in param not JSON", |c| sign_in_request(SN, &c.token, r#"{"personId":"P-ERR","type":"#), "400_02"),
    case("heartbeat param of the wrong shape", |c| heartbeat_with(c, |r| r.param = r#"{"deviceIp":7}"#.into()), "400_02"),
    case("sign wrong", |c| bogus_sign(heartbeat_request(SN, &c.token)), "400_04"),
    case("param changed after signing", |c| {
        let mut request = heartbeat_request(SN, &c.token);
        request.param = heartbeat_param().replace("1.4.2", "1.4.3");
        request
    }, "400_04"),
    case("token of the other sn", |c| heartbeat_request(SN, &c.other_token), "400_04"),
    case("type 5", |c| sign_in_with(c, json!("5"), json!({})), "403_01"),
    case("type 128 as a number", |c| sign_in_with(c, json!(128), json!({})), "403_01"),
    case("bitType 4", |c| sign_in_with(c, json!("64"), json!({"bitType": "4"})), "403_02"),
    case("qrCodeInfo.type 3", |c| sign_in_with(c, json!("64"), json!({"qrCodeInfo": qr_type_3()})), "403_03"),
];

/// Two faults in one request: the earlier check of §8's order answers.
#[rustfmt::skip]
const CHECK_ORDER: &[Case] = &[
    case("version empty + sign wrong", |c| bogus_sign(heartbeat_with(c, |r| r.version.clear())), "402_01"),
    case("sn empty + token empty", |c| heartbeat_with(c, |r| { r.sn.clear(); r.token.clear() }), "402_02"),
    case("sign empty + apicode unknown", |c| unsigned(heartbeat_with(c, |r| r.apicode = "C_CLOCK_IN".into())), "400_01"),
    case("token empty + apicode empty", |c| heartbeat_with(c, |r| { r.token.clear(); r.apicode.clear() }), "402_04"),
    case("apicode unknown + timeStamp shape", |c| heartbeat_with(c, |r| { r.apicode = "C_CLOCK_IN".into(); r.time_stamp = "yesterday".into() }), "400_01"),
    case("timeStamp shape + token unknown", |c| heartbeat_with(c, |r| { r.time_stamp = "2024-05-01".into(); r.token = made_up_token() }), "404_01"),
    case("timeStamp window + token unknown", |c| heartbeat_with(c, |r| { r.time_stamp = ten_minutes_ago(); r.token = made_up_token() }), "400_05"),
    case("accessKey wrong + sign wrong", |_| bogus_sign(auth_with(|r| r.access_key = "ak-00000000".into())), "401_02"),
    case("token unknown + sign wrong", |c| bogus_sign(heartbeat_with(c, |r| r.token = made_up_token())), "401_01"),
    case("token unknown + param an array", |c| heartbeat_with(c, |r| { r.token = made_up_token(); r.param = "[]".into() }), "401_01"),
    case("param an array + sign wrong", |c| bogus_sign(heartbeat_with(c, |r| r.param = "[]".into())), "400_02"),
    case("sign wrong + type 5", |c| bogus_sign(sign_in_with(c, json!("5"), json!({}))), "400_04"),
    case("type 5 + bitType 4 + qrCodeInfo.type 3", |c| sign_in_with(c, json!(5), json!({"bitType": 4, "qrCodeInfo": qr_type_3()})), "403_01"),
    case("bitType 4 + qrCodeInfo.type 3", |c| sign_in_with(c, json!(64), json!({"bitType": 4, "qrCodeInfo": qr_type_3()})), "403_02"),
];

/// Sends every case on one connection and reports all mismatches at once. Afterwards the
/// device's token still works and no refused sign-in was recorded.
async fn check_cases(cases: &[Case]) {
    let sim = Sim::start();
    let mut client = sim.connect().await;
    let ctx = Ctx {
        token: client.auth(SN).await,
        other_token: client.auth(OTHER_SN).await,
    };
    let mut mismatches = Vec::new();
    for case in cases {
        let request = (case.build)(&ctx);
        let reply = client.call(&request).await;
        assert_eq!(
            reply.apicode, request.apicode,
            "{}: reply echoes the apicode",
            case.name
        );
        let got = refusal_code(&reply);
        if got.as_deref() != Some(case.code) {
            mismatches.push(format!(
                "{}: expected {}, got {got:?} ({reply:?})",
                case.name, case.code
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_success(&client.heartbeat(SN, &ctx.token).await);
    assert_eq!(sim.http().signins().await, Vec::<Value>::new());
}

#[tokio::test]
async fn every_error_code_over_tcp() {
    check_cases(EVERY_CODE).await;
}

#[tokio::test]
async fn the_earlier_check_of_section_8_answers_a_request_with_two_faults() {
    check_cases(CHECK_ORDER).await;
}

#[tokio::test]
async fn the_apicode_is_checked_before_the_fields_it_requires_over_tcp() {
    let sim = Sim::start();
    let mut client = sim.connect().await;
    let token = client.auth(SN).await;
    let valid = heartbeat_request(SN, &token);
    let mut answers = Vec::new();
    for case in crate::check_order::all_cases(Channel::Command, &valid, &auth_request(SN), &token) {
        let reply = client.call(&case.request).await;
        answers.push((case, refusal_code(&reply)));
    }
    crate::check_order::assert_answers(answers);
    assert_success(&client.heartbeat(SN, &token).await);
}

#[tokio::test]
async fn failed_requests_do_not_refresh_the_token_idle_time() {
    let sim = Sim::with(SimOptions {
        token_idle_secs: Some(2),
        ..SimOptions::default()
    });
    let mut client = sim.connect().await;
    let token = client.auth(SN).await;
    assert_success(&client.heartbeat(SN, &token).await);
    let mut codes = Vec::new();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut request = heartbeat_request(SN, &token);
        request.sign = BOGUS_SIGN.to_owned();
        codes.push(refusal_code(&client.call(&request).await).expect("a refusal"));
    }
    assert_eq!(codes[0], "400_04", "the token was live at first: {codes:?}");
    assert!(
        codes
            .iter()
            .all(|code| code == "400_04" || code == "401_01"),
        "{codes:?}"
    );
    assert_refused(&client.heartbeat(SN, &token).await, "401_01");
}

#[tokio::test]
async fn an_idle_token_expires_and_a_new_auth_works() {
    let sim = Sim::with(SimOptions {
        token_idle_secs: Some(1),
        ..SimOptions::default()
    });
    let mut client = sim.connect().await;
    let token = client.auth(SN).await;
    assert_success(&client.heartbeat(SN, &token).await);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_refused(&client.heartbeat(SN, &token).await, "401_01");
    let fresh = client.auth(SN).await;
    assert_ne!(fresh, token);
    assert_success(&client.heartbeat(SN, &fresh).await);
}

#[tokio::test]
async fn a_device_without_heartbeats_goes_offline() {
    let sim = Sim::with(SimOptions {
        offline_after_secs: Some(1),
        ..SimOptions::default()
    });
    let http = sim.http();
    let mut client = sim.connect().await;
    let token = client.auth(SN).await;
    assert_success(&client.heartbeat(SN, &token).await);
    assert_eq!(http.device(SN).await["online"], json!(true));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let device = http.device(SN).await;
    assert_eq!(device["online"], json!(false), "{device}");
    assert!(
        device["lastHeartbeat"].is_i64(),
        "the last heartbeat is still shown: {device}"
    );
}

#[tokio::test]
async fn device_session_authenticates_heartbeats_and_signs_in() {
    let sim = Sim::start();
    let http = sim.http();
    http.add_persons(&json!([{"personId": "P-2001", "name": "周杰"}]))
        .await;
    let taskid = (http.add_task(&json!({"sn": SN, "apicode": "T_SEND_PERSON"}))).await;
    let mut driver = SessionDriver::connect(&sim, SN).await;
    assert_eq!(driver.authenticated().await, Vec::new());
    // The first heartbeat follows the authentication at once and lists the queued task.
    assert_eq!(driver.next_event().await, SessionEvent::Tasks(vec![taskid]));
    assert_eq!(http.device(SN).await["online"], json!(true));

    let param = sign_in_param(
        "P-2001",
        json!("64"),
        &random_bytes(PHOTO_BYTES, 3),
        json!({}),
    );
    let id = driver.session.submit(Apicode::CSignIn, param);
    let (result, others) = driver.completed(id).await;
    assert_eq!(result, Ok(String::new()));
    assert_eq!(others, Vec::new());
    let entries = signins_of(&http, "P-2001").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["imgBytes"], json!(PHOTO_BYTES));
}

#[tokio::test]
async fn device_session_replays_a_sign_in_after_its_token_expired() {
    let sim = Sim::with(SimOptions {
        token_idle_secs: Some(1),
        ..SimOptions::default()
    });
    let http = sim.http();
    let mut driver = SessionDriver::connect(&sim, SN).await;
    driver.authenticated().await;
    let first_token = driver.token();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let param = sign_in_param("P-3001", json!("64"), &random_bytes(4096, 4), json!({}));
    let id = driver.session.submit(Apicode::CSignIn, param);
    let (result, others) = driver.completed(id).await;
    assert_eq!(result, Ok(String::new()), "the replay succeeded");
    assert!(
        others.contains(&SessionEvent::Authenticated),
        "the session re-authenticated before the replay: {others:?}"
    );
    assert_ne!(driver.token(), first_token);
    let entries = signins_of(&http, "P-3001").await;
    assert_eq!(
        entries.len(),
        1,
        "exactly one record reached the platform: {entries:?}"
    );
    assert_eq!(http.signins().await.len(), 1);
}
