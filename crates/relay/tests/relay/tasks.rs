//! The relay carries out the platform's tasks (`platform-sim` over real sockets): every task
//! type, several pages, photos capped in size and time, persons without id or name reported
//! as failed persons, a person sent again updated in place, the offered firmware version
//! recorded, a relay stopped in the middle of a task finishing it once, and a platform reply
//! with a bad signature failing its task.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::relay_common::platform::{PhotoServer, TaskRelay};
use crate::relay_common::sim_common::SN;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use zj_relay::args;
use zj_relay::Store;

/// Persons per page the simulator is started with.
const PAGE_SIZE: usize = 3;

fn ids(task: &Value, key: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = (task[key].as_array().cloned().unwrap_or_default())
        .iter()
        .map(|f| {
            let id = f["personId"].as_str().unwrap().to_owned();
            (id, f["errCode"].as_str().unwrap().to_owned())
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn send_person_fills_the_roster_over_several_pages_and_a_stop_mid_task_finishes_it_once() {
    let photos = PhotoServer::start().await;
    let mut relay = TaskRelay::start("tasks-send", PAGE_SIZE, |_| {}).await;
    let persons: Vec<(String, String, Option<String>)> = (1..=7)
        .map(|i| {
            let id = format!("P{i:04}");
            // Person 4 is on page 2; its photo is held until the relay has been stopped.
            let kind = if i == 4 { "held" } else { "ok" };
            let url = photos.url(kind, &format!("{id}.jpg"));
            (id, format!("工人{i}"), Some(url))
        })
        .collect();
    let listed: Vec<_> = (persons.iter())
        .map(|(id, name, url)| (id.as_str(), name.as_str(), None, url.clone()))
        .collect();
    relay.add_persons(&listed).await;
    let taskid = relay.add_task("T_SEND_PERSON", json!({})).await;

    photos.wait_hit("held", "P0004.jpg").await;
    relay.restart().await;
    photos.release();
    let task = relay.reported(&taskid).await;

    assert_eq!(task["status"], 1, "{task}");
    assert_eq!(ids(&task, "failedFaces"), vec![], "{task}");
    assert_eq!(relay.counts().await, (7, 7));
    for i in [1, 2, 3] {
        let name = format!("P{i:04}.jpg");
        assert_eq!(
            photos.hits("ok", &name),
            1,
            "page 1 is not fetched again: {name}"
        );
    }
    assert_eq!(
        photos.hits("held", "P0004.jpg"),
        2,
        "page 2 is fetched again"
    );
    // Heartbeats keep coming; a reported task is not carried out again.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(photos.hits("ok", "P0007.jpg"), 1);
    let (_, roster) = relay
        .manager("GET", &format!("/v1/manager/roster?sn={SN}"), None)
        .await;
    assert_eq!(roster.as_array().unwrap().len(), 7, "{roster}");
    assert_eq!(roster[0]["name"], "工人1");
}

#[tokio::test]
async fn faces_too_large_too_slow_missing_or_not_images_are_failed_faces() {
    let photos = PhotoServer::start().await;
    let relay = TaskRelay::start("tasks-faces", PAGE_SIZE, |config| {
        config.tasks.photo_timeout_secs = 1;
    })
    .await;
    relay
        .add_persons(&[
            ("F1", "好照片", None, Some(photos.url("ok", "f1.jpg"))),
            ("F2", "大照片", None, Some(photos.url("big", "f2.jpg"))),
            ("F3", "慢照片", None, Some(photos.url("slow", "f3.jpg"))),
            ("F4", "不是照片", None, Some(photos.url("text", "f4.jpg"))),
            (
                "F5",
                "没有照片",
                None,
                Some(photos.url("missing", "f5.jpg")),
            ),
        ])
        .await;
    let taskid = relay.add_task("T_SEND_PERSON", json!({})).await;
    let task = relay.reported(&taskid).await;
    assert_eq!(task["status"], 1, "{task}");
    let expected: Vec<(String, String)> = [
        ("F2", "413_1"),
        ("F3", "408_1"),
        ("F4", "415_1"),
        ("F5", "404_1"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(ids(&task, "failedFaces"), expected);
    assert_eq!(relay.counts().await, (5, 1));
}

#[tokio::test]
async fn update_delete_post_clear_and_version_tasks() {
    let relay = TaskRelay::start("tasks-all", PAGE_SIZE, |config| {
        config.tasks.post_page_size = 2;
    })
    .await;
    let persons: Vec<(String, String)> = (1..=5)
        .map(|i| (format!("U{i}"), format!("Worker {i}")))
        .collect();
    let listed: Vec<_> = (persons.iter())
        .map(|(id, name)| (id.as_str(), name.as_str(), Some("330106199001011234"), None))
        .collect();
    relay.add_persons(&listed[..1]).await;
    relay
        .add_persons(
            &listed[1..]
                .iter()
                .map(|p| (p.0, p.1, None, None))
                .collect::<Vec<_>>(),
        )
        .await;

    let update = relay.add_task("T_UPDATE_DEVICE_PERSON", json!({})).await;
    assert_eq!(relay.reported(&update).await["status"], 1);
    assert_eq!(
        relay.counts().await,
        (5, 5),
        "the simulator's drawn photos are registered"
    );

    let delete = relay
        .add_task("T_DEL_DEVICE_PERSON", json!({"personIds": ["U2", "U3"]}))
        .await;
    assert_eq!(relay.reported(&delete).await["status"], 1);
    assert_eq!(relay.counts().await, (3, 3));

    let post = relay
        .add_task(
            "T_POST_DEVICE_PERSON",
            json!({"param": {"excludeFields": "img"}}),
        )
        .await;
    let task = relay.reported(&post).await;
    assert_eq!(task["status"], 1, "{task}");
    let posted = task["posted"].as_array().unwrap();
    let posted_ids: Vec<&str> = posted
        .iter()
        .map(|p| p["personId"].as_str().unwrap())
        .collect();
    assert_eq!(posted_ids, ["U1", "U4", "U5"], "two pages of 2: {task}");
    assert!(posted
        .iter()
        .all(|p| p.get("imgBytes").is_none() && p["hasImg"] == 1));
    assert_eq!(posted[0]["idcardNo"], "330106199001011234");

    let post_all = relay.add_task("T_POST_DEVICE_PERSON", json!({})).await;
    let task = relay.reported(&post_all).await;
    let posted = task["posted"].as_array().unwrap();
    assert!(
        posted
            .iter()
            .all(|p| p["imgBytes"].as_u64().unwrap() > 1000),
        "{task}"
    );

    let version = relay
        .add_task(
            "T_UPDATE_DEVICE_VERSION",
            json!({"param": {"version": "v2.1.0", "size": 1048576, "downloadUrl": "http://example.com/fw.bin"}}),
        )
        .await;
    assert_eq!(
        relay.reported(&version).await["status"],
        3,
        "not applicable to a relay"
    );

    let clear = relay.add_task("T_CLEAR_DEVICE_PERSON", json!({})).await;
    assert_eq!(relay.reported(&clear).await["status"], 1);
    assert_eq!(relay.counts().await, (0, 0));
}

/// Where the tampering proxy forwards to, set once the simulator is known.
type Target = Arc<Mutex<String>>;

/// A task API proxy that spoils the sign of `T_SEND_PERSON` replies; its URL and target.
async fn tampering_proxy() -> (String, Target) {
    async fn forward(State(target): State<Target>, body: Bytes) -> String {
        let request: Value = serde_json::from_slice(&body).unwrap();
        let url = target.lock().unwrap().clone();
        let reply = (reqwest::Client::new().post(url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if request["apicode"] != "T_SEND_PERSON" {
            return reply;
        }
        let mut reply: Value = serde_json::from_str(&reply).unwrap();
        reply["sign"] = json!("0123456789abcdef0123456789abcdef");
        reply.to_string()
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let target = Target::default();
    let router = Router::new()
        .route("/api/device", post(forward))
        .with_state(target.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}/api/device"), target)
}

#[tokio::test]
async fn a_reply_with_a_bad_signature_fails_its_task_and_the_next_task_still_runs() {
    let (proxy, target) = tampering_proxy().await;
    let relay = TaskRelay::start("tasks-badsign", PAGE_SIZE, |config| {
        *target.lock().unwrap() = config.platform.http.clone();
        config.platform.http = proxy;
    })
    .await;
    relay.add_persons(&[("B1", "张伟", None, None)]).await;
    let send = relay.add_task("T_SEND_PERSON", json!({})).await;
    assert_eq!(
        relay.reported(&send).await["status"],
        2,
        "a reply that cannot be trusted"
    );
    assert_eq!(relay.counts().await, (0, 0), "nothing from it was used");
    let update = relay.add_task("T_UPDATE_DEVICE_PERSON", json!({})).await;
    assert_eq!(relay.reported(&update).await["status"], 1);
    assert_eq!(relay.counts().await, (1, 1));
}

/// The relay's roster for [`SN`] as the manager API lists it: `(personId, name)` in id order.
async fn roster(relay: &TaskRelay) -> Vec<(String, String)> {
    let path = format!("/v1/manager/roster?sn={SN}");
    relay.manager_pairs(&path, ("personId", "name")).await
}

#[tokio::test]
async fn persons_without_id_or_name_are_failed_persons_and_the_rest_of_their_page_is_stored() {
    let relay = TaskRelay::start("tasks-invalid", PAGE_SIZE, |_| {}).await;
    // The simulator lists its roster by person id: page 1 is "", V1, V2; page 2 is V3, V4.
    relay
        .add_persons(&[
            ("", "无编号", None, None),
            ("V1", "王强", None, None),
            ("V2", "", None, None),
            ("V3", "刘洋", None, None),
            ("V4", "周敏", None, None),
        ])
        .await;
    for apicode in ["T_SEND_PERSON", "T_UPDATE_DEVICE_PERSON"] {
        let taskid = relay.add_task(apicode, json!({})).await;
        let task = relay.reported(&taskid).await;
        assert_eq!(task["status"], 1, "{apicode}: {task}");
        let failed = vec![
            (String::new(), "400_1".to_owned()),
            ("V2".to_owned(), "400_1".to_owned()),
        ];
        assert_eq!(ids(&task, "failedPersons"), failed, "{apicode}: {task}");
        assert_eq!(ids(&task, "failedFaces"), vec![], "{apicode}: {task}");
        assert_eq!(relay.counts().await, (3, 3), "{apicode}");
        let names: Vec<(String, String)> = [("V1", "王强"), ("V3", "刘洋"), ("V4", "周敏")]
            .iter()
            .map(|(id, name)| (id.to_string(), name.to_string()))
            .collect();
        assert_eq!(roster(&relay).await, names, "{apicode}");
    }
}

#[tokio::test]
async fn a_person_sent_again_with_a_new_name_and_photo_is_updated_not_added() {
    let photos = PhotoServer::start().await;
    let relay = TaskRelay::start("tasks-upsert", PAGE_SIZE, |_| {}).await;
    // R1's first photo is the simulator's drawing of them; R2 stays as they are.
    relay
        .add_persons(&[("R1", "李雷", None, None), ("R2", "韩梅梅", None, None)])
        .await;
    let send = relay.add_task("T_SEND_PERSON", json!({})).await;
    assert_eq!(relay.reported(&send).await["status"], 1);
    assert_eq!(relay.counts().await, (2, 2));

    relay
        .add_persons(&[(
            "R1",
            "李雷（班组长）",
            None,
            Some(photos.url("ok", "r1-new.jpg")),
        )])
        .await;
    let update = relay
        .add_task("T_UPDATE_DEVICE_PERSON", json!({"personIds": ["R1"]}))
        .await;
    let task = relay.reported(&update).await;
    assert_eq!(task["status"], 1, "{task}");
    assert_eq!(photos.hits("ok", "r1-new.jpg"), 1);
    assert_eq!(relay.counts().await, (2, 2), "R1 is not counted twice");
    let names = vec![
        ("R1".to_owned(), "李雷（班组长）".to_owned()),
        ("R2".to_owned(), "韩梅梅".to_owned()),
    ];
    assert_eq!(roster(&relay).await, names);

    let post = relay.add_task("T_POST_DEVICE_PERSON", json!({})).await;
    let task = relay.reported(&post).await;
    let posted = task["posted"].as_array().unwrap();
    let r1: Vec<&Value> = posted.iter().filter(|p| p["personId"] == "R1").collect();
    assert_eq!(r1.len(), 1, "{task}");
    assert_eq!(r1[0]["name"], "李雷（班组长）");
    assert_eq!(
        r1[0]["imgBytes"], 2048,
        "the new photo replaced the drawing"
    );
    assert_eq!(posted.len(), 2, "{task}");
}

/// The firmware version the relay recorded for [`SN`]: `(version, size, downloadUrl, taskid)`.
async fn recorded_version(relay: &TaskRelay) -> Option<(String, i64, String, String)> {
    let location = relay.config.store_location().expect("a store location");
    let (store, _) = Store::open_at(&location, false).expect("the store opens");
    store
        .run(|tx| {
            tx.query_opt(
                "SELECT version, size, download_url, taskid FROM device_versions
                     WHERE sn = ?1",
                args![SN],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
        })
        .await
        .expect("the store answers")
}

#[tokio::test]
async fn update_device_version_is_not_applicable_but_the_offered_version_is_recorded() {
    let relay = TaskRelay::start("tasks-version", PAGE_SIZE, |_| {}).await;
    assert_eq!(recorded_version(&relay).await, None);
    for (version, size) in [("v2.1.0", 1_048_576), ("v2.2.0-rc1", 2_097_152)] {
        let url = format!("http://example.com/fw-{version}.bin");
        let taskid = relay
            .add_task(
                "T_UPDATE_DEVICE_VERSION",
                json!({"param": {"version": version, "size": size, "downloadUrl": url}}),
            )
            .await;
        let task = relay.reported(&taskid).await;
        assert_eq!(task["status"], 3, "not applicable to a relay: {task}");
        assert_eq!(
            recorded_version(&relay).await,
            Some((version.to_owned(), size, url, taskid)),
            "the latest offer is the one recorded"
        );
    }
}
