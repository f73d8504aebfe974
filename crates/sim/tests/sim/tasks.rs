//! The HTTP task API of the real `platform-sim` binary (PROTOCOL.md §5), over real sockets:
//! tasks created through `/sim/tasks`, listed by heartbeats, fetched with `T_GET_TASKS`, carried
//! out page by page, reported with `T_UPDATE_TASKS_STATUS`; and the refusals on the way. Every
//! reply's §3 signature is checked by [`SimHttp::task_call`].

use crate::sim_common::*;
use serde_json::{json, Value};
use zj_protocol::json_form::{command_request_body, ReplyError};
use zj_protocol::{Apicode, Channel};

/// Persons in the roster; with a page size of 20 that is pages of 20, 20 and 5.
const ROSTER_SIZE: usize = 45;
/// Persons per page the simulator is started with.
const PAGE_SIZE: usize = 20;
/// Names given to every third person, to carry non-ASCII text through the task API.
const CHINESE_NAMES: [&str; 5] = ["张伟", "王芳", "李秀英", "欧阳娜娜", "陈静"];
/// The one person registered with an identity card number.
const PERSON_WITH_IDCARD: &str = "P0007";

/// The roster id of person `i` (from 1).
fn person_id(i: usize) -> String {
    format!("P{i:04}")
}

/// The roster `POST /sim/persons` receives: [`ROSTER_SIZE`] persons, every third with a
/// Chinese name, one with an `idcardNo`.
fn roster() -> Vec<Value> {
    (1..=ROSTER_SIZE)
        .map(|i| {
            let name = if i % 3 == 0 {
                CHINESE_NAMES[(i / 3) % CHINESE_NAMES.len()].to_owned()
            } else {
                format!("Worker {i}")
            };
            let mut person = json!({"personId": person_id(i), "name": name});
            if person_id(i) == PERSON_WITH_IDCARD {
                person["idcardNo"] = json!("330106199001011234");
            }
            person
        })
        .collect()
}

/// A simulator with the roster and two devices, and [`SN`] authenticated through a
/// `DeviceSession` over TCP.
struct Platform {
    sim: Sim,
    http: SimHttp,
    device: SessionDriver,
}

impl Platform {
    /// Starts the simulator with [`PAGE_SIZE`], adds the roster, authenticates [`SN`].
    async fn start() -> Self {
        let sim = Sim::with(SimOptions {
            page_size: Some(PAGE_SIZE),
            ..SimOptions::default()
        });
        let http = sim.http();
        assert_eq!(
            http.add_persons(&Value::Array(roster())).await,
            ROSTER_SIZE as u64
        );
        let mut device = SessionDriver::connect(&sim, SN).await;
        device.authenticated().await;
        Self { sim, http, device }
    }

    /// Queues a task for `sn` through `/sim/tasks`; `extra` adds `personIds` or `param`.
    async fn add_task(&self, sn: &str, apicode: Apicode, extra: Value) -> String {
        let mut task = json!({"sn": sn, "apicode": apicode.as_str()});
        if let Value::Object(extra) = extra {
            task.as_object_mut().unwrap().extend(extra);
        }
        self.http.add_task(&task).await
    }

    /// A task call through the device's session; the `response` object or the refusal.
    async fn call(
        &mut self,
        apicode: Apicode,
        taskid: Option<&str>,
        param: Option<&str>,
    ) -> Result<Value, ReplyError> {
        self.device.task(&self.http, apicode, taskid, param).await
    }

    /// Like [`call`](Self::call), asserting success.
    async fn ok(&mut self, apicode: Apicode, taskid: Option<&str>, param: Option<&str>) -> Value {
        (self.call(apicode, taskid, param).await)
            .unwrap_or_else(|e| panic!("{apicode} {taskid:?} {param:?} failed: {e}"))
    }

    /// Like [`call`](Self::call), asserting a refusal; returns its error code.
    async fn refused(
        &mut self,
        apicode: Apicode,
        taskid: Option<&str>,
        param: Option<&str>,
    ) -> String {
        match self.call(apicode, taskid, param).await {
            Err(ReplyError::Refused(error)) => error.errorcode,
            other => panic!("{apicode} {taskid:?} {param:?}: expected a refusal, got {other:?}"),
        }
    }

    /// A hand-built task request from [`SN`] with the session's token and `sign` (computed
    /// per §3 when `None`).
    async fn hand_built(
        &self,
        apicode: Apicode,
        taskid: Option<&str>,
        param: Option<&str>,
        sign: Option<&str>,
    ) -> TaskReply {
        let body = task_body(SN, &self.device.token(), apicode, taskid, param, sign);
        self.http.task_call(apicode, body).await
    }

    /// The task ids a heartbeat from [`SN`] lists now (on a second TCP connection, with the
    /// session's token).
    async fn heartbeat_taskids(&self) -> Vec<String> {
        let mut client = self.sim.connect().await;
        client.heartbeat_taskids(SN, &self.device.token()).await
    }

    /// Every person of a paged task (`T_SEND_PERSON` / `T_UPDATE_DEVICE_PERSON`), fetching
    /// pages until `totalPage`; asserts each page's numbering and size.
    async fn all_pages(&mut self, apicode: Apicode, taskid: &str) -> Vec<Value> {
        let mut persons = Vec::new();
        let mut page = 1;
        loop {
            let reply = self
                .ok(apicode, Some(taskid), Some(&page_param(page)))
                .await;
            assert_eq!(reply["currentPage"], json!(page), "{reply}");
            let total = reply["totalPage"].as_u64().expect("totalPage");
            assert_eq!(total, ROSTER_SIZE.div_ceil(PAGE_SIZE) as u64, "{reply}");
            let data = reply["data"].as_array().expect("data").clone();
            let expected = PAGE_SIZE.min(ROSTER_SIZE - (page as usize - 1) * PAGE_SIZE);
            assert_eq!(data.len(), expected, "page {page} of {apicode}");
            persons.extend(data);
            if page == total {
                return persons;
            }
            page += 1;
        }
    }
}

/// A page request param.
fn page_param(page: u64) -> String {
    json!({"currentPage": page, "totalPage": 0}).to_string()
}

/// A `T_UPDATE_TASKS_STATUS` param reporting `results` with roster counts.
fn status_report(results: Value) -> String {
    json!({"task": results, "personCount": 44, "faceCount": 43}).to_string()
}

/// A `T_GET_TASKS` param asking for `taskids`.
fn get_tasks_param(taskids: &[&str]) -> String {
    json!({ "taskids": taskids }).to_string()
}

#[tokio::test]
async fn heartbeat_lists_tasks_and_get_tasks_returns_each_with_apicode_and_param() {
    let mut platform = Platform::start().await;
    let firmware = json!({"version": "2.1.0", "size": 1_048_576, "downloadUrl": "http://fw.example/zj-2.1.0.bin"});
    let created = [
        (Apicode::TSendPerson, json!({})),
        (Apicode::TUpdateDevicePerson, json!({})),
        (Apicode::TDelDevicePerson, json!({"personIds": ["P0001"]})),
        (Apicode::TClearDevicePerson, json!({})),
        (Apicode::TUpdateDeviceVersion, json!({"param": firmware})),
        (
            Apicode::TPostDevicePerson,
            json!({"param": {"excludeFields": "img"}}),
        ),
    ];
    let mut taskids = Vec::new();
    for (apicode, extra) in &created {
        taskids.push(platform.add_task(SN, *apicode, extra.clone()).await);
    }
    platform
        .add_task(OTHER_SN, Apicode::TClearDevicePerson, json!({}))
        .await;
    assert_eq!(
        platform.heartbeat_taskids().await,
        taskids,
        "in creation order, this sn only"
    );

    let ids: Vec<&str> = taskids.iter().map(String::as_str).collect();
    let reply = platform
        .ok(Apicode::TGetTasks, None, Some(&get_tasks_param(&ids)))
        .await;
    let tasks = reply["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), created.len(), "{reply}");
    for ((task, taskid), (apicode, extra)) in tasks.iter().zip(&taskids).zip(&created) {
        assert_eq!(task["taskid"], json!(taskid), "{task}");
        assert_eq!(task["apicode"], apicode.as_str(), "{task}");
        let param: Value = serde_json::from_str(task["param"].as_str().expect("param text"))
            .unwrap_or_else(|e| panic!("param of {task} is not JSON: {e}"));
        let expected = extra.get("param").cloned().unwrap_or(json!({}));
        assert_eq!(param, expected, "{task}");
    }
}

#[tokio::test]
async fn person_pages_cover_the_roster_for_send_and_update() {
    let mut platform = Platform::start().await;
    let roster = roster();
    for apicode in [Apicode::TSendPerson, Apicode::TUpdateDevicePerson] {
        let taskid = platform.add_task(SN, apicode, json!({})).await;
        let persons = platform.all_pages(apicode, &taskid).await;
        let got: Vec<(&Value, &Value)> = persons
            .iter()
            .map(|p| (&p["personId"], &p["name"]))
            .collect();
        let want: Vec<(&Value, &Value)> = roster
            .iter()
            .map(|p| (&p["personId"], &p["name"]))
            .collect();
        assert_eq!(
            got, want,
            "{apicode}: every roster person once, in order, names intact"
        );
        assert!(persons
            .iter()
            .all(|p| p["imgUrls"].as_array().is_some_and(|urls| urls.len() == 1)));
        for page in [0, 4] {
            let code = platform
                .refused(apicode, Some(&taskid), Some(&page_param(page)))
                .await;
            assert_eq!(code, "400_02", "{apicode} page {page}");
        }
    }
}

#[tokio::test]
async fn person_photo_urls_serve_jpegs() {
    let mut platform = Platform::start().await;
    let taskid = platform.add_task(SN, Apicode::TSendPerson, json!({})).await;
    let persons = platform.all_pages(Apicode::TSendPerson, &taskid).await;
    let mut bodies = Vec::new();
    for person in &persons {
        let url = person["imgUrls"][0].as_str().expect("an image URL");
        let (status, content_type, body) = platform.http.get_bytes(url).await;
        assert_eq!(
            (status, content_type.as_str()),
            (200, "image/jpeg"),
            "{url}"
        );
        assert!(body.starts_with(&[0xff, 0xd8]), "{url} is not a JPEG");
        assert!(body.ends_with(&[0xff, 0xd9]), "{url} is a truncated JPEG");
        bodies.push(body);
    }
    bodies.sort();
    bodies.dedup();
    assert_eq!(
        bodies.len(),
        ROSTER_SIZE,
        "each person's photo is their own"
    );
}

#[tokio::test]
async fn del_device_person_returns_the_person_ids() {
    let mut platform = Platform::start().await;
    let ids = json!(["P0002", "P0040", "P9999-left"]);
    let taskid = platform
        .add_task(SN, Apicode::TDelDevicePerson, json!({"personIds": ids}))
        .await;
    let reply = platform
        .ok(Apicode::TDelDevicePerson, Some(&taskid), None)
        .await;
    assert_eq!(reply, json!({"personIds": ids}));
    let reply = platform
        .hand_built(Apicode::TDelDevicePerson, Some(&taskid), None, None)
        .await;
    assert_eq!(
        reply.json["taskid"],
        json!(taskid),
        "the reply echoes the taskid it signs"
    );
}

#[tokio::test]
async fn clear_device_person_succeeds_without_a_response() {
    let mut platform = Platform::start().await;
    let taskid = platform
        .add_task(SN, Apicode::TClearDevicePerson, json!({}))
        .await;
    let reply = platform
        .hand_built(Apicode::TClearDevicePerson, Some(&taskid), None, None)
        .await;
    assert_eq!(reply.assert_success(), &Value::Null, "{}", reply.body);
    assert_eq!(reply.json["taskid"], json!(taskid));
    assert_eq!(
        platform
            .ok(Apicode::TClearDevicePerson, Some(&taskid), None)
            .await,
        json!({})
    );
}

#[tokio::test]
async fn update_device_version_task_carries_the_firmware() {
    let mut platform = Platform::start().await;
    let (status, reply) = (platform.http)
        .post_json(
            "/sim/tasks",
            &json!({"sn": SN, "apicode": "T_UPDATE_DEVICE_VERSION"}),
        )
        .await;
    assert_eq!(
        status, 400,
        "a version task needs its firmware param: {reply}"
    );

    let firmware = json!({"version": "2.2.0", "size": 734_003, "downloadUrl": "http://fw.example/zj-2.2.0.bin"});
    let taskid = platform
        .add_task(
            SN,
            Apicode::TUpdateDeviceVersion,
            json!({"param": firmware}),
        )
        .await;
    let reply = platform
        .ok(Apicode::TGetTasks, None, Some(&get_tasks_param(&[&taskid])))
        .await;
    let param: Value = serde_json::from_str(reply["tasks"][0]["param"].as_str().unwrap()).unwrap();
    assert_eq!(param, firmware);
    let reply = platform
        .ok(
            Apicode::TUpdateDeviceVersion,
            Some(&taskid),
            Some(&param.to_string()),
        )
        .await;
    assert_eq!(reply, json!({}));
}

#[tokio::test]
async fn posted_roster_pages_are_kept_with_image_sizes_and_excluded_fields_are_refused() {
    let mut platform = Platform::start().await;
    let param = json!({"excludeFields": "phone"});
    let taskid = platform
        .add_task(SN, Apicode::TPostDevicePerson, json!({"param": param}))
        .await;
    let (photo_1, photo_3) = (random_bytes(30_000, 11), random_bytes(12_345, 12));
    let pages = [
        json!({"currentPage": 1, "totalPage": 2, "data": [
            {"personId": "P0001", "name": "Worker 1", "img": base64(&photo_1), "hasImg": 1},
            {"personId": "P0007", "name": "Worker 7", "idcardNo": "330106199001011234", "hasImg": 0},
        ]}),
        json!({"currentPage": 2, "totalPage": 2, "data": [
            {"personId": "P0003", "name": "王芳", "img": base64(&photo_3), "hasImg": 1},
        ]}),
    ];
    for page in &pages {
        let reply = platform
            .ok(
                Apicode::TPostDevicePerson,
                Some(&taskid),
                Some(&page.to_string()),
            )
            .await;
        assert_eq!(reply, json!({}));
    }
    let with_phone = json!({"currentPage": 2, "totalPage": 2, "data": [
        {"personId": "P0003", "name": "王芳", "phone": "13800000000"},
    ]});
    let code = platform
        .refused(
            Apicode::TPostDevicePerson,
            Some(&taskid),
            Some(&with_phone.to_string()),
        )
        .await;
    assert_eq!(code, "400_02");

    let task = platform.http.task(&taskid).await;
    let posted = task["posted"].as_array().expect("posted");
    let summary: Vec<(&Value, &Value)> = posted
        .iter()
        .map(|p| (&p["personId"], &p["imgBytes"]))
        .collect();
    assert_eq!(
        summary,
        [
            (&json!("P0001"), &json!(photo_1.len())),
            (&json!("P0007"), &Value::Null),
            (&json!("P0003"), &json!(photo_3.len())),
        ],
        "{task}"
    );
    assert!(posted.iter().all(|p| p.get("img").is_none()), "{task}");
    assert_eq!(posted[1]["idcardNo"], "330106199001011234");
    assert_eq!(posted[2]["name"], "王芳");
}

#[tokio::test]
async fn status_reports_set_each_task_status_and_heartbeats_stop_listing_it() {
    let mut platform = Platform::start().await;
    let done = platform.add_task(SN, Apicode::TSendPerson, json!({})).await;
    let failed = platform
        .add_task(SN, Apicode::TUpdateDevicePerson, json!({}))
        .await;
    let unsupported = platform
        .add_task(SN, Apicode::TClearDevicePerson, json!({}))
        .await;
    let pending = platform
        .add_task(SN, Apicode::TDelDevicePerson, json!({"personIds": []}))
        .await;
    assert_eq!(
        platform.heartbeat_taskids().await,
        [
            done.clone(),
            failed.clone(),
            unsupported.clone(),
            pending.clone()
        ]
    );

    let failures = json!([{"personId": "P0003", "errCode": "404_1"}]);
    let report = status_report(json!([
        {"taskid": done, "status": 1},
        {"taskid": failed, "status": 2, "failedPersons": failures, "failedFaces": failures},
        {"taskid": unsupported, "status": 3},
    ]));
    assert_eq!(
        platform
            .ok(Apicode::TUpdateTasksStatus, None, Some(&report))
            .await,
        json!({})
    );

    for (taskid, status) in [(&done, 1), (&failed, 2), (&unsupported, 3)] {
        let task = platform.http.task(taskid).await;
        assert_eq!(task["status"], json!(status), "{task}");
    }
    let task = platform.http.task(&failed).await;
    assert_eq!(task["failedPersons"], failures, "{task}");
    assert_eq!(task["failedFaces"], failures, "{task}");
    assert_eq!(platform.http.task(&pending).await["status"], Value::Null);
    assert_eq!(platform.heartbeat_taskids().await, [pending]);
    let device = platform.http.device(SN).await;
    assert_eq!(
        (&device["personCount"], &device["faceCount"]),
        (&json!(44), &json!(43))
    );
}

#[tokio::test]
async fn refused_status_reports_change_nothing() {
    let mut platform = Platform::start().await;
    let mine = platform.add_task(SN, Apicode::TSendPerson, json!({})).await;
    let theirs = platform
        .add_task(OTHER_SN, Apicode::TSendPerson, json!({}))
        .await;
    let cases = [
        (
            "unknown taskid",
            json!([{"taskid": mine, "status": 1}, {"taskid": "4242", "status": 1}]),
        ),
        ("status 4", json!([{"taskid": mine, "status": 4}])),
        ("status 0", json!([{"taskid": mine, "status": 0}])),
        (
            "taskid of another sn",
            json!([{"taskid": mine, "status": 1}, {"taskid": theirs, "status": 1}]),
        ),
    ];
    for (name, results) in cases {
        let code = platform
            .refused(
                Apicode::TUpdateTasksStatus,
                None,
                Some(&status_report(results)),
            )
            .await;
        assert_eq!(code, "400_02", "{name}");
    }
    assert_eq!(platform.http.task(&mine).await["status"], Value::Null);
    assert_eq!(platform.http.task(&theirs).await["status"], Value::Null);
    assert_eq!(platform.heartbeat_taskids().await, [mine]);
}

#[tokio::test]
async fn task_ids_must_be_the_devices_and_of_the_requested_apicode() {
    let mut platform = Platform::start().await;
    let send = platform.add_task(SN, Apicode::TSendPerson, json!({})).await;
    let del = platform
        .add_task(
            SN,
            Apicode::TDelDevicePerson,
            json!({"personIds": ["P0001"]}),
        )
        .await;
    let theirs = platform
        .add_task(OTHER_SN, Apicode::TSendPerson, json!({}))
        .await;
    let unknown = "1234567890123456789".to_owned();
    let page = page_param(1);
    let cases = [
        (
            "get another sn's task",
            Apicode::TGetTasks,
            None,
            get_tasks_param(&[&send, &theirs]),
        ),
        (
            "get an unknown task",
            Apicode::TGetTasks,
            None,
            get_tasks_param(&[&unknown]),
        ),
        (
            "page of another sn's task",
            Apicode::TSendPerson,
            Some(&theirs),
            page.clone(),
        ),
        (
            "page of an unknown task",
            Apicode::TSendPerson,
            Some(&unknown),
            page.clone(),
        ),
        (
            "page of a delete task",
            Apicode::TSendPerson,
            Some(&del),
            page.clone(),
        ),
        (
            "update page of a send task",
            Apicode::TUpdateDevicePerson,
            Some(&send),
            page.clone(),
        ),
    ];
    for (name, apicode, taskid, param) in cases {
        let code = platform
            .refused(apicode, taskid.map(String::as_str), Some(&param))
            .await;
        assert_eq!(code, "400_02", "{name}");
    }
    let code = platform
        .refused(Apicode::TClearDevicePerson, Some(&send), None)
        .await;
    assert_eq!(code, "400_02", "clear with a send task's id");
    let code = platform
        .refused(Apicode::TDelDevicePerson, Some(&theirs), None)
        .await;
    assert_eq!(code, "400_02", "delete with another sn's task id");
    platform
        .ok(Apicode::TSendPerson, Some(&send), Some(&page))
        .await;
}

#[tokio::test]
async fn a_task_request_with_a_wrong_sign_gets_a_signed_400_04() {
    let platform = Platform::start().await;
    let taskid = platform.add_task(SN, Apicode::TSendPerson, json!({})).await;
    let reply = platform
        .hand_built(
            Apicode::TSendPerson,
            Some(&taskid),
            Some(&page_param(1)),
            Some(BOGUS_SIGN),
        )
        .await;
    reply.assert_refused(200, "400_04");
    assert!(
        reply.json["sign"].is_string(),
        "the refusal is signed: {}",
        reply.body
    );
    let reply = platform
        .hand_built(
            Apicode::TGetTasks,
            None,
            Some(&get_tasks_param(&[&taskid])),
            Some(BOGUS_SIGN),
        )
        .await;
    reply.assert_refused(200, "400_04");
}

#[tokio::test]
async fn a_task_request_with_an_unknown_token_gets_a_signed_401_01() {
    let platform = Platform::start().await;
    let body = task_body(
        SN,
        &"cd".repeat(16),
        Apicode::TGetTasks,
        None,
        Some(&get_tasks_param(&[])),
        None,
    );
    platform
        .http
        .task_call(Apicode::TGetTasks, body)
        .await
        .assert_refused(200, "401_01");
}

#[tokio::test]
async fn param_may_come_as_a_json_string_holding_the_text() {
    let platform = Platform::start().await;
    let taskid = platform.add_task(SN, Apicode::TSendPerson, json!({})).await;
    // Sign the text, then send it as a JSON string rather than an object (§4).
    let text = page_param(2);
    let signed: Value = serde_json::from_str(&task_body(
        SN,
        &platform.device.token(),
        Apicode::TSendPerson,
        Some(&taskid),
        Some(&text),
        None,
    ))
    .unwrap();
    let mut body = signed;
    body["param"] = json!(text);
    let reply = platform
        .http
        .task_call(Apicode::TSendPerson, body.to_string())
        .await;
    assert_eq!(
        reply.assert_success()["currentPage"],
        json!(2),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn the_apicode_is_checked_before_the_fields_it_requires_over_http() {
    let platform = Platform::start().await;
    let token = platform.device.token();
    let valid = signed(
        Apicode::TGetTasks,
        SN,
        &token,
        r#"{"taskids":[]}"#,
        now_ms(),
    );
    let auth = auth_request(SN);
    let mut answers = Vec::new();
    for case in crate::check_order::all_cases(Channel::Task, &valid, &auth, &token) {
        let reply = (platform.http)
            .post_task_api(command_request_body(&case.request))
            .await;
        answers.push((case, reply.errorcode().map(str::to_owned)));
    }
    crate::check_order::assert_answers(answers);
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_http_400_and_400_02() {
    let platform = Platform::start().await;
    let reply = platform
        .http
        .post_task_api("version=v1.0.0&sn=ZJMA-0001")
        .await;
    reply.assert_refused(400, "400_02");
}

#[tokio::test]
async fn a_token_from_tcp_auth_works_on_http() {
    let platform = Platform::start().await;
    let taskid = platform.add_task(SN, Apicode::TSendPerson, json!({})).await;
    let mut client = platform.sim.connect().await;
    let token = client.auth(SN).await;
    assert_ne!(token, platform.device.token());
    let body = task_body(
        SN,
        &token,
        Apicode::TGetTasks,
        None,
        Some(&get_tasks_param(&[&taskid])),
        None,
    );
    let reply = platform.http.task_call(Apicode::TGetTasks, body).await;
    assert_eq!(reply.assert_success()["tasks"][0]["taskid"], json!(taskid));
    // The same token still works on TCP afterwards.
    assert_eq!(client.heartbeat_taskids(SN, &token).await, [taskid]);
}
