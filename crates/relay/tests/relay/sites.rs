//! Sites, fences and enrollment through the manager and phone API (`platform-sim` over real
//! sockets): one fence refusal per validation error, GCJ-02 fences stored as WGS-84, versions
//! seen in heartbeats and `GET /v1/site`; enrollment codes expired, reused and unknown; a
//! personal phone bound to its person; nonces; a revoked phone.

use crate::relay_common::platform::{call, TaskRelay};
use crate::relay_common::sim_common::SN;
use crate::relay_common::{
    phone_of, phone_record, phone_record_with, refusal, PhoneClient, Transport,
};
use serde_json::{json, Value};

/// A square around a spot in Binjiang, Hangzhou, `half` degrees each way.
fn square(lng: f64, lat: f64, half: f64) -> Vec<[f64; 2]> {
    vec![
        [lng - half, lat - half],
        [lng + half, lat - half],
        [lng + half, lat + half],
        [lng - half, lat + half],
        [lng - half, lat - half],
    ]
}

fn fence(geojson: Value) -> Value {
    json!({"crs": "wgs84", "maxAccuracyM": 50, "uncertainPolicy": "reject", "geojson": geojson})
}

fn polygon(rings: Vec<Vec<[f64; 2]>>) -> Value {
    json!({"type": "Polygon", "coordinates": rings})
}

async fn site(relay: &TaskRelay) -> String {
    let (status, site) = (relay.manager(
        "POST",
        "/v1/manager/sites",
        Some(json!({"name": "滨江工地", "sn": SN})),
    ))
    .await;
    assert_eq!(status, 201, "{site}");
    site["siteId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn fences_are_validated_with_one_named_refusal_per_problem_and_versioned() {
    let relay = TaskRelay::start("sites-fences", 20, |_| {}).await;
    let site_id = site(&relay).await;
    let path = format!("/v1/manager/sites/{site_id}/fence");
    let (lng, lat) = (120.2110, 30.2090);
    let mut open = square(lng, lat, 0.002);
    open.pop();
    let bow_tie = vec![
        [lng - 0.002, lat - 0.002],
        [lng + 0.002, lat + 0.002],
        [lng + 0.002, lat - 0.002],
        [lng - 0.002, lat + 0.002],
        [lng - 0.002, lat - 0.002],
    ];
    let circle: Vec<[f64; 2]> = (0..=6000)
        .map(|i| {
            let angle = f64::from(i % 6000) / 6000.0 * std::f64::consts::TAU;
            [lng + 0.002 * angle.cos(), lat + 0.002 * angle.sin()]
        })
        .collect();
    let cases = [
        ("open_ring", polygon(vec![open])),
        ("self_intersection", polygon(vec![bow_tie])),
        (
            "hole_outside_shell",
            polygon(vec![
                square(lng, lat, 0.002),
                square(lng + 0.01, lat, 0.0005),
            ]),
        ),
        (
            "area_out_of_bounds",
            polygon(vec![square(lng, lat, 0.00001)]),
        ),
        ("too_many_vertices", polygon(vec![circle.clone()])),
    ];
    for (problem, geojson) in cases {
        let (status, body) = relay.manager("PUT", &path, Some(fence(geojson))).await;
        assert_eq!(status, 422, "{problem}: {body}");
        assert_eq!(body["error"]["code"], "fence_invalid", "{body}");
        assert_eq!(body["error"]["detail"]["problem"], problem, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("围栏无效"), "{message}");
    }
    // The numbers travel with the code, and the message is the geofence's own Chinese (the
    // manager page shows the same text from checkFence), with no English in it.
    let (_, body) = relay
        .manager("PUT", &path, Some(fence(polygon(vec![circle]))))
        .await;
    let detail = &body["error"]["detail"];
    assert_eq!(
        (&detail["count"], &detail["max"]),
        (&json!(6000), &json!(5000)),
        "{body}"
    );
    assert_eq!(
        body["error"]["message"],
        "围栏无效：顶点太多：有 6000 个，最多 5000 个。请简化围栏。"
    );
    let (status, body) = relay.manager("PUT", &path, Some(json!({"crs": "bd09", "uncertainPolicy": "reject", "geojson": polygon(vec![square(lng, lat, 0.002)])}))).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("bad_request")),
        "{body}"
    );

    let (status, first) = relay
        .manager(
            "PUT",
            &path,
            Some(fence(polygon(vec![square(lng, lat, 0.002)]))),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["version"], 1);
    assert_eq!(first["geojson"]["geometry"]["type"], "MultiPolygon");
    let mut gcj = fence(
        json!({"type": "MultiPolygon", "coordinates": [[square(lng, lat, 0.002), square(lng, lat, 0.0005)]]}),
    );
    gcj["crs"] = json!("gcj02");
    gcj["uncertainPolicy"] = json!("flag");
    let (status, second) = relay.manager("PUT", &path, Some(gcj)).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["version"], 2);
    assert_eq!(second["uncertainPolicy"], "flag");
    let corner = &second["geojson"]["geometry"]["coordinates"][0][0][0];
    let shift = lng - 0.002 - corner[0].as_f64().unwrap();
    assert!(
        (0.003..0.006).contains(&shift),
        "GCJ-02 is ~400 m east of WGS-84 here: {corner}"
    );
    assert_eq!(
        second["geojson"]["geometry"]["coordinates"][0]
            .as_array()
            .unwrap()
            .len(),
        2,
        "the hole is kept"
    );

    let (status, _) = relay
        .manager(
            "PUT",
            "/v1/manager/sites/site-99/fence",
            Some(fence(polygon(vec![square(lng, lat, 0.002)]))),
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = call(
        &relay.url,
        "GET",
        "/v1/manager/sites",
        Some("wrong-token-0000000"),
        None,
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("unauthorized"))
    );
    let (status, _) = call(&relay.url, "GET", "/v1/manager/sites", None, None).await;
    assert_eq!(status, 401);
    let (status, body) = relay
        .manager(
            "POST",
            "/v1/manager/sites",
            Some(json!({"name": "x", "sn": "NOPE"})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (422, &json!("sn_unknown"))
    );
}

async fn get_site(url: &str, token: &str, etag: Option<&str>) -> (u16, Option<String>, Value) {
    let mut request = crate::relay_common::http_client()
        .get(format!("{url}/v1/site"))
        .bearer_auth(token);
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let etag = (response.headers().get("etag")).map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, etag, body)
}

fn fence_version(heartbeat: &zj_protocol::wire::Response) -> Value {
    assert!(heartbeat.success, "{heartbeat:?}");
    serde_json::from_str::<Value>(&heartbeat.response).unwrap()["fenceVersion"].clone()
}

#[tokio::test]
async fn enrollment_codes_phones_nonces_and_revocation() {
    let mut relay = TaskRelay::start("sites-enroll", 20, |_| {}).await;
    relay
        .add_persons(&[("W1", "张三", None, None), ("W2", "李四", None, None)])
        .await;
    let send = relay.add_task("T_SEND_PERSON", json!({})).await;
    relay.reported(&send).await;
    let site_id = site(&relay).await;
    let codes = format!("/v1/manager/sites/{site_id}/enrollments");

    let (status, body) = relay
        .manager(
            "POST",
            &codes,
            Some(json!({"binding": "personal", "personId": "NOBODY"})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (422, &json!("person_unknown")),
        "{body}"
    );
    let (status, body) = relay
        .manager("POST", &codes, Some(json!({"binding": "personal"})))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, code) = relay
        .manager(
            "POST",
            &codes,
            Some(json!({"binding": "personal", "personId": "W1", "ttlMinutes": 30})),
        )
        .await;
    assert_eq!(status, 201, "{code}");
    let code = code["code"].as_str().unwrap().to_owned();

    let (status, enrolled) = call(
        &relay.url,
        "POST",
        "/v1/enroll",
        None,
        Some(json!({"code": code.to_lowercase()})),
    )
    .await;
    assert_eq!(status, 200, "codes are typed in any case: {enrolled}");
    assert_eq!(enrolled["site"]["binding"], "personal");
    assert_eq!(enrolled["site"]["person"]["name"], "张三");
    assert_eq!(enrolled["site"]["fence"], Value::Null);
    let (status, body) = call(
        &relay.url,
        "POST",
        "/v1/enroll",
        None,
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!((status, &body["error"]["code"]), (409, &json!("code_used")));
    let (status, body) = call(
        &relay.url,
        "POST",
        "/v1/enroll",
        None,
        Some(json!({"code": "ZZZZZ-ZZZZZ"})),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("code_unknown"))
    );
    let (status, body) = call(
        &relay.url,
        "POST",
        "/v1/enroll",
        None,
        Some(json!({"kode": 1})),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("bad_request"))
    );
    // A binding that is neither of the two is refused.
    let (status, body) = relay
        .manager("POST", &codes, Some(json!({"binding": "robot"})))
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("bad_request")),
        "{body}"
    );
    let (_, stale) = relay
        .manager("POST", &codes, Some(json!({"binding": "team"})))
        .await;
    let stale = stale["code"].as_str().unwrap().to_owned();
    let expire = stale.clone();
    (relay.relay().gateway.store())
        .run(move |tx| {
            tx.execute(
                "UPDATE enrollments SET expires_ms = 1 WHERE code = ?1",
                zj_relay::args![expire],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let (status, body) = call(
        &relay.url,
        "POST",
        "/v1/enroll",
        None,
        Some(json!({"code": stale})),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (410, &json!("code_expired")),
        "{body}"
    );

    // The enrolled phone: its site, fence versions, binding and nonces.
    relay.restart().await;
    let creds = phone_of(&enrolled);
    let mut phone = PhoneClient::connect(Transport::Http, &relay.url, &creds)
        .await
        .authed()
        .await;
    let token = phone.token.clone().unwrap();
    assert_eq!(fence_version(&phone.heartbeat().await), Value::Null);
    let fence_path = format!("/v1/manager/sites/{site_id}/fence");
    let geojson = polygon(vec![square(120.211, 30.209, 0.002)]);
    assert_eq!(
        relay
            .manager("PUT", &fence_path, Some(fence(geojson.clone())))
            .await
            .0,
        200
    );
    assert_eq!(fence_version(&phone.heartbeat().await), 1);
    let (status, etag, site) = get_site(&relay.url, &token, None).await;
    assert_eq!((status, etag.as_deref()), (200, Some("\"1\"")), "{site}");
    assert_eq!(site["fence"]["version"], 1);
    assert_eq!(get_site(&relay.url, &token, Some("\"1\"")).await.0, 304);
    assert_eq!(
        relay
            .manager("PUT", &fence_path, Some(fence(geojson)))
            .await
            .0,
        200
    );
    assert_eq!(fence_version(&phone.heartbeat().await), 2);
    assert_eq!(get_site(&relay.url, &token, Some("\"1\"")).await.0, 200);

    let (status, challenge) = call(&relay.url, "POST", "/v1/challenge", Some(&token), None).await;
    assert_eq!(status, 200, "{challenge}");
    let nonce = challenge["nonce"].as_str().unwrap();
    assert_eq!(nonce.len(), 32);
    let with_nonce = |record_id: &str, nonce: &str| {
        phone_record_with(
            "W1",
            record_id,
            json!("64"),
            2048,
            json!({"liveness": {"nonce": nonce, "nonceSource": "relay"}}),
        )
    };
    assert!(phone.sign_in(&with_nonce("r-1", nonce)).await.success);
    assert!(
        phone
            .sign_in(&with_nonce("r-2", "00000000000000000000000000000000"))
            .await
            .success
    );
    let refused = phone.sign_in(&phone_record("W2", "r-3")).await;
    assert_eq!(
        refusal(&refused).unwrap().errorcode,
        "400_02",
        "a personal phone clocks in its person only"
    );
    let (_, audit) = relay
        .manager(
            "GET",
            &format!("/v1/manager/signins?siteId={site_id}"),
            None,
        )
        .await;
    let verified: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["nonceVerified"])
        .collect();
    assert_eq!(verified, [&json!(true), &json!(false)], "{audit}");
    assert_eq!(audit[0]["platformResult"]["state"], "done");

    // Revocation: the protocol leg and the phone API refuse it at once.
    let (status, _) = relay
        .manager(
            "POST",
            &format!("/v1/manager/phones/{}/revoke", creds.access_id),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _, body) = get_site(&relay.url, &token, None).await;
    assert_eq!((status, &body["error"]["code"]), (401, &json!("revoked")));
    let reply = phone.auth().await;
    assert_eq!(refusal(&reply).unwrap().errorcode, "401_02");
    let (_, phones) = relay
        .manager("GET", &format!("/v1/manager/sites/{site_id}/phones"), None)
        .await;
    assert_eq!(phones[0]["revoked"], true, "{phones}");
    let (status, _) = relay
        .manager("POST", "/v1/manager/phones/phone-nobody/revoke", None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &relay.url,
        "POST",
        "/v1/challenge",
        Some("not-a-token"),
        None,
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_team_phone_clocks_in_workers_on_its_site_roster() {
    let relay = TaskRelay::start("sites-team", 20, |_| {}).await;
    relay.add_persons(&[("T1", "王五", None, None)]).await;
    let send = relay.add_task("T_SEND_PERSON", json!({})).await;
    relay.reported(&send).await;
    let site_id = site(&relay).await;
    let (_, code) = relay
        .manager(
            "POST",
            &format!("/v1/manager/sites/{site_id}/enrollments"),
            Some(json!({"binding": "team"})),
        )
        .await;
    let (status, enrolled) = call(
        &relay.url,
        "POST",
        "/v1/enroll",
        None,
        Some(json!({"code": code["code"]})),
    )
    .await;
    assert_eq!(status, 200, "{enrolled}");
    assert_eq!(enrolled["site"]["person"], Value::Null);
    assert_eq!(
        enrolled["site"]["persons"],
        json!([{"personId": "T1", "name": "王五"}])
    );
    let mut phone = PhoneClient::connect(Transport::Ws, &relay.url, &phone_of(&enrolled))
        .await
        .authed()
        .await;
    assert!(phone.sign_in(&phone_record("T1", "t-1")).await.success);
    let refused = phone.sign_in(&phone_record("T9", "t-2")).await;
    assert_eq!(refusal(&refused).unwrap().errorcode, "400_02");
    let signins = relay.http.signins().await;
    assert_eq!(signins.len(), 1, "{signins:?}");
}

#[tokio::test]
async fn relay_enroll_makes_a_code_beside_a_running_relay() {
    let relay = TaskRelay::start("sites-cli", 20, |_| {}).await;
    let site_id = site(&relay).await;
    let config = relay.config.data_dir.join("relay.toml");
    let toml = crate::relay_common::relay_toml(
        &relay.sim,
        &relay.config.data_dir,
        &crate::relay_common::SecretSource::Inline("unused-by-enroll".into()),
        &[],
        30,
        "",
    );
    std::fs::create_dir_all(&relay.config.data_dir).unwrap();
    std::fs::write(&config, toml).unwrap();
    let store_url = relay.config.store.url.clone();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
            .arg("enroll")
            .arg("--config")
            .arg(&config)
            .args(args)
            .env_remove("RELAY_CONFIG")
            .env_remove("RELAY_DATA_DIR")
            // The relay's own store (on PostgreSQL, as an operator would name it).
            .envs(store_url.iter().map(|url| ("RELAY__STORE__URL", url)))
            .output()
            .expect("relay enroll runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.success(), stdout, stderr)
    };
    let (ok, stdout, stderr) = run(&["--site", &site_id, "--ttl-minutes", "10"]);
    assert!(ok, "{stderr}");
    let made: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    let (status, enrolled) = call(
        &relay.url,
        "POST",
        "/v1/enroll",
        None,
        Some(json!({"code": made["code"]})),
    )
    .await;
    assert_eq!(status, 200, "{enrolled}");
    assert_eq!(enrolled["site"]["siteId"], site_id.as_str());
    let (_, actions) = relay.manager("GET", "/v1/manager/actions", None).await;
    assert_eq!(actions[0]["account"], "relay enroll", "{actions}");
    assert_eq!(actions[0]["action"], "enrollment.create", "{actions}");
    let (ok, _, stderr) = run(&["--site", "site-404"]);
    assert!(!ok);
    assert!(stderr.contains("site-404"), "{stderr}");
}
