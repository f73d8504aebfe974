//! Hostile input against the real `platform-sim` binary: broken frames and bodies over raw TCP,
//! malformed and oversized HTTP bodies, deep nesting, and many devices at once. Each attack
//! must get a refusal (or a close) and leave the simulator serving fresh devices.

use crate::sim_common::*;
use serde_json::json;
use tokio::task::JoinSet;
use zj_protocol::wire::{self, FrameDecoder};
use zj_protocol::Apicode;

/// A message length of 100 MiB, a hundred times the default limit.
const HUGE_LEN: u64 = 100 << 20;
/// Resident memory the simulator must stay under after the attacks, in KiB.
const RSS_LIMIT_KIB: u64 = 100 * 1024;
/// Nesting depth of the deeply nested params, far past any parser's recursion limit.
const DEEP: usize = 100_000;

/// `body` behind its varint length prefix, built by hand.
fn raw_frame(body: &[u8]) -> Vec<u8> {
    let mut frame = Vec::new();
    wire::put_varint(body.len() as u64, &mut frame);
    frame.extend_from_slice(body);
    frame
}

/// The protobuf bytes of a valid `C_AUTH` for `sn` (its frame without the prefix).
fn auth_body(sn: &str) -> Vec<u8> {
    let frame = wire::frame_bytes(&auth_request(sn));
    FrameDecoder::default()
        .decode_exact(&frame)
        .expect("one whole frame")
        .to_vec()
}

/// Sends `bytes` on a new connection and expects one `400_02` refusal, then the close.
async fn refused_then_closed(sim: &Sim, bytes: &[u8]) {
    let mut client = sim.connect().await;
    client.send_raw(bytes).await;
    let replies = client.replies_until_close().await;
    assert_eq!(replies.len(), 1, "one refusal, then close: {replies:?}");
    assert_refused(&replies[0], "400_02");
}

/// Sends one well-framed `body` that is not a valid `Request`: `400_02`, and the same
/// connection then authenticates.
async fn refused_and_kept(sim: &Sim, body: &[u8]) {
    let mut client = sim.connect().await;
    client.send_raw(&raw_frame(body)).await;
    assert_refused(&client.recv().await, "400_02");
    client.auth(SN).await;
}

/// Random bytes on three connections: whatever comes back is a refusal, and each
/// connection ends when the sender closes.
async fn garbage(sim: &Sim) {
    for seed in 0..3 {
        let mut client = sim.connect().await;
        client.send_raw(&random_bytes(4096, 100 + seed)).await;
        client.shutdown_write().await;
        for reply in client.replies_until_close().await {
            let code =
                refusal_code(&reply).unwrap_or_else(|| panic!("garbage accepted: {reply:?}"));
            assert!(
                code == "400_02" || code.starts_with("402_"),
                "seed {seed}: {reply:?}"
            );
        }
    }
}

/// A 100 MiB length prefix, with nothing behind it.
async fn huge_length_prefix(sim: &Sim) {
    let mut prefix = Vec::new();
    wire::put_varint(HUGE_LEN, &mut prefix);
    refused_then_closed(sim, &prefix).await;
}

/// A six-byte varint length prefix (the limit is five).
async fn overlong_varint(sim: &Sim) {
    refused_then_closed(sim, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).await;
}

/// A frame announcing zero bytes.
async fn zero_length(sim: &Sim) {
    refused_then_closed(sim, &[0x00]).await;
}

/// Ten bytes of a frame announcing a hundred, then the sender closes: no reply, a clean close.
async fn truncated_frame(sim: &Sim) {
    let mut client = sim.connect().await;
    let mut partial = raw_frame(&[0x0a; 100]);
    partial.truncate(11);
    client.send_raw(&partial).await;
    client.shutdown_write().await;
    assert_eq!(client.replies_until_close().await, Vec::new());
}

/// A valid `C_AUTH` whose `sn` field is then repeated with invalid UTF-8.
async fn invalid_utf8(sim: &Sim) {
    let mut body = auth_body(SN);
    body.extend_from_slice(&[0x12, 0x02, 0xc3, 0x28]);
    refused_and_kept(sim, &body).await;
}

/// Frames whose bodies are not protobuf: a JSON request and a run of 0xff.
async fn not_protobuf(sim: &Sim) {
    refused_and_kept(sim, br#"{"apicode":"C_AUTH","sn":"ZJMA-0001"}"#).await;
    refused_and_kept(sim, &[0xff; 12]).await;
}

/// A signed sign-in whose param nests arrays [`DEEP`] levels deep.
async fn deeply_nested_sign_in(sim: &Sim) {
    let mut client = sim.connect().await;
    let token = client.auth(SN).await;
    let param = format!(
        r#"{{"personId":"P-DEEP","type":"64","recordTime":1,"deep":{}}}"#,
        deep_array()
    );
    assert_refused(&client.sign_in(SN, &token, &param).await, "400_02");
    assert_success(&client.heartbeat(SN, &token).await);
}

/// Task API bodies that are not request objects: HTTP 400 with `400_02` each.
async fn malformed_http_bodies(sim: &Sim) {
    let bodies = [
        ("not JSON", "<xml>C_AUTH</xml>".to_owned()),
        ("truncated JSON", r#"{"version":"v1.0.0","sn":"#.to_owned()),
        ("empty body", String::new()),
        ("JSON array", "[]".to_owned()),
        ("JSON string", r#""T_GET_TASKS""#.to_owned()),
        (
            "version a number",
            json!({"version": 1, "sn": SN, "apicode": "T_GET_TASKS"}).to_string(),
        ),
        (
            "sn a boolean",
            json!({"version": "v1.0.0", "sn": true, "apicode": "T_GET_TASKS"}).to_string(),
        ),
        (
            "taskid a number",
            json!({"version": "v1.0.0", "sn": SN, "taskid": 12, "apicode": "T_SEND_PERSON"})
                .to_string(),
        ),
        (
            "sign an array",
            json!({"version": "v1.0.0", "sn": SN, "apicode": "T_GET_TASKS", "sign": []})
                .to_string(),
        ),
    ];
    let http = sim.http();
    let mut wrong = Vec::new();
    for (name, body) in bodies {
        let reply = http.post_task_api(body).await;
        if (reply.status, reply.errorcode()) != (400, Some("400_02")) {
            wrong.push(format!("{name}: HTTP {} {}", reply.status, reply.body));
        }
    }
    assert!(
        wrong.is_empty(),
        "expected HTTP 400 with 400_02:\n{}",
        wrong.join("\n")
    );
}

/// `[[[…]]]` nested [`DEEP`] levels: far past any recursive parser's stack.
fn deep_array() -> String {
    format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP))
}

/// Task requests with a live token whose param nests [`DEEP`] levels: a well-formed request
/// object (HTTP 200) whose param cannot be scanned (`400_02`), signed or not.
async fn deeply_nested_task_params(sim: &Sim) {
    let token = sim.connect().await.auth(SN).await;
    let http = sim.http();
    let params = [
        ("T_GET_TASKS", format!(r#"{{"taskids":{}}}"#, deep_array())),
        (
            "T_POST_DEVICE_PERSON",
            format!(
                r#"{{"currentPage":1,"totalPage":1,"data":[{{"img":{}}}]}}"#,
                deep_array()
            ),
        ),
    ];
    for (apicode, param) in params {
        let body = format!(
            r#"{{"version":"v1.0.0","sn":"{SN}","token":"{token}","apicode":"{apicode}","taskid":"1","param":{param},"sign":"{BOGUS_SIGN}"}}"#
        );
        let reply = http.post_task_api(body).await;
        reply.assert_refused(200, "400_02");
    }
}

/// A 5 MB task API body: refused as a client error (or the connection cut while sending).
async fn oversized_http_body(sim: &Sim) {
    let padding = "A".repeat(5 << 20);
    let body = format!(
        r#"{{"version":"v1.0.0","sn":"{SN}","apicode":"T_GET_TASKS","param":"{padding}"}}"#
    );
    match sim.http().post_raw(body).await {
        Ok((status, text)) => assert!((400..500).contains(&status), "HTTP {status}: {text:.200}"),
        Err(error) => assert!(!error.is_timeout(), "the sim hung on a 5 MB body: {error}"),
    }
}

#[tokio::test]
async fn random_garbage_gets_refusals_only() {
    let mut sim = Sim::start();
    garbage(&sim).await;
    sim.assert_serves_fresh_device(SN).await;
}

#[tokio::test]
async fn a_100_mib_length_prefix_is_refused_and_closed_without_allocating() {
    let mut sim = Sim::start();
    for _ in 0..10 {
        huge_length_prefix(&sim).await;
    }
    for field in ["VmRSS", "VmHWM"] {
        let kib = sim.memory_kib(field);
        assert!(
            kib < RSS_LIMIT_KIB,
            "platform-sim {field} is {kib} KiB after 100 MiB prefixes"
        );
    }
    sim.assert_serves_fresh_device(SN).await;
}

#[tokio::test]
async fn a_six_byte_varint_or_a_zero_length_is_refused_and_closed() {
    let mut sim = Sim::start();
    overlong_varint(&sim).await;
    zero_length(&sim).await;
    sim.assert_serves_fresh_device(SN).await;
}

#[tokio::test]
async fn frames_over_the_configured_limit_are_refused_and_closed() {
    let mut sim = Sim::with(SimOptions {
        max_frame_len: Some(4096),
        ..SimOptions::default()
    });
    // Only the prefix is sent: the sim must refuse on the length alone.
    let mut prefix = Vec::new();
    wire::put_varint(4097, &mut prefix);
    refused_then_closed(&sim, &prefix).await;
    // A frame at the limit is read whole: it is answered, and the connection stays.
    refused_and_kept(&sim, &[0xff; 4096]).await;
    sim.assert_serves_fresh_device(SN).await;
}

#[tokio::test]
async fn a_truncated_frame_then_close_gets_no_reply() {
    let mut sim = Sim::start();
    truncated_frame(&sim).await;
    sim.assert_serves_fresh_device(SN).await;
}

#[tokio::test]
async fn invalid_utf8_in_a_string_field_is_refused_and_the_connection_kept() {
    let mut sim = Sim::start();
    invalid_utf8(&sim).await;
    sim.assert_serves_fresh_device(SN).await;
}

#[tokio::test]
async fn a_body_that_is_not_protobuf_is_refused_and_the_connection_kept() {
    let mut sim = Sim::start();
    not_protobuf(&sim).await;
    sim.assert_serves_fresh_device(SN).await;
}

#[tokio::test]
async fn a_deeply_nested_sign_in_param_is_refused() {
    let mut sim = Sim::start();
    deeply_nested_sign_in(&sim).await;
    sim.assert_serves_fresh_device(SN).await;
}

#[tokio::test]
async fn malformed_task_api_bodies_get_http_400_and_400_02() {
    let mut sim = Sim::start();
    malformed_http_bodies(&sim).await;
    sim.assert_serves_fresh_device(SN).await;
}

#[tokio::test]
async fn deeply_nested_task_params_are_refused() {
    let mut sim = Sim::start();
    deeply_nested_task_params(&sim).await;
    sim.assert_serves_fresh_device(SN).await;
}

#[tokio::test]
async fn a_signed_request_in_json_array_form_gets_http_400_and_400_02() {
    // §5: the body is a JSON object. A ten-element array in JsonRequest's field order
    // (version, sn, token, apicode, accessId, accessKey, timeStamp, taskid, param, sign) is not.
    let sim = Sim::start();
    let token = sim.connect().await.auth(SN).await;
    let param = json!({"taskids": []}).to_string();
    let object: serde_json::Value = serde_json::from_str(&task_body(
        SN,
        &token,
        Apicode::TGetTasks,
        None,
        Some(&param),
        None,
    ))
    .unwrap();
    let array = json!([
        object["version"],
        object["sn"],
        object["token"],
        object["apicode"],
        null,
        null,
        null,
        null,
        param,
        object["sign"],
    ]);
    let reply = sim.http().post_task_api(array.to_string()).await;
    reply.assert_refused(400, "400_02");
}

#[tokio::test]
async fn a_5_mb_task_api_body_is_refused() {
    let mut sim = Sim::start();
    oversized_http_body(&sim).await;
    sim.assert_serves_fresh_device(SN).await;
}

#[tokio::test]
async fn the_sim_survives_every_attack_in_a_row() {
    let mut sim = Sim::start();
    garbage(&sim).await;
    huge_length_prefix(&sim).await;
    overlong_varint(&sim).await;
    zero_length(&sim).await;
    truncated_frame(&sim).await;
    invalid_utf8(&sim).await;
    not_protobuf(&sim).await;
    deeply_nested_sign_in(&sim).await;
    deeply_nested_task_params(&sim).await;
    oversized_http_body(&sim).await;
    // The HTTP bodies last: a failure there must not hide whether the TCP side survived.
    sim.assert_serves_fresh_device(OTHER_SN).await;
    malformed_http_bodies(&sim).await;
    sim.assert_serves_fresh_device(SN).await;
}

#[tokio::test]
async fn twenty_devices_at_once_all_sign_in() {
    let sns: Vec<String> = (1..=20).map(|i| format!("ZJMA-C{i:02}")).collect();
    let sim = Sim::with(SimOptions {
        sns: sns.clone(),
        ..SimOptions::default()
    });
    let mut devices = JoinSet::new();
    for (i, sn) in sns.iter().cloned().enumerate() {
        let addr = sim.tcp;
        devices.spawn(async move {
            let mut client = CommandClient::connect(addr).await;
            let token = client.auth(&sn).await;
            assert_success(&client.heartbeat(&sn, &token).await);
            let param = sign_in_param(
                &format!("P-C{i:02}"),
                json!("64"),
                &random_bytes(8192, i as u64),
                json!({}),
            );
            assert_success(&client.sign_in(&sn, &token, &param).await);
            sn
        });
    }
    let mut done: Vec<String> = devices.join_all().await;
    done.sort();
    assert_eq!(done, sns);
    let mut signed_in: Vec<String> = (sim.http().signins().await.iter())
        .map(|entry| entry["sn"].as_str().expect("sn").to_owned())
        .collect();
    signed_in.sort();
    assert_eq!(signed_in, sns, "one sign-in per device");
}
