//! The day sheet over a real relay (issue 17): a team phone of a site with a fence signs in
//! W1 twice, W2 once at the fence's edge (uncertain, flagged) and W1 once from Beijing
//! (refused); W3 does not. The sheet, the punch list, one punch's detail with its fence, the
//! CSV and XLSX exports read back, another site's manager kept out, bad queries refused, the
//! day start hour set and logged. Real parts: the platform simulator, the relay in process.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use serde_json::{json, Value};
use zj_host::system_clock::now_ms;
use zj_relay::sheet::Date;

use crate::claims::{east_of, enroll_team_phone};
use crate::relay_common::platform::{call, TaskRelay, MANAGER_TOKEN};
use crate::relay_common::sim_common::SN;
use crate::relay_common::{http_client, phone_record_with, PhoneClient};
use zj_relay::args;

/// The middle of the test site (Binjiang, Hangzhou), WGS-84 `[lng, lat]`.
const CENTRE: [f64; 2] = [120.2110, 30.2090];
/// Half the fence's side, degrees.
const HALF: f64 = 0.002;
/// Tiananmen Square, Beijing: far outside.
const BEIJING: [f64; 2] = [116.3975, 39.9087];

/// A relay with W1 张三, W2 李四, W3 王五 on the sn's roster, one site with a square fence
/// (`flag` policy) and a team phone enrolled there.
struct SheetSite {
    relay: TaskRelay,
    site_id: String,
    phone: PhoneClient,
}

impl SheetSite {
    async fn start(name: &str) -> Self {
        let relay = TaskRelay::start(name, 20, |_| {}).await;
        let persons = [
            ("W1", "张三", None, None),
            ("W2", "李四", None, None),
            ("W3", "王五", None, None),
        ];
        relay.add_persons(&persons).await;
        let send = relay.add_task("T_SEND_PERSON", json!({})).await;
        relay.reported(&send).await;
        let site_id = create_site(&relay, "滨江工地").await;
        let [lng, lat] = CENTRE;
        let ring = [
            [lng - HALF, lat - HALF],
            [lng + HALF, lat - HALF],
            [lng + HALF, lat + HALF],
            [lng - HALF, lat + HALF],
            [lng - HALF, lat - HALF],
        ];
        let fence = json!({"crs": "wgs84", "maxAccuracyM": 50, "uncertainPolicy": "flag",
                           "geojson": {"type": "Polygon", "coordinates": [ring]}});
        let path = format!("/v1/manager/sites/{site_id}/fence");
        let (status, body) = relay.manager("PUT", &path, Some(fence)).await;
        assert_eq!(status, 200, "{body}");
        let phone = enroll_team_phone(&relay, &site_id).await;
        Self {
            relay,
            site_id,
            phone,
        }
    }

    /// Signs in `person` at `place` (accuracy `accuracy_m`), made at `made`, with `extra`.
    async fn sign_in(
        &mut self,
        person: &str,
        id: &str,
        place: [f64; 2],
        made: i64,
        extra: Value,
    ) -> bool {
        let [lng, lat] = place;
        let mut members = json!({
            "recordTime": made,
            "coordinate": {"longitude": lng, "latitude": lat},
            "location": {"source": "browser", "sourceCrs": "wgs84", "lng": lng, "lat": lat,
                         "accuracyM": 10.0, "fixAgeMs": 800, "warnings": []},
            "fence": {"version": 1, "verdict": "inside", "distanceM": 40.0, "flagged": false},
        });
        if let (Value::Object(members), Value::Object(extra)) = (&mut members, extra) {
            members.extend(extra);
        }
        let param = phone_record_with(person, id, json!("64"), 0, members);
        self.phone.sign_in(&param).await.success
    }

    /// `GET path` with the administrator's token: status, headers, body bytes.
    async fn download(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let response = (http_client().get(format!("{}{path}", self.relay.url)))
            .bearer_auth(MANAGER_TOKEN)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.bytes().await.unwrap().to_vec())
    }
}

async fn create_site(relay: &TaskRelay, name: &str) -> String {
    let body = json!({"name": name, "sn": SN});
    let (status, site) = relay.manager("POST", "/v1/manager/sites", Some(body)).await;
    assert_eq!(status, 201, "{site}");
    site["siteId"].as_str().unwrap().to_owned()
}

/// The site with the day's four sign-ins; the date they fall on.
async fn signed_in_site(name: &str) -> (SheetSite, String) {
    let mut site = SheetSite::start(name).await;
    let made = now_ms() - 120_000;
    assert!(site.sign_in("W1", "w1-a", CENTRE, made, json!({})).await);
    assert!(
        site.sign_in("W1", "w1-b", CENTRE, made + 60_000, json!({}))
            .await
    );
    let edge = east_of([CENTRE[0] + HALF, CENTRE[1]], 5.0);
    let stale = json!({"location": {"source": "browser", "sourceCrs": "wgs84", "lng": edge[0],
        "lat": edge[1], "accuracyM": 30.0, "fixAgeMs": 45000,
        "warnings": [{"kind": "staleFix", "ageMs": 45000}]},
        "fence": {"version": 1, "verdict": "uncertain", "distanceM": 5.0, "flagged": true}});
    assert!(
        site.sign_in("W2", "w2-a", edge, made + 30_000, stale).await,
        "uncertain, flagged"
    );
    assert!(
        !site
            .sign_in("W1", "w1-out", BEIJING, made + 90_000, json!({}))
            .await,
        "refused"
    );
    (site, Date::of_instant(made).to_string())
}

/// The rows of a CSV export, BOM checked and dropped.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a BOM");
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    (text.split_terminator("\r\n"))
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect()
}

/// The rows of an XLSX export's only worksheet `title`, as text.
fn xlsx_rows(bytes: Vec<u8>, title: &str) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(workbook.sheet_names(), [title]);
    let range = workbook.worksheet_range(title).unwrap();
    (range.rows())
        .map(|row| {
            (row.iter())
                .map(|cell| match cell {
                    Data::String(text) => text.clone(),
                    Data::Float(value) => value.to_string(),
                    Data::Empty => String::new(),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_sheet_counts_punches_flags_them_and_lists_the_absent() {
    let (site, date) = signed_in_site("sheet-json").await;
    let path = format!("/v1/manager/sites/{}/sheet?from={date}", site.site_id);
    let (status, sheet) = site.relay.manager("GET", &path, None).await;
    assert_eq!(status, 200, "{sheet}");
    assert_eq!(sheet["dayStartHour"], 0);
    let day = &sheet["days"][0];
    assert_eq!(
        (
            day["date"].as_str(),
            day["present"].as_u64(),
            day["absent"].as_u64()
        ),
        (Some(date.as_str()), Some(2), Some(1))
    );
    let rows = day["rows"].as_array().unwrap();
    let row = |id: &str| rows.iter().find(|r| r["personId"] == id).unwrap().clone();
    let w1 = row("W1");
    assert_eq!(
        (
            w1["punches"].as_u64(),
            w1["onRoster"].as_bool(),
            w1["absent"].as_bool()
        ),
        (Some(2), Some(true), Some(false))
    );
    assert!(w1["firstMs"].as_i64() < w1["lastMs"].as_i64(), "{w1}");
    // No liveness evidence in these records: inconclusive.
    assert_eq!(w1["flags"], json!(["livenessInconclusive"]));
    let w2 = row("W2");
    assert_eq!(
        w2["flags"],
        json!(["fenceUncertain", "livenessInconclusive", "locationWarnings"])
    );
    let w3 = row("W3");
    assert_eq!(
        (
            w3["absent"].as_bool(),
            w3["name"].as_str(),
            w3["punches"].as_u64()
        ),
        (Some(true), Some("王五"), Some(0))
    );

    let absent = format!(
        "/v1/manager/sites/{}/sheet?from={date}&absent=1",
        site.site_id
    );
    let (_, sheet) = site.relay.manager("GET", &absent, None).await;
    assert_eq!(
        sheet["days"][0]["rows"].as_array().unwrap().len(),
        1,
        "{sheet}"
    );
    let by_name = format!(
        "/v1/manager/sites/{}/sheet?from={date}&person=%E6%9D%8E",
        site.site_id
    );
    let (_, sheet) = site.relay.manager("GET", &by_name, None).await;
    assert_eq!(
        sheet["days"][0]["rows"][0]["personId"], "W2",
        "李 finds 李四: {sheet}"
    );
}

#[tokio::test]
async fn the_punch_list_keeps_refused_records_and_a_punch_shows_its_fence() {
    let (site, date) = signed_in_site("sheet-punches").await;
    let path = format!("/v1/manager/sites/{}/punches?from={date}", site.site_id);
    let (status, list) = site.relay.manager("GET", &path, None).await;
    assert_eq!(status, 200, "{list}");
    let punches = list["punches"].as_array().unwrap();
    let ids: Vec<&str> = punches
        .iter()
        .map(|p| p["recordId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["w1-a", "w2-a", "w1-b", "w1-out"], "oldest first");
    let states: Vec<&str> = punches
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["done", "done", "done", "refused"]);
    let first = &punches[0];
    assert_eq!(
        (
            first["name"].as_str(),
            first["verdict"].as_str(),
            first["source"].as_str()
        ),
        (Some("张三"), Some("inside"), Some("camera"))
    );
    assert_eq!(
        (first["lng"].as_f64(), first["accuracyM"].as_f64()),
        (Some(CENTRE[0]), Some(10.0))
    );
    assert!(
        first["acceptedAtMs"].as_i64() >= first["receivedAtMs"].as_i64(),
        "{first}"
    );
    assert_eq!(punches[3]["acceptedAtMs"], Value::Null);

    let query = format!(
        "/v1/manager/punch?accessId={}&recordId=w2-a",
        first["accessId"].as_str().unwrap()
    );
    let (status, detail) = site.relay.manager("GET", &query, None).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["relayFence"]["version"], 1, "{detail}");
    assert_eq!(detail["relayFence"]["verdict"], "uncertain");
    assert_eq!(
        detail["fence"]["geometry"]["type"], "MultiPolygon",
        "the fence judged with"
    );
    assert_eq!(detail["location"]["warnings"][0]["kind"], "staleFix");
    assert_eq!(
        detail["flags"],
        json!(["fenceUncertain", "livenessInconclusive", "locationWarnings"])
    );
    let (status, _) = site
        .relay
        .manager(
            "GET",
            "/v1/manager/punch?accessId=nobody&recordId=w2-a",
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = site
        .relay
        .manager("GET", "/v1/manager/punch?recordId=w2-a", None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
}

#[tokio::test]
async fn exports_are_csv_with_a_bom_and_xlsx_in_chinese() {
    let (site, date) = signed_in_site("sheet-exports").await;
    let base = format!("/v1/manager/sites/{}", site.site_id);
    let (status, headers, csv) = site
        .download(&format!("{base}/sheet.csv?from={date}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert_eq!(
        disposition,
        format!(
            "attachment; filename=\"sheet-{}-{date}.csv\"; filename*=UTF-8''%E8%80%83%E5%8B%A4%E6%97%A5%E6%8A%A5-%E6%BB%A8%E6%B1%9F%E5%B7%A5%E5%9C%B0-{date}.csv",
            site.site_id
        )
    );
    let rows = csv_rows(&csv);
    assert_eq!(
        rows[0],
        [
            "日期",
            "工号",
            "姓名",
            "在花名册",
            "出勤",
            "首次打卡",
            "末次打卡",
            "打卡次数",
            "需要关注"
        ]
    );
    assert_eq!(rows.len(), 4, "{rows:?}");
    let w2 = rows.iter().find(|r| r[1] == "W2").unwrap();
    assert_eq!(
        (w2[2].as_str(), w2[4].as_str(), w2[7].as_str()),
        ("李四", "出勤", "1")
    );
    assert_eq!(w2[8], "围栏边界不确定；活体未确认；定位异常");
    let w3 = rows.iter().find(|r| r[1] == "W3").unwrap();
    assert_eq!((w3[4].as_str(), w3[5].as_str()), ("缺勤", ""));

    let (_, _, csv) = site
        .download(&format!("{base}/punches.csv?from={date}"))
        .await;
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 5, "a header and four records: {rows:?}");
    assert_eq!(&rows[0][..4], ["打卡时间", "工号", "姓名", "状态"]);
    assert_eq!(rows[4][3], "已拒绝");
    assert_eq!(rows[4][5], "围栏外");

    let (status, headers, xlsx) = site
        .download(&format!("{base}/sheet.xlsx?from={date}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".xlsx\"; filename*=UTF-8''"));
    let rows = xlsx_rows(xlsx, "考勤日报");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0][8], "需要关注");
    let w1 = rows.iter().find(|r| r[1] == "W1").unwrap();
    assert_eq!((w1[2].as_str(), w1[7].as_str()), ("张三", "2"));
    let (_, _, xlsx) = site
        .download(&format!("{base}/punches.xlsx?from={date}&flagged=1"))
        .await;
    let rows = xlsx_rows(xlsx, "打卡明细");
    assert_eq!(rows.len(), 5, "every record here is flagged");
}

#[tokio::test]
async fn another_sites_manager_gets_not_found_and_bad_queries_get_a_code() {
    let (site, date) = signed_in_site("sheet-scope").await;
    let other = create_site(&site.relay, "西湖工地").await;
    let account =
        json!({"name": "west", "role": "site", "sites": [other], "password": "west-password-1"});
    let (status, created) = site
        .relay
        .manager("POST", "/v1/manager/accounts", Some(account))
        .await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    let url = &site.relay.url;
    let mine = &site.site_id;
    for path in [
        format!("/v1/manager/sites/{mine}/sheet?from={date}"),
        format!("/v1/manager/sites/{mine}/punches?from={date}"),
        format!("/v1/manager/sites/{mine}/sheet.csv?from={date}"),
        format!("/v1/manager/sites/{mine}/punches.xlsx?from={date}"),
        format!(
            "/v1/manager/punch?accessId={}&recordId=w1-a",
            site.phone.creds.access_id
        ),
        "/v1/manager/sites/site-99/sheet".to_owned(),
    ] {
        let (status, body) = call(url, "GET", &path, Some(&token), None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    let (status, settings) = call(
        url,
        "PUT",
        &format!("/v1/manager/sites/{mine}/settings"),
        Some(&token),
        Some(json!({"dayStartHour": 6})),
    )
    .await;
    assert_eq!(status, 404, "{settings}");
    let (status, sheet) = call(
        url,
        "GET",
        &format!("/v1/manager/sites/{other}/sheet?from={date}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200, "its own site: {sheet}");
    assert_eq!(
        sheet["days"][0]["present"], 0,
        "none of the other site's punches"
    );

    for (query, code) in [
        ("from=2026-02-30", "bad_date"),
        ("from=2026-12-01&to=2027-01-01", "range_too_long"),
        ("from=2026-12-05&to=2026-12-01", "bad_range"),
        ("flagged=2", "bad_query"),
        ("order=name", "bad_query"),
    ] {
        let path = format!("/v1/manager/sites/{mine}/sheet?{query}");
        let (status, body) = site.relay.manager("GET", &path, None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some(code)),
            "{query}: {body}"
        );
        assert!(
            body["error"]["message"].as_str().unwrap().contains("请"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_day_start_hour_is_a_logged_site_setting() {
    let site = SheetSite::start("sheet-settings").await;
    let path = format!("/v1/manager/sites/{}/settings", site.site_id);
    for bad in [
        json!({"dayStartHour": 24}),
        json!({"dayStartHour": -1}),
        json!({"dayStartHour": "6"}),
        json!({"dayStartHour": 6, "x": 1}),
    ] {
        let (status, body) = site.relay.manager("PUT", &path, Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (_, body) = site
        .relay
        .manager("PUT", &path, Some(json!({"dayStartHour": 24})))
        .await;
    assert_eq!(body["error"]["code"], "bad_start_hour");
    let (status, updated) = site
        .relay
        .manager("PUT", &path, Some(json!({"dayStartHour": 6})))
        .await;
    assert_eq!(
        (status, updated["dayStartHour"].as_u64()),
        (200, Some(6)),
        "{updated}"
    );
    let (_, sites) = site.relay.manager("GET", "/v1/manager/sites", None).await;
    assert_eq!(sites[0]["dayStartHour"], 6, "{sites}");
    let sheet = format!("/v1/manager/sites/{}/sheet", site.site_id);
    let (_, sheet) = site.relay.manager("GET", &sheet, None).await;
    assert_eq!(sheet["dayStartHour"], 6);
    let (_, actions) = site.relay.manager("GET", "/v1/manager/actions", None).await;
    let logged = &actions[0];
    assert_eq!(logged["action"], "site.settings", "{actions}");
    assert_eq!(
        logged["detail"],
        json!({"before": {"dayStartHour": 0}, "after": {"dayStartHour": 6}})
    );
}

#[tokio::test]
async fn records_audited_before_the_sheet_existed_get_their_facts_when_the_store_opens() {
    let dir = crate::relay_common::data_dir("sheet-backfill");
    let made = zj_protocol::time::parse_timestamp("20261203080000").unwrap();
    {
        let (store, _) = zj_relay::Store::open(&dir).unwrap();
        let extras = json!({"location": {"lng": 120.2, "lat": 30.2, "accuracyM": 0.0,
                                         "warnings": [{"kind": "zeroAccuracy"}]}});
        store
            .run(move |tx| {
                tx.execute(
                    "INSERT INTO sites (site_id, name, sn, created_ms)
                     VALUES ('site-1', '旧工地', 'SN-OLD', 0)",
                    args![],
                )?;
                tx.execute(
                    "INSERT INTO persons (sn, person_id, name, source, updated_ms)
                     VALUES ('SN-OLD', 'W1', '张三', 'platform', 0)",
                    args![],
                )?;
                // As an older relay wrote it: an audit row and its ledger row, no facts table, no
                // schema versions.
                tx.execute(
                    "INSERT INTO audit (access_id, record_id, phone_sn, platform_sn, person_id,
                         record_time, img_bytes, extras, received_ms, site_id)
                     VALUES ('phone-1', 'old-1', 'phone', 'SN-OLD', 'W1', ?1, 100, ?2, ?3,
                             'site-1')",
                    args![made, extras.to_string(), made + 1_000],
                )?;
                tx.execute(
                    "INSERT INTO ledger (access_id, record_id, state, attempts, updated_ms)
                     VALUES ('phone-1', 'old-1', 'done', 1, ?1)",
                    args![made + 2_000],
                )?;
                tx.execute_batch("DROP TABLE audit_facts; DROP TABLE schema_versions")?;
                Ok(())
            })
            .await
            .unwrap();
    }
    let (store, _) = zj_relay::Store::open(&dir).unwrap();
    let query = [("from".to_owned(), "2026-12-03".to_owned())].into();
    let records =
        zj_relay::sheet::load(&store, "site-1", query, zj_relay::sheet::Listing::Sheet, 0)
            .await
            .unwrap();
    let sheet = records.sheet();
    let row = &sheet.days[0].rows[0];
    assert_eq!(
        (row.person_id.as_str(), row.punches),
        ("W1", 1),
        "{sheet:?}"
    );
    assert!(
        row.flags.contains(&zj_relay::sheet::Flag::LocationWarnings),
        "{:?}",
        row.flags
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_phone_claiming_to_be_an_mr860_terminal_keeps_its_flags() {
    let mut site = SheetSite::start("sheet-source").await;
    let made = now_ms() - 120_000;
    let claim = json!({"source": "mr860"});
    assert!(site.sign_in("W1", "w1-m", CENTRE, made, claim).await);
    let date = Date::of_instant(made).to_string();
    let path = format!("/v1/manager/sites/{}/punches?from={date}", site.site_id);
    let (status, list) = site.relay.manager("GET", &path, None).await;
    assert_eq!(status, 200, "{list}");
    let punch = &list["punches"][0];
    assert_eq!(
        (punch["source"].as_str(), punch["flags"].clone()),
        (Some("camera"), json!(["livenessInconclusive"])),
        "the phone's own source is dropped: {punch}"
    );
}
