//! The relay checks what phones claim (issue 16): an enrolled team phone of a site with a
//! fence sends records whose claims the relay re-checks. One test per attack: the fence
//! verdict recomputed with the fence version current at `recordTime` and the site's policy, the
//! coordinate missing, the claimed verdict disagreeing, `recordTime` in the future or too old,
//! `recordTime` backdated to before the phone's enrollment or its site's first fence,
//! liveness evidence that does not fit its schema; a refused record retried gets the same
//! answer, a forwarded one retried after the checks got stricter stays accepted. Real parts: the platform simulator, the relay in process, the manager API.

use crate::relay_common::platform::{call, TaskRelay};
use crate::relay_common::sim_common::SN;
use crate::relay_common::{phone_record_with, refusal, test_phone, PhoneClient, Transport};
use serde_json::{json, Value};
use zj_host::system_clock::now_ms;
use zj_phone::liveness::{
    CaptureSource, Challenge, CheckKind, CheckResult, Evidence, Method, Nonce, NonceSource,
    Outcome, Verdict,
};
use zj_protocol::wire::Response;
use zj_relay::config::{PhoneConfig, RelayConfig, Secret};
use zj_relay::server::RunningRelay;

/// The middle of the test site (Binjiang, Hangzhou), WGS-84 `[lng, lat]`.
pub(crate) const CENTRE: [f64; 2] = [120.2110, 30.2090];
/// Half the fence's side, degrees (about 190 m east–west, 220 m north–south).
pub(crate) const HALF: f64 = 0.002;
/// Tiananmen Square, Beijing, WGS-84: 1,100 km from the site.
pub(crate) const BEIJING: [f64; 2] = [116.3975, 39.9087];
/// One day, milliseconds.
const DAY_MS: i64 = 86_400_000;

/// A square fence around `[lng, lat]` as the manager API takes it.
pub(crate) fn fence(centre: [f64; 2], policy: &str) -> Value {
    let [lng, lat] = centre;
    let ring = [
        [lng - HALF, lat - HALF],
        [lng + HALF, lat - HALF],
        [lng + HALF, lat + HALF],
        [lng - HALF, lat + HALF],
        [lng - HALF, lat - HALF],
    ];
    json!({"crs": "wgs84", "maxAccuracyM": 50, "uncertainPolicy": policy,
           "geojson": {"type": "Polygon", "coordinates": [ring]}})
}

/// A relay with one site (worker `W1` on its roster) and a team phone enrolled there.
pub(crate) struct Site {
    pub(crate) relay: TaskRelay,
    pub(crate) site_id: String,
    pub(crate) phone: PhoneClient,
}

impl Site {
    /// The site with `fence` (none when `None`).
    pub(crate) async fn start(name: &str, fence: Option<Value>) -> Self {
        Self::start_with(name, fence, |_| {}).await
    }

    /// The site with `fence`, the relay's configuration changed by `tweak`.
    pub(crate) async fn start_with(
        name: &str,
        fence: Option<Value>,
        tweak: impl FnOnce(&mut RelayConfig),
    ) -> Self {
        let relay = TaskRelay::start(name, 20, tweak).await;
        relay.add_persons(&[("W1", "张三", None, None)]).await;
        let send = relay.add_task("T_SEND_PERSON", json!({})).await;
        relay.reported(&send).await;
        let body = json!({"name": "滨江工地", "sn": SN});
        let (status, site) = relay.manager("POST", "/v1/manager/sites", Some(body)).await;
        assert_eq!(status, 201, "{site}");
        let site_id = site["siteId"].as_str().unwrap().to_owned();
        let site = Self::enrolled(relay, site_id).await;
        if let Some(fence) = fence {
            site.put_fence(fence).await;
        }
        site
    }

    async fn enrolled(relay: TaskRelay, site_id: String) -> Self {
        let phone = enroll_team_phone(&relay, &site_id).await;
        Self {
            relay,
            site_id,
            phone,
        }
    }

    /// Restarts the relay with its configuration as it is now, and connects the phone again.
    pub(crate) async fn restart(&mut self) {
        self.relay.restart().await;
        let creds = self.phone.creds.clone();
        self.phone = PhoneClient::connect(Transport::Http, &self.relay.url, &creds)
            .await
            .authed()
            .await;
    }

    /// Replaces the site's fence (a new version).
    pub(crate) async fn put_fence(&self, fence: Value) {
        let path = format!("/v1/manager/sites/{}/fence", self.site_id);
        let (status, body) = self.relay.manager("PUT", &path, Some(fence)).await;
        assert_eq!(status, 200, "{body}");
    }

    /// The site's sign-ins as the manager sees them, oldest first.
    pub(crate) async fn signins(&self) -> Vec<Value> {
        let path = format!("/v1/manager/signins?siteId={}", self.site_id);
        let (status, list) = self.relay.manager("GET", &path, None).await;
        assert_eq!(status, 200, "{list}");
        list.as_array().unwrap().clone()
    }

    /// The manager's entry of `record_id`.
    pub(crate) async fn signin(&self, record_id: &str) -> Value {
        let signins = self.signins().await;
        let found = signins.iter().find(|s| s["recordId"] == record_id);
        found
            .unwrap_or_else(|| panic!("{record_id} in {signins:?}"))
            .clone()
    }

    /// How many sign-ins the platform accepted.
    pub(crate) async fn at_platform(&self) -> usize {
        self.relay.http.signins().await.len()
    }
}

/// A team phone enrolled at `site_id` of `relay`, authenticated.
pub(crate) async fn enroll_team_phone(relay: &TaskRelay, site_id: &str) -> PhoneClient {
    let codes = format!("/v1/manager/sites/{site_id}/enrollments");
    let (_, code) = (relay.manager("POST", &codes, Some(json!({"binding": "team"})))).await;
    let code = json!({"code": code["code"]});
    let (status, enrolled) = call(&relay.url, "POST", "/v1/enroll", None, Some(code)).await;
    assert_eq!(status, 200, "{enrolled}");
    let creds = crate::relay_common::phone_of(&enrolled);
    PhoneClient::connect(Transport::Http, &relay.url, &creds)
        .await
        .authed()
        .await
}

/// A record of `W1` at `at` (WGS-84) with `accuracy_m`, made at `record_time`, claiming
/// `claimed` against fence version 1, plus `extra` members.
pub(crate) fn record(
    id: &str,
    at: [f64; 2],
    accuracy_m: f64,
    claimed: &str,
    record_time: i64,
) -> Value {
    let [lng, lat] = at;
    let extra = json!({
        "recordTime": record_time,
        "coordinate": {"longitude": lng, "latitude": lat},
        "location": {"source": "browser", "sourceCrs": "wgs84", "lng": lng, "lat": lat,
                     "accuracyM": accuracy_m, "fixAgeMs": 800, "warnings": []},
        "fence": {"version": 1, "verdict": claimed, "distanceM": 40.0, "flagged": false},
    });
    serde_json::from_str(&phone_record_with("W1", id, json!("64"), 0, extra)).unwrap()
}

/// The refusal of `reply`, asserting it is a final `400_02`.
#[track_caller]
pub(crate) fn refused_for_good(reply: &Response) -> String {
    let error = refusal(reply).unwrap_or_else(|| panic!("expected 400_02, got {reply:?}"));
    assert_eq!(error.errorcode, "400_02", "{reply:?}");
    error.errormsg
}

/// `[lng, lat]` moved `east_m` metres east.
pub(crate) fn east_of([lng, lat]: [f64; 2], east_m: f64) -> [f64; 2] {
    [lng + east_m / (111_320.0 * lat.to_radians().cos()), lat]
}

#[tokio::test]
async fn a_beijing_coordinate_claiming_inside_is_refused() {
    let mut site = Site::start("claims-beijing", Some(fence(CENTRE, "flag"))).await;
    let attack = record("bj-1", BEIJING, 10.0, "inside", now_ms());
    let reply = site.phone.sign_in(&attack.to_string()).await;
    let message = refused_for_good(&reply);
    assert!(
        message.contains("围栏外") && message.contains("公里"),
        "says why, with the distance: {message}"
    );
    assert_eq!(site.at_platform().await, 0, "nothing reached the platform");
    let audit = site.signin("bj-1").await;
    assert_eq!(audit["platformResult"]["state"], "refused", "{audit}");
    let relay_fence = &audit["relayFence"];
    assert_eq!(relay_fence["verdict"], "outside", "{audit}");
    assert_eq!(relay_fence["version"], 1, "{audit}");
    assert_eq!(relay_fence["claimedVerdict"], "inside", "{audit}");
    assert_eq!(relay_fence["mismatch"], true, "{audit}");
    let distance = relay_fence["distanceM"].as_f64().unwrap();
    assert!(
        (1.0e6..1.3e6).contains(&distance),
        "about 1,100 km: {distance}"
    );
}

#[tokio::test]
async fn the_fence_version_current_at_record_time_decides() {
    let mut site = Site::start("claims-version", Some(fence(CENTRE, "reject"))).await;
    // Made while version 1 (around CENTRE) was current; version 2 moves the fence 1 km east.
    let made_at = now_ms() - 1;
    let moved = east_of(CENTRE, 1000.0);
    site.put_fence(fence(moved, "reject")).await;
    let at_old_site = record("v-1", CENTRE, 10.0, "inside", made_at);
    let reply = site.phone.sign_in(&at_old_site.to_string()).await;
    assert!(
        reply.success,
        "inside version 1, current when made: {reply:?}"
    );
    let at_new_site = record("v-2", moved, 10.0, "inside", made_at);
    let message = refused_for_good(&site.phone.sign_in(&at_new_site.to_string()).await);
    assert!(message.contains("围栏外"), "{message}");
    // Made now, the new version decides.
    let now_at_new_site = record("v-3", moved, 10.0, "inside", now_ms());
    assert!(
        site.phone
            .sign_in(&now_at_new_site.to_string())
            .await
            .success
    );
    let versions: Vec<(Value, Value)> = (site.signins().await.iter())
        .map(|s| (s["recordId"].clone(), s["relayFence"]["version"].clone()))
        .collect();
    assert_eq!(
        versions,
        [
            (json!("v-1"), json!(1)),
            (json!("v-2"), json!(1)),
            (json!("v-3"), json!(2))
        ]
    );
    assert_eq!(site.at_platform().await, 2);
}

#[tokio::test]
async fn uncertain_is_refused_under_reject_and_flagged_under_flag() {
    let mut site = Site::start("claims-uncertain", Some(fence(CENTRE, "reject"))).await;
    // 5 m outside the east edge with a 30 m accuracy radius: the fix cannot tell.
    let edge = east_of([CENTRE[0] + HALF, CENTRE[1]], 5.0);
    let rejected = record("u-1", edge, 30.0, "inside", now_ms());
    let message = refused_for_good(&site.phone.sign_in(&rejected.to_string()).await);
    assert!(message.contains("无法确认"), "{message}");
    assert_eq!(
        site.signin("u-1").await["relayFence"]["verdict"],
        "uncertain"
    );

    site.put_fence(fence(CENTRE, "flag")).await;
    let flagged = record("u-2", edge, 30.0, "uncertain", now_ms());
    let reply = site.phone.sign_in(&flagged.to_string()).await;
    assert!(reply.success, "flag policy: forwarded {reply:?}");
    let audit = site.signin("u-2").await;
    assert_eq!(audit["relayFence"]["verdict"], "uncertain", "{audit}");
    assert_eq!(audit["relayFence"]["flagged"], true, "{audit}");
    assert_eq!(audit["relayFence"]["mismatch"], false, "{audit}");
    assert_eq!(site.at_platform().await, 1);
}

#[tokio::test]
async fn a_record_without_a_coordinate_is_refused_when_the_site_has_a_fence() {
    let mut site = Site::start("claims-no-coordinate", Some(fence(CENTRE, "flag"))).await;
    let mut bare = record("n-1", CENTRE, 10.0, "inside", now_ms());
    let members = bare.as_object_mut().unwrap();
    members.remove("coordinate");
    members.remove("location");
    let message = refused_for_good(&site.phone.sign_in(&bare.to_string()).await);
    assert!(message.contains("没有定位"), "{message}");
    // A coordinate without its accuracy cannot be judged either.
    let mut no_accuracy = record("n-2", CENTRE, 10.0, "inside", now_ms());
    no_accuracy.as_object_mut().unwrap().remove("location");
    let message = refused_for_good(&site.phone.sign_in(&no_accuracy.to_string()).await);
    assert!(message.contains("精度"), "{message}");
    assert_eq!(site.at_platform().await, 0);
}

#[tokio::test]
async fn without_a_fence_at_record_time_nothing_is_checked() {
    let mut site = Site::start("claims-no-fence", None).await;
    let far = record("f-1", BEIJING, 10.0, "inside", now_ms());
    assert!(site.phone.sign_in(&far.to_string()).await.success);
    let audit = site.signin("f-1").await;
    assert_eq!(audit["relayFence"], Value::Null, "{audit}");
    // A phone cannot make the audit say the relay judged it.
    let mut forged = record("f-2", BEIJING, 10.0, "inside", now_ms());
    forged["relayFence"] = json!({"verdict": "inside", "mismatch": false});
    forged["nonceVerified"] = json!(true);
    assert!(site.phone.sign_in(&forged.to_string()).await.success);
    let audit = site.signin("f-2").await;
    assert_eq!(audit["relayFence"], Value::Null, "{audit}");
    assert_eq!(audit["nonceVerified"], Value::Null, "{audit}");
    assert_eq!(site.at_platform().await, 2);
}

#[tokio::test]
async fn a_claim_the_relay_disagrees_with_is_flagged_in_signins() {
    let mut site = Site::start("claims-mismatch", Some(fence(CENTRE, "flag"))).await;
    // Inside, but the phone says outside (a modified page, or an old fence on the phone).
    let odd = record("m-1", CENTRE, 10.0, "outside", now_ms());
    assert!(site.phone.sign_in(&odd.to_string()).await.success);
    let agreeing = record("m-2", CENTRE, 10.0, "inside", now_ms());
    assert!(site.phone.sign_in(&agreeing.to_string()).await.success);
    let flags: Vec<(Value, Value, Value)> = (site.signins().await.iter())
        .map(|s| {
            let judged = &s["relayFence"];
            (
                judged["claimedVerdict"].clone(),
                judged["verdict"].clone(),
                judged["mismatch"].clone(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            (json!("outside"), json!("inside"), json!(true)),
            (json!("inside"), json!("inside"), json!(false))
        ]
    );
}

#[tokio::test]
async fn a_record_time_far_in_the_future_or_too_old_is_refused() {
    let hand_phone = test_phone("claims-time");
    let configured = PhoneConfig {
        sn: hand_phone.sn.clone(),
        access_id: hand_phone.access_id.clone(),
        access_key: hand_phone.access_key.clone(),
        access_secret: Secret::new(hand_phone.access_secret.clone()),
        platform_sn: SN.into(),
    };
    let mut site = Site::start_with("claims-time", None, |config| {
        config.phones.push(configured);
    })
    .await;
    let now = now_ms();
    let future = record("t-1", CENTRE, 10.0, "inside", now + 10 * 60_000);
    let message = refused_for_good(&site.phone.sign_in(&future.to_string()).await);
    assert!(
        message.contains("记录时间") && message.contains("分钟"),
        "{message}"
    );
    let old = record("t-2", CENTRE, 10.0, "inside", now - 8 * DAY_MS);
    let message = refused_for_good(&site.phone.sign_in(&old.to_string()).await);
    assert!(
        message.contains("记录时间") && message.contains("7 天"),
        "{message}"
    );
    // A clock a minute fast passes; so does a record kept offline for six days, from a phone
    // that has been in use that long (one configured by hand: an enrolled phone's records
    // cannot predate its enrollment).
    let slightly_fast = record("t-3", CENTRE, 10.0, "inside", now + 60_000);
    assert!(site.phone.sign_in(&slightly_fast.to_string()).await.success);
    let mut by_hand = PhoneClient::connect(Transport::Http, &site.relay.url, &hand_phone)
        .await
        .authed()
        .await;
    let queued = record("t-4", CENTRE, 10.0, "inside", now - 6 * DAY_MS);
    assert!(by_hand.sign_in(&queued.to_string()).await.success);
    assert_eq!(site.at_platform().await, 2);
}

#[tokio::test]
async fn the_record_time_window_is_configured() {
    let mut site = Site::start_with("claims-window", None, |config| {
        config.signin.max_age_days = 1;
        config.signin.max_ahead_secs = 30;
    })
    .await;
    let now = now_ms();
    let old = record("w-1", CENTRE, 10.0, "inside", now - 2 * DAY_MS);
    let message = refused_for_good(&site.phone.sign_in(&old.to_string()).await);
    assert!(message.contains("已超过 1 天"), "{message}");
    let ahead = record("w-2", CENTRE, 10.0, "inside", now + 120_000);
    let message = refused_for_good(&site.phone.sign_in(&ahead.to_string()).await);
    assert!(message.contains("30 秒"), "{message}");
    assert_eq!(site.at_platform().await, 0);

    // A window of no days would refuse every record: the relay does not start with it.
    let mut config = site.relay.config.clone();
    config.signin.max_age_days = 0;
    config.data_dir = crate::relay_common::data_dir("claims-window-zero");
    let refused = RunningRelay::start(config).await.err().expect("refused");
    assert!(
        refused.to_string().contains("signin.max_age_days"),
        "{refused}"
    );
}

/// Liveness evidence as the phone makes it: a challenge, a passed flash check, no frames.
fn evidence() -> Value {
    let nonce = Nonce::new("0123456789abcdef0123456789abcdef").unwrap();
    let challenge = Challenge::plan(nonce, NonceSource::Relay);
    let check = CheckResult {
        kind: CheckKind::Flash,
        method: Method::FaceRegion,
        score: 0.93,
        pass_score: 0.6,
        outcome: Outcome::Passed,
        frames: 40,
        lag_ms: Some(120),
        face_over_background: None,
        eye_over_rest: None,
        face: None,
        face_issue: None,
    };
    let verdict = Verdict::new(vec![check], 1);
    let made = Evidence::new(
        challenge,
        verdict,
        CaptureSource::Camera,
        b"jpeg",
        Vec::new(),
    );
    serde_json::from_str(&made.unwrap().to_json()).unwrap()
}

#[tokio::test]
async fn malformed_liveness_evidence_is_forwarded_and_flagged() {
    let mut site = Site::start("claims-liveness", None).await;
    let mut good = record("l-1", CENTRE, 10.0, "inside", now_ms());
    good["liveness"] = evidence();
    assert!(site.phone.sign_in(&good.to_string()).await.success);
    let mut malformed = record("l-2", CENTRE, 10.0, "inside", now_ms());
    let mut bad = evidence();
    bad["checks"][0]["score"] = json!("x");
    malformed["liveness"] = bad.clone();
    let reply = site.phone.sign_in(&malformed.to_string()).await;
    assert!(reply.success, "still forwarded: {reply:?}");
    let mut huge = record("l-3", CENTRE, 10.0, "inside", now_ms());
    huge["liveness"] = json!({"junk": "A".repeat(300_000)});
    assert!(site.phone.sign_in(&huge.to_string()).await.success);
    assert_eq!(site.at_platform().await, 3);

    let audit = site.signin("l-1").await;
    assert_eq!(audit["livenessMalformed"], Value::Null, "{audit}");
    assert_eq!(audit["liveness"]["overall"], "live", "{audit}");
    let audit = site.signin("l-2").await;
    let why = audit["livenessMalformed"].as_str().unwrap_or_default();
    assert!(why.contains("score") || why.contains("f32"), "{audit}");
    assert_eq!(
        audit["liveness"],
        Value::Null,
        "not where pages read evidence"
    );
    assert_eq!(audit["livenessRaw"], bad, "kept as received");
    let audit = site.signin("l-3").await;
    assert!(audit["livenessMalformed"].is_string(), "{audit}");
    assert_eq!(audit["livenessRaw"], Value::Null, "too large to keep");
}

#[tokio::test]
async fn a_refused_record_retried_gets_the_same_answer() {
    let mut site = Site::start("claims-retry", Some(fence(CENTRE, "reject"))).await;
    let attack = record("r-1", BEIJING, 10.0, "inside", now_ms()).to_string();
    let first = refused_for_good(&site.phone.sign_in(&attack).await);
    // Even once the fence is moved to Beijing (the record's version is still version 1).
    site.put_fence(fence(BEIJING, "flag")).await;
    let again = refused_for_good(&site.phone.sign_in(&attack).await);
    assert_eq!(first, again);
    let future = record("r-2", CENTRE, 10.0, "inside", now_ms() + 3_600_000).to_string();
    let first = refused_for_good(&site.phone.sign_in(&future).await);
    let again = refused_for_good(&site.phone.sign_in(&future).await);
    assert_eq!(first, again);
    assert_eq!(site.at_platform().await, 0);
}

#[tokio::test]
async fn an_out_of_fence_request_is_held_not_forwarded_and_is_audited() {
    let mut site = Site::start("claims-out-of-fence", Some(fence(CENTRE, "reject"))).await;
    let mut request = record("o-1", BEIJING, 10.0, "outside", now_ms());
    request["outOfFence"] = json!({"reason": "meeting", "note": "甲方开会"});
    let reply = site.phone.sign_in(&request.to_string()).await;
    assert!(reply.success, "{reply:?}");
    let response: Value = serde_json::from_str(&reply.response).unwrap();
    assert_eq!(response, json!({"pending": true}));
    assert_eq!(site.at_platform().await, 0, "held for a manager");
    let audit = site.signin("o-1").await;
    assert_eq!(audit["relayFence"]["verdict"], "outside", "{audit}");
    assert_eq!(audit["relayFence"]["outOfFence"], true, "{audit}");
    assert_eq!(audit["outOfFence"]["reason"], "meeting", "{audit}");
    assert_eq!(
        audit["platformResult"]["state"], "retry",
        "not final: {audit}"
    );
}

#[tokio::test]
async fn a_record_backdated_before_the_fence_existed_is_still_judged() {
    // The site's first fence is saved after the phone enrolled: before it, the site had none.
    let mut site = Site::start("claims-backdated", None).await;
    let before_the_fence = now_ms() - 1;
    site.put_fence(fence(CENTRE, "flag")).await;
    // A day back: before the phone was enrolled, so no record of it can be from then.
    let before_enrollment = record("b-1", BEIJING, 10.0, "inside", now_ms() - DAY_MS);
    let message = refused_for_good(&site.phone.sign_in(&before_enrollment.to_string()).await);
    assert!(
        message.contains("记录时间") && message.contains("登记"),
        "says why: {message}"
    );
    // After the enrollment but before the fence: judged against the site's first fence.
    let before_fence = record("b-2", BEIJING, 10.0, "inside", before_the_fence);
    let message = refused_for_good(&site.phone.sign_in(&before_fence.to_string()).await);
    assert!(message.contains("围栏外"), "{message}");
    assert_eq!(site.signin("b-2").await["relayFence"]["version"], 1);
    assert_eq!(site.at_platform().await, 0, "nothing reached the platform");
}

#[tokio::test]
async fn a_forwarded_record_retried_after_stricter_checks_stays_accepted() {
    // No fence and the default window: a record a minute ahead from Beijing is forwarded.
    let mut site = Site::start("claims-stricter", None).await;
    let forwarded = record("s-1", BEIJING, 10.0, "inside", now_ms() + 60_000).to_string();
    assert!(site.phone.sign_in(&forwarded).await.success);
    // Then the checks get stricter: a fence around the site (the record's first fence now)
    // and at most 30 s ahead, the relay restarted on the same data; the phone retries, not
    // having heard the answer.
    site.put_fence(fence(CENTRE, "reject")).await;
    site.relay.config.signin.max_ahead_secs = 30;
    site.restart().await;
    let retried = site.phone.sign_in(&forwarded).await;
    assert!(retried.success, "the platform has it: {retried:?}");
    assert_eq!(site.at_platform().await, 1, "forwarded once");
    let audit = site.signin("s-1").await;
    assert_eq!(audit["platformResult"]["state"], "done", "{audit}");
}
