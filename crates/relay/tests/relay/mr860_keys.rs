//! Attacks on the MR860 intake (issue 16, "Terminals"), one test each, against a real relay
//! and `platform-sim`: a forged log without the key or with a wrong one, a body naming another
//! terminal, an address off the allow-list, a rotated key, a `verifyTime` written several
//! ways, logs past their bounds, expiry, a person record renaming a platform worker; and the
//! manager API of terminals (issued keys, rotation, allow-list, another site's terminals "not
//! found", every change in the manager-action log).

use serde_json::{json, Value};
use zj_relay::config::{Mr860Config, Secret};

use crate::mr860::{
    create_site, face_log, ok, person_record, post, post_with, signins, until, with_roster,
    with_roster_and,
};
use crate::relay_common::platform::{call, TaskRelay, MR860_DEVICE, MR860_KEY};
use crate::relay_common::sim_common::SN;

/// Worker M1's card (on every test roster).
const M1_CARD: &str = "330106199001011234";
/// Worker M2's card.
const M2_CARD: &str = "810000199001011234";

/// The MR860 logs the relay keeps, any state.
async fn kept_logs(relay: &TaskRelay) -> Vec<Value> {
    let (status, logs) = relay.manager("GET", "/v1/manager/mr860/logs", None).await;
    assert_eq!(status, 200, "{logs}");
    logs.as_array().unwrap().clone()
}

/// Sends a genuine log as a marker and waits until the platform holds `count` sign-ins, the
/// marker's last: anything forwarded before it is there too.
async fn signins_after_marker(relay: &TaskRelay, count: usize) -> Vec<Value> {
    let marker = face_log(M2_CARD, "2026-11-22 10:00:00");
    assert_eq!(post(relay, "face", marker).await, ok());
    let signins = signins(relay, count).await;
    assert_eq!(signins[count - 1]["personId"], "M2", "{signins:?}");
    signins
}

#[tokio::test]
async fn a_forged_log_without_the_key_or_with_a_wrong_one_is_refused_and_nothing_is_kept() {
    let relay = with_roster("mr860-forged").await;
    let forged = face_log(M1_CARD, "2026-11-22 08:01:33");
    for path in ["/mr860/face", "/mr860/verify", "/mr860/person"] {
        let (status, _) = call(&relay.url, "POST", path, None, Some(forged.clone())).await;
        assert_eq!(status, 404, "{path}: the key-less paths are gone");
    }
    for key in [
        "",
        "x",
        &MR860_KEY[1..],
        &MR860_KEY.to_uppercase(),
        "k7d2m9q4x8w3n6p5r2t7v9z4b9",
    ] {
        let (status, reply) = post_with(&relay, key, "face", forged.clone()).await;
        assert_eq!(
            (status, &reply["code"]),
            (401, &json!("401")),
            "{key}: {reply}"
        );
        let message = reply["message"].as_str().unwrap();
        assert!(message.contains("管理页面"), "says what to do: {message}");
    }
    assert_eq!(kept_logs(&relay).await, Vec::<Value>::new(), "nothing kept");
    let signins = signins_after_marker(&relay, 1).await;
    assert_eq!(
        signins.len(),
        1,
        "nothing forwarded but the marker: {signins:?}"
    );
}

#[tokio::test]
async fn a_body_naming_another_terminal_than_the_key_is_refused() {
    let relay = with_roster("mr860-device-mismatch").await;
    let mut log = face_log(M1_CARD, "2026-11-22 08:01:33");
    log["deviceId"] = json!("MR860-OTHER");
    let (status, reply) = post(&relay, "face", log).await;
    assert_eq!((status, &reply["code"]), (403, &json!("403")), "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains(MR860_DEVICE),
        "{reply}"
    );
    assert_eq!(kept_logs(&relay).await, Vec::<Value>::new());
    assert_eq!(signins_after_marker(&relay, 1).await.len(), 1);
}

/// Adds terminal `device_id` to site-1 through the manager API: its key and upload URLs.
async fn add_terminal(relay: &TaskRelay, device_id: &str, allow_from: Value) -> Value {
    let body = json!({"deviceId": device_id, "allowFrom": allow_from});
    let path = "/v1/manager/sites/site-1/terminals";
    let (status, added) = relay.manager("POST", path, Some(body)).await;
    assert_eq!(status, 201, "{added}");
    added
}

/// A face log of terminal `device_id` for M1 at `time`.
fn log_of(device_id: &str, time: &str) -> Value {
    let mut log = face_log(M1_CARD, time);
    log["deviceId"] = json!(device_id);
    log
}

/// POSTs `log` to an upload URL as the manager API gave it.
async fn post_url(url: &Value, log: Value) -> (u16, Value) {
    call(url.as_str().unwrap(), "POST", "", None, Some(log)).await
}

#[tokio::test]
async fn a_terminal_sends_only_from_its_allowed_addresses() {
    let relay = with_roster("mr860-allow-from").await;
    let added = add_terminal(&relay, "MR860-FENCED", json!(["10.9.9.0/24"])).await;
    assert_eq!(added["allowFrom"], json!(["10.9.9.0/24"]));
    let log = log_of("MR860-FENCED", "2026-11-22 08:01:33");
    let (status, reply) = post_url(&added["urls"]["face"], log.clone()).await;
    assert_eq!((status, &reply["code"]), (403, &json!("403")), "{reply}");
    assert_eq!(kept_logs(&relay).await, Vec::<Value>::new(), "nothing kept");

    let path = "/v1/manager/terminals/MR860-FENCED/allow-from";
    let (status, changed) = relay
        .manager("PUT", path, Some(json!({"allowFrom": ["127.0.0.1"]})))
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["allowFrom"], json!(["127.0.0.1/32"]));
    assert_eq!(post_url(&added["urls"]["face"], log).await, ok());
    let (status, refused) = relay
        .manager("PUT", path, Some(json!({"allowFrom": ["not-an-address"]})))
        .await;
    assert_eq!(status, 400, "{refused}");

    let (_, actions) = relay.manager("GET", "/v1/manager/actions", None).await;
    let change = (actions.as_array().unwrap().iter())
        .find(|a| a["action"] == "terminal.allow_from")
        .unwrap_or_else(|| panic!("{actions}"));
    assert_eq!(change["siteId"], "site-1");
    assert_eq!(change["detail"]["before"], json!(["10.9.9.0/24"]));
    assert_eq!(change["detail"]["after"], json!(["127.0.0.1/32"]));
}

#[tokio::test]
async fn a_rotated_key_stops_working_at_once_and_the_new_one_works() {
    let relay = with_roster("mr860-rotate").await;
    let added = add_terminal(&relay, "MR860-ROT", json!([])).await;
    let old_urls = added["urls"].clone();
    let key = added["key"].as_str().unwrap();
    assert!(key.len() >= 26, "130 bits: {key}");
    assert!(old_urls["face"].as_str().unwrap().contains(key));
    let (_, listed) = relay
        .manager("GET", "/v1/manager/sites/site-1/terminals", None)
        .await;
    let listed_text = listed.to_string();
    assert!(
        !listed_text.contains(key),
        "the key is shown once: {listed}"
    );
    assert!(listed_text.contains("MR860-ROT"), "{listed}");

    assert_eq!(
        post_url(
            &old_urls["face"],
            log_of("MR860-ROT", "2026-11-22 08:00:00")
        )
        .await,
        ok()
    );
    let path = "/v1/manager/terminals/MR860-ROT/rotate";
    let (status, rotated) = relay.manager("POST", path, None).await;
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated["key"], added["key"]);
    let (status, reply) = post_url(
        &old_urls["face"],
        log_of("MR860-ROT", "2026-11-22 08:05:00"),
    )
    .await;
    assert_eq!((status, &reply["code"]), (401, &json!("401")), "{reply}");
    let fresh = log_of("MR860-ROT", "2026-11-22 08:06:00");
    assert_eq!(post_url(&rotated["urls"]["face"], fresh).await, ok());
    let signins = signins(&relay, 2).await;
    assert_eq!(
        signins.len(),
        2,
        "the refused log was not forwarded: {signins:?}"
    );

    let (status, refused) = relay
        .manager(
            "POST",
            &format!("/v1/manager/terminals/{MR860_DEVICE}/rotate"),
            None,
        )
        .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (409, &json!("terminal_configured")),
        "a configured terminal's key is changed in the configuration: {refused}"
    );
    let (_, actions) = relay.manager("GET", "/v1/manager/actions", None).await;
    let names: Vec<&Value> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["action"])
        .collect();
    assert!(names.contains(&&json!("terminal.add")), "{actions}");
    assert!(names.contains(&&json!("terminal.rotate")), "{actions}");
    assert!(
        !actions.to_string().contains(key),
        "no key in the log: {actions}"
    );
}

/// Creates site-2 (西湖工地, same sn) and its manager `west`; returns west's API token.
async fn west_manager(relay: &TaskRelay) -> String {
    let site = json!({"name": "西湖工地", "sn": SN});
    let (status, _) = relay.manager("POST", "/v1/manager/sites", Some(site)).await;
    assert_eq!(status, 201);
    let account = json!({"name": "west", "role": "site", "sites": ["site-2"]});
    let (status, account) = relay
        .manager("POST", "/v1/manager/accounts", Some(account))
        .await;
    assert_eq!(status, 201, "{account}");
    account["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn another_sites_manager_finds_no_terminal_of_this_site() {
    let relay = with_roster("mr860-other-site").await;
    let token = &west_manager(&relay).await;
    add_terminal(&relay, "MR860-EAST", json!([])).await;
    let as_west = |method: &'static str, path: &'static str, body: Option<Value>| {
        call(&relay.url, method, path, Some(token), body)
    };
    let (status, _) = as_west("GET", "/v1/manager/sites/site-1/terminals", None).await;
    assert_eq!(status, 404);
    let (status, _) = as_west("POST", "/v1/manager/terminals/MR860-EAST/rotate", None).await;
    assert_eq!(status, 404);
    let allow = Some(json!({"allowFrom": ["10.0.0.0/8"]}));
    let (status, _) = as_west("PUT", "/v1/manager/terminals/MR860-EAST/allow-from", allow).await;
    assert_eq!(status, 404);
    let add = Some(json!({"deviceId": "MR860-WEST-IN-EAST"}));
    let (status, _) = as_west("POST", "/v1/manager/sites/site-1/terminals", add).await;
    assert_eq!(status, 404);
    let (status, own) = as_west("GET", "/v1/manager/sites/site-2/terminals", None).await;
    assert_eq!((status, own), (200, json!([])));
    // site-1's terminal's log: its site's (and the administrator's), not west's.
    let log = face_log(M1_CARD, "2026-11-22 09:00:00");
    assert_eq!(post(&relay, "face", log).await, ok());
    let logs = kept_logs(&relay).await;
    assert_eq!(logs[0]["siteId"], "site-1", "{logs:?}");
    let (status, theirs) = as_west("GET", "/v1/manager/mr860/logs", None).await;
    assert_eq!((status, theirs), (200, json!([])));
}

#[tokio::test]
async fn a_verify_time_written_several_ways_is_one_log_forwarded_once() {
    let relay = with_roster("mr860-respelled").await;
    let instant_ms = 1_795_305_693_000_i64; // 2026-11-22 08:01:33 Beijing
    let spellings = [
        json!("2026-11-22 08:01:33"),
        json!("2026/11/22 08:01:33"),
        json!("2026-11-22T08:01:33"),
        json!("2026-11-22T00:01:33Z"),
        json!("2026-11-22T08:01:33+08:00"),
        json!("2026-11-22 08:01:33.000"),
        json!("20261122080133"),
        json!("1795305693"),
        json!("1795305693000"),
        json!(1_795_305_693_000_i64),
        json!(1_795_305_693_i64),
    ];
    for spelling in spellings {
        let mut log = face_log(M1_CARD, "");
        log["verifyTime"] = spelling.clone();
        assert_eq!(post(&relay, "face", log).await, ok(), "{spelling}");
    }
    let signins = signins_after_marker(&relay, 2).await;
    assert_eq!(signins.len(), 2, "one log and the marker: {signins:?}");
    assert_eq!(signins[0]["recordTime"], instant_ms);
    assert_eq!(kept_logs(&relay).await.len(), 2);
}

#[tokio::test]
async fn logs_past_a_terminals_bound_or_the_total_are_refused_so_the_terminal_keeps_them() {
    const SECOND: &str = "MR860-SECOND";
    const SECOND_KEY: &str = "s3c8n4d7k2e9y5t3r8m6q2p7x4";
    let relay = with_roster_and("mr860-bounds", |config| {
        config.limits.mr860.logs_per_terminal = 2;
        config.limits.mr860.logs_total = 3;
        config.mr860.push(Mr860Config {
            device_id: SECOND.into(),
            site_id: "site-1".into(),
            key: Some(Secret::new(SECOND_KEY)),
            ..Default::default()
        });
    })
    .await;
    let stranger = |minute: u32| {
        face_log(
            "330106198001019999",
            &format!("2026-11-22 08:{minute:02}:00"),
        )
    };
    assert_eq!(post(&relay, "face", stranger(1)).await.1["code"], "404");
    assert_eq!(post(&relay, "face", stranger(2)).await.1["code"], "404");
    let (status, reply) = post(&relay, "face", stranger(3)).await;
    assert_eq!((status, &reply["code"]), (503, &json!("503")), "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("本终端"),
        "{reply}"
    );
    assert_eq!(
        post(&relay, "face", stranger(2)).await.1["code"],
        "404",
        "a resend of a kept log is still answered from the store"
    );

    let second = |minute: u32| {
        let mut log = stranger(minute);
        log["deviceId"] = json!(SECOND);
        log
    };
    assert_eq!(
        post_with(&relay, SECOND_KEY, "face", second(4)).await.1["code"],
        "404"
    );
    let (status, reply) = post_with(&relay, SECOND_KEY, "face", second(5)).await;
    assert_eq!((status, &reply["code"]), (503, &json!("503")), "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("总数"),
        "{reply}"
    );
    assert_eq!(
        kept_logs(&relay).await.len(),
        3,
        "nothing past the bounds kept"
    );
}

#[tokio::test]
async fn finished_logs_lose_their_photos_at_once_and_logs_expire() {
    // A face log with its 3,000-byte photo is about 4.3 kB; without the photo, a few hundred.
    let mut relay = with_roster_and("mr860-expiry", |config| {
        config.limits.mr860.bytes_per_terminal = 6_000;
    })
    .await;
    assert_eq!(
        post(&relay, "face", face_log(M1_CARD, "2026-11-22 08:00:00")).await,
        ok()
    );
    signins(&relay, 1).await;
    let forwarded = async || {
        let logs = kept_logs(&relay).await;
        Some(logs).filter(|logs| logs.iter().any(|log| log["state"] == "forwarded"))
    };
    until(forwarded, "the log to be marked forwarded").await;
    let stranger = |minute: u32| {
        face_log(
            "330106198001019999",
            &format!("2026-11-22 08:{minute:02}:00"),
        )
    };
    let (_, reply) = post(&relay, "face", stranger(30)).await;
    assert_eq!(
        reply["code"], "404",
        "the forwarded log's photo no longer counts: {reply}"
    );
    let (status, reply) = post(&relay, "face", stranger(31)).await;
    assert_eq!(
        (status, &reply["code"]),
        (503, &json!("503")),
        "the bytes bound: {reply}"
    );

    relay.restart().await;
    let states: Vec<Value> = (kept_logs(&relay).await.iter())
        .map(|l| l["state"].clone())
        .collect();
    assert_eq!(
        states,
        [json!("unknown_card"), json!("forwarded")],
        "within keep_days both stay"
    );
    relay.config.limits.mr860.keep_days = 0;
    relay.restart().await;
    assert_eq!(
        kept_logs(&relay).await,
        Vec::<Value>::new(),
        "past keep_days the forwarded log and the one waiting for its card both expired"
    );
}

/// The persons the relay reports to the platform (`T_POST_DEVICE_PERSON`): `(personId,
/// name, imgBytes)` by person id.
async fn device_persons(relay: &TaskRelay) -> Vec<(String, String, u64)> {
    let post_task = relay.add_task("T_POST_DEVICE_PERSON", json!({})).await;
    let task = relay.reported(&post_task).await;
    let mut persons: Vec<(String, String, u64)> = (task["posted"].as_array().unwrap().iter())
        .map(|p| {
            let text = |key: &str| p[key].as_str().unwrap_or_default().to_owned();
            (
                text("personId"),
                text("name"),
                p["imgBytes"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    persons.sort();
    persons
}

#[tokio::test]
async fn a_person_record_cannot_rename_a_platform_worker_or_replace_his_face() {
    let relay = with_roster("mr860-roster-overwrite").await;
    let before = device_persons(&relay).await;
    // By his ID number, and by his platform person id written as a card number; the
    // terminal's photo (3,000 bytes) is not the platform's.
    assert_eq!(
        post(&relay, "person", person_record(M1_CARD, "李四")).await,
        ok()
    );
    assert_eq!(
        post(&relay, "person", person_record("M2", "王五")).await,
        ok()
    );
    assert_eq!(
        device_persons(&relay).await,
        before,
        "as the platform registered them"
    );
    let (_, roster) = relay
        .manager("GET", &format!("/v1/manager/roster?sn={SN}"), None)
        .await;
    let sources: Vec<&Value> = (roster.as_array().unwrap().iter())
        .map(|p| &p["source"])
        .collect();
    assert!(sources.iter().all(|s| **s == "platform"), "{roster}");
    // A person the platform does not know still joins the device roster.
    let newcomer = person_record("330102198805055678", "赵六");
    assert_eq!(post(&relay, "person", newcomer).await, ok());
    let after = device_persons(&relay).await;
    assert!(
        after.contains(&("330102198805055678".into(), "赵六".into(), 3000)),
        "{after:?}"
    );
}

#[tokio::test]
async fn a_terminal_of_a_site_not_created_yet_is_told_to_wait() {
    let relay = TaskRelay::start("mr860-no-site", 20, |_| {}).await;
    let (status, reply) = post(&relay, "face", face_log(M1_CARD, "2026-11-22 08:00:00")).await;
    assert_eq!((status, &reply["code"]), (503, &json!("503")), "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("site-1"),
        "{reply}"
    );
    create_site(&relay).await;
    assert_eq!(kept_logs(&relay).await, Vec::<Value>::new());
}

#[test]
fn a_configured_key_too_short_to_be_random_is_refused() {
    let mut config = crate::relay_common::relay_config(
        "127.0.0.1:9".into(),
        "http://127.0.0.1:9/api/device".into(),
        "mr860-weak-keys".into(),
        &[],
        Default::default(),
    );
    let keys = [
        ("short", false),
        ("0123456789abcdef0123456789", false), // 26 hex digits: 104 bits
        ("a key with spaces that is long enough", false),
        ("0123456789abcdef0123456789abcdef", true), // openssl rand -hex 16
        (MR860_KEY, true),                          // as the manager page issues them
    ];
    for (key, accepted) in keys {
        config.mr860 = vec![Mr860Config {
            device_id: MR860_DEVICE.into(),
            site_id: "site-1".into(),
            key: Some(Secret::new(key)),
            ..Default::default()
        }];
        let checked = config.mr860_keys();
        assert_eq!(checked.is_ok(), accepted, "{key:?}: {checked:?}");
    }
    config.mr860[0].key = None;
    let missing = config.mr860_keys().unwrap_err().to_string();
    assert!(missing.contains("missing"), "{missing}");
}

/// The attack: a site manager adds a terminal under the `deviceId` of one taken out of the
/// configuration, to read the logs it left (names, ID numbers). A log stays the site's its
/// terminal belonged to when it was sent.
#[tokio::test]
async fn a_terminals_old_logs_stay_with_its_site_when_another_site_takes_its_device_id() {
    let mut relay = with_roster("mr860-logs-keep-site").await;
    let log = face_log(M1_CARD, "2026-11-22 09:00:00");
    assert_eq!(post(&relay, "face", log).await, ok());
    relay.config.mr860.clear();
    relay.restart().await;
    let token = &west_manager(&relay).await;
    let add = Some(json!({"deviceId": MR860_DEVICE}));
    let path = "/v1/manager/sites/site-2/terminals";
    let (status, added) = call(&relay.url, "POST", path, Some(token), add).await;
    assert_eq!(status, 201, "{added}");
    let (status, logs) = call(
        &relay.url,
        "GET",
        "/v1/manager/mr860/logs",
        Some(token),
        None,
    )
    .await;
    assert_eq!(
        (status, logs),
        (200, json!([])),
        "site-1's log is not west's"
    );
    let logs = kept_logs(&relay).await;
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0]["siteId"], "site-1", "{logs:?}");
}
