//! MR860 terminals (seed 000) reporting through the relay to `platform-sim` over real sockets,
//! each at its upload URLs with its key: every payload mode and card type with realistic
//! values, an unknown card kept and forwarded once the person reaches the roster, kept logs
//! surviving a relay restart, malformed bodies refused, a resent log forwarded once. The
//! attacks on the intake are in `mr860_keys`.

use std::collections::HashMap;
use std::time::Duration;

use crate::relay_common::person_counts;
use crate::relay_common::platform::{call, tiny_jpeg, TaskRelay, MR860_DEVICE, MR860_KEY};
use crate::relay_common::sim_common::SN;
use base64::Engine;
use serde_json::{json, Value};
use zj_relay::config::{Mr860Config, Secret};

pub(crate) fn photo() -> String {
    base64::engine::general_purpose::STANDARD.encode(tiny_jpeg(3000))
}

/// A face attendance log (seed 000 §1), mode "0".
pub(crate) fn face_log(card_number: &str, verify_time: &str) -> Value {
    json!({
        "cardNumber": card_number,
        "facePicture": photo(),
        "latitude": "30.2090",
        "location": "浙江省杭州市滨江区江南大道",
        "longitude": "120.2110",
        "mode": "0",
        "name": "张三",
        "score": "0.93",
        "sex": "男",
        "verifyTime": verify_time,
        "categoryld": "1",
        "deviceId": MR860_DEVICE,
    })
}

/// An ID verification or whitelist log (seed 000 §2) for card type `card_type`.
fn verify_log(mode: &str, card_type: &str, card_number: &str, name: &str) -> Value {
    let mut log = json!({
        "address": "浙江省杭州市西湖区文三路 90 号",
        "birthday": "19900101",
        "cardId": "8A3F2C1D09E4B7",
        "cardNumber": card_number,
        "cardPicture": photo(),
        "cardType": card_type,
        "facePicture": if mode == "2" { String::new() } else { photo() },
        "issuingAuthority": "杭州市公安局西湖分局",
        "latitude": "30.2091",
        "location": "浙江省杭州市滨江区江南大道",
        "longitude": "120.2112",
        "mode": mode,
        "name": name,
        "nation": "汉",
        "result": "比对成功",
        "score": "0.88",
        "sex": "男",
        "validateEnd": "20370930",
        "validateStart": "20170930",
        "verifyTime": "2026-11-22 08:05:10",
        "passNumber": "",
        "issueCount": "",
        "chineseName": "",
        "version": "",
        "deviceId": MR860_DEVICE,
    });
    match card_type {
        "J" => {
            log["address"] = json!("香港九龙弥敦道 100 号");
            log["passNumber"] = json!("H60123456");
            log["issueCount"] = json!("02");
            log["nation"] = json!("");
            log["issuingAuthority"] = json!("公安部出入境管理局");
        }
        "I" => {
            log["address"] = json!("");
            log["chineseName"] = json!("约翰");
            log["version"] = json!("2017");
            log["nation"] = json!("USA");
            log["issuingAuthority"] = json!("1500");
        }
        _ => {}
    }
    log
}

/// An added-person record (seed 000 §3), mode "3", `categoryId` a number as in the seed.
pub(crate) fn person_record(card_number: &str, name: &str) -> Value {
    json!({
        "address": "浙江省杭州市上城区解放路 18 号",
        "birthday": "19880505",
        "cardId": "5C2E9A7B13F0D4",
        "cardNumber": card_number,
        "cardPicture": photo(),
        "cardType": "",
        "categoryId": 1,
        "deviceId": MR860_DEVICE,
        "faceFeature": "",
        "facePicture": photo(),
        "issuingAuthority": "杭州市公安局上城分局",
        "mode": "3",
        "name": name,
        "nation": "汉",
        "registerTime": "2026-11-22 07:40:17",
        "score": "0.87388134",
        "sex": "男",
        "validateEnd": "20330505",
        "validateStart": "20130505",
    })
}

/// Sends `body` to the configured terminal's `intake` (`face`, `verify`, `person`) URL.
pub(crate) async fn post(relay: &TaskRelay, intake: &str, body: Value) -> (u16, Value) {
    post_with(relay, MR860_KEY, intake, body).await
}

/// Sends `body` to `/mr860/{key}/{intake}`.
pub(crate) async fn post_with(
    relay: &TaskRelay,
    key: &str,
    intake: &str,
    body: Value,
) -> (u16, Value) {
    let path = format!("/mr860/{key}/{intake}");
    call(&relay.url, "POST", &path, None, Some(body)).await
}

pub(crate) fn ok() -> (u16, Value) {
    (200, json!({"code": "200", "message": ""}))
}

/// Waits (up to 20 s) until the platform holds `count` sign-ins.
pub(crate) async fn signins(relay: &TaskRelay, count: usize) -> Vec<Value> {
    let has_them = async || Some(relay.http.signins().await).filter(|all| all.len() >= count);
    until(has_them, "the platform to have {count} sign-ins").await
}

/// Polls `check` every 50 ms until it gives a value; fails after 20 s saying what it awaited.
pub(crate) async fn until<T>(mut check: impl AsyncFnMut() -> Option<T>, what: &str) -> T {
    for _ in 0..400 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting for {what}");
}

/// Creates the site the configured terminal belongs to (`site-1`, for [`SN`]).
pub(crate) async fn create_site(relay: &TaskRelay) {
    let site = json!({"name": "滨江工地", "sn": SN});
    let (status, created) = relay.manager("POST", "/v1/manager/sites", Some(site)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["siteId"], "site-1", "{created}");
}

/// A relay (changed by `tweak`) with the terminal's site and three persons on the roster.
pub(crate) async fn with_roster_and(
    name: &str,
    tweak: impl FnOnce(&mut zj_relay::config::RelayConfig),
) -> TaskRelay {
    let relay = TaskRelay::start(name, 20, tweak).await;
    create_site(&relay).await;
    join_roster(
        &relay,
        &[
            ("M1", "张三", "330106199001011234"),
            ("M2", "陈家明", "810000199001011234"),
            ("M3", "John Smith", "USA110079050101"),
        ],
    )
    .await;
    relay
}

pub(crate) async fn with_roster(name: &str) -> TaskRelay {
    with_roster_and(name, |_| {}).await
}

/// Puts `persons` (id, name, card number) on the platform and has the relay take them onto
/// its roster by a `T_SEND_PERSON` task.
pub(crate) async fn join_roster(relay: &TaskRelay, persons: &[(&str, &str, &str)]) {
    let with_cards: Vec<_> = (persons.iter())
        .map(|&(id, name, card)| (id, name, Some(card), None))
        .collect();
    relay.add_persons(&with_cards).await;
    let ids: Vec<&str> = persons.iter().map(|(id, ..)| *id).collect();
    let send = relay
        .add_task("T_SEND_PERSON", json!({ "personIds": ids }))
        .await;
    relay.reported(&send).await;
}

#[tokio::test]
async fn every_payload_and_card_type_reaches_the_platform_once() {
    let relay = with_roster("mr860-all").await;
    let face = face_log("330106199001011234", "2026-11-22 08:01:33");
    assert_eq!(post(&relay, "face", face.clone()).await, ok());
    assert_eq!(
        post(&relay, "face", face).await,
        ok(),
        "a resent log is the same log"
    );
    let logs = [
        verify_log("1", "", "330106199001011234", "张三"),
        verify_log("1", "J", "810000199001011234", "陈家明"),
        verify_log("2", "I", "USA110079050101", "JOHN SMITH"),
    ];
    for log in logs {
        assert_eq!(post(&relay, "verify", log).await, ok());
    }
    let signins = signins(&relay, 4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(relay.http.signins().await.len(), 4, "{signins:?}");
    let face = &signins[0];
    assert_eq!(
        (&face["personId"], &face["type"]),
        (&json!("M1"), &json!("1")),
        "{face}"
    );
    assert_eq!(face["imgBytes"], 3000);
    assert_eq!(face["sn"], SN);
    assert_eq!(
        face["coordinate"],
        json!({"longitude": 120.2110, "latitude": 30.2090})
    );
    let beijing_8_01_33 = 1_795_305_693_000_i64; // 2026-11-22T00:01:33Z
    assert_eq!(
        face["recordTime"], beijing_8_01_33,
        "verifyTime is Beijing time"
    );
    let verified: Vec<(&Value, &Value)> = (signins[1..].iter())
        .map(|s| (&s["personId"], &s["type"]))
        .collect();
    let eight = json!("8");
    assert_eq!(
        verified,
        [
            (&json!("M1"), &eight),
            (&json!("M2"), &eight),
            (&json!("M3"), &eight)
        ]
    );
    assert_eq!(
        signins[3]["imgBytes"], 0,
        "a whitelist log has no live photo"
    );
    let (_, logs) = relay
        .manager("GET", "/v1/manager/mr860/logs?state=forwarded", None)
        .await;
    assert_eq!(logs.as_array().unwrap().len(), 4, "{logs}");
    assert!(
        logs[0]["log"].get("facePicture").is_none(),
        "photos are left out of listings"
    );
}

#[tokio::test]
async fn a_person_record_joins_the_roster_the_platform_is_told_of() {
    let relay = with_roster("mr860-person").await;
    let record = person_record("330102198805055678", "赵六");
    assert_eq!(post(&relay, "person", record).await, ok());
    let post_task = relay.add_task("T_POST_DEVICE_PERSON", json!({})).await;
    let task = relay.reported(&post_task).await;
    let posted = task["posted"].as_array().unwrap();
    let joined = (posted.iter())
        .find(|p| p["idcardNo"] == "330102198805055678")
        .unwrap_or_else(|| panic!("{task}"));
    assert_eq!(joined["name"], "赵六");
    assert_eq!(joined["imgBytes"], 3000);
    assert_eq!(relay.counts().await, (4, 4));
    // The new person can now be logged.
    let face = face_log("330102198805055678", "2026-11-22 09:00:00");
    assert_eq!(post(&relay, "face", face).await, ok());
    let signins = signins(&relay, 1).await;
    assert_eq!(signins[0]["personId"], "330102198805055678");
}

#[tokio::test]
async fn unknown_cards_are_kept_and_retried_never_dropped() {
    let relay = with_roster("mr860-unknown").await;
    let stranger = face_log("330106198001019999", "2026-11-22 08:30:00");
    let (status, reply) = post(&relay, "face", stranger.clone()).await;
    assert_eq!((status, &reply["code"]), (200, &json!("404")), "{reply}");
    let (_, kept) = relay.manager("GET", "/v1/manager/mr860/logs", None).await;
    let states: Vec<&Value> = kept
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["state"])
        .collect();
    assert_eq!(states, [&json!("unknown_card")]);
    assert!(relay.http.signins().await.is_empty());

    // The person reaches the roster: the kept log goes on its own.
    join_roster(&relay, &[("M9", "孙七", "330106198001019999")]).await;
    let signins = signins(&relay, 1).await;
    assert_eq!(signins[0]["personId"], "M9");
    assert_eq!(
        post(&relay, "face", stranger).await,
        ok(),
        "a resend is answered 200 now"
    );
    let (status, ready) = relay.manager("POST", "/v1/manager/mr860/retry", None).await;
    assert_eq!(
        (status, &ready["ready"]),
        (200, &json!(0)),
        "nothing is waiting"
    );
    let marker = face_log("810000199001011234", "2026-11-22 09:10:00");
    assert_eq!(post(&relay, "face", marker).await, ok());
    let signins = self::signins(&relay, 2).await;
    assert_eq!(person_counts(&signins).get("M9"), Some(&1), "{signins:?}");
}

/// The kept logs of `state` (`unknown_card`, `forwarded`…): their `(cardNumber, deviceId)`.
async fn kept(relay: &TaskRelay, state: &str) -> Vec<(String, String)> {
    let path = format!("/v1/manager/mr860/logs?state={state}");
    relay.manager_pairs(&path, ("cardNumber", "deviceId")).await
}

/// The logs in `state` once there are `count` of them: the relay marks a log forwarded just
/// after the platform has taken it.
async fn kept_when(relay: &TaskRelay, state: &str, count: usize) -> Vec<(String, String)> {
    let there = async || Some(kept(relay, state).await).filter(|logs| logs.len() == count);
    until(there, &format!("{count} {state} logs")).await
}

#[tokio::test]
async fn kept_logs_survive_a_restart_and_a_terminal_added_to_the_configuration_reports() {
    const NEW_DEVICE: &str = "MR860-D4E5F6";
    const NEW_KEY: &str = "n4w7k2e9y5t3r8m6q2p7x4z9c3";
    let (stranger_card, m1_card) = ("330106198001019999", "330106199001011234");
    let mut relay = with_roster("mr860-restart").await;
    let stranger = face_log(stranger_card, "2026-11-22 08:30:00");
    let (_, reply) = post(&relay, "face", stranger).await;
    assert_eq!(reply["code"], "404", "{reply}");
    let mut foreign = face_log(m1_card, "2026-11-22 08:31:00");
    foreign["deviceId"] = json!(NEW_DEVICE);
    let (status, reply) = post_with(&relay, NEW_KEY, "face", foreign.clone()).await;
    assert_eq!((status, &reply["code"]), (401, &json!("401")), "{reply}");

    // Stopped and started again on the same store, with the new terminal now configured.
    relay.config.mr860.push(Mr860Config {
        device_id: NEW_DEVICE.into(),
        site_id: "site-1".into(),
        key: Some(Secret::new(NEW_KEY)),
        ..Default::default()
    });
    relay.restart().await;
    assert_eq!(post_with(&relay, NEW_KEY, "face", foreign).await, ok());
    let signins_now = signins(&relay, 1).await;
    assert_eq!(
        (&signins_now[0]["personId"], &signins_now[0]["type"]),
        (&json!("M1"), &json!("1")),
        "the new terminal's log goes: {signins_now:?}"
    );
    let waiting = vec![(stranger_card.to_owned(), MR860_DEVICE.to_owned())];
    assert_eq!(
        kept(&relay, "unknown_card").await,
        waiting,
        "kept across the restart"
    );

    // The card reaches the roster: the kept log goes on its own.
    join_roster(&relay, &[("M9", "孙七", stranger_card)]).await;
    let signins_now = signins(&relay, 2).await;
    assert_eq!(signins_now[1]["personId"], "M9", "{signins_now:?}");
    assert_eq!(kept_when(&relay, "unknown_card", 0).await, vec![]);

    // Once forwarded, never again: not after another restart. A fresh log is the marker that
    // the forwarder's passes since that restart are over.
    relay.restart().await;
    let marker = face_log("810000199001011234", "2026-11-22 09:10:00");
    assert_eq!(post(&relay, "face", marker).await, ok());
    let signins_now = signins(&relay, 3).await;
    assert_eq!(signins_now[2]["personId"], "M2", "{signins_now:?}");
    let counts = person_counts(&signins_now);
    let once: HashMap<String, usize> = [("M1", 1), ("M9", 1), ("M2", 1)]
        .iter()
        .map(|(id, n)| (id.to_string(), *n))
        .collect();
    assert_eq!(counts, once, "{signins_now:?}");
    kept_when(&relay, "forwarded", 3).await;
}

#[tokio::test]
async fn malformed_bodies_get_a_clear_error() {
    let relay = TaskRelay::start("mr860-malformed", 20, |_| {}).await;
    create_site(&relay).await;
    let raw = |intake: &'static str, body: &'static str| {
        let url = format!("{}/mr860/{MR860_KEY}/{intake}", relay.url);
        async move {
            let response = crate::relay_common::http_client()
                .post(url)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    for (path, body) in [
        ("face", "{\"cardNumber\": "),
        ("verify", "[1, 2]"),
        ("person", ""),
    ] {
        let (status, reply) = raw(path, body).await;
        assert_eq!(
            (status, &reply["code"]),
            (400, &json!("400")),
            "{path} {body}: {reply}"
        );
        assert!(
            reply["message"].as_str().unwrap().contains("请求格式有误"),
            "{reply}"
        );
    }
    let cases = [
        (
            "verify",
            face_log("330106199001011234", "2026-11-22 08:00:00"),
        ),
        ("verify", verify_log("1", "X", "330106199001011234", "张三")),
        (
            "face",
            json!({"mode": "0", "deviceId": MR860_DEVICE, "cardNumber": "1", "facePicture": "not base64!"}),
        ),
        (
            "face",
            json!({"mode": "0", "deviceId": MR860_DEVICE, "facePicture": photo()}),
        ),
        (
            "face",
            json!({"mode": "0", "deviceId": MR860_DEVICE, "cardNumber": {"a": 1}}),
        ),
        ("face", face_log("330106199001011234", "2026-11-22")),
        (
            "face",
            face_log("330106199001011234", "22/11/2026 08:00:00"),
        ),
        (
            "face",
            face_log("330106199001011234", "2026-02-30 08:00:00"),
        ),
        ("face", face_log("330106199001011234", "")),
        // U+0000, which PostgreSQL's text cannot keep: refused here, not at the store.
        (
            "verify",
            verify_log("1", "", "330106199001011234", "张\u{0}三"),
        ),
    ];
    for (path, body) in cases {
        let (status, reply) = post(&relay, path, body).await;
        assert_eq!(
            (status, &reply["code"]),
            (400, &json!("400")),
            "{path}: {reply}"
        );
    }
    let (_, kept) = relay.manager("GET", "/v1/manager/mr860/logs", None).await;
    assert_eq!(kept, json!([]));
}

#[tokio::test]
async fn the_demo_line_names_a_terminal_a_card_a_manager_token_and_an_enroll_code() {
    let demo = crate::relay_common::demo("mr860-demo").await;
    let info = serde_json::to_value(&demo.info).unwrap();
    let (device_id, card) = (&info["mr860"]["deviceId"], &info["mr860"]["cardNumber"]);
    let mut face = face_log(card.as_str().unwrap(), "2026-11-22 08:01:33");
    face["deviceId"] = device_id.clone();
    let url = demo.info.url.clone();
    let urls = &info["mr860"]["urls"];
    let face_url = urls["face"].as_str().unwrap();
    let key = (face_url.strip_prefix(&format!("{url}/mr860/")))
        .and_then(|rest| rest.strip_suffix("/face"))
        .unwrap_or_else(|| panic!("{urls}"));
    assert!(key.len() >= 22, "a long key: {key}");
    for intake in ["verify", "person"] {
        assert_eq!(urls[intake], format!("{url}/mr860/{key}/{intake}"));
    }
    let keyless = call(&url, "POST", "/mr860/face", None, Some(face.clone())).await;
    assert_eq!(keyless.0, 404, "the key-less path is gone");
    let mut reply = Value::Null;
    for _ in 0..200 {
        // The demo person reaches the relay's roster with the first heartbeat's task.
        reply = call(face_url, "POST", "", None, Some(face.clone())).await.1;
        if reply["code"] == "200" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(reply["code"], "200", "{reply}");
    let token = info["managerToken"].as_str().unwrap();
    let (status, sites) = call(&url, "GET", "/v1/manager/sites", Some(token), None).await;
    assert_eq!(status, 200);
    assert_eq!(sites[0]["siteId"], info["site"]["siteId"]);
    let terminals = format!(
        "/v1/manager/sites/{}/terminals",
        info["site"]["siteId"].as_str().unwrap()
    );
    let (status, terminals) = call(&url, "GET", &terminals, Some(token), None).await;
    assert_eq!(status, 200, "{terminals}");
    assert_eq!(
        terminals[0]["deviceId"], *device_id,
        "the demo terminal is the demo site's"
    );
    let code = json!({"code": info["enrollCode"]});
    let (status, enrolled) = call(&url, "POST", "/v1/enroll", None, Some(code)).await;
    assert_eq!(status, 200, "{enrolled}");
    assert_eq!(enrolled["site"]["fence"]["version"], 1);
    assert_eq!(enrolled["site"]["binding"], "team");
    demo.shutdown().await;
}
