//! Out-of-fence requests (外勤, issue 17): a record filed as a request outside the fence is held
//! from the platform until a manager decides; approved, the relay's forwarder sends it once
//! with its original `recordTime` (also when the platform was down at the approval); rejected,
//! it is never sent and the phone's retry hears why; inside the site's approved work areas it
//! is approved and sent at once. The phone lists its own requests and its heartbeat says when
//! one was decided. Attacks: another site's manager, deciding twice, a rejection without a
//! comment, malformed requests, invalid work areas. Real parts: the platform simulator, the
//! relay in process, the manager and phone APIs.

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use zj_host::system_clock::now_ms;
use zj_protocol::wire::Response;

use crate::claims::{east_of, enroll_team_phone, fence, record, refused_for_good, Site};
use crate::claims::{BEIJING, CENTRE};
use crate::relay_common::platform::{call, MANAGER_TOKEN};
use crate::relay_common::sim_common::SN;
use crate::relay_common::{http_client, refusal, PhoneClient};

/// A record of `W1` at `at` (accuracy 10 m) filed as a request for `reason` with `note`.
fn request(id: &str, at: [f64; 2], reason: &str, note: &str) -> Value {
    let mut record = record(id, at, 10.0, "outside", now_ms());
    record["outOfFence"] = json!({"reason": reason, "note": note});
    record
}

/// A site with a fence around [`CENTRE`] (policy `reject`) and its phone.
async fn fenced_site(name: &str) -> Site {
    Site::start(name, Some(fence(CENTRE, "reject"))).await
}

/// The reply's `response` as JSON (`Null` when empty).
fn response(reply: &Response) -> Value {
    serde_json::from_str(&reply.response).unwrap_or(Value::Null)
}

/// Sends `record` and asserts it is held as pending.
async fn held(phone: &mut PhoneClient, record: &Value) {
    let reply = phone.sign_in(&record.to_string()).await;
    assert!(reply.success, "{reply:?}");
    assert_eq!(response(&reply), json!({"pending": true}), "{reply:?}");
}

/// The site's requests as the manager lists them, and the pending count.
async fn listed(site: &Site, query: &str) -> (Vec<Value>, i64) {
    let path = format!("/v1/manager/requests?siteId={}{query}", site.site_id);
    let (status, body) = site.relay.manager("GET", &path, None).await;
    assert_eq!(status, 200, "{body}");
    let requests = body["requests"].as_array().unwrap().clone();
    (requests, body["pendingCount"].as_i64().unwrap())
}

/// The id of the only request the site lists.
async fn only_request_id(site: &Site) -> i64 {
    let (requests, _) = listed(site, "").await;
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests[0]["id"].as_i64().unwrap()
}

/// A decision on request `id` with the manager token: the status and body.
async fn decide(site: &Site, id: i64, body: Value) -> (u16, Value) {
    let path = format!("/v1/manager/requests/{id}/decision");
    site.relay.manager("POST", &path, Some(body)).await
}

/// Waits (up to 20 s) until the platform has `count` sign-ins.
async fn wait_at_platform(site: &Site, count: usize) {
    for _ in 0..400 {
        if site.at_platform().await >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the platform never had {count} sign-ins");
}

/// The heartbeat reply's `requestsChangedMs`.
async fn requests_changed_ms(phone: &mut PhoneClient) -> Value {
    let reply = phone.heartbeat().await;
    assert!(reply.success, "{reply:?}");
    response(&reply)["requestsChangedMs"].clone()
}

#[tokio::test]
async fn an_approved_request_reaches_the_platform_once_with_its_record_time() {
    let mut site = fenced_site("requests-approve").await;
    let filed = request("q-1", BEIJING, "meeting", "甲方开会");
    held(&mut site.phone, &filed).await;
    assert_eq!(site.at_platform().await, 0, "held for a manager");
    held(&mut site.phone, &filed).await; // a retry: pending again, still not sent
    assert_eq!(requests_changed_ms(&mut site.phone).await, Value::Null);

    let (requests, pending) = listed(&site, "&state=pending").await;
    assert_eq!(pending, 1);
    let listed_request = &requests[0];
    assert_eq!(listed_request["reason"], "meeting", "{listed_request}");
    assert_eq!(listed_request["reasonLabel"], "外出开会");
    assert_eq!(listed_request["note"], "甲方开会");
    assert_eq!(listed_request["name"], "张三");
    assert_eq!(listed_request["relayFence"]["verdict"], "outside");
    assert_eq!(listed_request["location"]["lat"], BEIJING[1]);
    assert_eq!(listed_request["forwarding"]["state"], Value::Null);
    let id = listed_request["id"].as_i64().unwrap();
    let made = filed["recordTime"].as_i64().unwrap();
    let later = format!("&fromMs={}", made + 1);
    assert!(
        listed(&site, &later).await.0.is_empty(),
        "recordTime before fromMs"
    );
    let window = format!("&fromMs={made}&toMs={}", made + 1);
    assert_eq!(listed(&site, &window).await.0.len(), 1);
    for bad in ["&state=maybe", "&fromMs=yesterday"] {
        let path = format!("/v1/manager/requests?siteId={}{bad}", site.site_id);
        assert_eq!(site.relay.manager("GET", &path, None).await.0, 400, "{bad}");
    }

    let (status, decided) = decide(&site, id, json!({"decision": "approve"})).await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["state"], "approved", "{decided}");
    assert_eq!(decided["decidedBy"], "admin", "{decided}");
    wait_at_platform(&site, 1).await;
    let at_platform = site.relay.http.signins().await;
    assert_eq!(
        at_platform[0]["recordTime"], filed["recordTime"],
        "original time"
    );
    assert_eq!(at_platform[0]["personId"], "W1");
    for member in ["outOfFence", "recordId", "fence", "location"] {
        assert!(at_platform[0].get(member).is_none(), "{member} stripped");
    }
    let changed = requests_changed_ms(&mut site.phone).await;
    assert!(
        changed.as_i64().is_some(),
        "a decision changes it: {changed}"
    );

    // The phone retries, not having heard: told it is at the platform, not sent again.
    let retried = site.phone.sign_in(&filed.to_string()).await;
    assert!(retried.success, "{retried:?}");
    assert_eq!(
        response(&retried),
        json!({"pending": false, "state": "approved"})
    );
    let (status, twice) = decide(&site, id, json!({"decision": "reject", "comment": "x"})).await;
    assert_eq!(status, 409, "{twice}");
    assert_eq!(twice["error"]["code"], "already_decided");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(site.at_platform().await, 1, "sent exactly once");
    let (requests, pending) = listed(&site, "").await;
    assert_eq!(
        (requests[0]["forwarding"]["state"].clone(), pending),
        (json!("done"), 0)
    );
    let (_, actions) = site.relay.manager("GET", "/v1/manager/actions", None).await;
    assert_eq!(actions[0]["action"], "request_approve", "{actions}");
}

#[tokio::test]
async fn a_retry_without_its_request_member_is_still_the_held_request() {
    let mut site = fenced_site("requests-stripped-retry").await;
    let filed = request("q-strip", BEIJING, "errand", "送图纸");
    held(&mut site.phone, &filed).await;
    // The same recordId again, without `outOfFence` and at a place inside the fence: still
    // the held request, not an ordinary sign-in that would reach the platform unapproved.
    let mut stripped = record("q-strip", CENTRE, 10.0, "inside", now_ms());
    stripped["recordTime"] = filed["recordTime"].clone();
    held(&mut site.phone, &stripped).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        site.at_platform().await,
        0,
        "a pending request is never sent"
    );
    let id = only_request_id(&site).await;
    let (status, _) = decide(&site, id, json!({"decision": "approve"})).await;
    assert_eq!(status, 200);
    wait_at_platform(&site, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(site.at_platform().await, 1, "sent once, by the forwarder");
}

#[tokio::test]
async fn a_phone_with_twenty_requests_waiting_keeps_the_next_until_one_is_decided() {
    let mut site = fenced_site("requests-pending-cap").await;
    for n in 0..20 {
        held(
            &mut site.phone,
            &request(&format!("cap-{n}"), BEIJING, "errand", ""),
        )
        .await;
    }
    let next = request("cap-20", BEIJING, "errand", "");
    let refused = site.phone.sign_in(&next.to_string()).await;
    let error = refusal(&refused).unwrap_or_else(|| panic!("refused: {refused:?}"));
    assert_eq!(error.errorcode, "500_01", "retry later: {error:?}");
    assert!(error.errormsg.contains("等待审批"), "{error:?}");
    let (requests, pending) = listed(&site, "").await;
    assert_eq!(
        (requests.len(), pending),
        (20, 20),
        "the 21st is not stored"
    );

    let oldest = requests.iter().find(|r| r["recordId"] == "cap-0").unwrap();
    let id = oldest["id"].as_i64().unwrap();
    let (status, _) = decide(
        &site,
        id,
        json!({"decision": "reject", "comment": "不在工地"}),
    )
    .await;
    assert_eq!(status, 200);
    held(&mut site.phone, &next).await; // the phone's retry is filed now
    assert_eq!(listed(&site, "").await.1, 20);
    assert_eq!(site.at_platform().await, 0);
}

#[tokio::test]
async fn a_rejected_request_is_never_sent_and_its_retry_hears_why() {
    let mut site = fenced_site("requests-reject").await;
    let filed = request("q-2", BEIJING, "other", "去材料市场买钉子");
    held(&mut site.phone, &filed).await;
    let id = only_request_id(&site).await;
    let (status, body) = decide(&site, id, json!({"decision": "reject"})).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("comment_required"))
    );
    let blank = json!({"decision": "reject", "comment": "   "});
    assert_eq!(decide(&site, id, blank).await.0, 400);
    let long = json!({"decision": "reject", "comment": "长".repeat(201)});
    assert_eq!(decide(&site, id, long).await.0, 400);
    let odd = json!({"decision": "maybe", "comment": "x"});
    assert_eq!(decide(&site, id, odd).await.0, 400);

    let reject = json!({"decision": "reject", "comment": "当天不在工地"});
    let (status, decided) = decide(&site, id, reject).await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["state"], "rejected");
    let message = refused_for_good(&site.phone.sign_in(&filed.to_string()).await);
    assert_eq!(message, "外勤申请已被管理员驳回：当天不在工地");
    let (status, _) = decide(&site, id, json!({"decision": "approve"})).await;
    assert_eq!(status, 409, "deciding twice");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(site.at_platform().await, 0, "never sent");
}

#[tokio::test]
async fn inside_the_work_areas_a_request_is_approved_and_sent_at_once() {
    let mut site = fenced_site("requests-work-areas").await;
    let path = format!("/v1/manager/sites/{}/work-areas", site.site_id);
    let (status, _) = site.relay.manager("GET", &path, None).await;
    assert_eq!(status, 404, "none yet");
    let bow_tie =
        json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]});
    let (status, body) = (site.relay)
        .manager(
            "PUT",
            &path,
            Some(json!({"geojson": bow_tie, "autoApprove": true})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "work_areas_invalid", "{body}");
    let not_geojson = json!({"geojson": {"type": "Circle"}, "autoApprove": true});
    assert_eq!(
        site.relay.manager("PUT", &path, Some(not_geojson)).await.0,
        400
    );
    let no_flag = json!({"geojson": fence(BEIJING, "reject")["geojson"]});
    assert_eq!(site.relay.manager("PUT", &path, Some(no_flag)).await.0, 400);

    let areas = json!({"geojson": fence(BEIJING, "reject")["geojson"], "autoApprove": true});
    let (status, stored) = site.relay.manager("PUT", &path, Some(areas)).await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["version"], 1, "{stored}");
    assert_eq!(stored["geojson"]["geometry"]["type"], "MultiPolygon");
    let (_, got) = site.relay.manager("GET", &path, None).await;
    assert_eq!(got, stored);

    let inside = request("q-3", BEIJING, "second_area", "");
    let reply = site.phone.sign_in(&inside.to_string()).await;
    assert!(reply.success, "{reply:?}");
    assert_eq!(
        response(&reply),
        json!({"pending": false, "state": "approved"})
    );
    assert_eq!(site.at_platform().await, 1, "sent in the same attempt");
    // 2 km east of the work areas: held for a manager.
    let outside = request("q-4", east_of(BEIJING, 2000.0), "second_area", "");
    held(&mut site.phone, &outside).await;
    let (requests, pending) = listed(&site, "").await;
    assert_eq!(pending, 1);
    let auto = requests.iter().find(|r| r["recordId"] == "q-3").unwrap();
    assert_eq!(
        (auto["auto"].clone(), auto["decidedBy"].clone()),
        (json!(true), json!("auto"))
    );
    assert_eq!(auto["forwarding"]["state"], "done", "{auto}");
    let (_, actions) = site.relay.manager("GET", "/v1/manager/actions", None).await;
    assert_eq!(actions[0]["action"], "work_areas", "{actions}");

    // Auto-approval off: held even inside.
    let off = json!({"geojson": fence(BEIJING, "reject")["geojson"], "autoApprove": false});
    assert_eq!(site.relay.manager("PUT", &path, Some(off)).await.0, 200);
    held(&mut site.phone, &request("q-5", BEIJING, "second_area", "")).await;
    assert_eq!(site.at_platform().await, 1);
}

#[tokio::test]
async fn another_sites_manager_finds_no_request() {
    let mut site = fenced_site("requests-other-site").await;
    held(&mut site.phone, &request("q-6", BEIJING, "errand", "")).await;
    let id = only_request_id(&site).await;
    let west = json!({"name": "西湖工地", "sn": SN});
    let (status, _) = site
        .relay
        .manager("POST", "/v1/manager/sites", Some(west))
        .await;
    assert_eq!(status, 201);
    let account = json!({"name": "west", "role": "site", "sites": ["site-2"]});
    let (status, account) = (site.relay)
        .manager("POST", "/v1/manager/accounts", Some(account))
        .await;
    assert_eq!(status, 201, "{account}");
    let token = account["token"].as_str().unwrap();
    let as_west = |method: &'static str, path: String, body: Option<Value>| {
        let url = site.relay.url.clone();
        async move { call(&url, method, &path, Some(token), body).await }
    };
    let (status, list) = as_west("GET", "/v1/manager/requests".into(), None).await;
    assert_eq!(
        (
            status,
            list["requests"].clone(),
            list["pendingCount"].clone()
        ),
        (200, json!([]), json!(0))
    );
    let other = format!("/v1/manager/requests?siteId={}", site.site_id);
    assert_eq!(as_west("GET", other, None).await.0, 404);
    let photo = format!("/v1/manager/requests/{id}/photo");
    assert_eq!(as_west("GET", photo, None).await.0, 404);
    let decision = format!("/v1/manager/requests/{id}/decision");
    let approve = Some(json!({"decision": "approve"}));
    assert_eq!(as_west("POST", decision, approve).await.0, 404);
    let areas = format!("/v1/manager/sites/{}/work-areas", site.site_id);
    assert_eq!(as_west("GET", areas.clone(), None).await.0, 404);
    let body = json!({"geojson": fence(BEIJING, "reject")["geojson"], "autoApprove": true});
    assert_eq!(as_west("PUT", areas, Some(body)).await.0, 404);
    assert_eq!(
        site.relay
            .manager("GET", "/v1/manager/requests/x/photo", None)
            .await
            .0,
        404
    );

    // Still pending, and its photo is the one the phone took.
    let (requests, _) = listed(&site, "&state=pending").await;
    assert_eq!(requests.len(), 1);
    let photo = (http_client().get(format!("{}/v1/manager/requests/{id}/photo", site.relay.url)))
        .bearer_auth(MANAGER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(photo.headers()["content-type"], "image/jpeg");
    let bytes = photo.bytes().await.unwrap();
    let sent = request("q-6", BEIJING, "errand", "")["img"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = base64::engine::general_purpose::STANDARD
        .decode(sent)
        .unwrap();
    assert_eq!(bytes.as_ref(), sent.as_slice());
}

#[tokio::test]
async fn malformed_or_unplaceable_requests_are_refused_and_inside_is_a_sign_in() {
    let mut site = fenced_site("requests-malformed").await;
    let mut unknown = request("q-7", BEIJING, "holiday", "");
    let message = refused_for_good(&site.phone.sign_in(&unknown.to_string()).await);
    assert!(message.contains("外勤申请"), "{message}");
    unknown["outOfFence"] = json!("meeting");
    unknown["recordId"] = json!("q-8");
    refused_for_good(&site.phone.sign_in(&unknown.to_string()).await);
    let no_note = request("q-9", BEIJING, "other", " ");
    let message = refused_for_good(&site.phone.sign_in(&no_note.to_string()).await);
    assert!(message.contains("其他"), "{message}");
    let long = request("q-10", BEIJING, "errand", &"字".repeat(201));
    let message = refused_for_good(&site.phone.sign_in(&long.to_string()).await);
    assert!(message.contains("200"), "{message}");
    // Without a coordinate the place cannot be shown: refused as any record would be.
    let mut nowhere = request("q-11", BEIJING, "meeting", "");
    nowhere.as_object_mut().unwrap().remove("coordinate");
    let message = refused_for_good(&site.phone.sign_in(&nowhere.to_string()).await);
    assert!(message.contains("没有定位"), "{message}");
    let (requests, _) = listed(&site, "").await;
    assert!(requests.is_empty(), "{requests:?}");

    // Inside the fence a request is an ordinary sign-in: forwarded, plain success.
    let inside = request("q-12", CENTRE, "meeting", "");
    let reply = site.phone.sign_in(&inside.to_string()).await;
    assert!(reply.success, "{reply:?}");
    assert_eq!(response(&reply), Value::Null);
    assert_eq!(site.at_platform().await, 1);
    assert_eq!(site.signin("q-12").await["outOfFence"]["reason"], "meeting");
}

#[tokio::test]
async fn a_phone_lists_only_its_own_requests() {
    let mut site = fenced_site("requests-phone-list").await;
    let mut other = enroll_team_phone(&site.relay, &site.site_id).await;
    held(
        &mut site.phone,
        &request("mine-1", BEIJING, "supplier", "钢材厂"),
    )
    .await;
    held(&mut other, &request("theirs-1", BEIJING, "errand", "")).await;
    let list = |phone: &PhoneClient| {
        let (url, token) = (site.relay.url.clone(), phone.token.clone());
        async move { call(&url, "GET", "/v1/requests", token.as_deref(), None).await }
    };
    let (status, mine) = list(&site.phone).await;
    assert_eq!(status, 200, "{mine}");
    let ids: Vec<&Value> = (mine["requests"].as_array().unwrap().iter())
        .map(|r| &r["recordId"])
        .collect();
    assert_eq!(ids, [&json!("mine-1")]);
    let first = &mine["requests"][0];
    assert_eq!(
        first["outOfFence"],
        json!({"reason": "supplier", "note": "钢材厂"})
    );
    assert_eq!(
        (first["state"].clone(), first["atPlatform"].clone()),
        (json!("pending"), json!(false))
    );
    assert_eq!(mine["changedAtMs"], Value::Null);
    let (_, theirs) = list(&other).await;
    assert_eq!(theirs["requests"][0]["recordId"], "theirs-1");
    let (status, _) = call(&site.relay.url, "GET", "/v1/requests", None, None).await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &site.relay.url,
        "GET",
        "/v1/requests",
        Some(MANAGER_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 401, "a manager token is not a phone's");

    let id = listed(&site, "")
        .await
        .0
        .iter()
        .find(|r| r["recordId"] == "theirs-1")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let before = requests_changed_ms(&mut site.phone).await;
    decide(&site, id, json!({"decision": "reject", "comment": "不批"})).await;
    assert_eq!(
        requests_changed_ms(&mut site.phone).await,
        before,
        "not this phone's"
    );
    let changed = requests_changed_ms(&mut other).await;
    let (_, theirs) = list(&other).await;
    assert_eq!(theirs["changedAtMs"], changed);
    assert_eq!(theirs["requests"][0]["comment"], "不批");
}

#[tokio::test]
async fn an_approval_while_the_platform_is_down_is_sent_once_it_is_back() {
    let mut site = fenced_site("requests-platform-down").await;
    let filed = request("q-13", BEIJING, "meeting", "");
    held(&mut site.phone, &filed).await;
    let id = only_request_id(&site).await;
    site.relay.sim.kill();
    let (status, decided) = decide(&site, id, json!({"decision": "approve"})).await;
    assert_eq!(status, 200, "{decided}");
    // Tried while the platform is away; not sent, to be tried again.
    for _ in 0..200 {
        let (requests, _) = listed(&site, "").await;
        if requests[0]["forwarding"]["state"] == "retry" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (requests, _) = listed(&site, "").await;
    assert_eq!(requests[0]["forwarding"]["state"], "retry", "{requests:?}");
    let retried = site.phone.sign_in(&filed.to_string()).await;
    assert_eq!(
        response(&retried),
        json!({"pending": true}),
        "the forwarder's, not the phone's"
    );
    site.relay.sim.restart();
    wait_at_platform(&site, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_platform = site.relay.http.signins().await;
    assert_eq!(at_platform.len(), 1, "once");
    assert_eq!(at_platform[0]["recordTime"], filed["recordTime"]);
}

#[tokio::test]
async fn an_approved_request_left_unsent_is_sent_when_the_relay_starts() {
    let mut site = fenced_site("requests-start-up").await;
    let filed = request("q-14", BEIJING, "supplier", "");
    held(&mut site.phone, &filed).await;
    let id = only_request_id(&site).await;
    site.relay.sim.kill();
    assert_eq!(
        decide(&site, id, json!({"decision": "approve"})).await.0,
        200
    );
    // The relay stops before the platform is back: nothing but its start-up sends it.
    if let Some(relay) = site.relay.relay.take() {
        relay.shutdown().await;
    }
    site.relay.sim.restart();
    site.relay.restart().await;
    wait_at_platform(&site, 1).await;
    let at_platform = site.relay.http.signins().await;
    assert_eq!(at_platform[0]["recordTime"], filed["recordTime"]);
}
