//! Per-site managers (issue 16, "Managers"): a site manager's token reaches only its own sites.
//! Two sites of one platform sn, the manager of site-1 tries everything of site-2: its fence,
//! phones, codes, sign-ins and evidence, its roster, creating sites, reading accounts; each
//! attack is one test, answered "not found" (or, for administrators' work, "forbidden") with
//! nothing changed. Beside them: the site roster a team phone may clock in, a single-site sn
//! that keeps every person, and the log of manager actions per scope.

use crate::relay_common::platform::{call, TaskRelay, MANAGER_TOKEN};
use crate::relay_common::sim_common::SN;
use crate::relay_common::{
    phone_of, phone_record, phone_record_with, refusal, test_phone, PhoneClient, Transport,
};
use serde_json::{json, Value};
use zj_relay::config::{PhoneConfig, Secret};
use zj_relay::demo::DemoPhone;

/// The tag of the phone configured by hand (no site) in every [`TwoSites`].
const HAND: &str = "hand";

/// A square fence around a spot in Binjiang, Hangzhou.
fn fence(half: f64) -> Value {
    let (lng, lat) = (120.211, 30.209);
    let ring = [
        [lng - half, lat - half],
        [lng + half, lat - half],
        [lng + half, lat + half],
        [lng - half, lat + half],
        [lng - half, lat - half],
    ];
    json!({"crs": "wgs84", "maxAccuracyM": 50, "uncertainPolicy": "reject",
           "geojson": {"type": "Polygon", "coordinates": [ring]}})
}

/// A relay with persons W1 (张三) and W2 (李四) on [`SN`]'s roster and two sites of that sn.
struct TwoSites {
    relay: TaskRelay,
    site1: String,
    site2: String,
}

impl TwoSites {
    /// Starts the relay (with the phone [`HAND`] configured by hand), loads the roster and
    /// creates the two sites (as the administrator).
    async fn start(name: &str) -> Self {
        let hand = test_phone(HAND);
        let relay = TaskRelay::start(name, 20, |config| {
            config.phones.push(PhoneConfig {
                sn: hand.sn,
                access_id: hand.access_id,
                access_key: hand.access_key,
                access_secret: Secret::new(hand.access_secret),
                platform_sn: SN.into(),
            })
        })
        .await;
        relay
            .add_persons(&[("W1", "张三", None, None), ("W2", "李四", None, None)])
            .await;
        let send = relay.add_task("T_SEND_PERSON", json!({})).await;
        relay.reported(&send).await;
        let mut sites = Vec::new();
        for name in ["一号工地", "二号工地"] {
            let (status, site) = (relay.manager(
                "POST",
                "/v1/manager/sites",
                Some(json!({"name": name, "sn": SN})),
            ))
            .await;
            assert_eq!(status, 201, "{site}");
            sites.push(site["siteId"].as_str().unwrap().to_owned());
        }
        let site2 = sites.pop().unwrap();
        let site1 = sites.pop().unwrap();
        Self {
            relay,
            site1,
            site2,
        }
    }

    /// A manager API call with `token`.
    async fn call(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        call(&self.relay.url, method, path, Some(token), body).await
    }

    /// A new site manager account for `sites`: its token.
    async fn site_manager(&self, name: &str, sites: &[&str]) -> String {
        let (status, account) = (self.relay.manager(
            "POST",
            "/v1/manager/accounts",
            Some(json!({"name": name, "role": "site", "sites": sites})),
        ))
        .await;
        assert_eq!(status, 201, "{account}");
        account["token"].as_str().unwrap().to_owned()
    }

    /// Enrolls a team phone at `site_id` (as the administrator), authenticated.
    async fn team_phone(&self, site_id: &str) -> (DemoPhone, PhoneClient) {
        let (status, code) = (self.relay.manager(
            "POST",
            &format!("/v1/manager/sites/{site_id}/enrollments"),
            Some(json!({"binding": "team"})),
        ))
        .await;
        assert_eq!(status, 201, "{code}");
        let (status, enrolled) = call(
            &self.relay.url,
            "POST",
            "/v1/enroll",
            None,
            Some(json!({"code": code["code"]})),
        )
        .await;
        assert_eq!(status, 200, "{enrolled}");
        let creds = phone_of(&enrolled);
        let phone = PhoneClient::connect(Transport::Http, &self.relay.url, &creds)
            .await
            .authed()
            .await;
        (creds, phone)
    }

    /// Changes `site_id`'s roster as the administrator: the status (asserted by the caller,
    /// after the attack, so that the attack shows before the roster endpoints exist).
    async fn roster_change(&self, site_id: &str, add: &[&str], remove: &[&str]) -> u16 {
        let path = format!("/v1/manager/sites/{site_id}/roster");
        let body = json!({"add": add, "remove": remove});
        self.relay.manager("POST", &path, Some(body)).await.0
    }

    /// site-2 with a fence and a team phone that clocked W2 in with liveness evidence: the
    /// phone's credentials and client.
    async fn furnish_site2(&self) -> (DemoPhone, PhoneClient) {
        let fence_path = format!("/v1/manager/sites/{}/fence", self.site2);
        let (status, body) = self
            .relay
            .manager("PUT", &fence_path, Some(fence(0.002)))
            .await;
        assert_eq!(status, 200, "{body}");
        let roster_status = self.roster_change(&self.site2, &["W2"], &[]).await;
        let (creds, mut phone) = self.team_phone(&self.site2).await;
        let evidence = json!({"liveness": {"overall": "live", "checks": [], "frames": [
            {"kind": "flash", "jpeg": "c2l0ZS0yIGV2aWRlbmNl"}]}});
        let record = phone_record_with("W2", "s2-1", json!("64"), 0, evidence);
        let reply = phone.sign_in(&record).await;
        assert!(reply.success, "{reply:?} (roster change: {roster_status})");
        (creds, phone)
    }
}

#[tokio::test]
async fn a_site_manager_cannot_read_or_replace_another_sites_fence() {
    let sites = TwoSites::start("scope-fence").await;
    sites.furnish_site2().await;
    let token = sites.site_manager("wang", &[&sites.site1]).await;
    let path = format!("/v1/manager/sites/{}/fence", sites.site2);
    let (status, body) = sites.call(&token, "GET", &path, None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("not_found")),
        "read: {body}"
    );
    let (status, body) = sites.call(&token, "PUT", &path, Some(fence(0.004))).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("not_found")),
        "replace: {body}"
    );
    let (_, stored) = sites.relay.manager("GET", &path, None).await;
    assert_eq!(
        stored["version"], 1,
        "site-2's fence is unchanged: {stored}"
    );
    // Its own site's fence it may read and replace.
    let own = format!("/v1/manager/sites/{}/fence", sites.site1);
    let (status, body) = sites.call(&token, "PUT", &own, Some(fence(0.003))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sites.call(&token, "GET", &own, None).await.1["version"], 1);
}

#[tokio::test]
async fn a_site_manager_cannot_list_or_revoke_another_sites_phones() {
    let sites = TwoSites::start("scope-phones").await;
    let (creds, mut phone) = sites.furnish_site2().await;
    let token = sites.site_manager("wang", &[&sites.site1]).await;
    let list = format!("/v1/manager/sites/{}/phones", sites.site2);
    let (status, body) = sites.call(&token, "GET", &list, None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("not_found")),
        "list: {body}"
    );
    let revoke = format!("/v1/manager/phones/{}/revoke", creds.access_id);
    let (status, body) = sites.call(&token, "POST", &revoke, None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("not_found")),
        "revoke: {body}"
    );
    let (_, phones) = sites.relay.manager("GET", &list, None).await;
    assert_eq!(phones[0]["revoked"], false, "nothing revoked: {phones}");
    assert!(phone.sign_in(&phone_record("W2", "s2-2")).await.success);
    // A phone configured by hand has no site: only administrators may revoke it.
    let hand = format!("/v1/manager/phones/{}/revoke", test_phone(HAND).access_id);
    let (status, body) = sites.call(&token, "POST", &hand, None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("not_found")),
        "{body}"
    );
    let mut hand_phone = PhoneClient::connect(Transport::Http, &sites.relay.url, &test_phone(HAND))
        .await
        .authed()
        .await;
    assert!(
        hand_phone
            .sign_in(&phone_record("W1", "hand-1"))
            .await
            .success
    );
    assert_eq!(sites.relay.manager("POST", &hand, None).await.0, 200);
}

#[tokio::test]
async fn a_site_manager_cannot_make_codes_for_another_site() {
    let sites = TwoSites::start("scope-codes").await;
    let token = sites.site_manager("wang", &[&sites.site1]).await;
    let path = format!("/v1/manager/sites/{}/enrollments", sites.site2);
    let (status, body) =
        (sites.call(&token, "POST", &path, Some(json!({"binding": "team"})))).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("not_found")),
        "{body}"
    );
    assert!(body.get("code").is_none(), "no code given: {body}");
    let own = format!("/v1/manager/sites/{}/enrollments", sites.site1);
    let (status, body) = (sites.call(&token, "POST", &own, Some(json!({"binding": "team"})))).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_site_manager_cannot_read_another_sites_signins_or_evidence() {
    let sites = TwoSites::start("scope-signins").await;
    sites.furnish_site2().await;
    let mut hand = PhoneClient::connect(Transport::Http, &sites.relay.url, &test_phone(HAND))
        .await
        .authed()
        .await;
    assert!(hand.sign_in(&phone_record("W1", "hand-1")).await.success);
    let token = sites.site_manager("wang", &[&sites.site1]).await;
    let by_site = format!("/v1/manager/signins?siteId={}", sites.site2);
    let (status, body) = sites.call(&token, "GET", &by_site, None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("not_found")),
        "{body}"
    );
    let (status, all) = sites.call(&token, "GET", "/v1/manager/signins", None).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        all,
        json!([]),
        "none of site-2's or the hand phone's records, no evidence"
    );
    // The administrator sees site-2's record and its evidence, and the hand phone's.
    let (_, all) = sites
        .relay
        .manager("GET", "/v1/manager/signins", None)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    assert_eq!(all[1]["siteId"], Value::Null, "{all}");
    assert_eq!(all[0]["siteId"], sites.site2.as_str());
    // The test's evidence is not the phone's schema, so the relay keeps it as received.
    assert_eq!(
        all[0]["livenessRaw"]["frames"][0]["jpeg"], "c2l0ZS0yIGV2aWRlbmNl",
        "{all}"
    );
}

#[tokio::test]
async fn a_site_manager_cannot_create_sites_read_accounts_or_other_rosters() {
    let sites = TwoSites::start("scope-admin").await;
    let token = sites.site_manager("wang", &[&sites.site1]).await;
    let (status, listed) = sites.call(&token, "GET", "/v1/manager/sites", None).await;
    assert_eq!(status, 200, "{listed}");
    let ids: Vec<&str> = (listed.as_array().unwrap().iter())
        .map(|site| site["siteId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [sites.site1.as_str()], "only its own site is listed");
    let new_site = json!({"name": "三号工地", "sn": SN});
    let (status, body) = sites
        .call(&token, "POST", "/v1/manager/sites", Some(new_site))
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("forbidden")),
        "{body}"
    );
    let (_, all) = sites.relay.manager("GET", "/v1/manager/sites", None).await;
    assert_eq!(all.as_array().unwrap().len(), 2, "no site created: {all}");
    let (status, body) = sites
        .call(&token, "GET", "/v1/manager/accounts", None)
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("forbidden")),
        "{body}"
    );
    let roster = format!("/v1/manager/sites/{}/roster", sites.site2);
    let (status, body) = sites.call(&token, "GET", &roster, None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("not_found")),
        "{body}"
    );
    let change = json!({"add": ["W1"], "remove": ["W2"]});
    let (status, body) = sites.call(&token, "POST", &roster, Some(change)).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("not_found")),
        "{body}"
    );
    // MR860 logs: only those of its own sites' terminals (it has none); retrying them all is
    // the administrator's.
    let (status, body) = sites
        .call(&token, "GET", "/v1/manager/mr860/logs", None)
        .await;
    assert_eq!((status, body), (200, json!([])));
    let (status, body) = sites
        .call(&token, "POST", "/v1/manager/mr860/retry", None)
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("forbidden")),
        "{body}"
    );
}

#[tokio::test]
async fn a_team_phone_clocks_in_only_its_own_sites_roster() {
    let sites = TwoSites::start("scope-roster").await;
    let (_, mut phone1) = sites.team_phone(&sites.site1).await;
    let (_, mut phone2) = sites.team_phone(&sites.site2).await;
    // W2 moves to site-2 (site-1 kept everyone when site-2 was created).
    let moved = [
        sites.roster_change(&sites.site2, &["W2"], &[]).await,
        sites.roster_change(&sites.site1, &[], &["W2"]).await,
    ];
    let reply = phone1.sign_in(&phone_record("W2", "p1-w2")).await;
    let refused = refusal(&reply).unwrap_or_else(|| panic!("site-1's phone clocked in W2"));
    assert_eq!(refused.errorcode, "400_02", "{refused:?}");
    assert!(refused.errormsg.contains("W2"), "{refused:?}");
    assert_eq!(moved, [200, 200]);
    assert!(phone1.sign_in(&phone_record("W1", "p1-w1")).await.success);
    assert!(phone2.sign_in(&phone_record("W2", "p2-w2")).await.success);
    let refused = phone2.sign_in(&phone_record("W1", "p2-w1")).await;
    assert_eq!(refusal(&refused).unwrap().errorcode, "400_02");
    let forwarded: Vec<String> = (sites.relay.http.signins().await.iter())
        .map(|s| s["personId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(forwarded, ["W1", "W2"]);
    // What a team phone downloads is its own site's roster.
    let token = phone1.token.clone().unwrap();
    let (_, site) = call(&sites.relay.url, "GET", "/v1/site", Some(&token), None).await;
    assert_eq!(site["persons"], json!([{"personId": "W1", "name": "张三"}]));
    // The site manager's view: the sn's persons, which of them are on the site.
    let roster = format!("/v1/manager/sites/{}/roster", sites.site1);
    let (_, listed) = sites.relay.manager("GET", &roster, None).await;
    let on_site: Vec<(&str, bool)> = (listed["persons"].as_array().unwrap().iter())
        .map(|p| {
            (
                p["personId"].as_str().unwrap(),
                p["onSite"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(on_site, [("W1", true), ("W2", false)], "{listed}");
    // The sn's roster as a site manager sees it: the persons of its own sites only.
    let token = sites.site_manager("wang", &[&sites.site1]).await;
    let by_sn = format!("/v1/manager/roster?sn={SN}");
    let (status, listed) = sites.call(&token, "GET", &by_sn, None).await;
    assert_eq!(status, 200, "{listed}");
    let ids: Vec<&str> = (listed.as_array().unwrap().iter())
        .map(|p| p["personId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["W1"], "{listed}");
    let (status, _) = (sites.call(&token, "GET", "/v1/manager/roster?sn=OTHER", None)).await;
    assert_eq!(status, 404);
    // A personal code for a person not on the site's roster is refused.
    let codes = format!("/v1/manager/sites/{}/enrollments", sites.site1);
    let personal = json!({"binding": "personal", "personId": "W2"});
    let (status, body) = sites.relay.manager("POST", &codes, Some(personal)).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (422, &json!("person_unknown")),
        "{body}"
    );
}

#[tokio::test]
async fn a_single_site_sn_keeps_every_person_on_its_roster() {
    let relay = TaskRelay::start("scope-single", 20, |_| {}).await;
    relay
        .add_persons(&[("W1", "张三", None, None), ("W2", "李四", None, None)])
        .await;
    let send = relay.add_task("T_SEND_PERSON", json!({})).await;
    relay.reported(&send).await;
    let (_, site) = (relay.manager(
        "POST",
        "/v1/manager/sites",
        Some(json!({"name": "一号工地", "sn": SN})),
    ))
    .await;
    let site_id = site["siteId"].as_str().unwrap();
    let roster = format!("/v1/manager/sites/{site_id}/roster");
    let (status, listed) = relay.manager("GET", &roster, None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["shared"], false, "{listed}");
    let on_site: Vec<bool> = (listed["persons"].as_array().unwrap().iter())
        .map(|p| p["onSite"].as_bool().unwrap())
        .collect();
    assert_eq!(on_site, [true, true], "{listed}");
    let change = json!({"add": [], "remove": ["W2"]});
    let (status, body) = relay.manager("POST", &roster, Some(change)).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &json!("roster_not_shared")),
        "{body}"
    );
    let sites = TwoSites {
        relay,
        site1: site_id.to_owned(),
        site2: String::new(),
    };
    let (_, mut phone) = sites.team_phone(&sites.site1).await;
    assert!(phone.sign_in(&phone_record("W1", "one-w1")).await.success);
    assert!(phone.sign_in(&phone_record("W2", "one-w2")).await.success);
    // A second site of the sn: the first keeps everyone it had, the second has nobody yet.
    let (status, second) = (sites.relay.manager(
        "POST",
        "/v1/manager/sites",
        Some(json!({"name": "二号工地", "sn": SN})),
    ))
    .await;
    assert_eq!(status, 201, "{second}");
    assert!(
        phone
            .sign_in(&phone_record("W2", "one-w2-again"))
            .await
            .success
    );
    let (_, mut phone2) = sites.team_phone(second["siteId"].as_str().unwrap()).await;
    let refused = phone2.sign_in(&phone_record("W1", "two-w1")).await;
    assert_eq!(refusal(&refused).unwrap().errorcode, "400_02");
}

#[tokio::test]
async fn manager_actions_are_recorded_and_listed_per_site() {
    let sites = TwoSites::start("scope-actions").await;
    let token = sites.site_manager("wang", &[&sites.site1]).await;
    let fence1 = format!("/v1/manager/sites/{}/fence", sites.site1);
    assert_eq!(
        sites
            .call(&token, "PUT", &fence1, Some(fence(0.002)))
            .await
            .0,
        200
    );
    assert_eq!(
        sites
            .call(&token, "PUT", &fence1, Some(fence(0.003)))
            .await
            .0,
        200
    );
    let codes1 = format!("/v1/manager/sites/{}/enrollments", sites.site1);
    let (_, code) = (sites.call(&token, "POST", &codes1, Some(json!({"binding": "team"})))).await;
    let code = code["code"].as_str().unwrap().to_owned();
    let (creds, _) = sites.team_phone(&sites.site1).await;
    let revoke = format!("/v1/manager/phones/{}/revoke", creds.access_id);
    assert_eq!(sites.call(&token, "POST", &revoke, None).await.0, 200);
    let roster1 = format!("/v1/manager/sites/{}/roster", sites.site1);
    let change = json!({"add": [], "remove": ["W2"]});
    assert_eq!(
        sites.call(&token, "POST", &roster1, Some(change)).await.0,
        200
    );
    sites.furnish_site2().await;

    let (status, mine) = sites.call(&token, "GET", "/v1/manager/actions", None).await;
    assert_eq!(status, 200, "{mine}");
    let mine = mine.as_array().unwrap();
    let kinds: Vec<(&str, &str)> = (mine.iter())
        .map(|a| {
            (
                a["account"].as_str().unwrap(),
                a["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("wang", "roster.change"),
            ("wang", "phone.revoke"),
            ("admin", "enrollment.create"),
            ("wang", "enrollment.create"),
            ("wang", "fence.put"),
            ("wang", "fence.put"),
            ("admin", "roster.change"), // site-1 kept everyone when site-2 was created
            ("admin", "site.create"),
        ],
        "{mine:?}"
    );
    assert!(
        mine.iter().all(|a| a["siteId"] == sites.site1.as_str()),
        "{mine:?}"
    );
    let second_fence = &mine[4]["detail"];
    assert_eq!(second_fence["before"]["version"], 1, "{second_fence}");
    assert_eq!(second_fence["after"]["version"], 2, "{second_fence}");
    assert_eq!(second_fence["version"], 2, "{second_fence}");
    assert_eq!(mine[5]["detail"]["before"], Value::Null);
    let made = &mine[3]["detail"];
    assert_eq!(made["binding"], "team", "{made}");
    assert_eq!(made["codeEnd"], &code[code.len() - 4..], "{made}");
    assert!(
        !mine[3].to_string().contains(&code),
        "the code itself is not kept"
    );
    assert_eq!(mine[1]["detail"]["accessId"], creds.access_id.as_str());
    assert_eq!(mine[0]["detail"]["removed"], json!(["W2"]));
    // The administrator sees site-2's actions too.
    let (_, all) = call(
        &sites.relay.url,
        "GET",
        "/v1/manager/actions",
        Some(MANAGER_TOKEN),
        None,
    )
    .await;
    let site2_actions = (all.as_array().unwrap().iter())
        .filter(|a| a["siteId"] == sites.site2.as_str())
        .count();
    assert!(
        site2_actions >= 4,
        "site.create, fence.put, roster.change, enrollment: {all}"
    );
}
